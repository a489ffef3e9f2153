package mlp

import (
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/virnucpro/virnucpro/internal/weights"
)

// TestNonFiniteOrNegativeVarianceRefused: NaN/Inf weights or a negative BatchNorm
// variance used to give every score NaN, labelled "others", exit 0; they are refused
// at load naming the tensor.
func TestNonFiniteOrNegativeVarianceRefused(t *testing.T) {
	for _, c := range []struct {
		tensor string
		value  float32
		want   string
	}{
		{HiddenWeight, float32(math.NaN()), "NaN"},
		{OutBias, float32(math.Inf(1)), "+Inf"},
		{BNVar, -0.5, "variance -0.5"},
		{BNMean, float32(math.Inf(-1)), "-Inf"},
	} {
		t.Run(c.tensor, func(t *testing.T) {
			sd, err := weights.Load(filepath.Join(td, "model.safetensors"))
			if err != nil {
				t.Fatal(err)
			}
			data := append([]float32(nil), sd.Tensors[c.tensor].Data...)
			data[len(data)/2] = c.value
			sd.Tensors[c.tensor] = &weights.Tensor{Shape: sd.Tensors[c.tensor].Shape, Data: data}
			path := filepath.Join(t.TempDir(), "bad.safetensors")
			if err := weights.WriteSafetensors(path, sd.Tensors, sd.Metadata); err != nil {
				t.Fatal(err)
			}
			_, err = Load(path)
			if err == nil || !strings.Contains(err.Error(), c.tensor) || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), path) {
				t.Fatalf("got %v, want a refusal naming %s and %s", err, path, c.tensor)
			}
		})
	}
}
