package cpu

import (
	"fmt"
	"math/rand"
	"testing"
)

// BenchmarkSbgemmEncoders reports GFLOP/s of the bf16 product and of the native
// fp32 one (2 threads, 2048 rows) at the encoders' shapes, one after the other in
// one process (the ratio is the figure to read on a shared machine).
func BenchmarkSbgemmEncoders(b *testing.B) {
	if !bf16Supported() {
		b.Skip("no AVX512_BF16 on this processor")
	}
	r := rand.New(rand.NewSource(1))
	const m, threads = 2048, 2
	for _, s := range encoderShapes {
		a, w, c := randSlice(r, m*s.k), randSlice(r, s.n*s.k), make([]float32, m*s.n)
		bw := newBF16Weight(w, s.n, s.k, threads)
		native := NewNative(threads)
		var bufs sbgemmBufs
		flops := 2 * float64(m) * float64(s.n) * float64(s.k)
		b.Run(fmt.Sprintf("%s/fp32", s.name), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				native.SgemmNT(m, s.n, s.k, a, s.k, w, s.k, c, s.n, false)
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
		b.Run(fmt.Sprintf("%s/bf16", s.name), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				sbgemm(true, sbgemmOperands{m: m, a: a, lda: s.k, w: bw, c: c, ldc: s.n}, threads, &bufs, nil, nil)
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
