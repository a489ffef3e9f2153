package report

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
)

// plotName matches the names PlotFileName generates.
var plotName = regexp.MustCompile(`^[0-9]{6,}_[A-Za-z0-9._-]*\.svg$`)

// checkPlotsDir makes sure an existing plots/ in dir can be replaced: a real directory
// (not a symlink) holding only regular files under names PlotFileName generates. Any
// other entry is the user's: it is refused, naming it, before any work is done, and
// never deleted.
// ErrPlotsDir marks an existing plots/ directory that virnucpro may not replace
// (a symlink, not a directory, or holding files it did not write).
var ErrPlotsDir = errors.New("plots/ is not virnucpro's to replace")

func checkPlotsDir(dir string) error {
	final := filepath.Join(dir, PlotsDir)
	st, err := os.Lstat(final)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("plots directory: %w", err)
	}
	if st.Mode()&os.ModeSymlink != 0 || !st.IsDir() {
		return fmt.Errorf("%s is a symlink or not a directory; virnucpro replaces plots/ and only ever deletes a directory of its own plots: %w", final, ErrPlotsDir)
	}
	entries, err := os.ReadDir(final)
	if err != nil {
		return fmt.Errorf("plots directory: %w", err)
	}
	for _, e := range entries {
		if !plotName.MatchString(e.Name()) || !e.Type().IsRegular() {
			return fmt.Errorf("%s holds %q, which virnucpro did not write; plots/ is replaced on each run, so move that file away: %w", final, e.Name(), ErrPlotsDir)
		}
	}
	return nil
}

// removePlotsDir deletes a plots/ that checkPlotsDir accepted: its generated plot
// files, then the directory itself, which fails (deleting nothing else) if anything
// else appeared there meanwhile.
func removePlotsDir(dir string) error {
	if err := checkPlotsDir(dir); err != nil {
		return err
	}
	final := filepath.Join(dir, PlotsDir)
	entries, err := os.ReadDir(final)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, e := range entries {
		if err := os.Remove(filepath.Join(final, e.Name())); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	if err := os.Remove(final); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}
