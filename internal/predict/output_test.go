package predict

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/virnucpro/virnucpro/internal/report"
)

// TestPredictionResultsMarkCompletion checks that prediction_results.txt, the mark of a
// complete run, is removed when a new output starts and renamed only after every other
// file: a commit that stops half way never leaves it next to a partial set of files.
func TestPredictionResultsMarkCompletion(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{PredictionsFile, ShardResultFile} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("an earlier run\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// A non-empty directory in the place of a later file makes its rename fail.
	blocker := filepath.Join(dir, HighestScoreFile)
	if err := os.MkdirAll(filepath.Join(blocker, "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	out, err := NewOutputSink(OutputOptions{Dir: dir, Compat: report.CompatBroad, FeatureDims: [2]int{4, 4}})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{PredictionsFile, ShardResultFile} {
		if _, err := os.Stat(filepath.Join(dir, name)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s of an earlier run survived the start of a new output: %v", name, err)
		}
	}
	if err := out.Commit(); err == nil {
		t.Fatal("commit succeeded with a directory in the place of " + HighestScoreFile)
	}
	if _, err := os.Stat(filepath.Join(dir, PredictionsFile)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%s appeared although the commit failed: %v", PredictionsFile, err)
	}

	// Without the obstacle every file appears, the mark included.
	if err := os.RemoveAll(blocker); err != nil {
		t.Fatal(err)
	}
	if out, err = NewOutputSink(OutputOptions{Dir: dir, Compat: report.CompatBroad, FeatureDims: [2]int{4, 4}}); err != nil {
		t.Fatal(err)
	}
	if err := out.Commit(); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{PredictionsFile, HighestScoreFile, report.SequencesFile} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("after a complete commit: %v", err)
		}
	}
}
