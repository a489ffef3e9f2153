package perf

import (
	"fmt"
	"io"
	"math/rand"
	"slices"
	"strings"
	"time"

	"github.com/virnucpro/virnucpro/internal/tensor/cpu"
)

// GemmShape is one of the encoders' matrix products: M tokens, K inputs, N outputs.
type GemmShape struct {
	Name    string
	M, K, N int
}

// EncoderGemmShapes are the encoders' projections and feed-forward layers at 2048
// tokens: ESM-2 3B, ESM-2 35M and DNABERT-S.
var EncoderGemmShapes = []GemmShape{
	{"ESM-2 3B attention/output", 2048, 2560, 2560},
	{"ESM-2 3B feed-forward in", 2048, 2560, 10240},
	{"ESM-2 3B feed-forward out", 2048, 10240, 2560},
	{"ESM-2 35M feed-forward in", 2048, 480, 1920},
	{"ESM-2 35M feed-forward out", 2048, 1920, 480},
	{"DNABERT-S feed-forward in", 2048, 768, 3072},
	{"DNABERT-S feed-forward out", 2048, 3072, 768},
}

// CompareGemms measures each Gemm at each shape, in alternating rounds so that load
// from other processes affects all alike, for about budget per shape (at least
// rounds rounds), and prints the best GFLOP/s of each and, for each of the first
// ours, its ratio to the best of the others (all when ours is 0 or all: the first
// against the rest); then the same per second of the process's CPU time (where the
// platform reports it), which time spent waiting for a core on a busy machine does
// not distort.
func CompareGemms(out io.Writer, gemms []cpu.Gemm, ours int, shapes []GemmShape, rounds int, budget time.Duration) {
	if ours <= 0 || ours >= len(gemms) {
		ours = 1
	}
	r := rand.New(rand.NewSource(1))
	for _, s := range shapes {
		a, w, c := randSlice(r, s.M*s.K), randSlice(r, s.N*s.K), make([]float32, s.M*s.N)
		best := make([]time.Duration, len(gemms))
		bestCPU := make([]time.Duration, len(gemms))
		start := time.Now()
		for round := 0; round < rounds || time.Since(start) < budget; round++ {
			for i, g := range gemms {
				c0, _ := processCPU()
				t0 := time.Now()
				g.SgemmNT(s.M, s.N, s.K, a, s.K, w, s.K, c, s.N, false)
				d := time.Since(t0)
				c1, _ := processCPU()
				if best[i] == 0 || d < best[i] {
					best[i] = d
				}
				if dc := c1 - c0; dc > 0 && (bestCPU[i] == 0 || dc < bestCPU[i]) {
					bestCPU[i] = dc
				}
			}
		}
		flop := 2 * float64(s.M) * float64(s.N) * float64(s.K) / 1e9
		fmt.Fprintf(out, "  %-27s %5d×%5d·%5dᵀ", s.Name, s.M, s.K, s.N)
		for i, g := range gemms {
			fmt.Fprintf(out, "  %s %6.1f", g.Name(), flop/best[i].Seconds())
		}
		fmt.Fprint(out, "  GFLOP/s")
		if len(gemms) > 1 {
			fmt.Fprintf(out, "  ratio %s", ratios(best, ours))
		}
		if _, ok := processCPU(); ok && len(gemms) > 1 && !slices.Contains(bestCPU, 0) {
			fmt.Fprint(out, "  | per CPU-second")
			for _, d := range bestCPU {
				fmt.Fprintf(out, " %.1f", flop/d.Seconds())
			}
			fmt.Fprintf(out, "  ratio %s", ratios(bestCPU, ours))
		}
		fmt.Fprintln(out)
	}
}

// ratios formats each of the first ours times' speed relative to the fastest of
// the others, separated by slashes.
func ratios(times []time.Duration, ours int) string {
	other := slices.Min(times[ours:])
	parts := make([]string, ours)
	for i, d := range times[:ours] {
		parts[i] = fmt.Sprintf("%.2f", other.Seconds()/d.Seconds())
	}
	return strings.Join(parts, "/")
}

func randSlice(r *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(r.NormFloat64())
	}
	return s
}
