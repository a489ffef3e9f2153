package perf

import (
	"errors"
	"fmt"
	"io"
	"math/rand"
	"os"
	"strings"
	"time"

	"github.com/virnucpro/virnucpro/internal/model/esm2"
	"github.com/virnucpro/virnucpro/internal/randmodel"
	"github.com/virnucpro/virnucpro/internal/tensor"
	"github.com/virnucpro/virnucpro/internal/weights"
)

// The ESM-2 3B shape VirNucPro runs (esm2_t36_3B_UR50D), and the inputs of the
// end-to-end measurement: 24 proteins as VirNucPro translates them from 300 and 500 bp
// chunks, 3,550 tokens in all (<cls> and <eos> included).
const (
	ESM3BLayers   = 36
	ESM3BDim      = 2560
	ESM3BHeads    = 40
	ESM3BProteins = 24
	ESM3BTokens   = 3550
)

// FairESM3B is fair-esm's measurement of the same work on the same kind of machine (a
// 2-vCPU AMD EPYC, torch with one intra-op thread on OpenBLAS with two, issue 15):
// seconds to load esm2_t36_3B_UR50D.pt and to embed the ESM3BProteins proteins.
const (
	FairESM3BLoadSeconds  = 56
	FairESM3BEmbedSeconds = 156
)

// VirNucProProteins returns n random proteins of tokens tokens in all (each <cls>
// residues <eos>), their lengths spread over 60–166 residues as the six-frame
// translations of 300 and 500 bp chunks are; the same seed gives the same proteins.
func VirNucProProteins(n, tokens int, seed int64) ([][]int32, error) {
	if n <= 0 || tokens < 3*n || tokens > 168*n {
		return nil, fmt.Errorf("proteins: %d tokens cannot make %d proteins of 1–166 residues", tokens, n)
	}
	r := rand.New(rand.NewSource(seed))
	lens := make([]int, n)
	left := tokens
	for i := range lens {
		lens[i] = 2 + 60 + r.Intn(107)
		left -= lens[i]
	}
	// Spread the difference over the proteins, keeping each within 1–166 residues.
	for i := 0; left != 0; i = (i + 1) % n {
		switch {
		case left > 0 && lens[i] < 168:
			lens[i]++
			left--
		case left < 0 && lens[i] > 3:
			lens[i]--
			left++
		}
	}
	out := make([][]int32, n)
	for i, l := range lens {
		t := make([]int32, l)
		t[0], t[l-1] = esm2.TokenCLS, esm2.TokenEOS
		for j := 1; j < l-1; j++ {
			t[j] = int32(4 + r.Intn(20))
		}
		out[i] = t
	}
	return out, nil
}

// ESM2Params is the number of parameters virnucpro holds of an ESM-2 of cfg's shape
// (the trunk: embeddings, layers, final layer norm; not fair-esm's lm_head), so
// 4 × ESM2Params is its float32 weight size.
func ESM2Params(cfg esm2.Config) int64 {
	d := int64(cfg.Dim)
	perLayer := 4*(d*d+d) + 2*(4*d*d) + 4*d + d + 4*d // q,k,v,out; fc1, fc2; biases; two layer norms
	return 33*d + int64(cfg.Layers)*perLayer + 2*d
}

// LoadResult is one end-to-end measurement of an ESM-2 checkpoint: reading the file,
// loading it, embedding the proteins.
type LoadResult struct {
	FileBytes int64
	// ReadSeconds is reading the whole file once (warming the page cache);
	// LoadSeconds loading it from there onto the backend; EmbedSeconds embedding.
	ReadSeconds, LoadSeconds, EmbedSeconds float64
	// PeakLoad and PeakEmbed are the peak RSS after loading and after embedding
	// (0 where the peak cannot be measured); FP32Bytes the model's float32 weights.
	PeakLoad, PeakEmbed uint64
	FP32Bytes           int64
	Config              esm2.Config
	Proteins, Tokens    int
	rssReset            bool // the peak was restarted before loading
	// LoadUsage is the CPU time and page faults of the load (usageOK: measured);
	// HugeBytes the anonymous memory in transparent huge pages after it.
	LoadUsage Usage
	usageOK   bool
	HugeBytes uint64
}

// WriteESM3B writes a random ESM-2 3B checkpoint in fair-esm's layout (float16,
// 5.7 GB) to path unless a file is there already.
func WriteESM3B(path string) error {
	if _, err := os.Stat(path); err == nil || !errors.Is(err, os.ErrNotExist) {
		return err
	}
	_, err := randmodel.FairESM2(path, ESM3BLayers, ESM3BDim, ESM3BHeads, 1)
	return err
}

