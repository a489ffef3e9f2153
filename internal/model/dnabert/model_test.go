package dnabert

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/virnucpro/virnucpro/internal/tensor"
	"github.com/virnucpro/virnucpro/internal/tensor/cpu"
)

var td = filepath.Join("..", "..", "..", "testdata", "dnabert_tiny")

func TestALiBiSlopes(t *testing.T) {
	want := "[0.5 0.25 0.125 0.0625 0.03125 0.015625 0.0078125 0.00390625 0.70710677 0.35355338 0.17677669 0.088388346]"
	if got := fmt.Sprint(ALiBiSlopes(12)); got != want {
		t.Fatalf("12 heads: %s", got)
	}
}

func TestGoldens(t *testing.T) {
	g, seqs := loadGolden(t)
	backends := map[string]tensor.Backend{"go": cpu.New(2, nil)}
	if lib, err := cpu.LoadOpenBLAS(2); err == nil {
		backends["openblas"] = cpu.New(2, lib)
	}
	if cpu.NativeSupported() {
		backends["native"] = cpu.New(2, cpu.NewNative(2))
		backends["native-unfused"] = struct{ tensor.Backend }{backends["native"]}
	}
	// Only the tensor.Backend methods: the unfused sequence other backends (CUDA) run.
	backends["unfused"] = struct{ tensor.Backend }{backends["openblas"]}
	if backends["openblas"] == nil {
		backends["unfused"] = struct{ tensor.Backend }{backends["go"]}
	}
	// The safetensors copy is read when present; pytorch_model.bin via a directory holding only it.
	binDir := t.TempDir()
	for _, f := range []string{"config.json", "tokenizer.json", "pytorch_model.bin"} {
		b, _ := os.ReadFile(filepath.Join(td, f))
		os.WriteFile(filepath.Join(binDir, f), b, 0o644)
	}
	dirs := []string{td, binDir}
	if testing.Short() { // every kernel on every sequence, half the runs (.ci/run's arm64 tests under qemu)
		dirs = dirs[:1]
	}
	for bname, b := range backends {
		for _, dir := range dirs {
			m, err := Load(dir, b)
			if err != nil {
				t.Fatal(err)
			}
			var toks [][]int32
			for _, s := range g.Sequences {
				tk, _ := m.Tokenize([]byte(seqs[s.ID]))
				if fmt.Sprint(tk) != fmt.Sprint(s.IDs) {
					t.Fatalf("%s: ids differ", s.ID)
				}
				toks = append(toks, tk)
			}
			for _, packed := range []bool{false, true} {
				out := make([][]float32, len(toks))
				for i := range out {
					out[i] = make([]float32, m.Dim())
				}
				if packed {
					if err := m.EmbedBatch(toks, out); err != nil {
						t.Fatal(err)
					}
				} else {
					for i := range toks {
						if err := m.EmbedBatch(toks[i:i+1], out[i:i+1]); err != nil {
							t.Fatal(err)
						}
					}
				}
				worst := 0.0
				for i, s := range g.Sequences {
					for j, w := range s.Mean {
						worst = math.Max(worst, math.Abs(float64(out[i][j])-w))
					}
				}
				name := fmt.Sprintf("%s/%s/packed=%v", bname, filepath.Base(dir), packed)
				t.Logf("%s: worst |diff| %.3g", name, worst)
				if worst > 1e-5 {
					t.Errorf("%s: worst |diff| %.3g > 1e-5", name, worst)
				}
			}
		}
	}
}

type golden struct {
	Sequences []struct {
		ID   string    `json:"id"`
		IDs  []int32   `json:"ids"`
		Mean []float64 `json:"mean"`
	} `json:"sequences"`
}

// loadGolden reads golden.json and the input sequences of dna.fasta by id.
func loadGolden(t *testing.T) (golden, map[string]string) {
	t.Helper()
	var g golden
	data, err := os.ReadFile(filepath.Join(td, "golden.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &g); err != nil {
		t.Fatal(err)
	}
	seqs := map[string]string{}
	fa, err := os.ReadFile(filepath.Join(td, "dna.fasta"))
	if err != nil {
		t.Fatal(err)
	}
	var id string
	for _, l := range strings.Split(string(fa), "\n") {
		if strings.HasPrefix(l, ">") {
			id = strings.Fields(l[1:])[0]
		} else {
			seqs[id] += strings.TrimSpace(l)
		}
	}
	return g, seqs
}
