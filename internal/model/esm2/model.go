package esm2

import (
	"errors"
	"fmt"
	"math"
	"os"

	"github.com/virnucpro/virnucpro/internal/tensor"
	"github.com/virnucpro/virnucpro/internal/weights"
)

// Pooling selects the residues averaged into the embedding.
type Pooling int

const (
	// PoolVirNucPro averages residues 1..min(len,1024) (VirNucPro's extract_esm).
	PoolVirNucPro Pooling = iota
	// PoolFull averages all residues 1..len.
	PoolFull
)

// ParsePooling parses --pool.
func ParsePooling(s string) (Pooling, error) {
	switch s {
	case "virnucpro", "":
		return PoolVirNucPro, nil
	case "full":
		return PoolFull, nil
	}
	return 0, fmt.Errorf("pooling %q: %w", s, ErrPooling)
}

// ErrPooling is a pooling name ParsePooling does not know.
var ErrPooling = errors.New("want virnucpro or full")

// ErrReprLayer is a representation layer the model does not have.
var ErrReprLayer = errors.New("no such representation layer")

// Options tune a loaded model.
type Options struct {
	// ReprLayer is the representation layer (0 = scaled embeddings, Layers = final,
	// after emb_layer_norm_after); -1 means the last.
	ReprLayer int
	Pool      Pooling
	// Streamed loads with LoadStreamed: the transformer layers' Linear weights stay in
	// the mapped checkpoint and are widened layer by layer in each batch. It does not
	// change results (TestStreamedMatchesLoaded), only where the weights live: the 3B
	// loads in ~2 s into ~0.4 GB instead of ~13 s into 11.4 GB, for about a second of
	// conversion per batch.
	Streamed bool
}

// Model is a loaded ESM-2 encoder.
type Model struct {
	Config
	b        tensor.Backend
	embed    tensor.Tensor
	layers   []layerWeights
	lnfG     tensor.Tensor
	lnfB     tensor.Tensor
	repr     int
	pool     Pooling
	fileName string
	// stream, for a model of LoadStreamed, brings each layer's Linear weights in
	// from the checkpoint as EmbedBatch reaches the layer.
	stream *streamer
}

// Load reads ESM-2 weights from a fair-esm checkpoint (esm2_*.pt), a Hugging Face
// directory (config.json + model.safetensors / shards / pytorch_model.bin) or a
// safetensors file, onto backend b. Any ESM-2 size works; the architecture comes
// from the weights.
func Load(path string, b tensor.Backend, opts Options) (*Model, error) {
	if opts.Streamed {
		return LoadStreamed(path, b, opts)
	}
	var lin *linearLoader
	return build(path, b, opts, func(names map[string]*weights.Tensor, l int, cfg Config) (layerWeights, error) {
		if lin == nil {
			lin = newLinearLoader(b)
		}
		return loadLayer(names, path, l, cfg, lin)
	})
}

// build reads the checkpoint at path and makes the model around its transformer
// layers, which layer loads one at a time (Load converts them, LoadStreamed leaves
// their Linear weights in the file): the configuration, the representation layer,
// the token embeddings and the final layer norm are the same for both.
func build(path string, b tensor.Backend, opts Options, layer func(names map[string]*weights.Tensor, l int, cfg Config) (layerWeights, error)) (*Model, error) {
	sd, p, err := readWeights(path)
	if err != nil {
		return nil, err
	}
	names := canonical(sd)
	cfg, err := readConfig(path, p, names)
	if err != nil {
		return nil, err
	}
	m := &Model{Config: cfg, b: b, fileName: path, pool: opts.Pool}
	m.repr = opts.ReprLayer
	if m.repr < 0 {
		m.repr = cfg.Layers
	}
	if m.repr > cfg.Layers {
		return nil, fmt.Errorf("representation layer %d: the model has %d layers: %w", m.repr, cfg.Layers, ErrReprLayer)
	}
	D := cfg.Dim
	emb, err := get(names, path, "embed_tokens.weight", len(Alphabet), D)
	if err != nil {
		return nil, err
	}
	m.embed = b.FromHost(emb.Data, len(Alphabet), D)
	for l := 0; l < cfg.Layers; l++ {
		lw, err := layer(names, l, cfg)
		if err != nil {
			return nil, err
		}
		m.layers = append(m.layers, lw)
	}
	lg, err := get(names, path, "emb_layer_norm_after.weight", D)
	if err != nil {
		return nil, err
	}
	lb, err := get(names, path, "emb_layer_norm_after.bias", D)
	if err != nil {
		return nil, err
	}
	m.lnfG, m.lnfB = b.FromHost(lg.Data, 1, D), b.FromHost(lb.Data, 1, D)
	return m, nil
}

