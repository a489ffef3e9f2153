package esm2

import (
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/virnucpro/virnucpro/internal/tensor"
	"github.com/virnucpro/virnucpro/internal/tensor/cpu"
	"github.com/virnucpro/virnucpro/internal/weights"
)

// TestLinearLoaderStreamsThroughOneScratch: with a backend that keeps its own
// bfloat16 copy, every Linear weight is widened into the same scratch buffer and
// stays lazy (its float32 values never held), and the backend holds the weight
// rounded to bfloat16; with the fp32 CPU backend, which keeps the float32 values
// themselves, each weight gets its own memory and holds exactly the file's values.
func TestLinearLoaderStreamsThroughOneScratch(t *testing.T) {
	path := filepath.Join(td, "esm2_t3_tiny_UR50D.pt")
	eager, err := weights.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	bf, bfErr := cpu.NewBF16(1)
	for _, c := range []struct {
		name    string
		b       tensor.Backend
		reuse   bool
		rounded func(float32) float32
	}{
		{"bf16", bf, true, func(v float32) float32 { return math.Float32frombits(uint32(weights.Float32ToBF16(v)) << 16) }},
		{"fp32", cpu.New(1, nil), false, func(v float32) float32 { return v }},
	} {
		t.Run(c.name, func(t *testing.T) {
			if c.name == "bf16" && bfErr != nil {
				t.Skip(bfErr)
			}
			p, err := weights.LoadPyTorch(path)
			if err != nil {
				t.Fatal(err)
			}
			sd, err := p.LazyWeights()
			if err != nil {
				t.Fatal(err)
			}
			lin := newLinearLoader(c.b)
			var first *float32
			var held []*float32
			for l := 0; l < 3; l++ {
				for _, w := range []string{"fc1.weight", "fc2.weight", "self_attn.out_proj.weight"} {
					name := fmt.Sprintf("encoder.sentence_encoder.layers.%d.%s", l, w)
					lt := sd.Tensors[name]
					rows, cols := lt.Shape[0], lt.Shape[1]
					up, err := lin.upload(path, name, lt, rows, cols)
					if err != nil {
						t.Fatal(err)
					}
					if c.reuse && first == nil {
						first = &lin.scratch[:1][0]
					}
					if lin.reuse != c.reuse {
						t.Fatalf("%s: reuse %v, want %v", name, lin.reuse, c.reuse)
					}
					if c.reuse && (!lt.Lazy() || &lin.scratch[:1][0] != first) {
						t.Fatalf("%s: converted outside the one scratch (lazy %v)", name, lt.Lazy())
					}
					if !c.reuse && lt.Data != nil { // the first went to the backend as the scratch
						held = append(held, &lt.Data[0])
					}
					got := make([]float32, rows*cols)
					c.b.ToHost(got, up)
					for i, v := range eager.Tensors[name].Data {
						if want := c.rounded(v); got[i] != want {
							t.Fatalf("%s[%d] = %v, want %v", name, i, got[i], want)
						}
					}
				}
			}
			if !c.reuse && len(held) != 8 {
				t.Fatalf("%d fp32 weights converted into their own Data, want 8", len(held))
			}
			for i := 1; i < len(held); i++ {
				if held[i] == held[i-1] {
					t.Fatal("fp32 weights share memory")
				}
			}
		})
	}
}

// TestDamagedESMWeightsBF16: a NaN in a Linear weight streamed into bfloat16 is an
// error naming the file and the tensor, as in fp32.
func TestDamagedESMWeightsBF16(t *testing.T) {
	b, err := cpu.NewBF16(1)
	if err != nil {
		t.Skip(err)
	}
	for _, tensor := range []string{"esm.encoder.layer.0.attention.self.query.weight", "esm.encoder.layer.2.intermediate.dense.weight"} {
		dir := damagedHF(t, "", "", tensor, float32(math.NaN()))
		_, err := Load(dir, b, Options{ReprLayer: -1})
		if err == nil || !strings.Contains(err.Error(), dir) || !strings.Contains(err.Error(), fmt.Sprintf("%q holds NaN", tensor)) {
			t.Errorf("%s: got %v, want an error naming %s and the tensor", tensor, err, dir)
		}
	}
}
