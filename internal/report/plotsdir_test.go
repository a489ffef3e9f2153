package report

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPlotsDirKeepsUserFiles: an existing plots/ holding a file of the user's, or a
// plots/ symlinked elsewhere, is refused before any work and nothing is deleted (the
// user's figure used to vanish with exit 0); a plots/ of virnucpro's own plots is
// replaced.
func TestPlotsDirKeepsUserFiles(t *testing.T) {
	for _, c := range []struct{ name, plant string }{
		{"user file", "file"}, {"symlink", "symlink"}, {"our plots", "ours"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			plots := filepath.Join(dir, PlotsDir)
			elsewhere := filepath.Join(t.TempDir(), "figs")
			os.Mkdir(elsewhere, 0o755)
			keep := filepath.Join(elsewhere, "figure1_final.pdf")
			os.WriteFile(keep, []byte("%PDF"), 0o644)
			switch c.plant {
			case "file":
				os.Mkdir(plots, 0o755)
				keep = filepath.Join(plots, "figure1_final.pdf")
				os.WriteFile(keep, []byte("%PDF"), 0o644)
				os.WriteFile(filepath.Join(plots, "000001_old.svg"), []byte("<svg/>"), 0o644)
			case "symlink":
				os.Symlink(elsewhere, plots)
			case "ours":
				os.Mkdir(plots, 0o755)
				os.WriteFile(filepath.Join(plots, "000009_stale.svg"), []byte("<svg/>"), 0o644)
			}
			rr, err := NewRunReport(Options{Dir: dir, PlotTop: PlotAll})
			if c.plant == "ours" {
				if err != nil {
					t.Fatal(err)
				}
				synthRecords(t, rr)
				if err := rr.Finish(); err != nil {
					t.Fatal(err)
				}
				if _, err := os.Stat(filepath.Join(plots, "000009_stale.svg")); !os.IsNotExist(err) {
					t.Error("a stale plot of ours was kept")
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), plots) {
				if rr != nil {
					rr.Abort()
				}
				t.Fatalf("got %v, want a refusal naming %s", err, plots)
			}
			if _, err := os.Stat(keep); err != nil {
				t.Fatalf("the user's file is gone: %v", err)
			}
		})
	}
}
