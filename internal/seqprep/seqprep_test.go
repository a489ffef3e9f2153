package seqprep

import (
	"bytes"
	"fmt"
	"io"
	"math/rand"
	"os"
	"path/filepath"
	"testing"

	"github.com/virnucpro/virnucpro/internal/fasta"
	"github.com/virnucpro/virnucpro/internal/testutil"
)

// original writes the e2e input through chunking and translation the way the original
// pipeline writes its files.
func original(t *testing.T, size int) (chunked, nucl, prot []byte) {
	t.Helper()
	r, err := fasta.Open(filepath.Join("..", "..", "testdata", "virnucpro_e2e_tiny", "input_sequence.fasta"))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var c, n, p bytes.Buffer
	for {
		rec, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, ch := range Chunks(rec.ID, rec.Seq, size) {
			fmt.Fprintf(&c, ">%s\n", ch.ID)
			for s := ch.Seq; len(s) > 0; {
				k := min(60, len(s))
				c.Write(s[:k])
				c.WriteByte('\n')
				s = s[k:]
			}
			for _, f := range Translate(ch.ID, ch.Seq) {
				fmt.Fprintf(&n, ">%s\n%s\n", f.ID, f.Nucleotide)
				fmt.Fprintf(&p, ">%s\n%s\n", f.ID, f.Protein)
			}
		}
	}
	return c.Bytes(), n.Bytes(), p.Bytes()
}

func TestByteIdenticalToOriginal(t *testing.T) {
	for _, size := range []int{300, 500} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			dir := filepath.Join("..", "..", "testdata", "virnucpro_e2e_tiny", fmt.Sprintf("L%d", size))
			c, n, p := original(t, size)
			for _, tc := range []struct {
				file string
				got  []byte
			}{
				{fmt.Sprintf("input_sequence_chunked%d.fa", size), c},
				{"input_sequence_identified_nucleotide.fa", n},
				{"input_sequence_identified_protein.faa", p},
			} {
				want, err := os.ReadFile(filepath.Join(dir, tc.file))
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(tc.got, want) {
					t.Errorf("%s differs from the original's:\ngot:\n%s\nwant:\n%s", tc.file, tc.got, want)
				}
			}
		})
	}
}

func TestChunkSpansProperty(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	lengths := []int{1, 2, 299, 300, 301, 499, 500, 501, 600, 1000, 1001, 1500, 20000}
	for i := 0; i < 2000; i++ {
		lengths = append(lengths, 1+rng.Intn(20000))
	}
	for _, cs := range []int{300, 500} {
		for _, L := range lengths {
			got, want := ChunkSpans(L, cs), testutil.OriginalChunkSpans(L, cs)
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("L=%d cs=%d: got %v want %v", L, cs, got, want)
			}
		}
	}
	if ChunkSpans(0, 500) != nil {
		t.Fatal("an empty record must have no chunk")
	}
	for _, tc := range []struct{ L, last int }{{501, 251}, {600, 301}, {1001, 335}, {1000, 500}, {1500, 500}} {
		s := ChunkSpans(tc.L, 500)
		if got := s[len(s)-1][1] - s[len(s)-1][0]; got != tc.last {
			t.Errorf("L=%d: last chunk %d bp, want %d", tc.L, got, tc.last)
		}
	}
}

func TestTranslateRules(t *testing.T) {
	// ATGNNNAAA forward frame 0: ATG->M, NNN skipped, AAA->K: protein "MK", slice [0:1+6) = "ATGNNNA".
	fr := Translate("c", []byte("atgnnnaaa"))
	got := map[string][2]string{}
	for _, f := range fr {
		got[f.ID] = [2]string{string(f.Nucleotide), string(f.Protein)}
	}
	if got["cF1"] != [2]string{"ATGNNNA", "MK"} {
		t.Fatalf("F1 = %v", got["cF1"])
	}
	// Reverse complement keeps IUPAC letters uncomplemented.
	if rc := string(ReverseComplement([]byte("ACGTRYN"))); rc != "NYRACGT" {
		t.Fatalf("revcomp = %s", rc)
	}
	// A frame with a stop is dropped; a too-short chunk has no frame at all.
	for _, f := range Translate("s", []byte("TAATAATAA")) {
		if f.ID == "sF1" {
			t.Fatal("frame with stops kept")
		}
	}
	if len(Translate("s", []byte("AC"))) != 0 {
		t.Fatal("2 bp chunk must have no frame")
	}
}

