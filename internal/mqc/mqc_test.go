package mqc

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/virnucpro/virnucpro/internal/report"
)

// run writes the tables of a run whose records have chunks called by calls: 'V' viral,
// 'n' non-viral, '-' no ORF.
func run(t *testing.T, dir string, recs map[string]string, order []string) {
	t.Helper()
	rr, err := report.NewRunReport(report.Options{Dir: dir, PlotTop: -1, NoHTML: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range order {
		calls := recs[id]
		if err := rr.BeginRecord(id, 100*len(calls)); err != nil {
			t.Fatal(err)
		}
		for i, c := range calls {
			call := report.ChunkCall{Frames: 1, MaxOthers: 0.05, MaxVirus: 0.95}
			if c == 'n' {
				call.MaxOthers, call.MaxVirus = 0.95, 0.05
			} else if c == '-' {
				call = report.ChunkCall{}
			}
			if err := rr.AddChunk(report.ChunkRowOf(id, i, 100*i, 100*i+100, call)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := rr.Finish(); err != nil {
		t.Fatal(err)
	}
}

func TestSummaryFiles(t *testing.T) {
	dir := t.TempDir()
	run(t, dir, map[string]string{"a": "VVVVVV", "b": "nnnnnn-", "c": "--", "d": "VV"}, []string{"a", "b", "c", "d"})
	if err := Write(dir, "sample\t1"); err != nil {
		t.Fatal(err)
	}
	s, err := Summarize(dir)
	if err != nil {
		t.Fatal(err)
	}
	if s.Records != 4 || s.Chunks != 17 || s.NoORFChunks != 3 || s.NoORFRecords != 1 || s.Calls["Viral high_confidence"] != 1 ||
		s.Calls["Non-viral high_confidence"] != 1 || s.Calls["No call (no ORF)"] != 1 {
		t.Fatalf("%+v", s)
	}
	tsv, _ := os.ReadFile(filepath.Join(dir, TSVFile))
	lines := strings.Split(strings.TrimSpace(string(tsv)), "\n")
	last := strings.Split(lines[len(lines)-1], "\t")
	head := strings.Split(lines[len(lines)-2], "\t")
	if len(last) != len(Categories)+1 || len(head) != len(last) || last[0] != "sample 1" || head[0] != "Sample" {
		t.Fatalf("virnucpro_mqc.tsv:\n%s", tsv)
	}
	yaml, _ := os.ReadFile(filepath.Join(dir, YAMLFile))
	for _, want := range []string{"plot_type: 'table'", "records: 4\n", "chunks: 17\n", "no_orf_share: 0.1765\n", "viral_records: 2\n"} {
		if !strings.Contains(string(yaml), want) {
			t.Errorf("virnucpro_mqc.yaml lacks %q:\n%s", want, yaml)
		}
	}
}

// TestMultiQCFindsTheFiles runs Debian's multiqc on two run directories: the report
// must have the virnucpro sections with both samples.
func TestMultiQCFindsTheFiles(t *testing.T) {
	bin, err := exec.LookPath("multiqc")
	if err != nil {
		t.Skip("multiqc is not installed (Debian package multiqc; .ci/run installs it): the MultiQC check is skipped")
	}
	root := t.TempDir()
	for i, name := range []string{"run1", "run2"} {
		dir := filepath.Join(root, name)
		run(t, dir, map[string]string{"a": "VVVVVV", "b": "nnnnn"[:3+i]}, []string{"a", "b"})
		if err := Write(dir, name); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(t.TempDir(), "mqc")
	cmd := exec.Command(bin, "--no-ansi", "-f", "-o", out, root)
	cmd.Env = append(os.Environ(), "MPLCONFIGDIR="+t.TempDir())
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("multiqc: %v\n%s", err, b)
	}
	html, err := os.ReadFile(filepath.Join(out, "multiqc_report.html"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"VirNucPro: calls", "VirNucPro: run summary", "virnucpro_calls_plot", "run1", "run2"} {
		if !strings.Contains(string(html), want) {
			t.Errorf("multiqc_report.html lacks %q", want)
		}
	}
}
