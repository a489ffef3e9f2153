//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package filelock

// Acquire is a no-op where flock is unavailable (the caller is trusted not to run
// two processes on one directory).
func Acquire(path string) (*Lock, error) { return &Lock{}, nil }

// TryLock is a no-op where flock is unavailable.
func TryLock(path string) (*Lock, error) { return &Lock{}, nil }