// readWeights opens an ESM-2 checkpoint: a fair-esm .pt (whose pickle also holds
// the config) or a Hugging Face directory / safetensors file. Its tensors are lazy:
// Load converts them layer by layer.
func readWeights(path string) (*weights.StateDict, *weights.Pickle, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, nil, fmt.Errorf("ESM-2 weights: %w", err)
	}
	if err := weights.CheckModelKind(path, "esm"); err != nil {
		return nil, nil, err
	}
	var (
		sd *weights.StateDict
		p  *weights.Pickle
	)
	if st.IsDir() || isSafetensorsName(path) {
		sd, err = weights.LoadLazy(path)
	} else {
		p, err = weights.LoadPyTorch(path)
		if err == nil {
			sd, err = p.LazyWeights()
		}
	}
	if err != nil {
		return nil, nil, fmt.Errorf("ESM-2 weights: %w", err)
	}
	return sd, p, nil
}

// loadLayer checks and uploads transformer layer l's weights, the Linear ones
// through lin.
func loadLayer(names map[string]*weights.Tensor, path string, l int, cfg Config, lin *linearLoader) (layerWeights, error) {
	lw, err := loadLayerSmall(names, path, l, cfg, lin.b)
	if err != nil {
		return layerWeights{}, err
	}
	D := cfg.Dim
	pre := fmt.Sprintf("layers.%d.", l)
	g := func(name string, shape ...int) *weights.Tensor {
		if err != nil {
			return nil
		}
		var t *weights.Tensor
		t, err = get(names, path, pre+name, shape...)
		return t
	}
	// gw uploads a Linear weight (nil after an error).
	gw := func(name string, rows, cols int) tensor.Tensor {
		var t *weights.Tensor
		if err == nil {
			t, err = shaped(names, path, pre+name, rows, cols)
		}
		if err != nil {
			return nil
		}
		var w tensor.Tensor
		w, err = lin.upload(path, pre+name, t, rows, cols)
		return w
	}
	lw.wqkv = qkvWeight(lin.b, gw, g, D)
	lw.wo, lw.w1, lw.w2 = gw("self_attn.out_proj.weight", D, D), gw("fc1.weight", 4*D, D), gw("fc2.weight", D, 4*D)
	if err != nil {
		return layerWeights{}, err
	}
	return lw, nil
}

