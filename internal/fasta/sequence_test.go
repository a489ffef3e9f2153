package fasta

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
)

// refParse is the line-at-a-time parser the reader had before it read sequences a
// buffer at a time: every record (id, sequence) and the error text, if any.
func refParse(in string, dna bool) (ids []string, seqs []string, errText string) {
	r := NewReader(strings.NewReader(in), "x.fa")
	if dna {
		r.RequireDNA()
	}
	lines := strings.SplitAfter(in, "\n")
	if len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	var cur *strings.Builder
	id := ""
	for i, raw := range lines {
		line := strings.TrimSuffix(strings.TrimSuffix(raw, "\n"), "\r")
		if cur == nil {
			if strings.TrimSpace(line) == "" {
				continue
			}
			if line[0] != '>' {
				return ids, seqs, "not FASTA"
			}
		}
		if len(line) > 0 && line[0] == '>' {
			if cur != nil {
				seqs = append(seqs, cur.String())
			}
			f := strings.Fields(line[1:])
			if len(f) == 0 || firstBinary([]byte(line[1:])) >= 0 {
				return ids, seqs, "bad header"
			}
			id = f[0]
			ids = append(ids, id)
			cur = &strings.Builder{}
			continue
		}
		for j := 0; j < len(line); j++ {
			c := line[j]
			switch {
			case c == ' ':
			case c == '\t' && !dna:
				cur.WriteByte(c)
			case c < 0x20 || c >= 0x7f:
				return ids, seqs, fmt.Sprintf("x.fa:%d: record %q: binary or control byte 0x%02x at column %d", i+1, id, c, j+1)
			case dna && !r.alphabet[c] && !dnaAlphabet[c]:
				return ids, seqs, fmt.Sprintf("x.fa:%d: record %q: letter %q at column %d", i+1, id, c, j+1)
			default:
				cur.WriteByte(c)
			}
		}
	}
	if cur != nil {
		seqs = append(seqs, cur.String())
	}
	return ids, seqs, ""
}

// compareWithRef parses in with a tiny buffer (so lines arrive in many pieces, CRLF
// split across them) and with the default one, and compares both with refParse.
// Input that starts like FASTQ ('@') is read as FASTQ, outside refParse's scope
// (FuzzFASTQ covers it).
func compareWithRef(t *testing.T, in string, dna bool) {
	t.Helper()
	if strings.HasPrefix(strings.TrimLeft(in, " \t\r\n"), "@") {
		return
	}
	wantIDs, wantSeqs, wantErr := refParse(in, dna)
	for _, size := range []int{16, 17, 1 << 16} {
		r := newReaderSize(strings.NewReader(in), "x.fa", size)
		if dna {
			r.RequireDNA()
		}
		var ids, seqs []string
		var err error
		for {
			var rec *Record
			rec, err = r.Next()
			if err != nil {
				break
			}
			ids, seqs = append(ids, rec.ID), append(seqs, string(rec.Seq))
		}
		if errors.Is(err, io.EOF) || (err != nil && strings.Contains(err.Error(), "no FASTA records") && len(wantIDs) == 0) {
			err = nil
		}
		if (err != nil) != (wantErr != "") || (err != nil && strings.HasPrefix(wantErr, "x.fa:") && !strings.HasPrefix(err.Error(), wantErr)) {
			t.Fatalf("buffer %d, input %q: error %v, want %q", size, in, err, wantErr)
		}
		if err == nil && (fmt.Sprint(ids) != fmt.Sprint(wantIDs) || fmt.Sprint(seqs) != fmt.Sprint(wantSeqs)) {
			t.Fatalf("buffer %d, input %q:\n got %q %q\nwant %q %q", size, in, ids, seqs, wantIDs, wantSeqs)
		}
	}
}

func TestReaderPiecesMatchLines(t *testing.T) {
	cases := []string{
		">a\nACGTACGTACGTACGTACGTACGTACGTACGTACGT\r\n>b desc\r\nAC GT\tNN\r\n\r\n>c\nA",
		">a\nACGTACGTACGTAC\r\nGG\n", // CR right at a 16-byte boundary
		">a\nACGTACGTACGTA\rCGG\n",   // a CR inside a line
		">a\nACGTACGTACGTACG\r",      // CR at the end of the input
		">" + strings.Repeat("h", 40) + " d\nAC\n>" + strings.Repeat("k", 33) + "\nGT\n",
		">a\nACGTACGTACGTACGTACGTACGTACGTACGT>CC\n", // '>' inside a line is a letter
		">a\nACGTACGTACGTACGTACGTAC\x00GT\n",
		">a\nACGTACGTACGTACGTACGTACGTAC*GT\n",
	}
	for _, in := range cases {
		compareWithRef(t, in, false)
		compareWithRef(t, in, true)
	}
	seed := uint64(17)
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 2))
	alphabet := ">ACGTN acgt\r\n\n\n\tx*"
	for i := 0; i < 3000; i++ {
		b := []byte(">r\n")
		for j := rng.IntN(120); j > 0; j-- {
			b = append(b, alphabet[rng.IntN(len(alphabet))])
		}
		compareWithRef(t, string(b), i%2 == 0)
	}
}

func FuzzReaderPieces(f *testing.F) {
	f.Add(">a\nACGTACGTACGTAC\r\nGG\n", true)
	f.Add(">a\r\nAC\rGT\n>b\n", false)
	f.Fuzz(func(t *testing.T, in string, dna bool) { compareWithRef(t, in, dna) })
}

// TestSpillAndCount reads long records spilled to disk and counted only, and checks
// them against the in-memory reading.
func TestSpillAndCount(t *testing.T) {
	var in strings.Builder
	long := strings.Repeat("ACGTN", 10000)
	fmt.Fprintf(&in, ">short\nACGT\n>long one\n%s\n%s\n>empty\n>acgt\nacgt\n", long[:25000], long[25000:])
	mem, err := readAll(t, NewReader(strings.NewReader(in.String()), "x.fa"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	r := newReaderSize(strings.NewReader(in.String()), "x.fa", 64)
	r.SpillLongerThan(1000, dir)
	spilled, err := readAll(t, r)
	if err != nil {
		t.Fatal(err)
	}
	c := NewReader(strings.NewReader(in.String()), "x.fa")
	c.CountOnly()
	counted, err := readAll(t, c)
	if err != nil {
		t.Fatal(err)
	}
	for i, m := range mem {
		s, k := spilled[i], counted[i]
		if s.Spilled() != (m.ID == "long") || s.Length() != len(m.Seq) || k.Length() != len(m.Seq) || k.Seq != nil {
			t.Fatalf("record %s: spilled=%v length %d / counted %d, want %d", m.ID, s.Spilled(), s.Length(), k.Length(), len(m.Seq))
		}
		if k.NonACGT != (m.ID == "long") || s.NonACGT != k.NonACGT {
			t.Fatalf("record %s: NonACGT %v", m.ID, k.NonACGT)
		}
		for _, span := range [][2]int{{0, len(m.Seq)}, {len(m.Seq) / 3, len(m.Seq) / 2}} {
			got, err := s.Slice(span[0], span[1])
			if err != nil || !bytes.Equal(got, m.Seq[span[0]:span[1]]) {
				t.Fatalf("record %s span %v: %v", m.ID, span, err)
			}
		}
		if err := s.Release(); err != nil {
			t.Fatal(err)
		}
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Fatalf("spill files left behind: %v", left)
	}
}
