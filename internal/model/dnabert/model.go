// Package dnabert is DNABERT-S / DNABERT-2 (MosaicBERT bert_layers.py) on a
// tensor.Backend: BPE tokens, embeddings without positions, ALiBi attention, post-LN
// blocks with a gated-GELU MLP, and mean pooling over all tokens.
package dnabert

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/virnucpro/virnucpro/internal/tensor"
	"github.com/virnucpro/virnucpro/internal/tokenize"
	"github.com/virnucpro/virnucpro/internal/weights"
)

// Config is the architecture from config.json.
type Config struct {
	Hidden            int     `json:"hidden_size"`
	Layers            int     `json:"num_hidden_layers"`
	Heads             int     `json:"num_attention_heads"`
	Intermediate      int     `json:"intermediate_size"`
	Vocab             int     `json:"vocab_size"`
	Eps               float64 `json:"layer_norm_eps"`
	ALiBiStartingSize int     `json:"alibi_starting_size"`
}

type layer struct {
	wqkv, bqkv, wd, bd, ln1g, ln1b, wg, wo, bo, ln2g, ln2b tensor.Tensor
}

// Model is a loaded DNABERT-S encoder with its tokenizer.
type Model struct {
	Config
	b      tensor.Backend
	tok    *tokenize.BPE
	embed  tensor.Tensor // word embeddings with token-type row 0 added
	lnG    tensor.Tensor
	lnB    tensor.Tensor
	layers []layer
	slopes []float32
}

// ALiBiSlopes returns MosaicBERT's per-head slopes (geometric for a power of two;
// otherwise the closest power's slopes followed by every other slope of twice it).
func ALiBiSlopes(heads int) []float32 {
	pow2 := func(n int) []float64 {
		start := math.Pow(2, -math.Pow(2, -(math.Log2(float64(n))-3)))
		s := make([]float64, n)
		for i := range s {
			s[i] = math.Pow(start, float64(i+1))
		}
		return s
	}
	var s []float64
	if l := math.Log2(float64(heads)); l == math.Floor(l) {
		s = pow2(heads)
	} else {
		c := 1 << int(math.Floor(math.Log2(float64(heads))))
		s = pow2(c)
		extra := pow2(2 * c)
		for i := 0; i < len(extra) && len(s) < heads; i += 2 {
			s = append(s, extra[i])
		}
	}
	out := make([]float32, heads)
	for i, v := range s {
		out[i] = float32(v)
	}
	return out
}

// Load reads a DNABERT-S directory (config.json, tokenizer.json, and
// model.safetensors or pytorch_model.bin), e.g. a Hugging Face cache snapshot.
func Load(dir string, b tensor.Backend) (*Model, error) {
	cfg, tok, sd, err := readModelDir(dir)
	if err != nil {
		return nil, err
	}
	D := cfg.Hidden
	m := &Model{Config: cfg, b: b, tok: tok}
	g := &finiteGetter{sd: sd}
	get := g.get
	word := get("embeddings.word_embeddings.weight", -1, D)
	tt := get("embeddings.token_type_embeddings.weight", -1, D)
	lng, lnb := get("embeddings.LayerNorm.weight", D), get("embeddings.LayerNorm.bias", D)
	if g.err != nil {
		return nil, fmt.Errorf("DNABERT-S: %w", g.err)
	}
	// The width is now that of tensors present in the file: the head count (at most
	// the width) sizes the slopes.
	m.slopes = ALiBiSlopes(cfg.Heads)
	vocab := word.Shape[0]
	if vocab < tok.VocabSize() {
		return nil, fmt.Errorf("DNABERT-S: the tokenizer has %d tokens but the embedding table %d", tok.VocabSize(), vocab)
	}
	table := make([]float32, len(word.Data))
	for r := 0; r < vocab; r++ {
		for c := 0; c < D; c++ {
			table[r*D+c] = word.Data[r*D+c] + tt.Data[c] // token_type_ids are all 0
		}
	}
	m.embed = b.FromHost(table, vocab, D)
	m.lnG, m.lnB = b.FromHost(lng.Data, 1, D), b.FromHost(lnb.Data, 1, D)
	for l := 0; l < cfg.Layers; l++ {
		ly, err := loadLayer(sd, l, cfg, b)
		if err != nil {
			return nil, err
		}
		m.layers = append(m.layers, ly)
	}
	return m, nil
}