// loadLayerSmall checks and uploads transformer layer l's weights other than the
// Linear ones (layer norms, biases, rotary frequencies: a few times D values), which
// Load and LoadStreamed both keep uploaded.
func loadLayerSmall(names map[string]*weights.Tensor, path string, l int, cfg Config, b tensor.Backend) (layerWeights, error) {
	D, hd := cfg.Dim, cfg.Dim/cfg.Heads
	pre := fmt.Sprintf("layers.%d.", l)
	var err error
	g := func(name string, n int) *weights.Tensor {
		if err != nil {
			return nil
		}
		var t *weights.Tensor
		t, err = get(names, path, pre+name, n)
		return t
	}
	qb, kb, vb := g("self_attn.q_proj.bias", D), g("self_attn.k_proj.bias", D), g("self_attn.v_proj.bias", D)
	bo := g("self_attn.out_proj.bias", D)
	ln1g, ln1b := g("self_attn_layer_norm.weight", D), g("self_attn_layer_norm.bias", D)
	ln2g, ln2b := g("final_layer_norm.weight", D), g("final_layer_norm.bias", D)
	b1, b2 := g("fc1.bias", 4*D), g("fc2.bias", D)
	if err != nil {
		return layerWeights{}, err
	}
	inv := defaultInvFreq(hd)
	if t, ok := names[pre+"self_attn.rot_emb.inv_freq"]; ok {
		if t.Numel() != hd/2 {
			return layerWeights{}, fmt.Errorf("%s: %sself_attn.rot_emb.inv_freq has %d values, want %d", path, pre, t.Numel(), hd/2)
		}
		if err := (&weights.StateDict{File: path}).CheckFinite(pre+"self_attn.rot_emb.inv_freq", t); err != nil {
			return layerWeights{}, err
		}
		inv = append([]float32(nil), t.Data...) // the checkpoint's (fp16-rounded) values
	}
	bqkv := make([]float32, 0, 3*D)
	bqkv = append(append(append(bqkv, qb.Data...), kb.Data...), vb.Data...)
	up := func(t *weights.Tensor, n int) tensor.Tensor { return b.FromHost(t.Data, 1, n) }
	return layerWeights{
		ln1g: up(ln1g, D), ln1b: up(ln1b, D), bqkv: b.FromHost(bqkv, 1, 3*D), bo: up(bo, D),
		ln2g: up(ln2g, D), ln2b: up(ln2b, D), b1: up(b1, 4*D), b2: up(b2, D),
		invFreq: inv,
	}, nil
}

func isSafetensorsName(p string) bool {
	return len(p) > 12 && p[len(p)-12:] == ".safetensors"
}

// Name is "ESM-2".
func (m *Model) Name() string { return "ESM-2" }

// Dim is the embedding width.
func (m *Model) Dim() int { return m.Config.Dim }

// ReprLayer is the representation layer in use.
func (m *Model) ReprLayer() int { return m.repr }

// Tokenize implements the pipeline's encoder interface.
func (m *Model) Tokenize(protein []byte) ([]int32, error) { return Tokenize(protein) }

// FLOPsPerToken approximates the forward cost of one token in a sequence of n tokens.
func (m *Model) FLOPsPerToken(n int) float64 {
	D := float64(m.Config.Dim)
	return float64(m.repr) * (24*D*D + 4*D*float64(n))
}

// EmbedBatch runs one packed batch: tokens[i] (with <cls>/<eos>) are concatenated,
// attention stays inside each sequence, and out[i] receives its pooled embedding.
func (m *Model) EmbedBatch(tokens [][]int32, out [][]float32) error {
	b := m.b
	D := m.Config.Dim
	ids, segs, spans, err := m.pack(tokens)
	if err != nil {
		return err
	}
	T := len(ids)
	scale := float32(1)
	if m.TokenDropout {
		scale = 1 - 0.15*0.8 // inference with no <mask>: fair-esm's token-dropout rescaling
	}
	// Working tensors: each is written before it is read, so recycled memory will do.
	x := tensor.NewScratch(b, T, D)
	b.Embed(x, m.embed, ids, scale)
	h := tensor.NewScratch(b, T, D)
	attn := tensor.NewScratch(b, T, D)
	qkv := tensor.NewScratch(b, T, 3*D)
	ffn := tensor.NewScratch(b, T, 4*D)
	defer func() {
		for _, t := range []tensor.Tensor{x, h, attn, qkv, ffn} {
			b.Free(t)
		}
	}()
	hd := D / m.Heads
	// Each residual update is fused with the layer norm that reads it next: the next
	// layer's self_attn_layer_norm, or emb_layer_norm_after after the last layer.
	if m.repr > 0 {
		b.LayerNorm(h, x, m.layers[0].ln1g, m.layers[0].ln1b, m.Eps)
	}
	if m.stream != nil {
		m.stream.mu.Lock()
		defer m.stream.mu.Unlock()
	}
	for l := 0; l < m.repr; l++ {
		w := &m.layers[l]
		if m.stream != nil {
			if err := m.stream.fill(b, l, w); err != nil {
				return fmt.Errorf("ESM-2 layer %d: %w", l, err)
			}
		}
		b.Linear(qkv, h, w.wqkv, w.bqkv, false)
		b.Attention(attn, qkv, segs, tensor.AttentionSpec{Heads: m.Heads, HeadDim: hd,
			Scale: float32(math.Pow(float64(hd), -0.5)), RotaryInvFreq: w.invFreq})
		tensor.LinearResidualNorm(b, x, attn, w.wo, w.bo, x, h, w.ln2g, w.ln2b, m.Eps)
		tensor.LinearGELU(b, ffn, h, w.w1, w.b1)
		switch {
		case l+1 < m.repr:
			next := &m.layers[l+1]
			tensor.LinearResidualNorm(b, x, ffn, w.w2, w.b2, x, h, next.ln1g, next.ln1b, m.Eps)
		case m.repr == m.Layers:
			tensor.LinearResidualNorm(b, x, ffn, w.w2, w.b2, x, x, m.lnfG, m.lnfB, m.Eps)
		default:
			b.Linear(x, ffn, w.w2, w.b2, true)
		}
		if m.stream != nil {
			m.stream.drop(b, w)
		}
	}
	if m.repr == 0 && m.Layers == 0 {
		b.LayerNorm(x, x, m.lnfG, m.lnfB, m.Eps)
	}
	if err := tensor.PoolToHost(b, x, spans, out); err != nil {
		return fmt.Errorf("ESM-2 on %s: %w", b.Name(), err)
	}
	return nil
}

