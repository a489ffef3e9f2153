package esm2

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/virnucpro/virnucpro/internal/tensor/cpu"
	"github.com/virnucpro/virnucpro/internal/weights"
)

// damagedHF copies the tiny Hugging Face ESM-2 directory, replacing old by new in its
// config.json (when old is set) and setting one value of tensor (when set) to value.
func damagedHF(t *testing.T, old, new, tensor string, value float32) string {
	t.Helper()
	dir := t.TempDir()
	cfg, err := os.ReadFile(filepath.Join(td, "hf", "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	if old != "" {
		if !bytes.Contains(cfg, []byte(old)) {
			t.Fatalf("%q not in config.json", old)
		}
		cfg = bytes.Replace(cfg, []byte(old), []byte(new), 1)
	}
	os.WriteFile(filepath.Join(dir, "config.json"), cfg, 0o644)
	sd, err := weights.Load(filepath.Join(td, "hf", "model.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	if tensor != "" {
		w := sd.Tensors[tensor]
		data := append([]float32(nil), w.Data...)
		data[len(data)/2] = value
		sd.Tensors[tensor] = &weights.Tensor{Shape: w.Shape, Data: data}
	}
	if err := weights.WriteSafetensors(filepath.Join(dir, "model.safetensors"), sd.Tensors, sd.Metadata); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestDamagedESMWeights (issue 16, defects 4 and 9): a config.json announcing more layers
// (or another width) than the weights hold, or a NaN/Inf weight, is an error naming the
// file and the field or tensor at load (the layer count used to be ignored, NaN weights
// to give every score NaN).
func TestDamagedESMWeights(t *testing.T) {
	for _, c := range []struct {
		name, old, new, tensor string
		value                  float32
		want                   string
	}{
		{"more layers than the weights", `"num_hidden_layers": 3`, `"num_hidden_layers": 40`, "", 0, "config.json: num_hidden_layers is 40 but the weights hold 3"},
		{"other width", `"hidden_size": 128`, `"hidden_size": 1280`, "", 0, "config.json: hidden_size is 1280"},
		{"NaN weight", "", "", "esm.encoder.layer.1.attention.self.query.weight", float32(math.NaN()), `"layers.1.self_attn.q_proj.weight" holds NaN`},
		{"Inf embedding", "", "", "esm.embeddings.word_embeddings.weight", float32(math.Inf(1)), `"embed_tokens.weight" holds +Inf`},
		{"Inf layer norm", "", "", "esm.encoder.emb_layer_norm_after.weight", float32(math.Inf(-1)), `"emb_layer_norm_after.weight" holds -Inf`},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := damagedHF(t, c.old, c.new, c.tensor, c.value)
			_, err := Load(dir, cpu.New(1, nil), Options{ReprLayer: -1})
			if err == nil || !strings.Contains(err.Error(), dir) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want an error naming %s and %q", err, dir, c.want)
			}
		})
	}
}
