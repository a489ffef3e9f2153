//go:build unix

package perf

import (
	"syscall"
	"time"
)

// processCPU is the CPU time this process has used (user + system, all threads),
// and whether the platform reports it.
func processCPU() (time.Duration, bool) {
	u, ok := ProcessUsage()
	return u.User + u.Sys, ok
}

// ProcessUsage is what this process has used so far (all threads), and whether
// the platform reports it.
func ProcessUsage() (Usage, bool) {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return Usage{}, false
	}
	return Usage{
		User:        time.Duration(ru.Utime.Nano()),
		Sys:         time.Duration(ru.Stime.Nano()),
		MinorFaults: int64(ru.Minflt),
		MajorFaults: int64(ru.Majflt),
	}, true
}
