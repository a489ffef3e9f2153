//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package filelock

import (
	"fmt"
	"os"
	"strconv"
	"syscall"
)

// Acquire takes an exclusive lock on path (created if needed), waiting while another
// process holds it.
func Acquire(path string) (*Lock, error) { return lock(path, true) }

// TryLock takes an exclusive lock on path without waiting; the error wraps ErrLocked
// when another process holds it.
func TryLock(path string) (*Lock, error) { return lock(path, false) }

func lock(path string, wait bool) (*Lock, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	how := syscall.LOCK_EX
	if !wait {
		how |= syscall.LOCK_NB
	}
	for {
		err = syscall.Flock(int(f.Fd()), how)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		holder, _ := os.ReadFile(path)
		f.Close()
		if err == syscall.EWOULDBLOCK {
			if len(holder) > 0 {
				return nil, fmt.Errorf("%s: %w (pid %s)", path, ErrLocked, holder)
			}
			return nil, fmt.Errorf("%s: %w", path, ErrLocked)
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	// Record the holder for the message another process gets (best effort).
	if f.Truncate(0) == nil {
		f.WriteAt([]byte(strconv.Itoa(os.Getpid())), 0)
	}
	return &Lock{unlock: func() {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}}, nil
}
