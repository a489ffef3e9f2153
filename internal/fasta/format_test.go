package fasta

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/biogo/hts/bam"
	"github.com/biogo/hts/bgzf"
	"github.com/biogo/hts/sam"
)

// records reads every record of path, failing the test on error.
func records(t *testing.T, path string) []*Record {
	t.Helper()
	r, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	r.RequireDNA()
	recs, err := readAll(t, r)
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

func sameReads(t *testing.T, what string, got, want []*Record) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d records, want %d", what, len(got), len(want))
	}
	for i := range want {
		if got[i].ID != want[i].ID || !bytes.Equal(got[i].Seq, want[i].Seq) {
			t.Fatalf("%s record %d: %q %q, want %q %q", what, i, got[i].ID, got[i].Seq, want[i].ID, want[i].Seq)
		}
	}
}

func gzipFile(t *testing.T, src, dst string) {
	t.Helper()
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(data)
	zw.Close()
	if err := os.WriteFile(dst, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestFormatsGiveTheSameReads: FASTA, FASTQ, FASTQ.gz, SAM, headerless SAM and BAM
// (samtools import) of the same reads give the same records, whatever the file name.
func TestFormatsGiveTheSameReads(t *testing.T) {
	want := records(t, "testdata/reads.fa")
	if len(want) != 6 {
		t.Fatalf("reads.fa: %d records", len(want))
	}
	dir := t.TempDir()
	gzipFile(t, "testdata/reads.fq", filepath.Join(dir, "reads.fq.gz"))
	gzipFile(t, "testdata/reads.bam", filepath.Join(dir, "double.bam.gz"))
	sam, _ := os.ReadFile("testdata/reads.sam")
	var body []string
	for _, l := range strings.SplitAfter(string(sam), "\n") {
		if !strings.HasPrefix(l, "@") {
			body = append(body, l)
		}
	}
	os.WriteFile(filepath.Join(dir, "noheader.txt"), []byte(strings.Join(body, "")), 0o644)
	bamCopy, _ := os.ReadFile("testdata/reads.bam")
	os.WriteFile(filepath.Join(dir, "misnamed.fa"), bamCopy, 0o644)
	for _, tc := range []struct {
		path   string
		format Format
	}{
		{"testdata/reads.fq", FormatFASTQ},
		{filepath.Join(dir, "reads.fq.gz"), FormatFASTQ},
		{"testdata/reads.sam", FormatSAM},
		{filepath.Join(dir, "noheader.txt"), FormatSAM},
		{"testdata/reads.bam", FormatBAM},
		{filepath.Join(dir, "misnamed.fa"), FormatBAM},
	} {
		r, err := Open(tc.path)
		if err != nil {
			t.Fatal(err)
		}
		if r.Format() != tc.format {
			t.Errorf("%s: format %s, want %s", tc.path, r.Format(), tc.format)
		}
		r.Close()
		sameReads(t, tc.path, records(t, tc.path), want)
	}
}

func TestPairedBAMNamesAsSamtoolsFasta(t *testing.T) {
	got := records(t, "testdata/paired.bam")
	want := []*Record{{ID: "p0/1", Seq: []byte("ACGTACGTAA")}, {ID: "p0/2", Seq: []byte("TTTTGGGGCA")},
		{ID: "p1/1", Seq: []byte("GGGCCCAAAT")}, {ID: "p1/2", Seq: []byte("CCCAAATTTG")}}
	sameReads(t, "paired.bam", got, want)
}

func TestSAMFlags(t *testing.T) {
	in := "@HD\tVN:1.6\n" +
		"r1\t4\t*\t0\t0\t*\t*\t0\t0\tACGTN\t*\n" +
		"r2\t16\tchr\t5\t60\t4M\t*\t0\t0\tAACG\tIIII\tNM:i:0\n" + // reverse strand: read was CGTT
		"r2\t256\tchr\t9\t0\t4M\t*\t0\t0\t*\t*\n" + // secondary: skipped
		"r2\t2048\tchr\t9\t0\t4M\t*\t0\t0\tAACG\t*\n" + // supplementary: skipped
		"r3\t77\t*\t0\t0\t*\t*\t0\t0\tGG\tII\n" +
		"r3\t141\t*\t0\t0\t*\t*\t0\t0\tRYKMBDHV\t*\n" +
		"empty\t4\t*\t0\t0\t*\t*\t0\t0\t*\t*\n"
	r := NewReader(strings.NewReader(in), "in.sam")
	r.RequireDNA()
	got, err := readAll(t, r)
	if err != nil {
		t.Fatal(err)
	}
	want := []*Record{{ID: "r1", Seq: []byte("ACGTN")}, {ID: "r2", Seq: []byte("CGTT")}, {ID: "r3/1", Seq: []byte("GG")},
		{ID: "r3/2", Seq: []byte("RYKMBDHV")}, {ID: "empty"}}
	sameReads(t, "sam", got, want)
	if got[1].Line != 3 {
		t.Errorf("r2 line %d, want 3", got[1].Line)
	}
}

func TestReverseComplementIUPAC(t *testing.T) {
	s := []byte("ACGTRYKMBDHVSWNacgtn")
	reverseComplement(s)
	if string(s) != "nacgtNWSBDHVKMRYACGT" {
		t.Fatalf("got %s", s)
	}
}

func TestFASTQ(t *testing.T) {
	in := "@a desc\nACGT\n+\n@@II\n\n@b\nAC\nGT\n+b\nII\nII\n@empty\n\n+\n\n@c\nAAA\n+\n@II\n"
	r := NewReader(strings.NewReader(in), "in.fq")
	r.RequireDNA()
	got, err := readAll(t, r)
	if err != nil {
		t.Fatal(err)
	}
	want := []*Record{{ID: "a", Seq: []byte("ACGT")}, {ID: "b", Seq: []byte("ACGT")}, {ID: "empty"}, {ID: "c", Seq: []byte("AAA")}}
	sameReads(t, "fastq", got, want)
	if got[0].Description != "a desc" || got[1].Line != 6 || got[3].Line != 16 {
		t.Fatalf("description %q, lines %d %d", got[0].Description, got[1].Line, got[3].Line)
	}
}

func TestBadReads(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"fastq no plus", "@a\nACGT\n", `in:2: record "a": truncated FASTQ record: no '+' line`},
		{"fastq short quality", "@a\nACGT\n+\nII\n", `in:3: record "a": truncated FASTQ record: 2 quality characters for 4 bases`},
		{"fastq long quality", "@a\nACGT\n+\nIIIII\n", `in:4: record "a": 5 quality characters for 4 bases`},
		{"fastq bad header", "@a\nAC\n+\nII\nb\nAC\n+\nII\n", "in:5: expected a FASTQ header line"},
		{"fastq bad letter", "@a\nACXT\n+\nIIII\n", `in:2: record "a": letter 'X' at column 3`},
		{"fastq empty id", "@\nAC\n+\nII\n", "in:1: header with an empty id"},
		{"sam few fields", "@HD\tVN:1.6\nr1\t4\t*\n", "in:2: SAM line with 3 tab-separated fields"},
		{"sam bad flag", "@HD\tVN:1.6\nr1\tx\t*\t0\t0\t*\t*\t0\t0\tAC\t*\n", `in:2: record "r1": SAM FLAG "x" is not a number`},
		{"sam no name", "@HD\tVN:1.6\n*\t4\t*\t0\t0\t*\t*\t0\t0\tAC\t*\n", "in:2: alignment record without a read name"},
		{"sam bad base", "@HD\tVN:1.6\nr1\t4\t*\t0\t0\t*\t*\t0\t0\tA=C\t*\n", `in:2: record "r1": letter '='`},
		{"sam header only", "@HD\tVN:1.6\n", "no FASTA records"},
		{"fastq protein", "@p\nMKLVE\n+\nIIIII\n", "looks like protein"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := NewReader(strings.NewReader(tc.in), "in")
			r.RequireDNA()
			_, err := readAll(t, r)
			var fe *Error
			if !errors.As(err, &fe) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want a *fasta.Error with %q", err, tc.want)
			}
		})
	}
}

