package randmodel

import (
	"math"
	"path/filepath"
	"testing"

	"github.com/virnucpro/virnucpro/internal/weights"
)

// TestWritePyTorchRoundTrip reads the written checkpoints back through the loader.
func TestWritePyTorchRoundTrip(t *testing.T) {
	ts := ESM2Tensors(1, 16)
	for _, c := range []struct {
		name string
		half bool
		tol  float64
	}{
		{"fp32", false, 0},
		{"fp16", true, 1e-3},
	} {
		path := filepath.Join(t.TempDir(), c.name+".pt")
		if err := WritePyTorch(path, ts, c.half); err != nil {
			t.Fatal(err)
		}
		sd, err := weights.Load(path)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if len(sd.Tensors) != len(ts) {
			t.Fatalf("%s: %d tensors, want %d", c.name, len(sd.Tensors), len(ts))
		}
		for n, want := range ts {
			got, err := sd.Get(n, want.Shape...)
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			for i, v := range want.Data {
				if d := math.Abs(float64(got.Data[i] - v)); d > c.tol*(1+math.Abs(float64(v))) {
					t.Fatalf("%s: %s[%d] = %g, want %g", c.name, n, i, got.Data[i], v)
				}
			}
		}
	}
}
