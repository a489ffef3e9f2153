package cuda

// End-to-end checks of the CUDA backend against the esm2_tiny and dnabert_tiny
// goldens. The forward passes here are minimal test scaffolding written from
// docs/model-reference.md (the production models live in internal/model/...);
// they exercise every backend operation the real models use, on one packed
// batch holding all golden sequences.

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/virnucpro/virnucpro/internal/tensor"
	"github.com/virnucpro/virnucpro/internal/testutil"
)

// testdataDir finds the repository's testdata/ from the working directory.
func testdataDir(t *testing.T) string {
	t.Helper()
	dir, _ := os.Getwd()
	for i := 0; i < 6; i++ {
		p := filepath.Join(dir, "testdata")
		if st, err := os.Stat(filepath.Join(p, "esm2_tiny")); err == nil && st.IsDir() {
			return p
		}
		dir = filepath.Dir(dir)
	}
	t.Skip("testdata/ not found")
	return ""
}

// readSafetensors reads the F32 tensors of a safetensors file.
func readSafetensors(t *testing.T, path string) map[string][]float32 {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(raw) < 8 {
		t.Fatalf("%s: too short", path)
	}
	n := binary.LittleEndian.Uint64(raw)
	if n > uint64(len(raw)-8) {
		t.Fatalf("%s: header length %d", path, n)
	}
	var hdr map[string]json.RawMessage
	if err := json.Unmarshal(raw[8:8+n], &hdr); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	data := raw[8+n:]
	out := map[string][]float32{}
	for name, m := range hdr {
		if name == "__metadata__" {
			continue
		}
		var info struct {
			Dtype   string   `json:"dtype"`
			Offsets [2]int64 `json:"data_offsets"`
		}
		if err := json.Unmarshal(m, &info); err != nil {
			t.Fatalf("%s: %s: %v", path, name, err)
		}
		if info.Dtype != "F32" {
			continue
		}
		b := data[info.Offsets[0]:info.Offsets[1]]
		v := make([]float32, len(b)/4)
		for i := range v {
			v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
		}
		out[name] = v
	}
	return out
}

// weights uploads named tensors on demand.
type weights struct {
	t   *testing.T
	b   tensor.Backend
	raw map[string][]float32
	up  []tensor.Tensor
}

func (w *weights) get(name string, rows, cols int) tensor.Tensor {
	v, ok := w.raw[name]
	if !ok || len(v) != rows*cols {
		w.t.Fatalf("weight %s: have %d values, want %d×%d", name, len(v), rows, cols)
	}
	x := w.b.FromHost(v, rows, cols)
	w.up = append(w.up, x)
	return x
}

func (w *weights) cat(rows, cols int, names ...string) tensor.Tensor {
	var all []float32
	for _, n := range names {
		v, ok := w.raw[n]
		if !ok {
			w.t.Fatalf("weight %s missing", n)
		}
		all = append(all, v...)
	}
	if len(all) != rows*cols {
		w.t.Fatalf("%v: %d values, want %d×%d", names, len(all), rows, cols)
	}
	x := w.b.FromHost(all, rows, cols)
	w.up = append(w.up, x)
	return x
}

func (w *weights) free() {
	for _, x := range w.up {
		w.b.Free(x)
	}
}

// checkMeans compares pooled rows with golden means: max |diff| ≤ 1e-5 in
// fp32, cosine ≥ 0.9999 per sequence in fp16/bf16.
func checkMeans(t *testing.T, p Precision, ids []string, got []float32, want [][]float64) {
	t.Helper()
	d := len(want[0])
	worstCos, worstAbs := 1.0, 0.0
	for i, w := range want {
		row := got[i*d : (i+1)*d]
		maxAbs := 0.0
		for j := range w {
			maxAbs = math.Max(maxAbs, math.Abs(float64(row[j])-w[j]))
		}
		c := testutil.Cosine(row, w)
		worstCos, worstAbs = math.Min(worstCos, c), math.Max(worstAbs, maxAbs)
		if p == FP32 && !(maxAbs <= 1e-5) {
			t.Errorf("%s: max |diff| %.3g > 1e-5", ids[i], maxAbs)
		}
		if p != FP32 && !(c >= 0.9999) {
			t.Errorf("%s: cosine %.6f < 0.9999 (max |diff| %.3g)", ids[i], c, maxAbs)
		}
	}
	t.Logf("%s: %d sequences, worst max|diff| %.3g, worst cosine %.7f", p, len(want), worstAbs, worstCos)
}

