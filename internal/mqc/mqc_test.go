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
	if err := Write(dir, "sample\t1", report.Confirmation{}); err != nil {
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
		// run2 is a bf16 run whose near ties were confirmed in fp32.
		conf := report.Confirmation{}
		if name == "run2" {
			conf = report.Confirmation{Frames: 7, Margin: 0.1}
		}
		if err := Write(dir, name, conf); err != nil {
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
	for _, want := range []string{"VirNucPro: calls", "VirNucPro: run summary", "virnucpro_calls_plot", "run1", "run2", "fp32_confirmed_frames", "bf16_confirm_margin"} {
		if !strings.Contains(string(html), want) {
			t.Errorf("multiqc_report.html lacks %q", want)
		}
	}
}

// TestConfirmationFields: a bf16 run's table has the frames re-scored in fp32 and the
// margin, and ReadConfirmation reads them back (for `virnucpro report`); an fp32 run's
// has neither field; a damaged field is refused naming the file and the field.
func TestConfirmationFields(t *testing.T) {
	for _, tc := range []struct {
		name string
		conf report.Confirmation
		want []string // lines of the YAML; none when the confirmation did not run
	}{
		{"fp32", report.Confirmation{}, nil},
		{"bf16 margin 0", report.Confirmation{Margin: 0}, nil},
		{"bf16", report.Confirmation{Frames: 12, Margin: 0.1}, []string{"    fp32_confirmed_frames: 12\n", "    bf16_confirm_margin: 0.1\n"}},
		{"bf16 none close", report.Confirmation{Frames: 0, Margin: 0.05}, []string{"    fp32_confirmed_frames: 0\n", "    bf16_confirm_margin: 0.05\n"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			run(t, dir, map[string]string{"a": "VVn", "b": "-"}, []string{"a", "b"})
			if err := Write(dir, "s", tc.conf); err != nil {
				t.Fatal(err)
			}
			b, _ := os.ReadFile(filepath.Join(dir, YAMLFile))
			yaml := string(b)
			for _, w := range tc.want {
				if !strings.Contains(yaml, w) {
					t.Errorf("virnucpro_mqc.yaml lacks %q:\n%s", w, yaml)
				}
			}
			if tc.want == nil && strings.Contains(yaml, "confirm") {
				t.Errorf("a run without confirmation has confirmation fields:\n%s", yaml)
			}
			got, err := ReadConfirmation(dir)
			if err != nil || got != tc.conf {
				t.Errorf("read back %+v, %v; want %+v", got, err, tc.conf)
			}
		})
	}
	dir := t.TempDir()
	if c, err := ReadConfirmation(dir); err != nil || c.Ran() {
		t.Errorf("a directory without %s: %+v, %v", YAMLFile, c, err)
	}
	for _, bad := range []struct{ yaml, want string }{
		{"    fp32_confirmed_frames: x\n    bf16_confirm_margin: 0.1\n", `fp32_confirmed_frames "x" is not a whole number`},
		{"    fp32_confirmed_frames: 3\n    bf16_confirm_margin: y\n", `bf16_confirm_margin "y" is not a number`},
		{"    fp32_confirmed_frames: 3\n", "3 confirmed frames without a margin"},
	} {
		os.WriteFile(filepath.Join(dir, YAMLFile), []byte("data:\n  's':\n    records: 1\n"+bad.yaml), 0o644)
		if _, err := ReadConfirmation(dir); err == nil || !strings.Contains(err.Error(), bad.want) || !strings.Contains(err.Error(), YAMLFile) {
			t.Errorf("%q: %v, want %q naming the file", bad.yaml, err, bad.want)
		}
	}
}
