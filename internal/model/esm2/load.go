package esm2

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/virnucpro/virnucpro/internal/tensor"
	"github.com/virnucpro/virnucpro/internal/weights"
)

// Config is the architecture, read from the weights' own configuration.
type Config struct {
	Layers, Dim, Heads int
	TokenDropout       bool
	Eps                float32
}

// layerWeights are one transformer block's tensors on the backend.
type layerWeights struct {
	ln1g, ln1b, wqkv, bqkv, wo, bo, ln2g, ln2b, w1, b1, w2, b2 tensor.Tensor
	invFreq                                                    []float32
}

// knownHeads gives the head count of the released ESM-2 sizes by width, for weight
// files that carry no configuration.
var knownHeads = map[int]int{320: 20, 480: 20, 640: 20, 1280: 20, 2560: 40, 5120: 40}

var layerKey = regexp.MustCompile(`^layers\.(\d+)\.`)

// canonical maps fair-esm and Hugging Face names to fair-esm's ESM2 state-dict names.
func canonical(sd *weights.StateDict) map[string]*weights.Tensor {
	out := make(map[string]*weights.Tensor, len(sd.Tensors))
	hf := strings.NewReplacer(
		"embeddings.word_embeddings.", "embed_tokens.",
		"encoder.emb_layer_norm_after.", "emb_layer_norm_after.",
		"encoder.layer.", "layers.",
		".attention.self.query.", ".self_attn.q_proj.",
		".attention.self.key.", ".self_attn.k_proj.",
		".attention.self.value.", ".self_attn.v_proj.",
		".attention.self.rotary_embeddings.inv_freq", ".self_attn.rot_emb.inv_freq",
		".attention.output.dense.", ".self_attn.out_proj.",
		".attention.LayerNorm.", ".self_attn_layer_norm.",
		".intermediate.dense.", ".fc1.",
		".output.dense.", ".fc2.",
		".LayerNorm.", ".final_layer_norm.",
	)
	for name, t := range sd.Tensors {
		n := name
		switch {
		case strings.HasPrefix(n, "encoder.sentence_encoder."):
			n = strings.TrimPrefix(n, "encoder.sentence_encoder.")
		case strings.HasPrefix(n, "esm."):
			n = hf.Replace(strings.TrimPrefix(n, "esm."))
		case strings.HasPrefix(n, "encoder.layer.") || strings.HasPrefix(n, "embeddings."):
			n = hf.Replace(n)
		case strings.HasPrefix(n, "encoder."):
			n = strings.TrimPrefix(n, "encoder.")
		}
		out[n] = t
	}
	return out
}

// readConfig finds the architecture: fair-esm cfg/args in the checkpoint, or
// config.json next to (or inside) path; dims and depth are checked against the tensors.
func readConfig(path string, p *weights.Pickle, names map[string]*weights.Tensor) (Config, error) {
	cfg := Config{TokenDropout: true, Eps: 1e-5}
	emb, ok := names["embed_tokens.weight"]
	if !ok || len(emb.Shape) != 2 {
		return cfg, fmt.Errorf("%s: no embed_tokens.weight (is this an ESM-2 model?)", path)
	}
	cfg.Dim = emb.Shape[1]
	if cfg.Dim <= 0 {
		return cfg, fmt.Errorf("%s: embed_tokens.weight has shape %v: no width", path, emb.Shape)
	}
	var top int
	if cfg.Layers, top = layersIn(names); top > cfg.Layers {
		return cfg, fmt.Errorf("%s: holds tensors of layer %d but no layers.%d.*", path, top-1, cfg.Layers)
	}
	headsFrom := ""
	if p != nil {
		if c, ok := weights.Lookup(p.Root, "cfg"); ok {
			if m, ok := weights.Lookup(c, "model"); ok {
				if h, ok := intAttr(m, "encoder_attention_heads"); ok {
					cfg.Heads, headsFrom = h, "cfg.model.encoder_attention_heads"
				}
				if td, ok := weights.Lookup(m, "token_dropout"); ok {
					if b, ok := td.(bool); ok {
						cfg.TokenDropout = b
					}
				}
			}
		}
		if cfg.Heads == 0 {
			if a, ok := weights.Lookup(p.Root, "args"); ok {
				if h, ok := intAttr(a, "attention_heads"); ok {
					cfg.Heads, headsFrom = h, "args.attention_heads"
				} else if h, ok := intAttr(a, "encoder_attention_heads"); ok {
					cfg.Heads, headsFrom = h, "args.encoder_attention_heads"
				}
			}
		}
	}
	dir := path
	if st, err := os.Stat(path); err == nil && !st.IsDir() {
		dir = filepath.Dir(path)
	}
	data, err := weights.ReadFileBounded(filepath.Join(dir, "config.json"), 1<<20)
	if err != nil && !errors.Is(err, os.ErrNotExist) && cfg.Heads == 0 {
		return cfg, err
	}
	if err == nil && cfg.Heads == 0 {
		hc, err := parseHFConfig(data)
		if err != nil {
			return cfg, fmt.Errorf("%s: %v", filepath.Join(dir, "config.json"), err)
		}
		if err := hc.apply(&cfg); err != nil {
			return cfg, fmt.Errorf("%s: %w", filepath.Join(dir, "config.json"), err)
		}
		headsFrom = filepath.Join(dir, "config.json") + " num_attention_heads"
	}
	if headsFrom != "" {
		if err := checkHeads(cfg.Heads, cfg.Dim); err != nil {
			return cfg, fmt.Errorf("%s: %s is %w", path, headsFrom, err)
		}
	}
	if cfg.Heads == 0 {
		cfg.Heads = knownHeads[cfg.Dim]
	}
	if cfg.Heads == 0 || cfg.Dim%cfg.Heads != 0 {
		return cfg, fmt.Errorf("%s: cannot tell the number of attention heads for width %d (no cfg in the checkpoint and no config.json)", path, cfg.Dim)
	}
	if cfg.Layers == 0 {
		return cfg, fmt.Errorf("%s: no transformer layers found", path)
	}
	return cfg, nil
}

