package mlp

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/virnucpro/virnucpro/internal/randmodel"
	"github.com/virnucpro/virnucpro/internal/testutil"
	"github.com/virnucpro/virnucpro/internal/weights"
)

// FuzzClassifier: any bytes as a VirNucPro classifier (.pth whole-module pickle, state
// dict or safetensors) give a classifier or an error, never a panic or an allocation
// beyond a fixed multiple of their size; an accepted classifier classifies a row.
func FuzzClassifier(f *testing.F) {
	// A tiny classifier (4 inputs, 3 hidden) as safetensors and as a torch.save state
	// dict: small seeds keep each execution fast.
	c := &Classifier{In: 4, Hidden: 3, Classes: 2, Eps: 1e-5,
		W1: make([]float32, 12), B1: make([]float32, 3), Gamma: []float32{1, 1, 1}, Beta: make([]float32, 3),
		Mean: make([]float32, 3), Var: []float32{1, 1, 1}, W2: make([]float32, 6), B2: make([]float32, 2)}
	dir := f.TempDir()
	st := filepath.Join(dir, "tiny.safetensors")
	if err := c.Save(st); err != nil {
		f.Fatal(err)
	}
	sd, _ := weights.Load(st)
	pt := filepath.Join(dir, "tiny.pt")
	if err := randmodel.WritePyTorch(pt, sd.Tensors, false); err != nil {
		f.Fatal(err)
	}
	for _, p := range []string{st, pt} {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		testutil.AllocBounded(t, len(data), 1024, 8<<20, func() {
			c, err := Parse(data, "fuzz.pth")
			if err != nil {
				return
			}
			if c.In > len(data) {
				t.Fatalf("input width %d from a %d-byte file", c.In, len(data))
			}
			if _, err := c.Classify(make([]float32, c.In), 1); err != nil {
				t.Fatal(err)
			}
		})
	})
}