func TestProteinHint(t *testing.T) {
	r := NewReader(strings.NewReader(">p\nMKVLAAGLLE\n"), "prot.fa")
	r.RequireDNA()
	_, err := readAll(t, r)
	if err == nil || !strings.Contains(err.Error(), `prot.fa:2: record "p": letter 'L' at column 4`) || !strings.Contains(err.Error(), "looks like protein") {
		t.Fatalf("got %v", err)
	}
	r = NewReader(strings.NewReader(">x\nACGX\n"), "x.fa")
	r.RequireDNA()
	if _, err = readAll(t, r); err == nil || strings.Contains(err.Error(), "protein") {
		t.Fatalf("an X alone must not be called protein: %v", err)
	}
}

func TestCRAMRefused(t *testing.T) {
	p := filepath.Join(t.TempDir(), "in.cram")
	os.WriteFile(p, []byte("CRAM\x03\x00"+strings.Repeat("\x00", 20)), 0o644)
	_, err := Open(p)
	if err == nil || !strings.Contains(err.Error(), "CRAM input is not supported") || !strings.Contains(err.Error(), "samtools fastq") {
		t.Fatalf("got %v", err)
	}
}

// writeBAM writes reads as an unaligned BAM with biogo/hts.
func writeBAM(t *testing.T, path string, names, seqs []string) {
	t.Helper()
	h, _ := sam.NewHeader(nil, nil)
	var buf bytes.Buffer
	w, err := bam.NewWriter(&buf, h, 1)
	if err != nil {
		t.Fatal(err)
	}
	for i, n := range names {
		rec, err := sam.NewRecord(n, nil, nil, -1, -1, 0, 0, nil, []byte(seqs[i]), nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		rec.Flags = sam.Unmapped
		if err := w.Write(rec); err != nil {
			t.Fatal(err)
		}
	}
	w.Close()
	os.WriteFile(path, buf.Bytes(), 0o644)
}

func TestBAMDamage(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.bam")
	writeBAM(t, good, []string{"a", "b"}, []string{"ACGT", strings.Repeat("ACGTN", 1000)})
	if recs := records(t, good); len(recs) != 2 || len(recs[1].Seq) != 5000 {
		t.Fatalf("good.bam: %d records", len(recs))
	}
	data, _ := os.ReadFile(good)
	trunc := filepath.Join(dir, "trunc.bam")
	os.WriteFile(trunc, data[:len(data)/2], 0o644)
	r, err := Open(trunc)
	if err == nil {
		_, err = readAll(t, r)
		r.Close()
	}
	if err == nil || !strings.Contains(err.Error(), "trunc.bam") {
		t.Fatalf("truncated BAM: %v", err)
	}
	empty := filepath.Join(dir, "empty.bam")
	writeBAM(t, empty, nil, nil)
	r, err = Open(empty)
	if err == nil {
		_, err = readAll(t, r)
	}
	if !IsEmpty(err) {
		t.Fatalf("BAM without records: %v", err)
	}
}

// TestBAMHugeHeaderRefused: a BGZF block claiming 2 GiB of header text is refused
// before anything is allocated.
func TestBAMHugeHeaderRefused(t *testing.T) {
	var block bytes.Buffer
	zw := gzip.NewWriter(&block)
	zw.Write([]byte("BAM\x01\xff\xff\xff\x7f"))
	zw.Close()
	raw := block.Bytes()
	// Rewrite as BGZF: FEXTRA with the BC subfield holding BSIZE-1.
	payload := raw[10:]
	bsize := 10 + 8 + len(payload)
	hdr := []byte{0x1f, 0x8b, 8, 4, 0, 0, 0, 0, 0, 0xff, 6, 0, 'B', 'C', 2, 0, byte(bsize - 1), byte((bsize - 1) >> 8)}
	p := filepath.Join(t.TempDir(), "huge.bam")
	os.WriteFile(p, append(hdr, payload...), 0o644)
	_, err := Open(p)
	if err == nil || !strings.Contains(err.Error(), "BAM header claims 2147483647 bytes") {
		t.Fatalf("got %v", err)
	}
}

func TestOpenAll(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a.fa")
	b := filepath.Join(dir, "b.fq.gz")
	e := filepath.Join(dir, "e.fa")
	os.WriteFile(a, []byte(">x\nACGT\n>y\nGG\n"), 0o644)
	gzipFile(t, "testdata/reads.fq", b)
	os.WriteFile(e, nil, 0o644)
	var empties []string
	r, err := OpenAll([]string{a, e, b}, Options{OnEmpty: func(n string) { empties = append(empties, n) }})
	if err != nil {
		t.Fatal(err)
	}
	r.RequireDNA()
	got, err := readAll(t, r)
	if err != nil {
		t.Fatal(err)
	}
	want := append([]*Record{{ID: "x", Seq: []byte("ACGT")}, {ID: "y", Seq: []byte("GG")}}, records(t, "testdata/reads.fa")...)
	sameReads(t, "a+e+b", got, want)
	if len(empties) != 1 || empties[0] != e {
		t.Fatalf("empty inputs reported: %v", empties)
	}
	if read, size := r.Progress(); read != size || size <= 0 {
		t.Fatalf("progress %d/%d", read, size)
	}
	r.Close()

	r, _ = OpenAll([]string{a, "testdata/reads.bam"}, Options{PrefixFileName: true})
	got, err = readAll(t, r)
	if err != nil || len(got) != 8 || got[0].ID != "a|x" || got[2].ID != "reads|read0" {
		t.Fatalf("prefixed: %v %v", got, err)
	}

	r, _ = OpenAll([]string{e, e}, Options{})
	if _, err := r.Next(); !IsEmpty(err) {
		t.Fatalf("all empty: %v", err)
	}
	for _, tc := range []struct {
		paths  []string
		prefix bool
		want   string
	}{
		{[]string{"-", "-"}, false, "standard input (-) is given more than once"},
		{[]string{a, filepath.Join(dir, "missing.fa")}, false, "missing.fa: cannot open: no such file or directory"},
		{[]string{a, dir}, false, "is a directory, not a sequence file"},
		{[]string{a, filepath.Join(dir, "sub", "a.fasta")}, true, `would both prefix their ids with "a"`},
	} {
		if tc.prefix {
			os.MkdirAll(filepath.Join(dir, "sub"), 0o755)
			os.WriteFile(tc.paths[1], []byte(">z\nA\n"), 0o644)
		}
		if _, err := OpenAll(tc.paths, Options{PrefixFileName: tc.prefix}); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: got %v, want %q", tc.paths, err, tc.want)
		}
	}
}

