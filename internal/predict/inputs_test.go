package predict

import (
	"bytes"
	"compress/gzip"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/virnucpro/virnucpro/internal/fasta"
	"github.com/virnucpro/virnucpro/internal/mqc"
	"github.com/virnucpro/virnucpro/internal/report"
	"github.com/virnucpro/virnucpro/internal/seqout"
)

// demoReads are the demo records upper-cased (BAM stores bases in upper case).
func demoReads(t *testing.T) []*fasta.Record {
	t.Helper()
	r, err := fasta.Open(filepath.Join("..", "..", "demo", "input.fasta"))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var recs []*fasta.Record
	for {
		rec, err := r.Next()
		if err != nil {
			break
		}
		rec.Seq = bytes.ToUpper(rec.Seq)
		recs = append(recs, rec)
	}
	return recs
}

func writeFASTA(t *testing.T, path string, recs []*fasta.Record) {
	t.Helper()
	var b strings.Builder
	for _, r := range recs {
		b.WriteString(">" + r.Description + "\n")
		for s := r.Seq; len(s) > 0; s = s[min(60, len(s)):] {
			b.Write(s[:min(60, len(s))])
			b.WriteByte('\n')
		}
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

func writeFASTQ(t *testing.T, path string, recs []*fasta.Record, gz bool) {
	t.Helper()
	var b bytes.Buffer
	for _, r := range recs {
		b.WriteString("@" + r.Description + "\n" + string(r.Seq) + "\n+\n" + strings.Repeat("I", len(r.Seq)) + "\n")
	}
	data := b.Bytes()
	if gz {
		var z bytes.Buffer
		w := gzip.NewWriter(&z)
		w.Write(data)
		w.Close()
		data = z.Bytes()
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// outputFiles reads every file of an output directory but report.html (which names
// the input).
func outputFiles(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() == report.HTMLFile {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		out[rel], _ = os.ReadFile(p)
		return nil
	})
	return out
}

func sameOutputs(t *testing.T, what, a, b string) {
	t.Helper()
	fa, fb := outputFiles(t, a), outputFiles(t, b)
	var names []string
	for n := range fa {
		names = append(names, n)
	}
	sort.Strings(names)
	if len(fa) != len(fb) || len(fa) < 10 {
		t.Fatalf("%s: %d files vs %d", what, len(fa), len(fb))
	}
	for _, n := range names {
		x, y := fa[n], fb[n]
		if n == report.SequencesFile && strings.HasPrefix(what, "bam") {
			// A BAM record is a name without the FASTA description (last column).
			x, y = dropLastColumn(x), dropLastColumn(y)
		}
		if !bytes.Equal(x, y) {
			t.Errorf("%s: %s differs", what, n)
		}
	}
}

// dropLastColumn removes the last tab-separated column of every line.
func dropLastColumn(b []byte) []byte {
	var out []byte
	for _, l := range bytes.SplitAfter(b, []byte("\n")) {
		if i := bytes.LastIndexByte(l, '\t'); i >= 0 {
			l = append(l[:i:i], '\n')
		}
		out = append(out, l...)
	}
	return out
}

// TestInputFormatsGiveIdenticalOutputs: FASTQ.gz, BAM (made with samtools import) and
// FASTA of the same reads give byte-identical outputs.
func TestInputFormatsGiveIdenticalOutputs(t *testing.T) {
	dir := t.TempDir()
	recs := demoReads(t)
	in := map[string]string{"fasta": filepath.Join(dir, "fa", "reads.fa"), "fastq.gz": filepath.Join(dir, "fq", "reads.fq.gz")}
	for _, p := range in {
		os.MkdirAll(filepath.Dir(p), 0o755)
	}
	writeFASTA(t, in["fasta"], recs)
	writeFASTQ(t, in["fastq.gz"], recs, true)
	if samtools, err := exec.LookPath("samtools"); err != nil {
		t.Log("samtools is not installed (Debian package samtools): the BAM leg is skipped")
	} else {
		fq := filepath.Join(dir, "plain.fq")
		writeFASTQ(t, fq, recs, false)
		os.MkdirAll(filepath.Join(dir, "bam"), 0o755)
		in["bam"] = filepath.Join(dir, "bam", "reads.bam")
		if b, err := exec.Command(samtools, "import", "-0", fq, "-o", in["bam"]).CombinedOutput(); err != nil {
			t.Fatalf("samtools import: %v\n%s", err, b)
		}
	}
	outs := map[string]string{}
	for kind, p := range in {
		outs[kind] = filepath.Join(dir, "out-"+kind)
		o := predictOpts(p, outs[kind], 300)
		o.Output.Compat = report.CompatBroad
		if _, err := Predict(context.Background(), o); err != nil {
			t.Fatalf("%s: %v", kind, err)
		}
	}
	for kind := range in {
		if kind != "fasta" {
			sameOutputs(t, kind+" vs FASTA", outs["fasta"], outs[kind])
		}
	}
	checkSequenceOutputs(t, outs["fasta"], recs)
}

// checkSequenceOutputs: viral.fna holds exactly the records called Viral, with the
// input's sequences, and viral_regions.fna the input's slices at regions.bed's
// coordinates for those records.
func checkSequenceOutputs(t *testing.T, dir string, recs []*fasta.Record) {
	t.Helper()
	input := map[string][]byte{}
	for _, r := range recs {
		input[r.ID] = r.Seq
	}
	seqs, _ := os.ReadFile(filepath.Join(dir, report.SequencesFile))
	var viral []string
	lines := strings.Split(strings.TrimSpace(string(seqs)), "\n")
	callCol := -1
	for i, h := range strings.Split(lines[0], "\t") {
		if h == "call" {
			callCol = i
		}
	}
	for _, line := range lines[1:] {
		if f := strings.Split(line, "\t"); f[callCol] == "Viral" {
			viral = append(viral, f[0])
		}
	}
	got := readEntries(t, filepath.Join(dir, seqout.ViralFile))
	var ids []string
	for _, e := range got {
		ids = append(ids, e.id)
		if !bytes.Equal(e.seq, input[e.id]) {
			t.Errorf("viral.fna %s: not the input's sequence", e.id)
		}
	}
	if strings.Join(ids, ",") != strings.Join(viral, ",") {
		t.Fatalf("viral.fna holds %v, the Viral records are %v", ids, viral)
	}
	if len(viral) == 0 {
		t.Log("no record is called Viral by the tiny models: viral.fna is empty")
	}
	isViral := map[string]bool{}
	for _, id := range viral {
		isViral[id] = true
	}
	bed, _ := os.ReadFile(filepath.Join(dir, report.RegionsBEDFile))
	var want []string
	for _, line := range strings.Split(strings.TrimSpace(string(bed)), "\n") {
		f := strings.Split(line, "\t")
		if len(f) < 3 || !isViral[f[0]] {
			continue
		}
		s, _ := strconv.Atoi(f[1])
		e, _ := strconv.Atoi(f[2])
		want = append(want, f[0]+"|region_"+strconv.Itoa(s+1)+"-"+strconv.Itoa(e)+"="+string(input[f[0]][s:e]))
	}
	var have []string
	for _, e := range readEntries(t, filepath.Join(dir, seqout.RegionsFile)) {
		have = append(have, e.id+"="+string(e.seq))
	}
	if strings.Join(have, "\n") != strings.Join(want, "\n") {
		t.Fatalf("viral_regions.fna:\n%v\nwant\n%v", have, want)
	}
}

type entry struct {
	id  string
	seq []byte
}

func readEntries(t *testing.T, path string) []entry {
	t.Helper()
	r, err := fasta.Open(path)
	if fasta.IsEmpty(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var out []entry
	for {
		rec, err := r.Next()
		if err != nil {
			return out
		}
		out = append(out, entry{rec.ID, rec.Seq})
	}
}

// TestSeveralInputsEqualTheirConcatenation: two files in one run give the outputs of
// one run over their concatenation; --prefix-file-name names each record's file.
func TestSeveralInputsEqualTheirConcatenation(t *testing.T) {
	dir := t.TempDir()
	recs := demoReads(t)
	a, b, all := filepath.Join(dir, "a.fa"), filepath.Join(dir, "b.fq"), filepath.Join(dir, "all.fa")
	writeFASTA(t, a, recs[:7])
	writeFASTQ(t, b, recs[7:], false)
	writeFASTA(t, all, recs)
	one := predictOpts(all, filepath.Join(dir, "one"), 500)
	one.Sequences.Sample = "s"
	two := predictOpts("", filepath.Join(dir, "two"), 500)
	two.Inputs, two.Sequences.Sample = []string{a, b}, "s"
	for _, o := range []PredictOptions{one, two} {
		if _, err := Predict(context.Background(), o); err != nil {
			t.Fatal(err)
		}
	}
	sameOutputs(t, "a.fa + b.fq vs all.fa", one.Output.Dir, two.Output.Dir)

	pre := predictOpts("", filepath.Join(dir, "prefixed"), 500)
	pre.Inputs, pre.InputOptions.PrefixFileName = []string{a, b}, true
	if _, err := Predict(context.Background(), pre); err != nil {
		t.Fatal(err)
	}
	seqs, _ := os.ReadFile(filepath.Join(pre.Output.Dir, report.SequencesFile))
	if !strings.Contains(string(seqs), "\na|tiny_10\t") || !strings.Contains(string(seqs), "\nb|dupe\t") {
		t.Fatalf("prefixed ids:\n%s", seqs)
	}
	if y, _ := os.ReadFile(filepath.Join(pre.Output.Dir, mqc.YAMLFile)); !strings.Contains(string(y), "'prefixed':") {
		t.Fatalf("the sample of a multi-input run is the output directory's name:\n%s", y)
	}
}

// TestEmptyInputWritesHeaders: an input without records (an empty file, a FASTQ.gz of
// nothing) gives every output with its header only, and no error.
func TestEmptyInputWritesHeaders(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.fa")
	os.WriteFile(empty, nil, 0o644)
	gz := filepath.Join(dir, "empty.fq.gz")
	writeFASTQ(t, gz, nil, true)
	for _, in := range []string{empty, gz} {
		out := filepath.Join(dir, "out-"+filepath.Base(in))
		if _, err := Predict(context.Background(), predictOpts(in, out, 500)); err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		for name, want := range map[string]string{PredictionsFile: report.PredictionsHeader, report.SequencesFile: report.SequencesHeader,
			report.RegionsTSVFile: report.RegionsHeader, report.RegionsBEDFile: "", seqout.ViralFile: "", seqout.RegionsFile: ""} {
			b, err := os.ReadFile(filepath.Join(out, name))
			if err != nil || string(b) != want {
				t.Errorf("%s: %s = %q (%v), want %q", in, name, b, err, want)
			}
		}
		for _, name := range []string{HighestScoreFile, report.ChunksFile} {
			b, err := os.ReadFile(filepath.Join(out, name))
			if err != nil || bytes.Count(b, []byte("\n")) != 1 {
				t.Errorf("%s: %s = %q (%v), want a header line only", in, name, b, err)
			}
		}
		if y, _ := os.ReadFile(filepath.Join(out, mqc.YAMLFile)); !strings.Contains(string(y), "records: 0\n") {
			t.Errorf("%s: MultiQC table:\n%s", in, y)
		}
	}
}