// readModelDir reads a DNABERT-S directory's config, tokenizer and weights and
// checks that the weights hold every layer the config names.
func readModelDir(dir string) (Config, *tokenize.BPE, *weights.StateDict, error) {
	fail := func(err error) (Config, *tokenize.BPE, *weights.StateDict, error) {
		return Config{}, nil, nil, err
	}
	st, err := os.Stat(dir)
	if err != nil {
		return fail(fmt.Errorf("DNABERT-S weights: %w", err))
	}
	if !st.IsDir() {
		return fail(fmt.Errorf("DNABERT-S weights: %s is a file; give the model directory (config.json, tokenizer.json, weights)", dir))
	}
	if err := weights.CheckModelKind(dir, "bert"); err != nil {
		return fail(err)
	}
	data, err := weights.ReadFileBounded(filepath.Join(dir, "config.json"), 1<<20)
	if err != nil {
		return fail(fmt.Errorf("DNABERT-S: %w", err))
	}
	cfg, err := ParseConfig(data)
	if err != nil {
		return fail(fmt.Errorf("DNABERT-S: %s: %w", filepath.Join(dir, "config.json"), err))
	}
	tok, err := tokenize.Load(filepath.Join(dir, "tokenizer.json"))
	if err != nil {
		return fail(fmt.Errorf("DNABERT-S: %w", err))
	}
	sd, err := weights.Load(dir)
	if err != nil {
		return fail(fmt.Errorf("DNABERT-S: %w", err))
	}
	if !sd.Has("embeddings.word_embeddings.weight") && sd.Has("bert.embeddings.word_embeddings.weight") {
		sd = sd.StripPrefix("bert.")
	}
	if n := layersIn(sd); n < cfg.Layers {
		return fail(fmt.Errorf("DNABERT-S: %s: num_hidden_layers is %d but the weights (%s) hold %d layers", filepath.Join(dir, "config.json"), cfg.Layers, sd.File, n))
	}
	return cfg, tok, sd, nil
}

// finiteGetter reads checked, finite tensors of sd until the first error, which it
// keeps: a loader asks for every tensor it needs, then checks err once.
type finiteGetter struct {
	sd  *weights.StateDict
	err error
}

func (g *finiteGetter) get(name string, shape ...int) *weights.Tensor {
	if g.err != nil {
		return nil
	}
	t, err := g.sd.GetFinite(name, shape...)
	g.err = err
	return t
}

// loadLayer checks and uploads encoder layer l's weights.
func loadLayer(sd *weights.StateDict, l int, cfg Config, b tensor.Backend) (layer, error) {
	D, I := cfg.Hidden, cfg.Intermediate
	g := &finiteGetter{sd: sd}
	get := g.get
	up := func(t *weights.Tensor, rows, cols int) tensor.Tensor { return b.FromHost(t.Data, rows, cols) }
	upW := func(t *weights.Tensor, rows, cols int) tensor.Tensor {
		return tensor.UploadWeight(b, &t.Data, rows, cols)
	}
	p := fmt.Sprintf("encoder.layer.%d.", l)
	wqkv, bqkv := get(p+"attention.self.Wqkv.weight", 3*D, D), get(p+"attention.self.Wqkv.bias", 3*D)
	wd, bd := get(p+"attention.output.dense.weight", D, D), get(p+"attention.output.dense.bias", D)
	g1, b1 := get(p+"attention.output.LayerNorm.weight", D), get(p+"attention.output.LayerNorm.bias", D)
	wg := get(p+"mlp.gated_layers.weight", 2*I, D)
	wo, bo := get(p+"mlp.wo.weight", D, I), get(p+"mlp.wo.bias", D)
	g2, b2 := get(p+"mlp.layernorm.weight", D), get(p+"mlp.layernorm.bias", D)
	if g.err != nil {
		return layer{}, fmt.Errorf("DNABERT-S: %w", g.err)
	}
	if sd.Has(p + "mlp.gated_layers.bias") {
		return layer{}, fmt.Errorf("DNABERT-S: %s: unexpected mlp.gated_layers.bias (MosaicBERT's gated layer has none)", sd.File)
	}
	ly := layer{}
	ly.wqkv, ly.bqkv = upW(wqkv, 3*D, D), up(bqkv, 1, 3*D)
	ly.wd, ly.bd, ly.ln1g, ly.ln1b = upW(wd, D, D), up(bd, 1, D), up(g1, 1, D), up(b1, 1, D)
	ly.wg, ly.wo, ly.bo = upW(wg, 2*I, D), upW(wo, D, I), up(bo, 1, D)
	ly.ln2g, ly.ln2b = up(g2, 1, D), up(b2, 1, D)
	return ly, nil
}

