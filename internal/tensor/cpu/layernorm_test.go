package cpu

import (
	"math"
	"math/rand"
	"testing"
)

// TestLayerNormPathsIdentical checks that every layer norm kernel this machine runs
// gives the Go code's results bit for bit (a run resumed on another machine class
// must continue identically), for widths with and without a partial group of
// lnLanes, and values of very different magnitudes; and that the result is close to
// the exact one.
func TestLayerNormPathsIdentical(t *testing.T) {
	saved := simdLevel
	defer func() { simdLevel = saved }()
	levels := simdLevels()
	r := rand.New(rand.NewSource(7))
	for _, c := range []int{1, 7, 15, 16, 17, 33, 100, 480, 481, 768, 1023} {
		for trial := 0; trial < 4; trial++ {
			src := make([]float32, c)
			offset, spread := float32(r.NormFloat64()*100), float32(math.Pow(10, float64(r.Intn(7)-3)))
			for j := range src {
				src[j] = offset + spread*float32(r.NormFloat64())
			}
			g, be := randSlice(r, c), randSlice(r, c)
			simdLevel = simdScalar
			want := make([]float32, c)
			layerNormRow(want, src, g, be, 1e-5)
			checkLayerNormClose(t, c, want, src, g, be, 1e-5)
			for _, level := range levels[1:] {
				simdLevel = level
				got := make([]float32, c)
				layerNormRow(got, src, g, be, 1e-5)
				for j := range got {
					if math.Float32bits(got[j]) != math.Float32bits(want[j]) {
						t.Fatalf("width %d, level %d: [%d] = %v, Go code %v", c, level, j, got[j], want[j])
					}
				}
				inPlace := append([]float32(nil), src...)
				layerNormRow(inPlace, inPlace, g, be, 1e-5)
				for j := range got {
					if math.Float32bits(inPlace[j]) != math.Float32bits(want[j]) {
						t.Fatalf("width %d, level %d in place: [%d] = %v, Go code %v", c, level, j, inPlace[j], want[j])
					}
				}
			}
		}
	}
	if len(levels) == 1 {
		t.Log("no vector layer norm kernel on this machine: only the Go code tested")
	}
}

// checkLayerNormClose compares a layer norm row with the exact result.
func checkLayerNormClose(t *testing.T, c int, got, src, g, be []float32, eps float64) {
	t.Helper()
	var mean, vr float64
	for _, v := range src {
		mean += float64(v)
	}
	mean /= float64(c)
	for _, v := range src {
		vr += (float64(v) - mean) * (float64(v) - mean)
	}
	vr /= float64(c)
	want := make([]float64, c)
	for j, v := range src {
		want[j] = (float64(v)-mean)/math.Sqrt(vr+eps)*float64(g[j]) + float64(be[j])
	}
	assertClose(t, "layerNormRow", got, want, 1e-4)
}

func BenchmarkLayerNormRow(b *testing.B) {
	saved := simdLevel
	defer func() { simdLevel = saved }()
	r := rand.New(rand.NewSource(1))
	const c = 768
	src, g, be := randSlice(r, c), randSlice(r, c), randSlice(r, c)
	out := make([]float32, c)
	for _, level := range simdLevels() {
		b.Run([]string{"go", "avx2", "avx512"}[level], func(b *testing.B) {
			simdLevel = level
			for i := 0; i < b.N; i++ {
				layerNormRow(out, src, g, be, 1e-5)
			}
		})
	}
}