func TestGoldenESM2Tiny(t *testing.T) {
	td := testdataDir(t)
	var g struct {
		Sequences []struct {
			ID       string    `json:"id"`
			Tokens   []int32   `json:"tokens"`
			MeanFull []float64 `json:"mean_full"`
		} `json:"sequences"`
	}
	raw, err := os.ReadFile(filepath.Join(td, "esm2_tiny", "golden.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &g); err != nil {
		t.Fatal(err)
	}
	st := readSafetensors(t, filepath.Join(td, "esm2_tiny", "hf", "model.safetensors"))
	const D, H, F, L, vocab = 128, 4, 512, 3, 33
	hd := D / H
	run := func(t *testing.T, b tensor.Backend, p Precision) {
		w := &weights{t: t, b: b, raw: st}
		defer w.free()
		var ids []int32
		var segs []tensor.Segment
		var spans []tensor.Span
		var names []string
		var want [][]float64
		for _, s := range g.Sequences {
			segs = append(segs, tensor.Segment{Start: len(ids), Len: len(s.Tokens)})
			spans = append(spans, tensor.Span{Start: len(ids) + 1, End: len(ids) + len(s.Tokens) - 1})
			ids = append(ids, s.Tokens...)
			names = append(names, s.ID)
			want = append(want, s.MeanFull)
		}
		T := len(ids)
		x := b.New(T, D)
		b.Embed(x, w.get("esm.embeddings.word_embeddings.weight", vocab, D), ids, 0.88)
		h, qkv, att, ff := b.New(T, D), b.New(T, 3*D), b.New(T, D), b.New(T, F)
		for l := 0; l < L; l++ {
			pre := fmt.Sprintf("esm.encoder.layer.%d.", l)
			inv := st[pre+"attention.self.rotary_embeddings.inv_freq"]
			spec := tensor.AttentionSpec{Heads: H, HeadDim: hd, Scale: float32(1 / math.Sqrt(float64(hd))), RotaryInvFreq: inv}
			b.LayerNorm(h, x, w.get(pre+"attention.LayerNorm.weight", 1, D), w.get(pre+"attention.LayerNorm.bias", 1, D), 1e-5)
			b.Linear(qkv, h,
				w.cat(3*D, D, pre+"attention.self.query.weight", pre+"attention.self.key.weight", pre+"attention.self.value.weight"),
				w.cat(1, 3*D, pre+"attention.self.query.bias", pre+"attention.self.key.bias", pre+"attention.self.value.bias"), false)
			b.Attention(att, qkv, segs, spec)
			b.Linear(x, att, w.get(pre+"attention.output.dense.weight", D, D), w.get(pre+"attention.output.dense.bias", 1, D), true)
			b.LayerNorm(h, x, w.get(pre+"LayerNorm.weight", 1, D), w.get(pre+"LayerNorm.bias", 1, D), 1e-5)
			b.Linear(ff, h, w.get(pre+"intermediate.dense.weight", F, D), w.get(pre+"intermediate.dense.bias", 1, F), false)
			b.GELU(ff)
			b.Linear(x, ff, w.get(pre+"output.dense.weight", D, F), w.get(pre+"output.dense.bias", 1, D), true)
		}
		b.LayerNorm(h, x, w.get("esm.encoder.emb_layer_norm_after.weight", 1, D), w.get("esm.encoder.emb_layer_norm_after.bias", 1, D), 1e-5)
		pooled := b.New(len(spans), D)
		b.MeanPool(pooled, h, spans)
		if err := tensor.CheckFinite(b, pooled); err != nil {
			t.Fatal(err)
		}
		checkMeans(t, p, names, downloadAny(b, pooled), want)
		for _, tt := range []tensor.Tensor{x, h, qkv, att, ff, pooled} {
			b.Free(tt)
		}
		if err := tensor.Sync(b); err != nil {
			t.Fatal(err)
		}
	}
	runGolden(t, true, run)
}

func TestGoldenDNABERTTiny(t *testing.T) {
	td := testdataDir(t)
	var g struct {
		Slopes    []float32 `json:"alibi_slopes"`
		Sequences []struct {
			ID   string    `json:"id"`
			IDs  []int32   `json:"ids"`
			Mean []float64 `json:"mean"`
		} `json:"sequences"`
	}
	raw, err := os.ReadFile(filepath.Join(td, "dnabert_tiny", "golden.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &g); err != nil {
		t.Fatal(err)
	}
	st := readSafetensors(t, filepath.Join(td, "dnabert_tiny", "model.safetensors"))
	const D, H, I, L, vocab = 96, 12, 192, 3, 4096
	const eps = 1e-12
	hd := D / H
	run := func(t *testing.T, b tensor.Backend, p Precision) {
		w := &weights{t: t, b: b, raw: st}
		defer w.free()
		var ids []int32
		var segs []tensor.Segment
		var spans []tensor.Span
		var names []string
		var want [][]float64
		for _, s := range g.Sequences {
			segs = append(segs, tensor.Segment{Start: len(ids), Len: len(s.IDs)})
			spans = append(spans, tensor.Span{Start: len(ids), End: len(ids) + len(s.IDs)})
			ids = append(ids, s.IDs...)
			names = append(names, s.ID)
			want = append(want, s.Mean)
		}
		T := len(ids)
		// word + token_type[0] embeddings: fold the type row into a copy of the table.
		table := append([]float32(nil), st["embeddings.word_embeddings.weight"]...)
		tt := st["embeddings.token_type_embeddings.weight"][:D]
		for r := 0; r < vocab; r++ {
			for c := 0; c < D; c++ {
				table[r*D+c] += tt[c]
			}
		}
		tab := b.FromHost(table, vocab, D)
		defer b.Free(tab)
		x := b.New(T, D)
		b.Embed(x, tab, ids, 1)
		b.LayerNorm(x, x, w.get("embeddings.LayerNorm.weight", 1, D), w.get("embeddings.LayerNorm.bias", 1, D), eps)
		qkv, att, gate, mid := b.New(T, 3*D), b.New(T, D), b.New(T, 2*I), b.New(T, I)
		spec := tensor.AttentionSpec{Heads: H, HeadDim: hd, Scale: float32(1 / math.Sqrt(float64(hd))), ALiBiSlopes: g.Slopes}
		for l := 0; l < L; l++ {
			pre := fmt.Sprintf("encoder.layer.%d.", l)
			b.Linear(qkv, x, w.get(pre+"attention.self.Wqkv.weight", 3*D, D), w.get(pre+"attention.self.Wqkv.bias", 1, 3*D), false)
			b.Attention(att, qkv, segs, spec)
			b.Linear(x, att, w.get(pre+"attention.output.dense.weight", D, D), w.get(pre+"attention.output.dense.bias", 1, D), true)
			b.LayerNorm(x, x, w.get(pre+"attention.output.LayerNorm.weight", 1, D), w.get(pre+"attention.output.LayerNorm.bias", 1, D), eps)
			b.Linear(gate, x, w.get(pre+"mlp.gated_layers.weight", 2*I, D), nil, false)
			b.GatedGELU(mid, gate)
			b.Linear(x, mid, w.get(pre+"mlp.wo.weight", D, I), w.get(pre+"mlp.wo.bias", 1, D), true)
			b.LayerNorm(x, x, w.get(pre+"mlp.layernorm.weight", 1, D), w.get(pre+"mlp.layernorm.bias", 1, D), eps)
		}
		pooled := b.New(len(spans), D)
		b.MeanPool(pooled, x, spans)
		if err := tensor.CheckFinite(b, pooled); err != nil {
			t.Fatal(err)
		}
		checkMeans(t, p, names, downloadAny(b, pooled), want)
		for _, tt := range []tensor.Tensor{x, qkv, att, gate, mid, pooled} {
			b.Free(tt)
		}
		if err := tensor.Sync(b); err != nil {
			t.Fatal(err)
		}
	}
	runGolden(t, false, run)
}

// runGolden runs a golden forward on the float64 host reference (checks the
// scaffolding itself; skipped with -short, and when slowRef unless
// VIRNUCPRO_GOLDEN_REF is set) and on CUDA in every precision.
func runGolden(t *testing.T, slowRef bool, run func(*testing.T, tensor.Backend, Precision)) {
	t.Run("reference", func(t *testing.T) {
		if testing.Short() || (slowRef && os.Getenv("VIRNUCPRO_GOLDEN_REF") == "") {
			t.Skip("float64 reference run: set VIRNUCPRO_GOLDEN_REF=1 (about 20 s)")
		}
		run(t, refBackend{}, FP32)
	})
	for _, p := range precisions {
		t.Run(p.String(), func(t *testing.T) { run(t, openOrSkip(t, p), p) })
	}
}

func downloadAny(b tensor.Backend, t tensor.Tensor) []float32 {
	out := make([]float32, t.Rows()*t.Cols())
	b.ToHost(out, t)
	return out
}
