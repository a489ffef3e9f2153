package dnabert

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/virnucpro/virnucpro/internal/tensor/cpu"
	"github.com/virnucpro/virnucpro/internal/weights"
)

// damagedCopy copies the tiny model's config, tokenizer and safetensors weights into a
// temporary directory, letting edit change the parsed config.json and tokenizer.json.
func damagedCopy(t *testing.T, editConfig, editTokenizer func(map[string]any)) string {
	t.Helper()
	dir := t.TempDir()
	for _, f := range []string{"config.json", "tokenizer.json", "model.safetensors"} {
		b, err := os.ReadFile(filepath.Join(td, f))
		if err != nil {
			t.Fatal(err)
		}
		edit := map[string]func(map[string]any){"config.json": editConfig, "tokenizer.json": editTokenizer}[f]
		if edit != nil {
			var m map[string]any
			if err := json.Unmarshal(b, &m); err != nil {
				t.Fatal(err)
			}
			edit(m)
			b, _ = json.Marshal(m)
		}
		os.WriteFile(filepath.Join(dir, f), b, 0o644)
	}
	return dir
}

// TestMalformedModelIsAnError: each damage the adversarial pass found (a config with
// more layers than the weights hold used to crash with a nil pointer; absurd head
// counts, negative or huge token ids panicked or allocated gigabytes) is an error
// naming the file and the field.
func TestMalformedModelIsAnError(t *testing.T) {
	vocab := func(tok map[string]any) map[string]any {
		return tok["model"].(map[string]any)["vocab"].(map[string]any)
	}
	cases := []struct {
		name       string
		cfg, tok   func(map[string]any)
		file, want string
	}{
		{"more layers than the weights", func(c map[string]any) { c["num_hidden_layers"] = 40 }, nil, "config.json", "num_hidden_layers is 40 but the weights"},
		{"negative heads", func(c map[string]any) { c["num_attention_heads"] = -1 }, nil, "config.json", "num_attention_heads is -1"},
		{"huge heads", func(c map[string]any) { c["num_attention_heads"] = 1 << 40 }, nil, "config.json", "num_attention_heads"},
		{"huge width", func(c map[string]any) { c["hidden_size"] = 1 << 50 }, nil, "config.json", "hidden_size"},
		{"NaN-like eps", func(c map[string]any) { c["layer_norm_eps"] = 1e300 }, nil, "config.json", "layer_norm_eps"},
		{"negative token id", nil, func(tk map[string]any) { vocab(tk)["A"] = -3 }, "tokenizer.json", `"A" has id -3`},
		{"token id 2^31-1", nil, func(tk map[string]any) { vocab(tk)["A"] = 1<<31 - 1 }, "tokenizer.json", "id 2147483647"},
		{"no vocab", nil, func(tk map[string]any) { delete(tk["model"].(map[string]any), "vocab"); tk["added_tokens"] = []any{} }, "tokenizer.json", "no vocabulary"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := damagedCopy(t, c.cfg, c.tok)
			_, err := Load(dir, cpu.New(1, nil))
			if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, c.file)) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want an error naming %s and %q", err, c.file, c.want)
			}
		})
	}
}

// TestSpecialFilesInTheModelDirectory: config.json or tokenizer.json linked to
// /dev/zero (endless) or replaced by a FIFO (blocks forever), or weights linked to
// /dev/zero, are refused naming the file instead of hanging or filling memory.
func TestSpecialFilesInTheModelDirectory(t *testing.T) {
	for _, name := range []string{"config.json", "tokenizer.json", "model.safetensors"} {
		for _, kind := range []string{"dev-zero", "fifo"} {
			t.Run(name+" "+kind, func(t *testing.T) {
				dir := damagedCopy(t, nil, nil)
				p := filepath.Join(dir, name)
				os.Remove(p)
				if kind == "fifo" {
					if err := syscall.Mkfifo(p, 0o644); err != nil {
						t.Fatal(err)
					}
				} else if err := os.Symlink("/dev/zero", p); err != nil {
					t.Fatal(err)
				}
				_, err := Load(dir, cpu.New(1, nil))
				if err == nil || !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), "not a regular file") {
					t.Fatalf("got %v", err)
				}
			})
		}
	}
}

// TestNonFiniteDNABERTWeights (issue 16, defect 9): a NaN or Inf weight is refused at
// load naming the file and the tensor (it used to give every score NaN).
func TestNonFiniteDNABERTWeights(t *testing.T) {
	for _, c := range []struct {
		tensor string
		value  float32
		want   string
	}{
		{"encoder.layer.0.attention.output.dense.weight", float32(math.NaN()), "NaN"},
		{"embeddings.word_embeddings.weight", float32(math.Inf(1)), "+Inf"},
		{"embeddings.LayerNorm.bias", float32(math.Inf(-1)), "-Inf"},
	} {
		t.Run(c.tensor, func(t *testing.T) {
			dir := damagedCopy(t, nil, nil)
			path := filepath.Join(dir, "model.safetensors")
			sd, err := weights.Load(path)
			if err != nil {
				t.Fatal(err)
			}
			w := sd.Tensors[c.tensor]
			data := append([]float32(nil), w.Data...)
			data[len(data)/2] = c.value
			sd.Tensors[c.tensor] = &weights.Tensor{Shape: w.Shape, Data: data}
			if err := weights.WriteSafetensors(path, sd.Tensors, sd.Metadata); err != nil {
				t.Fatal(err)
			}
			_, err = Load(dir, cpu.New(1, nil))
			if err == nil || !strings.Contains(err.Error(), `"`+c.tensor+`"`) || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), dir) {
				t.Fatalf("got %v, want a refusal naming %s and %s", err, dir, c.tensor)
			}
		})
	}
}
