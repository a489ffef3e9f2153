package checkpoint

import (
	"errors"
	"fmt"
	"path/filepath"

	"github.com/virnucpro/virnucpro/internal/filelock"
)

// LockOutput takes the lock of an output directory (creating it and its checkpoint
// directory if needed) so that no two virnucpro runs write the same results or
// checkpoint. It fails at once, naming the holder, when another run holds it.
func LockOutput(outDir string) (*filelock.Lock, error) {
	dir, err := ownDir(outDir)
	if err != nil {
		return nil, err
	}
	l, err := filelock.TryLock(filepath.Join(dir, LockName))
	if errors.Is(err, filelock.ErrLocked) {
		return nil, fmt.Errorf("output directory %s is in use by another virnucpro run (%w); wait for it or choose another -o", outDir, err)
	}
	return l, err
}
