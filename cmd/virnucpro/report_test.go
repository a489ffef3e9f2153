package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/virnucpro/virnucpro/internal/report"
)

// TestReportCommand redoes the reports of a hand-made chunks.tsv (weighted delta
// (√.8·.8 + √.6·.6)/(√.8 + √.6) = 0.7072).
func TestReportCommand(t *testing.T) {
	dir := t.TempDir()
	chunks := report.ChunksHeader +
		"a|<x>\t1\t1\t500\t2\t0.1\t0.9\tviral\n" +
		"a|<x>\t2\t300\t600\t1\t0.2\t0.8\tviral\n" +
		"b\t1\t1\t40\t0\tNA\tNA\tno_orf\n"
	if err := os.WriteFile(filepath.Join(dir, report.ChunksFile), []byte(chunks), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := run(t, "report", dir, "--plot-top", "1", "--min-chunks", "2", "--region-gap", "0"); err != nil {
		t.Fatal(err)
	}
	seqs, err := os.ReadFile(filepath.Join(dir, report.SequencesFile))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(seqs), "a|<x>\t600\t2\t2\t0\t2\t0.9\tok\t0.8500\t1.0000\t0.7072\t1\t0\t0\tViral\thigh_confidence\t0.5000\t0.0000\t\n") ||
		!strings.Contains(string(seqs), "b\t40\t1\t0\t1\t0\tNA\tno_orf\t") {
		t.Errorf("sequences.tsv:\n%s", seqs)
	}
	// The second chunk's 0.8 is not above --min-confident-score 0.8 (compared as the
	// printed 0.8, not as the float32 0.800000011920929); b has no scored chunk.
	contigs, _ := os.ReadFile(filepath.Join(dir, report.ContigsFile))
	if want := report.ContigsHeader + "a|<x>\tViral\thigh_confidence\t0.707\t2\t1\t0\t0\t0.5\t0.0\n"; string(contigs) != want {
		t.Errorf("contigs.tsv %q, want %q", contigs, want)
	}
	bed, _ := os.ReadFile(filepath.Join(dir, report.RegionsBEDFile))
	if string(bed) != "a|<x>\t0\t600\ta|<x>_region_1|Viral|high_confidence\t850\t.\n" {
		t.Errorf("regions.bed %q", bed)
	}
	plots, _ := os.ReadDir(filepath.Join(dir, report.PlotsDir))
	if len(plots) != 1 {
		t.Errorf("%d plots, want 1", len(plots))
	}
	if _, err := os.Stat(filepath.Join(dir, report.HTMLFile)); err != nil {
		t.Error(err)
	}
	if err := run(t, "report", dir, "--call-delta", "2"); err == nil || !strings.Contains(err.Error(), "min-weighted-delta") {
		t.Errorf("bad threshold: %v", err)
	}
	// The old flag names are aliases: --high-fraction sets both proportions.
	if err := run(t, "report", dir, "--min-chunks", "2", "--min-weighted-delta", "0.3", "--high-fraction", "0.6"); err != nil {
		t.Fatal(err)
	}
	contigs, _ = os.ReadFile(filepath.Join(dir, report.ContigsFile))
	if !strings.Contains(string(contigs), "a|<x>\tViral\tlow_confidence\t") {
		t.Errorf("--high-fraction 0.6: contigs.tsv %q", contigs)
	}
	if err := run(t, "report", dir, "--min-chunks", "3", "--min-weighted-delta", "0.71", "--min-viral-prop", "0.5"); err != nil {
		t.Fatal(err)
	}
	contigs, _ = os.ReadFile(filepath.Join(dir, report.ContigsFile))
	if !strings.Contains(string(contigs), "a|<x>\tAmbiguous\treview\t0.707\t") {
		t.Errorf("--min-weighted-delta 0.71: contigs.tsv %q", contigs)
	}
	// An old name works as a config key too.
	cfg := filepath.Join(t.TempDir(), "c.yaml")
	os.WriteFile(cfg, []byte("call-delta: 0.71\nmin-chunks: 2\n"), 0o644)
	if err := run(t, "report", dir, "--config", cfg); err != nil {
		t.Fatal(err)
	}
	contigs, _ = os.ReadFile(filepath.Join(dir, report.ContigsFile))
	if !strings.Contains(string(contigs), "a|<x>\tAmbiguous\treview\t0.707\t") {
		t.Errorf("config call-delta: 0.71: contigs.tsv %q", contigs)
	}
	if err := run(t, "report", t.TempDir(), "--call-delta", "0.3"); err == nil || !strings.Contains(err.Error(), "chunks.tsv") {
		t.Errorf("missing chunks.tsv: %v", err)
	}
}
