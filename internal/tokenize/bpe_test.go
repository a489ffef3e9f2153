package tokenize

import (
	"encoding/json"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var td = filepath.Join("..", "..", "testdata", "dnabert_tiny")

func load(t testing.TB) *BPE {
	t.Helper()
	b, err := Load(filepath.Join(td, "tokenizer.json"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestGoldenIDs(t *testing.T) {
	b := load(t)
	var g struct {
		Sequences []struct {
			ID  string  `json:"id"`
			IDs []int32 `json:"ids"`
		} `json:"sequences"`
	}
	data, _ := os.ReadFile(filepath.Join(td, "golden.json"))
	if err := json.Unmarshal(data, &g); err != nil {
		t.Fatal(err)
	}
	seqs := map[string]string{}
	fa, _ := os.ReadFile(filepath.Join(td, "dna.fasta"))
	var id string
	for _, l := range strings.Split(string(fa), "\n") {
		if strings.HasPrefix(l, ">") {
			id = strings.Fields(l[1:])[0]
		} else {
			seqs[id] += strings.TrimSpace(l)
		}
	}
	for _, s := range g.Sequences {
		got := b.Encode(seqs[s.ID])
		if fmt.Sprint(got) != fmt.Sprint(s.IDs) {
			t.Errorf("%s: got %v\nwant %v", s.ID, got, s.IDs)
		}
	}
	if len(g.Sequences) == 0 {
		t.Fatal("no golden sequences")
	}
}

func TestExamples(t *testing.T) {
	b := load(t)
	for _, tc := range []struct {
		in   string
		want string
	}{
		{"ACGTN", "[1 5 6 1049 0 2]"},
		{"", "[1 2]"},
		{"acgt", "[1 0 0 0 0 2]"},
		{"AC GT", "[1 5 6 1049 2]"},
		{"AC-GT", "[1 5 6 0 1049 2]"},
	} {
		if got := fmt.Sprint(b.Encode(tc.in)); got != tc.want {
			t.Errorf("%q: got %s want %s", tc.in, got, tc.want)
		}
	}
}

// roundTrip checks that the tokens spell the input back (whitespace removed, [UNK]
// standing for exactly one character).
func roundTrip(t *testing.T, b *BPE, in string) {
	ids := b.EncodeWords(in)
	var want []rune
	for _, r := range in {
		if !strings.ContainsRune(" \t\n\r\v\f\u0085\u00a0", r) && !isSpaceRune(r) {
			want = append(want, r)
		}
	}
	pos := 0
	for _, id := range ids {
		if id == b.UnkID() {
			pos++
			continue
		}
		tok := []rune(b.Token(id))
		if pos+len(tok) > len(want) || string(want[pos:pos+len(tok)]) != string(tok) {
			t.Fatalf("%q: token %q does not match the input at rune %d", in, string(tok), pos)
		}
		pos += len(tok)
	}
	if pos != len(want) {
		t.Fatalf("%q: tokens cover %d of %d characters", in, pos, len(want))
	}
}

func isSpaceRune(r rune) bool { return strings.TrimSpace(string(r)) == "" }

func FuzzEncode(f *testing.F) {
	b := load(f)
	for _, s := range []string{"ACGT", "NNNNACGTRYacgt", "A C\tG", "A-*.G", "é∆ACG", strings.Repeat("CA", 100)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		roundTrip(t, b, in)
	})
}

// randomDNA is n random bases from a fixed seed.
func randomDNA(n int) string {
	r := rand.New(rand.NewSource(1))
	s := make([]byte, n)
	for i := range s {
		s[i] = "ACGT"[r.Intn(4)]
	}
	return string(s)
}

// TestLongInputRoundTrips: a 20 kb word (one BPE word: no pre-tokenizer split) encodes
// and decodes back. Its speed is measured by BenchmarkEncode20kb, not asserted here.
func TestLongInputRoundTrips(t *testing.T) {
	roundTrip(t, load(t), randomDNA(20000))
}

// BenchmarkEncode20kb measures a long single word (the merge loop's worst case).
func BenchmarkEncode20kb(b *testing.B) { benchmarkEncode(b, 20000) }

func BenchmarkEncode500bp(b *testing.B) { benchmarkEncode(b, 500) }

func benchmarkEncode(b *testing.B, n int) {
	tok := load(b)
	s := randomDNA(n)
	b.SetBytes(int64(len(s)))
	for i := 0; i < b.N; i++ {
		tok.Encode(s)
	}
	b.ReportMetric(float64(len(s))*float64(b.N)/b.Elapsed().Seconds()/1e6, "Mbp/s")
}
