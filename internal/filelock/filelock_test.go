package filelock

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestTryLockExcludesAnotherProcess takes a lock here and tries it from a child
// process (flock locks are per open file, so a second open in this process would
// also conflict, but only another process shows the real use).
func TestTryLockExcludesAnotherProcess(t *testing.T) {
	if os.Getenv("FILELOCK_CHILD") != "" {
		_, err := TryLock(os.Getenv("FILELOCK_CHILD"))
		if errors.Is(err, ErrLocked) {
			os.Stdout.WriteString("locked: " + err.Error())
		} else {
			os.Stdout.WriteString("acquired")
		}
		os.Exit(0)
	}
	path := filepath.Join(t.TempDir(), "lock")
	child := func() string {
		cmd := exec.Command(os.Args[0], "-test.run", "TestTryLockExcludesAnotherProcess")
		cmd.Env = append(os.Environ(), "FILELOCK_CHILD="+path)
		out, err := cmd.Output()
		if err != nil {
			t.Fatal(err)
		}
		return string(out)
	}
	l, err := TryLock(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := child(); !strings.HasPrefix(got, "locked") || !strings.Contains(got, "pid") {
		t.Errorf("child while held: %q", got)
	}
	l.Unlock()
	l.Unlock()
	if got := child(); got != "acquired" {
		t.Errorf("child after unlock: %q", got)
	}
}
