package tokenize

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/virnucpro/virnucpro/internal/testutil"
)

// FuzzTokenizerJSON: any bytes as tokenizer.json give a tokenizer or an error, never
// a panic or an allocation beyond a fixed multiple of their size (a huge or negative
// token id used to allocate gigabytes or panic); an accepted tokenizer encodes.
func FuzzTokenizerJSON(f *testing.F) {
	if b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "dnabert_tiny", "tokenizer.json")); err == nil {
		f.Add(b)
	}
	f.Add([]byte(`{"model":{"type":"BPE","vocab":{"[UNK]":0,"A":2147483647},"merges":[],"unk_token":"[UNK]"}}`))
	f.Add([]byte(`{"model":{"type":"BPE","vocab":{"[UNK]":0,"A":1,"C":2,"AC":3},"merges":["A C"],"unk_token":"[UNK]"}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		testutil.AllocBounded(t, len(data), 512, 1<<20, func() {
			b, err := Parse(data)
			if err != nil {
				return
			}
			if b.VocabSize() > len(data) {
				t.Fatalf("%d token ids from %d bytes", b.VocabSize(), len(data))
			}
			b.Encode("ACGTNACGT")
		})
	})
}
