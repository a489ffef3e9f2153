// Package filelock takes exclusive advisory locks on files (flock on Unix), so that two
// virnucpro processes never write the same output directory or cache at once. The
// kernel releases a lock when its process dies, even by SIGKILL: a lock file left
// behind by a crash never blocks the next run.
package filelock

import "errors"

// ErrLocked is returned by TryLock when another process holds the lock.
var ErrLocked = errors.New("locked by another process")

// ErrNotRegular refuses a lock path that is a symlink, a special file or a hard link
// to another file: the lock never writes through it.
var ErrNotRegular = errors.New("not a regular file of its own (a symlink, special file or hard link is refused)")

// Lock is a held lock; Unlock releases it.
type Lock struct {
	unlock func()
}

// Unlock releases the lock. It is safe to call more than once.
func (l *Lock) Unlock() {
	if l != nil && l.unlock != nil {
		l.unlock()
		l.unlock = nil
	}
}