// LoadESM2 reads the checkpoint at path once (so that the load that follows is
// from the page cache, as for a model used repeatedly) and loads it onto b, timing
// both and recording the peak memory of the load.
func LoadESM2(path string, b tensor.Backend) (*esm2.Model, *LoadResult, error) {
	res := &LoadResult{}
	t0 := time.Now()
	n, err := readThrough(path)
	if err != nil {
		return nil, nil, err
	}
	res.FileBytes, res.ReadSeconds = n, time.Since(t0).Seconds()
	res.rssReset = ResetPeakRSS() == nil
	u0, ok0 := ProcessUsage()
	t0 = time.Now()
	m, err := esm2.Load(path, b, esm2.Options{ReprLayer: -1})
	if err != nil {
		return nil, nil, err
	}
	res.LoadSeconds = time.Since(t0).Seconds()
	if u1, ok1 := ProcessUsage(); ok0 && ok1 {
		res.LoadUsage, res.usageOK = u1.Sub(u0), true
	}
	res.HugeBytes, _ = AnonHugeBytes()
	res.Config, res.FP32Bytes = m.Config, 4*ESM2Params(m.Config)
	if peak, err := PeakRSS(); err == nil && res.rssReset {
		res.PeakLoad = peak
	}
	return m, res, nil
}

// Embed embeds proteins with m in one packed batch, timing it and recording the
// peak memory.
func (r *LoadResult) Embed(m *esm2.Model, b tensor.Backend, proteins [][]int32) error {
	out := make([][]float32, len(proteins))
	r.Proteins, r.Tokens = len(proteins), 0
	for i, p := range proteins {
		out[i] = make([]float32, m.Dim())
		r.Tokens += len(p)
	}
	t0 := time.Now()
	if err := m.EmbedBatch(proteins, out); err != nil {
		return err
	}
	if err := tensor.Sync(b); err != nil {
		return err
	}
	r.EmbedSeconds = time.Since(t0).Seconds()
	if peak, err := PeakRSS(); err == nil && r.rssReset {
		r.PeakEmbed = peak
	}
	return nil
}

// readThrough reads the file at path to its end and returns its size.
func readThrough(path string) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	return io.CopyBuffer(io.Discard, struct{ io.Reader }{f}, make([]byte, 4<<20))
}

// PrintLoad writes the reading and loading figures.
func (r *LoadResult) PrintLoad(w io.Writer) {
	c := r.Config
	fmt.Fprintf(w, "ESM-2 %d×%d, %d heads: %.2f GB checkpoint, %.2f GB of float32 weights\n", c.Layers, c.Dim, c.Heads, float64(r.FileBytes)/1e9, float64(r.FP32Bytes)/1e9)
	fmt.Fprintf(w, "  read the file once (warms the page cache)  %6.1f s  %5.2f GB/s\n", r.ReadSeconds, float64(r.FileBytes)/1e9/r.ReadSeconds)
	fmt.Fprintf(w, "  load from the page cache                   %6.1f s  %5.2f GB/s of float32 weights\n", r.LoadSeconds, float64(r.FP32Bytes)/1e9/r.LoadSeconds)
	if r.usageOK {
		u := r.LoadUsage
		fmt.Fprintf(w, "    CPU time %.1f s user + %.1f s system (kernel: mostly page faults); page faults %d minor, %d major; %.2f GB in transparent huge pages\n",
			u.User.Seconds(), u.Sys.Seconds(), u.MinorFaults, u.MajorFaults, float64(r.HugeBytes)/1e9)
		_, why := weights.HugePages()
		fmt.Fprintf(w, "    huge pages %s\n", why)
	}
	if r.PeakLoad > 0 {
		fmt.Fprintf(w, "  peak RSS after loading                     %6.2f GB = %.3f× the float32 weights\n", float64(r.PeakLoad)/1e9, float64(r.PeakLoad)/float64(r.FP32Bytes))
	}
}

// PrintEmbed writes the embedding figures and load + embed, set against fair-esm's
// figures when the work is the 3B-shape measurement.
func (r *LoadResult) PrintEmbed(w io.Writer) {
	c := r.Config
	fmt.Fprintf(w, "  embed %d proteins, %d tokens, one batch    %6.1f s  %.0f tokens/s\n", r.Proteins, r.Tokens, r.EmbedSeconds, float64(r.Tokens)/r.EmbedSeconds)
	if r.PeakEmbed > 0 {
		fmt.Fprintf(w, "  peak RSS after embedding                   %6.2f GB = %.3f× the float32 weights\n", float64(r.PeakEmbed)/1e9, float64(r.PeakEmbed)/float64(r.FP32Bytes))
	}
	total := r.LoadSeconds + r.EmbedSeconds
	fmt.Fprintf(w, "  load + embed                               %6.1f s\n", total)
	if c.Layers == ESM3BLayers && c.Dim == ESM3BDim && r.Proteins == ESM3BProteins && r.Tokens == ESM3BTokens {
		fair := float64(FairESM3BLoadSeconds + FairESM3BEmbedSeconds)
		fmt.Fprintf(w, "  fair-esm, recorded on an idle 2-vCPU AMD EPYC (issue 15; torch is not run here): %d s load + %d s embed = %.0f s: %.2f× that (goal ≥ 2.2×)\n",
			FairESM3BLoadSeconds, FairESM3BEmbedSeconds, fair, fair/total)
	}
}

// LoadAverage is the first three fields of /proc/loadavg ("" where there is none):
// printed with wall-clock figures, which other processes on the machine inflate.
func LoadAverage() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(data))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}