// Name is "DNABERT-S".
func (m *Model) Name() string { return "DNABERT-S" }

// Dim is the embedding width.
func (m *Model) Dim() int { return m.Hidden }

// Tokenizer returns the model's BPE tokenizer.
func (m *Model) Tokenizer() *tokenize.BPE { return m.tok }

// Tokenize returns [CLS] + BPE ids + [SEP] for the sequence exactly as given (no
// case change: VirNucPro passes the upper-cased slices).
func (m *Model) Tokenize(seq []byte) ([]int32, error) {
	if strings.ContainsRune(string(seq), 0) {
		return nil, fmt.Errorf("NUL byte in sequence")
	}
	return m.tok.Encode(string(seq)), nil
}

// FLOPsPerToken approximates the forward cost of one token in a sequence of n tokens.
func (m *Model) FLOPsPerToken(n int) float64 {
	D, I := float64(m.Hidden), float64(m.Intermediate)
	return float64(m.Layers) * (2*4*D*D + 2*3*D*I + 4*D*float64(n))
}

// EmbedBatch runs one packed batch and writes each sequence's mean over all its
// tokens (including [CLS] and [SEP]) into out.
func (m *Model) EmbedBatch(tokens [][]int32, out [][]float32) error {
	b := m.b
	D, I := m.Hidden, m.Intermediate
	var ids []int32
	segs := make([]tensor.Segment, len(tokens))
	spans := make([]tensor.Span, len(tokens))
	vocab := m.embed.Rows()
	for i, t := range tokens {
		if len(t) == 0 {
			return fmt.Errorf("sequence %d: no tokens", i)
		}
		for _, id := range t {
			if id < 0 || int(id) >= vocab {
				return fmt.Errorf("sequence %d: token id %d outside the vocabulary of %d", i, id, vocab)
			}
		}
		segs[i] = tensor.Segment{Start: len(ids), Len: len(t)}
		spans[i] = tensor.Span{Start: len(ids), End: len(ids) + len(t)}
		ids = append(ids, t...)
	}
	T := len(ids)
	eps := float32(m.Eps)
	// Working tensors: each is written before it is read, so recycled memory will do.
	x := tensor.NewScratch(b, T, D)
	a := tensor.NewScratch(b, T, D)
	ctx := tensor.NewScratch(b, T, D)
	qkv := tensor.NewScratch(b, T, 3*D)
	gl := tensor.NewScratch(b, T, I)
	var g tensor.Tensor // the gated layer's T×2I product, only on backends that do not fuse it
	if _, fused := b.(tensor.Fuser); !fused {
		g = tensor.NewScratch(b, T, 2*I)
		defer b.Free(g)
	}
	defer func() {
		for _, t := range []tensor.Tensor{x, a, ctx, qkv, gl} {
			b.Free(t)
		}
	}()
	b.Embed(x, m.embed, ids, 1)
	b.LayerNorm(x, x, m.lnG, m.lnB, eps)
	spec := tensor.AttentionSpec{Heads: m.Heads, HeadDim: D / m.Heads, Scale: float32(1 / math.Sqrt(float64(D/m.Heads))), ALiBiSlopes: m.slopes}
	for l := range m.layers {
		w := &m.layers[l]
		b.Linear(qkv, x, w.wqkv, w.bqkv, false)
		b.Attention(ctx, qkv, segs, spec)
		tensor.LinearResidualNorm(b, a, ctx, w.wd, w.bd, x, a, w.ln1g, w.ln1b, eps) // LN(dense(ctx) + input)
		tensor.LinearGatedGELU(b, gl, a, w.wg, g)
		tensor.LinearResidualNorm(b, x, gl, w.wo, w.bo, a, x, w.ln2g, w.ln2b, eps) // LN(wo(gelu(gate)*lin) + attention output)
	}
	if err := tensor.PoolToHost(b, x, spans, out); err != nil {
		return fmt.Errorf("DNABERT-S on %s: %w", b.Name(), err)
	}
	return nil
}