// hfConfig is what virnucpro reads of a Hugging Face ESM config.json.
type hfConfig struct {
	Heads        int      `json:"num_attention_heads"`
	Layers       *int     `json:"num_hidden_layers"`
	Width        *int     `json:"hidden_size"`
	Eps          *float64 `json:"layer_norm_eps"`
	TokenDropout *bool    `json:"token_dropout"`
	ModelType    string   `json:"model_type"`
}

// parseHFConfig decodes config.json, checking layer_norm_eps (the head count is
// checked against the weights' width by checkHeads).
func parseHFConfig(data []byte) (hfConfig, error) {
	var hc hfConfig
	if err := json.Unmarshal(data, &hc); err != nil {
		return hc, err
	}
	if hc.Eps != nil {
		if e := *hc.Eps; !(e >= 0 && e <= 1) {
			return hc, fmt.Errorf("layer_norm_eps is %v; it must be a small non-negative number", e)
		}
	}
	return hc, nil
}

// apply takes the head count, layer_norm_eps and token_dropout into cfg, whose width
// and layer count come from the weights: a num_hidden_layers or hidden_size that
// disagrees with them is an error (a config.json of another model, or weights missing
// layers), not silently ignored.
func (hc hfConfig) apply(cfg *Config) error {
	if hc.Layers != nil && *hc.Layers != cfg.Layers {
		return fmt.Errorf("num_hidden_layers is %d but the weights hold %d layers", *hc.Layers, cfg.Layers)
	}
	if hc.Width != nil && *hc.Width != cfg.Dim {
		return fmt.Errorf("hidden_size is %d but the weights have width %d", *hc.Width, cfg.Dim)
	}
	cfg.Heads = hc.Heads
	if hc.Eps != nil {
		cfg.Eps = float32(*hc.Eps)
	}
	if hc.TokenDropout != nil {
		cfg.TokenDropout = *hc.TokenDropout
	}
	return nil
}

// checkHeads checks a head count against the width: a positive divisor leaving an
// even head size (rotary embeddings pair the dimensions).
func checkHeads(heads, dim int) error {
	if heads <= 0 || dim%heads != 0 || (dim/heads)%2 != 0 {
		return fmt.Errorf("%d; it must be a positive divisor of the width %d leaving an even head size", heads, dim)
	}
	return nil
}

// layersIn counts the consecutive transformer layers present (layers.0. onwards), and
// returns one more than the highest layer index found.
func layersIn(names map[string]*weights.Tensor) (int, int) {
	top := 0
	present := map[int]bool{}
	for n := range names {
		if m := layerKey.FindStringSubmatch(n); m != nil {
			i, err := strconv.Atoi(m[1])
			if err != nil || i >= math.MaxInt32 {
				i = math.MaxInt32 - 1
			}
			present[i] = true
			top = max(top, i+1)
		}
	}
	n := 0
	for present[n] {
		n++
	}
	return n, top
}

func intAttr(obj any, name string) (int, bool) {
	v, ok := weights.Lookup(obj, name)
	if !ok {
		return 0, false
	}
	n, ok := v.(int)
	return n, ok
}

// get returns the named tensor with its shape checked, converted (a lazy tensor is
// materialized) and checked finite.
func get(names map[string]*weights.Tensor, file, name string, shape ...int) (*weights.Tensor, error) {
	t, err := shaped(names, file, name, shape...)
	if err != nil {
		return nil, err
	}
	sd := weights.StateDict{File: file}
	if err := sd.CheckFinite(name, t); err != nil {
		return nil, err
	}
	return t, nil
}

// shaped returns the named tensor with its shape checked, converting nothing.
func shaped(names map[string]*weights.Tensor, file, name string, shape ...int) (*weights.Tensor, error) {
	t, ok := names[name]
	if !ok {
		return nil, fmt.Errorf("%s: missing tensor %s", file, name)
	}
	if len(shape) != len(t.Shape) {
		return nil, fmt.Errorf("%s: tensor %s has shape %v, want %v", file, name, t.Shape, shape)
	}
	for i := range shape {
		if shape[i] != t.Shape[i] {
			return nil, fmt.Errorf("%s: tensor %s has shape %v, want %v", file, name, t.Shape, shape)
		}
	}
	return t, nil
}

func defaultInvFreq(hd int) []float32 {
	f := make([]float32, hd/2)
	for i := range f {
		f[i] = float32(1 / math.Pow(10000, float64(2*i)/float64(hd)))
	}
	return f
}
