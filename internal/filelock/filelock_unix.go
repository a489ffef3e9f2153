//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package filelock

import (
	"errors"
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
	// O_NOFOLLOW: a symlink planted at the lock's name is refused (ELOOP), never
	// followed to truncate its target; a regular file with other hard links is refused
	// too, since recording the holder rewrites it.
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0o644)
	if err != nil {
		if errors.Is(err, syscall.ELOOP) {
			return nil, fmt.Errorf("lock %s: %w", path, ErrNotRegular)
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if err := checkRegular(f); err != nil {
		f.Close()
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

// checkRegular refuses a lock file that is not a plain regular file of its own (a
// FIFO, a device, or a hard link to another file).
func checkRegular(f *os.File) error {
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if !st.Mode().IsRegular() {
		return ErrNotRegular
	}
	if sys, ok := st.Sys().(*syscall.Stat_t); ok && sys.Nlink > 1 {
		return fmt.Errorf("%w (it has %d hard links)", ErrNotRegular, sys.Nlink)
	}
	return nil
}
