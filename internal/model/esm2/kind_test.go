package esm2

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/virnucpro/virnucpro/internal/tensor/cpu"
)

// TestLoadSaysWhichModelItGot: the DNABERT-S folder given as ESM-2 weights is named
// as such, not reported as a tensor shape mismatch.
func TestLoadSaysWhichModelItGot(t *testing.T) {
	_, err := Load(filepath.Join("..", "..", "..", "testdata", "dnabert_tiny"), cpu.New(1, nil), Options{ReprLayer: -1})
	if err == nil || !strings.Contains(err.Error(), "holds DNABERT-S weights") || !strings.Contains(err.Error(), "give it to --dnabert") {
		t.Fatalf("got %v", err)
	}
}
