package esm2

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/virnucpro/virnucpro/internal/tensor"
	"github.com/virnucpro/virnucpro/internal/tensor/cpu"
)

type golden struct {
	Sequences []struct {
		ID            string    `json:"id"`
		Length        int       `json:"length"`
		Tokens        []int32   `json:"tokens"`
		MeanFull      []float64 `json:"mean_full"`
		MeanVirNucPro []float64 `json:"mean_virnucpro"`
	} `json:"sequences"`
}

var td = filepath.Join("..", "..", "..", "testdata", "esm2_tiny")

func loadGolden(t *testing.T) golden {
	t.Helper()
	var g golden
	data, err := os.ReadFile(filepath.Join(td, "golden.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &g); err != nil {
		t.Fatal(err)
	}
	return g
}

func proteins(t *testing.T) map[string][]byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(td, "proteins.fasta"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	var id string
	for _, line := range splitLines(data) {
		if len(line) > 0 && line[0] == '>' {
			id = string(line[1:])
			continue
		}
		out[id] = append(out[id], line...)
	}
	return out
}

func splitLines(b []byte) [][]byte {
	var out [][]byte
	start := 0
	for i, c := range b {
		if c == '\n' {
			out = append(out, b[start:i])
			start = i + 1
		}
	}
	return append(out, b[start:])
}

func testBackends(t *testing.T) map[string]tensor.Backend {
	out := map[string]tensor.Backend{"go": cpu.New(2, nil)}
	plain := out["go"]
	if lib, err := cpu.LoadOpenBLAS(2); err == nil {
		out["openblas"] = cpu.New(2, lib)
		plain = out["openblas"]
	}
	if cpu.NativeSupported() {
		out["native"] = cpu.New(2, cpu.NewNative(2))
		plain = out["native"]
	}
	// Only the tensor.Backend methods: the unfused sequence (and the copied q/k/v
	// matrix) that other backends (CUDA) run.
	out["unfused"] = struct{ tensor.Backend }{plain}
	return out
}

func TestGoldens(t *testing.T) {
	g := loadGolden(t)
	seqs := proteins(t)
	for bname, b := range testBackends(t) {
		for _, src := range []string{"esm2_t3_tiny_UR50D.pt", "hf"} {
			for _, pool := range []Pooling{PoolVirNucPro, PoolFull} {
				m, err := Load(filepath.Join(td, src), b, Options{ReprLayer: -1, Pool: pool})
				if err != nil {
					t.Fatal(err)
				}
				for _, packed := range []bool{false, true} {
					name := fmt.Sprintf("%s/%s/pool%d/packed=%v", bname, src, pool, packed)
					var toks [][]int32
					for _, s := range g.Sequences {
						tk, err := Tokenize(seqs[s.ID])
						if err != nil {
							t.Fatal(err)
						}
						if fmt.Sprint(tk) != fmt.Sprint(s.Tokens) {
							t.Fatalf("%s: tokens differ", s.ID)
						}
						toks = append(toks, tk)
					}
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
						want := s.MeanVirNucPro
						if pool == PoolFull {
							want = s.MeanFull
						}
						for j, w := range want {
							worst = math.Max(worst, math.Abs(float64(out[i][j])-w))
						}
					}
					if worst > 1e-5 {
						t.Errorf("%s: worst |diff| %.3g > 1e-5", name, worst)
					}
					t.Logf("%s: worst |diff| %.3g", name, worst)
				}
			}
		}
	}
}

func TestTokenizeErrors(t *testing.T) {
	for _, bad := range []string{"MJ", "mk", "M*", "M K"} {
		if _, err := Tokenize([]byte(bad)); err == nil {
			t.Errorf("%q: want an error", bad)
		}
	}
}
