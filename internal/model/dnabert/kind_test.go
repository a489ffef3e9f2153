package dnabert

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/virnucpro/virnucpro/internal/tensor/cpu"
)

// TestLoadSaysWhichModelItGot: the ESM-2 (Hugging Face) folder given as DNABERT-S is
// named as such.
func TestLoadSaysWhichModelItGot(t *testing.T) {
	_, err := Load(filepath.Join("..", "..", "..", "testdata", "esm2_tiny", "hf"), cpu.New(1, nil))
	if err == nil || !strings.Contains(err.Error(), "holds ESM-2 weights") || !strings.Contains(err.Error(), "give it to --esm") {
		t.Fatalf("got %v", err)
	}
}
