// Package perf measures the encoders' CPU/GPU throughput at realistic shapes (random
// weights) as a ratio to the backend's raw matrix-product speed measured in the same
// process, interleaved with the encoder so that load from other processes on a shared
// machine affects both alike; and the process's peak resident memory. The Go
// benchmarks and `virnucpro bench` print these figures; no test asserts on timings.
package perf

import (
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/virnucpro/virnucpro/internal/batch"
	"github.com/virnucpro/virnucpro/internal/model/dnabert"
	"github.com/virnucpro/virnucpro/internal/model/esm2"
	"github.com/virnucpro/virnucpro/internal/randmodel"
	"github.com/virnucpro/virnucpro/internal/tensor"
)

// Encoder is what a workload runs (both encoders satisfy it).
type Encoder interface {
	Dim() int
	FLOPsPerToken(n int) float64
	EmbedBatch(tokens [][]int32, out [][]float32) error
}

// Workload is an encoder with random weights at a real architecture and the packed
// batches of one pass over its inputs.
type Workload struct {
	// Name and Shape describe the workload in reports.
	Name, Shape string
	Encoder     Encoder
	Batches     [][][]int32
	// RawK and RawN give the raw product measured alongside: 2048×RawK by RawN×RawK
	// (the model's widest projection).
	RawK, RawN int
	// WeightBytes is the size of the model's float32 weight file.
	WeightBytes int64
}

// Sequences is the number of sequences in one pass over the workload.
func (w *Workload) Sequences() int {
	n := 0
	for _, bt := range w.Batches {
		n += len(bt)
	}
	return n
}

// Tokens is the number of tokens in one pass over the workload.
func (w *Workload) Tokens() int {
	n := 0
	for _, bt := range w.Batches {
		for _, t := range bt {
			n += len(t)
		}
	}
	return n
}

func fileSize(path string) int64 {
	st, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return st.Size()
}

