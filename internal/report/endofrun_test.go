package report

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestEndOfRunSummary writes a run's reports and checks the summary names the counts,
// the calls per tier, the regions, the time and the output files present.
func TestEndOfRunSummary(t *testing.T) {
	dir := t.TempDir()
	rr, err := NewRunReport(Options{Dir: dir, PlotTop: 2})
	if err != nil {
		t.Fatal(err)
	}
	synthRecords(t, rr)
	if err := rr.Finish(); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "prediction_results.txt"), nil, 0o644)
	var buf bytes.Buffer
	e := EndOfRun{Records: 5, Chunks: 21, Frames: 40, Summary: rr.Summary(), Wall: 83 * time.Second, Dir: dir}
	if err := e.Write(&buf); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{"records   5 (2 with no scored chunk)", "21 (", "40 frames", "Viral 2 (", "Ambiguous 1 (",
		"not called (no ORF) 2", "regions   2 viral", "time      1m23s", "output    " + dir, "report.html", "sequences.tsv",
		"plots/ (2 files)", "prediction_results.txt"} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "confirmed") {
		t.Errorf("a run without confirmation prints a confirmation line:\n%s", out)
	}
	buf.Reset()
	e.Confirmation = Confirmation{Frames: 3, Margin: 0.05}
	if err := e.Write(&buf); err != nil {
		t.Fatal(err)
	}
	if want := "confirmed 3 frames (7.5%) in fp32: chunks whose bf16 call was within 0.05 of flipping"; !strings.Contains(buf.String(), want) {
		t.Errorf("summary lacks %q:\n%s", want, buf.String())
	}
	if strings.Contains(out, "contigs.tsv") && func() bool { _, err := os.Stat(filepath.Join(dir, "contigs.tsv")); return err != nil }() {
		t.Errorf("summary lists a file that is not there:\n%s", out)
	}
}
