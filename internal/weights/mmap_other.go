//go:build !linux

package weights

// adviseDontNeed is a no-op where madvise is not available through package syscall.
func adviseDontNeed(b []byte) {}
