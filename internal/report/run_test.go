package report

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// synthRecords feeds a few records, including ids needing escaping, a no-ORF record
// and an empty one.
func synthRecords(t *testing.T, rr *RunReport) {
	t.Helper()
	recs := []struct {
		id    string
		calls string
	}{
		{"phage|<b>&x", "nVVVnVVn"},
		{"host_contig", "nnnnnn"},
		{"noorf", "--"},
		{"empty", ""},
		{"mixed'\"", "VnVnV"},
	}
	for _, r := range recs {
		rows := track(r.id, r.calls)
		length := 0
		if len(rows) > 0 {
			length = rows[len(rows)-1].End
		}
		if err := rr.BeginRecord(r.id, length); err != nil {
			t.Fatal(err)
		}
		for _, c := range rows {
			if err := rr.AddChunk(c); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func TestRunReportFiles(t *testing.T) {
	dir := t.TempDir()
	rr, err := NewRunReport(Options{Dir: dir, Title: "t <&>", PlotTop: PlotAll})
	if err != nil {
		t.Fatal(err)
	}
	synthRecords(t, rr)
	// Nothing appears under a final name before Finish.
	for _, name := range []string{SequencesFile, ContigsFile, ChunksFile, RegionsBEDFile, HTMLFile, PlotsDir} {
		if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
			t.Fatalf("%s exists before Finish", name)
		}
	}
	if err := rr.Finish(); err != nil {
		t.Fatal(err)
	}
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	seqs := strings.Split(strings.TrimSpace(read(SequencesFile)), "\n")
	if len(seqs) != 6 {
		t.Fatalf("sequences.tsv has %d lines", len(seqs))
	}
	for i, want := range []string{"phage|<b>&x\t", "host_contig\t", "noorf\t", "empty\t0\t0\t", "mixed'\"\t"} {
		if !strings.HasPrefix(seqs[i+1], want) {
			t.Errorf("line %d %q, want prefix %q", i+2, seqs[i+1], want)
		}
	}
	if !strings.Contains(seqs[3], "\tno_orf\t") || !strings.HasSuffix(seqs[3], "\tNA\tNA\t") {
		t.Errorf("no-ORF record: %q", seqs[3])
	}
	bed := read(RegionsBEDFile)
	if want := "phage|<b>&x\t100\t750\tphage|<b>&x_region_1|Viral|low_confidence\t733\t.\nmixed'\"\t0\t550\tmixed'\"_region_1|Viral|low_confidence\t640\t.\n"; bed != want {
		t.Errorf("regions.bed:\n%s\nwant prefix\n%s", bed, want)
	}
	entries, err := os.ReadDir(filepath.Join(dir, PlotsDir))
	if err != nil || len(entries) != 5 {
		t.Fatalf("plots: %v, %d files", err, len(entries))
	}
	if entries[0].Name() != "000001_phage__b__x.svg" {
		t.Errorf("plot name %q", entries[0].Name())
	}
	svg := read(filepath.Join(PlotsDir, entries[0].Name()))
	if !strings.Contains(svg, "phage|&lt;b&gt;&amp;x — 850 bp — Viral (low_confidence)") || !strings.Contains(svg, ColorViral) || !strings.Contains(svg, ColorNonViral) {
		t.Errorf("svg title/colours missing:\n%.600s", svg)
	}
	page := read(HTMLFile)
	for _, bad := range []string{"<b>&x", "mixed'\"", "t <&>"} {
		if strings.Contains(page, bad) {
			t.Errorf("report.html contains unescaped %q", bad)
		}
	}
	for _, want := range []string{"phage|&lt;b&gt;&amp;x", "mixed&#39;&#34;", "<svg", "<script>", "id=\"records\""} {
		if !strings.Contains(page, want) {
			t.Errorf("report.html lacks %q", want)
		}
	}
	for _, ext := range []string{"src=", "href=\"http", "<link", "url("} {
		if strings.Contains(page, ext) {
			t.Errorf("report.html refers to an external asset (%q)", ext)
		}
	}
	left, _ := filepath.Glob(filepath.Join(dir, ".*"))
	if len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

func TestRunReportTopN(t *testing.T) {
	dir := t.TempDir()
	rr, err := NewRunReport(Options{Dir: dir, PlotTop: 2, HTMLPlots: 1, HTMLRows: 3})
	if err != nil {
		t.Fatal(err)
	}
	synthRecords(t, rr)
	if err := rr.Finish(); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(filepath.Join(dir, PlotsDir))
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	// Viral fractions: phage 5/8, host 0, noorf NaN, empty NaN, mixed 3/5.
	if strings.Join(names, " ") != "000001_phage__b__x.svg 000005_mixed__.svg" {
		t.Errorf("top-2 plots: %v", names)
	}
	page, _ := os.ReadFile(filepath.Join(dir, HTMLFile))
	if n := strings.Count(string(page), "<figure id=\"plot-"); n != 1 {
		t.Errorf("%d inline plots, want 1", n)
	}
	if n := strings.Count(string(page), "<tr class="); n != 3 {
		t.Errorf("%d table rows, want 3", n)
	}
	if !strings.Contains(string(page), "2 records with less viral evidence are not listed") {
		t.Error("omitted rows not reported")
	}
}

func TestRunReportAbortAndErrors(t *testing.T) {
	dir := t.TempDir()
	rr, err := NewRunReport(Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if err := rr.AddChunk(ChunkRow{Record: "x"}); err == nil {
		t.Error("a chunk outside a record must fail")
	}
	synthRecords(t, rr)
	rr.Abort()
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("Abort left %d entries", len(left))
	}
	bad := DefaultThresholds()
	bad.CallDelta = 2
	if _, err := NewRunReport(Options{Dir: dir, Thresholds: &bad}); err == nil {
		t.Error("invalid thresholds accepted")
	}
}

// TestRebuildReproduces checks Rebuild gives byte-identical files from chunks.tsv
// alone and with sequences.tsv, and that other thresholds change the calls.
func TestRebuildReproduces(t *testing.T) {
	dir, _ := e2eRun(t, "300", Options{})
	names := []string{SequencesFile, ContigsFile, ChunksFile, RegionsBEDFile, RegionsTSVFile, HTMLFile}
	orig := map[string]string{}
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			t.Fatal(err)
		}
		orig[n] = string(b)
	}
	check := func(label string) {
		for _, n := range names {
			b, _ := os.ReadFile(filepath.Join(dir, n))
			if string(b) != orig[n] {
				t.Errorf("%s: %s differs after Rebuild", label, n)
			}
		}
	}
	if err := Rebuild(dir, Options{}); err != nil {
		t.Fatal(err)
	}
	check("with sequences.tsv")
	// Without sequences.tsv the empty-chunk records cannot be recovered, but every
	// record with chunks is (the input has none without).
	os.Remove(filepath.Join(dir, SequencesFile))
	if err := Rebuild(dir, Options{}); err != nil {
		t.Fatal(err)
	}
	check("from chunks.tsv alone")

	th := DefaultThresholds()
	th.CallDelta, th.HighDelta, th.MinChunks = 0, 0, 0
	if err := Rebuild(dir, Options{Thresholds: &th}); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(filepath.Join(dir, SequencesFile))
	if string(b) == orig[SequencesFile] {
		t.Error("other thresholds gave the same sequences.tsv")
	}
}

func TestRebuildErrors(t *testing.T) {
	dir := t.TempDir()
	if err := Rebuild(dir, Options{}); err == nil || !strings.Contains(err.Error(), ChunksFile) {
		t.Fatalf("missing chunks.tsv: %v", err)
	}
	os.WriteFile(filepath.Join(dir, ChunksFile), []byte(ChunksHeader+"a\t1\t1\t10\t1\t0.1\t0.9\tviral\n"), 0o644)
	os.WriteFile(filepath.Join(dir, SequencesFile), []byte(SequencesHeader+"b\t10\t1\t1\t0\t1\t0.9\tok\n"), 0o644)
	err := Rebuild(dir, Options{})
	if err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Fatalf("mismatched record: %v", err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, SequencesFile)); !strings.HasPrefix(string(b), SequencesHeader+"b\t") {
		t.Error("a failed Rebuild replaced sequences.tsv")
	}
	os.WriteFile(filepath.Join(dir, ChunksFile), []byte(ChunksHeader+"a\t2\t1\t10\t1\t0.1\t0.9\tviral\n"), 0o644)
	os.Remove(filepath.Join(dir, SequencesFile))
	if err := Rebuild(dir, Options{}); err == nil || !strings.Contains(err.Error(), "follows") {
		t.Fatalf("chunk 2 without chunk 1: %v", err)
	}
}
