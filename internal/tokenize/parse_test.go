package tokenize

import (
	"strings"
	"testing"
)

// TestParseRefusesAMissingVocabulary: a BPE model without model.vocab (absent or
// null) but with added tokens is an error naming the field, not a write into a nil
// map (found by FuzzTokenizerJSON; its input is in testdata/fuzz).
func TestParseRefusesAMissingVocabulary(t *testing.T) {
	for _, vocab := range []string{``, `"vocab": null,`, `"vocab": {},`} {
		data := `{"added_tokens": [{"id": 0, "content": "[UNK]"}],
			"model": {"type": "BPE", ` + vocab + ` "unk_token": "[UNK]", "merges": []}}`
		_, err := Parse([]byte(data))
		if err == nil || !strings.Contains(err.Error(), "model.vocab") {
			t.Errorf("vocab %q: got %v, want an error naming model.vocab", vocab, err)
		}
	}
}
