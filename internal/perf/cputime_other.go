//go:build !unix

package perf

import "time"

// processCPU reports that this platform's process CPU time is not measured here.
func processCPU() (time.Duration, bool) { return 0, false }

// ProcessUsage reports that this platform's process usage is not measured here.
func ProcessUsage() (Usage, bool) { return Usage{}, false }