// CPUModel returns the processor's name from /proc/cpuinfo ("" when unknown).
func CPUModel() string {
	data, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(data), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// ESM2Shape is the 35M-class ESM-2 (12 layers × 480, 20 heads of 24) that VirNucPro's
// protein inputs exercise at realistic lengths.
const ESM2Shape = "ESM-2 12×480, 20 heads, FFN 1920; proteins 30–166 aa"

// DNABERTShape is DNABERT-S's real architecture on 500 bp inputs.
const DNABERTShape = "DNABERT-S 12×768, 12 heads, GLU 3072, vocab 4096; 500 bp (100–116 tokens)"

// BenchSequences are the sequences per pass of the encoder benchmarks
// (BenchmarkEncoder35M, BenchmarkEncoderDNABERTS) and of the inputs dumped for the
// PyTorch baseline: one batch as predict packs them by default (~6,400 and ~6,900
// tokens under the 8192-token budget), so a pass has the shape of production work
// (a pass of a few sequences would mostly measure its last, zero-padded row block).
const (
	BenchESM2Sequences    = 64
	BenchDNABERTSequences = 64
)

// tokenBudget is the packed batch size in tokens, predict's default --max-tokens.
const tokenBudget = 8192

// ESM2 writes a random ESM-2 35M-class model into dir, loads it onto b and returns a
// workload of seqs random proteins of 30–166 residues.
func ESM2(b tensor.Backend, dir string, seqs int) (*Workload, error) {
	if err := WriteESM2(dir); err != nil {
		return nil, err
	}
	return esm2Workload(b, dir, seqs, ESM2Shape, 480, 1920)
}

// esm2Workload loads the random ESM-2 in dir onto b and returns a workload of seqs
// random proteins of 30–166 residues; its raw products are 2048×rawK·(rawN×rawK)ᵀ.
func esm2Workload(b tensor.Backend, dir string, seqs int, shape string, rawK, rawN int) (*Workload, error) {
	m, err := esm2.Load(dir, b, esm2.Options{ReprLayer: -1})
	if err != nil {
		return nil, err
	}
	r := rand.New(rand.NewSource(2))
	toks := make([][]int32, seqs)
	for i := range toks {
		n := 30 + r.Intn(137)
		t := []int32{esm2.TokenCLS}
		for j := 0; j < n; j++ {
			t = append(t, int32(4+r.Intn(20)))
		}
		toks[i] = append(t, esm2.TokenEOS)
	}
	return &Workload{Name: "ESM-2", Shape: shape, Encoder: m, Batches: pack(toks), RawK: rawK, RawN: rawN,
		WeightBytes: fileSize(filepath.Join(dir, "model.safetensors"))}, nil
}

// minimalTokenizer is a valid DNABERT-style tokenizer.json; the workload draws token
// ids directly (lengths as the real tokenizer gives for 500 bp), so its vocabulary
// does not matter.
const minimalTokenizer = `{"model":{"type":"BPE","unk_token":"[UNK]","merges":[],
"vocab":{"[PAD]":0,"[CLS]":1,"[SEP]":2,"[UNK]":3,"[MASK]":4,"A":5,"C":6,"G":7,"T":8}}}`

// DNABERT writes a random DNABERT-S model into dir, loads it onto b and returns a
// workload of seqs inputs of 100–116 tokens ([CLS] … [SEP]), the lengths the
// DNABERT-S tokenizer gives 500 bp of random sequence.
func DNABERT(b tensor.Backend, dir string, seqs int) (*Workload, error) {
	if err := WriteDNABERT(dir); err != nil {
		return nil, err
	}
	m, err := dnabert.Load(dir, b)
	if err != nil {
		return nil, err
	}
	r := rand.New(rand.NewSource(1))
	toks := make([][]int32, seqs)
	for i := range toks {
		n := 98 + r.Intn(17)
		t := []int32{1}
		for j := 0; j < n; j++ {
			t = append(t, int32(5+r.Intn(4091)))
		}
		toks[i] = append(t, 2)
	}
	return &Workload{Name: "DNABERT-S", Shape: DNABERTShape, Encoder: m, Batches: pack(toks), RawK: 768, RawN: 2304,
		WeightBytes: fileSize(filepath.Join(dir, "model.safetensors"))}, nil
}

// WriteESM2 writes the random ESM-2 of the ESM2 workload into dir, unless it is
// there already.
func WriteESM2(dir string) error {
	if fileSize(filepath.Join(dir, "model.safetensors")) > 0 {
		return nil
	}
	return randmodel.ESM2(dir, 12, 480, 20)
}

// WriteDNABERT writes the random DNABERT-S of the DNABERT workload into dir, unless
// it is there already.
func WriteDNABERT(dir string) error {
	if fileSize(filepath.Join(dir, "model.safetensors")) > 0 {
		return nil
	}
	tok := filepath.Join(dir, "minimal-tokenizer.json")
	if err := os.WriteFile(tok, []byte(minimalTokenizer), 0o644); err != nil {
		return err
	}
	return randmodel.DNABERT(dir, 12, 768, 12, 3072, tok)
}

// pack groups sequences into batches of at most tokenBudget tokens.
func pack(toks [][]int32) [][][]int32 {
	items := make([]batch.Item, len(toks))
	for i, t := range toks {
		items[i] = batch.Item{Index: i, Tokens: len(t)}
	}
	var out [][][]int32
	for _, p := range batch.Plan(items, tokenBudget) {
		bt := make([][]int32, len(p.Items))
		for j, it := range p.Items {
			bt[j] = toks[it.Index]
		}
		out = append(out, bt)
	}
	return out
}

// Result is a workload's measured throughput.
type Result struct {
	Rounds int
	Tokens int
	// Seconds is the time spent in the encoder.
	Seconds float64
	// GFLOPS is the encoder's achieved speed (FLOPsPerToken × tokens / Seconds).
	GFLOPS float64
	// RawGFLOPS is the backend's plain Linear speed at 2048×RawK·(RawN×RawK)ᵀ, timed
	// in the same rounds.
	RawGFLOPS float64
}

// TokensPerSecond is the encoder's throughput.
func (r Result) TokensPerSecond() float64 { return float64(r.Tokens) / r.Seconds }

// Ratio is the encoder's speed as a fraction of the raw matrix-product speed.
func (r Result) Ratio() float64 { return r.GFLOPS / r.RawGFLOPS }

// Measure runs passes over w's batches, each batch preceded by raw products worth
// about half its FLOPs (so that both see the same moments of a shared machine), after
// a warm-up batch, for at least minRounds passes and until budget has passed, and
// compares the totals.
func Measure(b tensor.Backend, w *Workload, minRounds int, budget time.Duration) (Result, error) {
	const rawM = 2048
	r := rand.New(rand.NewSource(3))
	fill := func(n int) []float32 {
		s := make([]float32, n)
		for i := range s {
			s[i] = float32(r.NormFloat64())
		}
		return s
	}
	x := b.FromHost(fill(rawM*w.RawK), rawM, w.RawK)
	wt, _ := tensor.FromHostWeight(b, fill(w.RawN*w.RawK), w.RawN, w.RawK) // in bf16 where b holds weights so
	dst := b.New(rawM, w.RawN)
	defer b.Free(dst)
	rawFLOPs := 2 * float64(rawM) * float64(w.RawK) * float64(w.RawN)

	outs := make([][][]float32, len(w.Batches))
	flops := make([]float64, len(w.Batches))
	var passFLOPs float64
	passTokens := 0
	for i, bt := range w.Batches {
		outs[i] = make([][]float32, len(bt))
		for j, t := range bt {
			outs[i][j] = make([]float32, w.Encoder.Dim())
			passTokens += len(t)
			flops[i] += w.Encoder.FLOPsPerToken(len(t)) * float64(len(t))
		}
		passFLOPs += flops[i]
	}
	// Warm-up: first-use allocations, caches, the OpenBLAS buffers.
	if err := w.Encoder.EmbedBatch(w.Batches[0], outs[0]); err != nil {
		return Result{}, err
	}
	b.Linear(dst, x, wt, nil, false)
	if err := tensor.Sync(b); err != nil {
		return Result{}, err
	}

	var res Result
	var encTime, rawTime time.Duration
	var rawDone, rawOwed float64
	start := time.Now()
	for res.Rounds < minRounds || time.Since(start) < budget {
		for i, bt := range w.Batches {
			// Raw products worth half the batch's FLOPs, just before it.
			rawOwed += 0.5 * flops[i]
			t0 := time.Now()
			for ; rawOwed >= rawFLOPs/2 || (rawDone == 0 && i == 0); rawOwed -= rawFLOPs {
				b.Linear(dst, x, wt, nil, false)
				rawDone += rawFLOPs
			}
			if err := tensor.Sync(b); err != nil {
				return Result{}, err
			}
			rawTime += time.Since(t0)
			t0 = time.Now()
			if err := w.Encoder.EmbedBatch(bt, outs[i]); err != nil {
				return Result{}, fmt.Errorf("%s: %w", w.Name, err)
			}
			encTime += time.Since(t0)
		}
		res.Rounds++
		res.Tokens += passTokens
	}
	res.Seconds = encTime.Seconds()
	res.GFLOPS = passFLOPs * float64(res.Rounds) / res.Seconds / 1e9
	res.RawGFLOPS = rawDone / rawTime.Seconds() / 1e9
	return res, nil
}
