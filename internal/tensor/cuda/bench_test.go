package cuda

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/virnucpro/virnucpro/internal/tensor"
)

// peakTFLOPS is the dense 16-bit tensor-core peak used for MFU, by device name.
func peakTFLOPS(name string) float64 {
	switch {
	case contains(name, "H200"), contains(name, "H100 80GB HBM3"), contains(name, "H100 SXM"):
		return 989.4
	case contains(name, "H100"):
		return 756
	case contains(name, "A100"):
		return 312
	}
	return 0
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// TestBenchESM3B times an ESM-2 3B-shaped encoder (36 × 2560, 40 heads, FFN
// 10240, rotary, random weights shared by all layers) on packed batches of the
// VirNucPro length mix (30–166 residues + BOS/EOS). It runs only when
// VIRNUCPRO_CUDA_BENCH is set and prints tokens/s and MFU.
func TestBenchESM3B(t *testing.T) {
	if os.Getenv("VIRNUCPRO_CUDA_BENCH") == "" {
		t.Skip("set VIRNUCPRO_CUDA_BENCH=1 to run the ESM-2 3B benchmark")
	}
	prec, err := ParsePrecision(os.Getenv("VIRNUCPRO_CUDA_BENCH_PREC"))
	if err != nil || os.Getenv("VIRNUCPRO_CUDA_BENCH_PREC") == "" {
		prec = FP16
	}
	b := openOrSkip(t, prec)
	layers := envInt("VIRNUCPRO_CUDA_BENCH_LAYERS", 36)
	budget := envInt("VIRNUCPRO_CUDA_BENCH_TOKENS", 16384)
	nbatches := envInt("VIRNUCPRO_CUDA_BENCH_BATCHES", 8)
	const D, H, F, vocab = 2560, 40, 10240, 33
	hd := D / H
	r := rand.New(rand.NewPCG(42, 3))
	up := func(rows, cols int, scale float64) tensor.Tensor {
		return b.FromHost(randn(r, rows*cols, scale), rows, cols)
	}
	ones := make([]float32, D)
	for i := range ones {
		ones[i] = 1
	}
	t0 := time.Now()
	emb := up(vocab, D, 1)
	wqkv, bqkv := up(3*D, D, 0.02), up(1, 3*D, 0.02)
	wo, bo := up(D, D, 0.02), up(1, D, 0.02)
	w1, b1 := up(F, D, 0.02), up(1, F, 0.02)
	w2, b2 := up(D, F, 0.02), up(1, D, 0.02)
	g, be := b.FromHost(ones, 1, D), up(1, D, 0.02)
	mustOK(t, b)
	t.Logf("weights uploaded in %v", time.Since(t0))
	inv := make([]float32, hd/2)
	for i := range inv {
		inv[i] = float32(1 / math.Pow(10000, float64(2*i)/float64(hd)))
	}
	spec := tensor.AttentionSpec{Heads: H, HeadDim: hd, Scale: float32(1 / math.Sqrt(float64(hd))), RotaryInvFreq: inv}

	// Packed batches of the length mix.
	type batch struct {
		ids   []int32
		segs  []tensor.Segment
		spans []tensor.Span
	}
	mk := func() batch {
		var bt batch
		for {
			l := 30 + r.IntN(137) + 2
			if len(bt.ids)+l > budget {
				return bt
			}
			bt.segs = append(bt.segs, tensor.Segment{Start: len(bt.ids), Len: l})
			bt.spans = append(bt.spans, tensor.Span{Start: len(bt.ids) + 1, End: len(bt.ids) + l - 1})
			for i := 0; i < l; i++ {
				bt.ids = append(bt.ids, int32(4+r.IntN(20)))
			}
		}
	}
	batches := make([]batch, nbatches+1)
	for i := range batches {
		batches[i] = mk()
	}
	forward := func(bt batch) tensor.Tensor {
		T := len(bt.ids)
		x := b.New(T, D)
		b.Embed(x, emb, bt.ids, 0.88)
		h := b.New(T, D)
		qkv := b.New(T, 3*D)
		att := b.New(T, D)
		ff := b.New(T, F)
		for l := 0; l < layers; l++ {
			b.LayerNorm(h, x, g, be, 1e-5)
			b.Linear(qkv, h, wqkv, bqkv, false)
			b.Attention(att, qkv, bt.segs, spec)
			b.Linear(x, att, wo, bo, true)
			b.LayerNorm(h, x, g, be, 1e-5)
			b.Linear(ff, h, w1, b1, false)
			b.GELU(ff)
			b.Linear(x, ff, w2, b2, true)
		}
		b.LayerNorm(h, x, g, be, 1e-5)
		out := b.New(len(bt.spans), D)
		b.MeanPool(out, h, bt.spans)
		for _, tt := range []tensor.Tensor{x, h, qkv, att, ff} {
			b.Free(tt)
		}
		return out
	}
	// Warm-up (plans, allocator).
	if err := b.CheckFinite(forward(batches[0])); err != nil {
		t.Fatal(err)
	}
	var tokens, seqs int
	var flops float64
	start := time.Now()
	for _, bt := range batches[1:] {
		out := forward(bt)
		tokens += len(bt.ids)
		seqs += len(bt.segs)
		lin := 2 * float64(len(bt.ids)) * (4*D*D + 2*D*F)
		var att float64
		for _, s := range bt.segs {
			att += 4 * float64(s.Len) * float64(s.Len) * D
		}
		flops += float64(layers) * (lin + att)
		b.Free(out)
	}
	mustOK(t, b)
	el := time.Since(start).Seconds()
	peak := peakTFLOPS(b.info.Name)
	mfu := 0.0
	if peak > 0 {
		mfu = flops / el / (peak * 1e12)
	}
	res := fmt.Sprintf("GO-BENCH device=%q prec=%s layers=%d batches=%d tokens/batch~%d seqs=%d tokens=%d time=%.3fs tokens/s=%.0f (x36/%d layers: %.0f) seqs/s=%.1f TFLOP/s=%.1f MFU=%.1f%% (peak %.0f)",
		b.info.Name, prec, layers, nbatches, budget, seqs, tokens, el, float64(tokens)/el, layers, float64(tokens)/el*float64(layers)/36, float64(seqs)/el, flops/el/1e12, 100*mfu, peak)
	t.Log(res)
	fmt.Println(res)

	// Per-op split for one batch (synchronised timings).
	bt := batches[1]
	T := len(bt.ids)
	x, h, qkv, att, ff := b.New(T, D), b.New(T, D), b.New(T, 3*D), b.New(T, D), b.New(T, F)
	timeOp := func(name string, f func()) {
		mustOK(t, b)
		s := time.Now()
		for i := 0; i < 10; i++ {
			f()
		}
		mustOK(t, b)
		fmt.Printf("GO-OP %-10s %8.3f ms\n", name, time.Since(s).Seconds()*100)
	}
	timeOp("ln", func() { b.LayerNorm(h, x, g, be, 1e-5) })
	timeOp("qkv", func() { b.Linear(qkv, h, wqkv, bqkv, false) })
	timeOp("attention", func() { b.Attention(att, qkv, bt.segs, spec) })
	timeOp("out", func() { b.Linear(x, att, wo, bo, true) })
	timeOp("fc1", func() { b.Linear(ff, h, w1, b1, false) })
	timeOp("gelu", func() { b.GELU(ff) })
	timeOp("fc2", func() { b.Linear(x, ff, w2, b2, true) })
}
