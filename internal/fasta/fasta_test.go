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
)

func readAll(t *testing.T, r *Reader) ([]*Record, error) {
	t.Helper()
	var out []*Record
	for {
		rec, err := r.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, rec)
	}
}

func TestParse(t *testing.T) {
	in := "\n>seq1 some description\nACGT\nac gt\r\n\n>seq|2\r\nNNNN\n>empty\n>last\nA"
	recs, err := readAll(t, NewReader(strings.NewReader(in), "in.fa"))
	if err != nil {
		t.Fatal(err)
	}
	want := []Record{
		{ID: "seq1", Description: "seq1 some description", Seq: []byte("ACGTacgt"), Line: 2},
		{ID: "seq|2", Description: "seq|2", Seq: []byte("NNNN"), Line: 6},
		{ID: "empty", Description: "empty", Seq: nil, Line: 8},
		{ID: "last", Description: "last", Seq: []byte("A"), Line: 9},
	}
	if len(recs) != len(want) {
		t.Fatalf("got %d records", len(recs))
	}
	for i, w := range want {
		g := recs[i]
		if g.ID != w.ID || g.Description != w.Description || !bytes.Equal(g.Seq, w.Seq) || g.Line != w.Line {
			t.Errorf("record %d: got %+v (seq %q), want %+v", i, g, g.Seq, w)
		}
	}
}

func TestBadInput(t *testing.T) {
	tests := []struct {
		name string
		in   string
		dna  bool
		want string // substring of the error
	}{
		{"empty file", "", false, "no FASTA records"},
		{"blank lines only", "\n\r\n\n", false, "no FASTA records"},
		{"text before header", "hello\n>a\nACGT\n", false, "in.fa:1: text before the first '>'"},
		{"binary", "\x00\x01\x02garbage", false, "binary data"},
		{"NUL in sequence", ">a\nAC\x00GT\n", false, `in.fa:2: record "a": binary or control byte 0x00 at column 3`},
		{"empty id", ">a\nACGT\n> \nACGT\n", false, "in.fa:3: header with an empty id"},
		{"bare >", ">\nACGT\n", false, "in.fa:1: header with an empty id"},
		{"non IUPAC letter", ">a\nACGT\nACXT\n", true, `in.fa:3: record "a": letter 'X' at column 3`},
		{"protein as DNA", ">p\nMKLV\n", true, "letter 'L'"},
		{"tab in DNA", ">a\nAC\tGT\n", true, "control byte 0x09"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := NewReader(strings.NewReader(tc.in), "in.fa")
			if tc.dna {
				r.RequireDNA()
			}
			_, err := readAll(t, r)
			var fe *Error
			if !errors.As(err, &fe) {
				t.Fatalf("got %v, want a *fasta.Error", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q lacks %q", err, tc.want)
			}
		})
	}
}

func TestDNAAlphabetAcceptsIUPACAndGaps(t *testing.T) {
	r := NewReader(strings.NewReader(">a\nACGTURYSWKMBDHVN-acgturyswkmbdhvn\n"), "x")
	r.RequireDNA()
	if _, err := readAll(t, r); err != nil {
		t.Fatal(err)
	}
}

func TestOpenCompressedAndErrors(t *testing.T) {
	dir := t.TempDir()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write([]byte(">a\nACGT\n>b\n" + strings.Repeat("ACGT", 50000) + "\n"))
	zw.Close()
	gz := filepath.Join(dir, "in.fa.gz")
	os.WriteFile(gz, buf.Bytes(), 0o644)
	r, err := Open(gz)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := readAll(t, r)
	r.Close()
	if err != nil || len(recs) != 2 || len(recs[1].Seq) != 200000 {
		t.Fatalf("gzip: %d records, %v", len(recs), err)
	}
	if read, size := r.Progress(); read != size || size != int64(buf.Len()) {
		t.Fatalf("progress %d/%d, want %d", read, size, buf.Len())
	}

	trunc := filepath.Join(dir, "trunc.fa.gz")
	os.WriteFile(trunc, buf.Bytes()[:buf.Len()/2], 0o644)
	r, err = Open(trunc)
	if err == nil {
		_, err = readAll(t, r)
		r.Close()
	}
	if err == nil || !strings.Contains(err.Error(), "trunc.fa.gz") {
		t.Fatalf("truncated gzip: %v", err)
	}

	if _, err := Open(filepath.Join(dir, "missing.fa")); err == nil || !strings.Contains(err.Error(), "missing.fa") {
		t.Fatalf("missing file: %v", err)
	}
	if _, err := Open(dir); err == nil {
		t.Fatal("a directory must not open")
	}
}

func TestLongSingleLineRecordStreams(t *testing.T) {
	if testing.Short() {
		t.Skip("long input")
	}
	n := 20 << 20 // 20 Mbp on one line; VIRNUCPRO_LONG_TESTS=1 runs the 200 Mbp case
	if os.Getenv("VIRNUCPRO_LONG_TESTS") == "1" {
		n = 200_000_000
	}
	src := io.MultiReader(strings.NewReader(">chr\n"), io.LimitReader(repeatReader("ACGT"), int64(n)), strings.NewReader("\n"))
	recs, err := readAll(t, NewReader(src, "big.fa"))
	if err != nil || len(recs) != 1 || len(recs[0].Seq) != n {
		t.Fatalf("got %d records, %v", len(recs), err)
	}
}

type repeatReader string

func (r repeatReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = r[i%len(r)]
	}
	return len(p) - len(p)%len(r), nil
}

func FuzzReader(f *testing.F) {
	for _, s := range []string{">a\nACGT\n", ">a b\r\nAC\n\n>c\nNN", "", ">\n", "x\n>a\n", ">a\nAC\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		r := NewReader(strings.NewReader(in), "fuzz.fa")
		r.RequireDNA()
		for i := 0; i < 1000; i++ {
			rec, err := r.Next()
			if err != nil {
				return
			}
			if rec.ID == "" || strings.ContainsAny(rec.ID, " \t\n") {
				t.Fatalf("bad id %q", rec.ID)
			}
		}
	})
}
