// Package randmodel writes model directories with random weights at real
// architectures (ESM-2, DNABERT-S, the VirNucPro classifier) for benchmarks: the real
// weights are large and not needed to measure speed. It is part of the binary on
// purpose: `virnucpro bench` measures this machine on these models (and, with --rss,
// the memory of loading them from each weight format, hence the PyTorch writer).
package randmodel

import (
	"encoding/json"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"

	"github.com/virnucpro/virnucpro/internal/weights"
)

type gen struct{ r *rand.Rand }

func (g gen) rnd(shape ...int) *weights.Tensor {
	n := 1
	for _, d := range shape {
		n *= d
	}
	t := &weights.Tensor{Shape: shape, Data: make([]float32, n)}
	for i := range t.Data {
		t.Data[i] = float32(g.r.NormFloat64()) * 0.02
	}
	return t
}

func (g gen) ones(n int) *weights.Tensor {
	t := &weights.Tensor{Shape: []int{n}, Data: make([]float32, n)}
	for i := range t.Data {
		t.Data[i] = 1
	}
	return t
}

// ESM2 writes a Hugging Face-style ESM-2 directory (config.json + model.safetensors in
// fair-esm tensor names) with random weights into dir.
func ESM2(dir string, layers, dim, heads int) error {
	ts := ESM2Tensors(layers, dim)
	if err := weights.WriteSafetensors(filepath.Join(dir, "model.safetensors"), ts, nil); err != nil {
		return err
	}
	cfg, _ := json.Marshal(map[string]any{"model_type": "esm", "num_attention_heads": heads, "num_hidden_layers": layers, "hidden_size": dim})
	return os.WriteFile(filepath.Join(dir, "config.json"), cfg, 0o644)
}

// ESM2Tensors returns random ESM-2 weights (fair-esm names) of layers × dim.
func ESM2Tensors(layers, dim int) map[string]*weights.Tensor {
	g := gen{rand.New(rand.NewSource(1))}
	ts := map[string]*weights.Tensor{"embed_tokens.weight": g.rnd(33, dim), "emb_layer_norm_after.weight": g.ones(dim), "emb_layer_norm_after.bias": g.rnd(dim)}
	for l := 0; l < layers; l++ {
		p := fmt.Sprintf("layers.%d.", l)
		for _, n := range []string{"q_proj", "k_proj", "v_proj", "out_proj"} {
			ts[p+"self_attn."+n+".weight"], ts[p+"self_attn."+n+".bias"] = g.rnd(dim, dim), g.rnd(dim)
		}
		ts[p+"self_attn_layer_norm.weight"], ts[p+"self_attn_layer_norm.bias"] = g.ones(dim), g.rnd(dim)
		ts[p+"final_layer_norm.weight"], ts[p+"final_layer_norm.bias"] = g.ones(dim), g.rnd(dim)
		ts[p+"fc1.weight"], ts[p+"fc1.bias"] = g.rnd(4*dim, dim), g.rnd(4*dim)
		ts[p+"fc2.weight"], ts[p+"fc2.bias"] = g.rnd(dim, 4*dim), g.rnd(dim)
	}
	return ts
}

// DNABERT writes a DNABERT-S directory with random weights and the given tokenizer.json.
func DNABERT(dir string, layers, dim, heads, inter int, tokenizerJSON string) error {
	g := gen{rand.New(rand.NewSource(2))}
	ts := map[string]*weights.Tensor{"embeddings.word_embeddings.weight": g.rnd(4096, dim), "embeddings.token_type_embeddings.weight": g.rnd(2, dim),
		"embeddings.LayerNorm.weight": g.ones(dim), "embeddings.LayerNorm.bias": g.rnd(dim)}
	for l := 0; l < layers; l++ {
		p := fmt.Sprintf("encoder.layer.%d.", l)
		ts[p+"attention.self.Wqkv.weight"], ts[p+"attention.self.Wqkv.bias"] = g.rnd(3*dim, dim), g.rnd(3*dim)
		ts[p+"attention.output.dense.weight"], ts[p+"attention.output.dense.bias"] = g.rnd(dim, dim), g.rnd(dim)
		ts[p+"attention.output.LayerNorm.weight"], ts[p+"attention.output.LayerNorm.bias"] = g.ones(dim), g.rnd(dim)
		ts[p+"mlp.gated_layers.weight"] = g.rnd(2*inter, dim)
		ts[p+"mlp.wo.weight"], ts[p+"mlp.wo.bias"] = g.rnd(dim, inter), g.rnd(dim)
		ts[p+"mlp.layernorm.weight"], ts[p+"mlp.layernorm.bias"] = g.ones(dim), g.rnd(dim)
	}
	if err := weights.WriteSafetensors(filepath.Join(dir, "model.safetensors"), ts, nil); err != nil {
		return err
	}
	cfg, _ := json.Marshal(map[string]any{"model_type": "bert", "hidden_size": dim, "num_hidden_layers": layers, "num_attention_heads": heads,
		"intermediate_size": inter, "vocab_size": 4096, "layer_norm_eps": 1e-12, "alibi_starting_size": 512})
	if err := os.WriteFile(filepath.Join(dir, "config.json"), cfg, 0o644); err != nil {
		return err
	}
	tok, err := os.ReadFile(tokenizerJSON)
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "tokenizer.json"), tok, 0o644)
}

// Classifier writes a random VirNucPro MLP (in -> hidden -> 2) as safetensors.
func Classifier(path string, in, hidden int) error {
	g := gen{rand.New(rand.NewSource(3))}
	return weights.WriteSafetensors(path, map[string]*weights.Tensor{
		"hidden_layer.weight": g.rnd(hidden, in), "hidden_layer.bias": g.rnd(hidden),
		"bn1.weight": g.ones(hidden), "bn1.bias": g.rnd(hidden), "bn1.running_mean": g.rnd(hidden), "bn1.running_var": g.ones(hidden),
		"output_layer.weight": g.rnd(2, hidden), "output_layer.bias": g.rnd(2),
	}, map[string]string{"bn_eps": "1e-05"})
}
