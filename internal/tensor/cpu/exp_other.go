//go:build !amd64

package cpu

// expShiftedFast has no vectorised version on this architecture.
func expShiftedFast(row []float32, m float32) int { return 0 }

// geluFast has no vectorised version on this architecture.
func geluFast(x []float32) int { return 0 }