func FuzzChunkTranslate(f *testing.F) {
	f.Add([]byte("ACGTNNACGTRYacgt"), 300)
	f.Add([]byte(""), 500)
	f.Fuzz(func(t *testing.T, seq []byte, size int) {
		if size <= 0 || size > 1000 {
			size = 300
		}
		prevEnd := 0
		for i, c := range Chunks("r", seq, size) {
			if c.Start < 0 || c.End > len(seq) || c.Start >= c.End || c.End-c.Start > size {
				t.Fatalf("chunk %d span [%d,%d) of %d", i, c.Start, c.End, len(seq))
			}
			if i > 0 && c.Start > prevEnd {
				t.Fatalf("gap before chunk %d", i)
			}
			prevEnd = c.End
			for _, fr := range Translate(c.ID, c.Seq) {
				if bytes.IndexByte(fr.Protein, '*') >= 0 || len(fr.Protein) == 0 {
					t.Fatalf("kept frame %s has protein %q", fr.ID, fr.Protein)
				}
				if len(fr.Nucleotide) < 3*len(fr.Protein) && bytes.Count(c.Seq, []byte("N")) == 0 {
					t.Fatalf("frame %s: %d nt for %d aa", fr.ID, len(fr.Nucleotide), len(fr.Protein))
				}
			}
		}
		if len(seq) > 0 && prevEnd != len(seq) {
			t.Fatalf("chunks end at %d of %d", prevEnd, len(seq))
		}
	})
}

// TestBroadFixtures checks the translation against the Broad repository's fixtures
// (frames the original produced from its inputs, which are not included): each kept
// frame's nucleotide slice, translated from its first base, gives exactly its protein.
func TestBroadFixtures(t *testing.T) {
	for _, set := range []string{"test_with_orfs", "test_fixed_500bp"} {
		dir := filepath.Join("..", "..", "testdata", "virnucpro_broad_real", set)
		read := func(name string) map[string][]byte {
			r, err := fasta.Open(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			out := map[string][]byte{}
			for {
				rec, err := r.Next()
				if err == io.EOF {
					return out
				}
				if err != nil {
					t.Fatal(err)
				}
				out[rec.ID] = rec.Seq
			}
		}
		nuc, prot := read("nucleotide.fa"), read("protein.fa")
		if len(nuc) == 0 || len(nuc) != len(prot) {
			t.Fatalf("%s: %d nucleotide vs %d protein records", set, len(nuc), len(prot))
		}
		for id, n := range nuc {
			p, _ := translateFrame(n, 0, nil)
			if string(p) != string(prot[id]) {
				t.Errorf("%s %s: translated %s, fixture %s", set, id, p, prot[id])
			}
			if len(n) != min(3*len(p)+1, len(n)) && len(n) != 3*len(p) {
				t.Errorf("%s %s: slice of %d nt for %d aa", set, id, len(n), len(p))
			}
		}
	}
}

// TestChunkSpanMatchesChunkSpans checks the constant-memory span of one chunk against
// the list for every length up to 3000 and sizes around the overlap rule's corners.
func TestChunkSpanMatchesChunkSpans(t *testing.T) {
	for _, size := range []int{1, 2, 3, 7, 300, 500} {
		for n := 0; n <= 3000; n++ {
			spans := ChunkSpans(n, size)
			if NumChunks(n, size) != len(spans) {
				t.Fatalf("n=%d size=%d: NumChunks %d, want %d", n, size, NumChunks(n, size), len(spans))
			}
			for i, s := range spans {
				if a, b := ChunkSpan(n, size, i); a != s[0] || b != s[1] {
					t.Fatalf("n=%d size=%d chunk %d: [%d,%d), want %v", n, size, i, a, b, s)
				}
			}
		}
	}
	for _, n := range []int{200_000_000, 123_456_789} {
		spans := ChunkSpans(n, 500)
		for _, i := range []int{0, 1, len(spans) / 2, len(spans) - 2, len(spans) - 1} {
			if a, b := ChunkSpan(n, 500, i); a != spans[i][0] || b != spans[i][1] {
				t.Fatalf("n=%d chunk %d: [%d,%d), want %v", n, i, a, b, spans[i])
			}
		}
	}
}
