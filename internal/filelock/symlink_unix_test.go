//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package filelock

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

func syscallMkfifo(path string) error { return syscall.Mkfifo(path, 0o644) }

// TestLockRefusesSymlinkAndHardLink plants a symlink and a hard link at the lock's name:
// each is refused and its target keeps its content (the lock used to follow the
// symlink and truncate the target to record its pid).
func TestLockRefusesSymlinkAndHardLink(t *testing.T) {
	dir := t.TempDir()
	victim := filepath.Join(dir, "thesis.tex")
	if err := os.WriteFile(victim, []byte("precious"), 0o644); err != nil {
		t.Fatal(err)
	}
	sym := filepath.Join(dir, "symlock")
	hard := filepath.Join(dir, "hardlock")
	if err := os.Symlink(victim, sym); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(victim, hard); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifolock")
	if err := syscallMkfifo(fifo); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{sym, hard, fifo} {
		for name, take := range map[string]func(string) (*Lock, error){"TryLock": TryLock, "Acquire": Acquire} {
			l, err := take(path)
			if !errors.Is(err, ErrNotRegular) {
				l.Unlock()
				t.Errorf("%s(%s): %v, want ErrNotRegular", name, filepath.Base(path), err)
			}
		}
	}
	if b, _ := os.ReadFile(victim); string(b) != "precious" {
		t.Fatalf("the symlink's target was changed to %q", b)
	}
}