// qkvWeight uploads q, k and v as one 3D-wide product: stacked in place where the
// backend can (each uploaded by gw), else copied into one matrix (read by g).
func qkvWeight(b tensor.Backend, gw func(string, int, int) tensor.Tensor, g func(string, ...int) *weights.Tensor, D int) tensor.Tensor {
	names := [3]string{"self_attn.q_proj.weight", "self_attn.k_proj.weight", "self_attn.v_proj.weight"}
	if c, ok := b.(tensor.RowConcatenator); ok {
		q, k, v := gw(names[0], D, D), gw(names[1], D, D), gw(names[2], D, D)
		if q == nil || k == nil || v == nil {
			return nil // the error is gw's
		}
		return c.ConcatRows(q, k, v)
	}
	q, k, v := g(names[0], D, D), g(names[1], D, D), g(names[2], D, D)
	if q == nil || k == nil || v == nil {
		return nil
	}
	w := make([]float32, 0, 3*D*D)
	wqkv, _ := tensor.FromHostWeight(b, append(append(append(w, q.Data...), k.Data...), v.Data...), 3*D, D)
	return wqkv
}

// pack checks a batch's token ids and concatenates them: each sequence's segment
// (attention stays inside it) and the span of residues its embedding averages.
func (m *Model) pack(tokens [][]int32) ([]int32, []tensor.Segment, []tensor.Span, error) {
	var ids []int32
	segs := make([]tensor.Segment, len(tokens))
	spans := make([]tensor.Span, len(tokens))
	for i, t := range tokens {
		if len(t) < 2 || t[0] != TokenCLS || t[len(t)-1] != TokenEOS {
			return nil, nil, nil, fmt.Errorf("sequence %d: tokens must start with <cls> and end with <eos>", i)
		}
		for _, id := range t {
			if id < 0 || int(id) >= len(Alphabet) || id == TokenMask {
				return nil, nil, nil, fmt.Errorf("sequence %d: token id %d not accepted", i, id)
			}
		}
		segs[i] = tensor.Segment{Start: len(ids), Len: len(t)}
		residues := len(t) - 2
		if m.pool == PoolVirNucPro {
			residues = min(residues, 1024)
		}
		spans[i] = tensor.Span{Start: len(ids) + 1, End: len(ids) + 1 + residues}
		ids = append(ids, t...)
	}
	return ids, segs, spans, nil
}