func TestFileStem(t *testing.T) {
	for in, want := range map[string]string{"-": "stdin", "/x/s1.fastq.gz": "s1", "s2.bam": "s2", "a.b.fa": "a.b", "noext": "noext", ".fa": ".fa"} {
		if got := FileStem(in); got != want {
			t.Errorf("FileStem(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzFASTQ(f *testing.F) {
	for _, s := range []string{"@a\nACGT\n+\nIIII\n", "@a b\r\nAC\nGT\n+\n@@\nII\n@c\n\n+\n\n", "@\n", "@a\nAC\n+\nI", "@a\nAC\x00\n+\nII\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		r := NewReader(strings.NewReader("@"+in), "fuzz.fq")
		r.RequireDNA()
		for i := 0; i < 1000; i++ {
			rec, err := r.Next()
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil {
				var fe *Error
				if !errors.As(err, &fe) {
					t.Fatalf("error %v is not a *fasta.Error", err)
				}
				return
			}
			if rec.ID == "" || strings.ContainsAny(rec.ID, " \t\n") {
				t.Fatalf("bad id %q", rec.ID)
			}
		}
	})
}

// TestOpenAllPassesReaderSettings: CountOnly and SpillLongerThan set on the stream
// apply to every input.
func TestOpenAllPassesReaderSettings(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.fa"), filepath.Join(dir, "b.fa")
	os.WriteFile(a, []byte(">x\nACGT\n"), 0o644)
	os.WriteFile(b, []byte(">y\n"+strings.Repeat("ACGT", 100)+"\n"), 0o644)
	r, err := OpenAll([]string{a, b}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	r.SpillLongerThan(100, dir)
	x, _ := r.Next()
	y, err := r.Next()
	if err != nil || x.Spilled() || !y.Spilled() || y.Length() != 400 {
		t.Fatalf("spill: %v %v %v", x.Spilled(), y.Spilled(), err)
	}
	y.Release()
	r2, _ := OpenAll([]string{a, b}, Options{})
	defer r2.Close()
	r2.CountOnly()
	for i := 0; i < 2; i++ {
		rec, err := r2.Next()
		if err != nil || rec.Seq != nil || rec.Length() == 0 {
			t.Fatalf("count only: %v %v", rec, err)
		}
	}
}

// FuzzBAM mutates the decompressed content of a valid BAM and recompresses it as BGZF:
// the reader must return records or an *Error naming the file, never panic.
func FuzzBAM(f *testing.F) {
	raw, err := os.ReadFile("testdata/paired.bam")
	if err != nil {
		f.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		f.Fatal(err)
	}
	plain, _ := io.ReadAll(zr)
	f.Add(plain)
	f.Add(plain[:len(plain)/2])
	f.Fuzz(func(t *testing.T, content []byte) {
		var buf bytes.Buffer
		w := bgzf.NewWriter(&buf, 1)
		w.Write(content)
		w.Close()
		p := filepath.Join(t.TempDir(), "f.bam")
		os.WriteFile(p, buf.Bytes(), 0o644)
		r, err := Open(p)
		if err != nil {
			return
		}
		defer r.Close()
		for i := 0; i < 1000; i++ {
			if _, err := r.Next(); err != nil {
				var fe *Error
				if !errors.Is(err, io.EOF) && !errors.As(err, &fe) {
					t.Fatalf("error %v is not a *fasta.Error", err)
				}
				return
			}
		}
	})
}
