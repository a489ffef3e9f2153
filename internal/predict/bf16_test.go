package predict

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/virnucpro/virnucpro/internal/embedfile"
	"github.com/virnucpro/virnucpro/internal/tensor/cpu"
	"github.com/virnucpro/virnucpro/internal/testutil"
)

// bf16Opts are predictOpts with --precision bf16 on the CPU; the test is skipped on
// processors without AVX512_BF16.
func bf16Opts(t *testing.T, input, out string, size int) PredictOptions {
	t.Helper()
	if !cpu.BF16Supported() {
		t.Skip("no AVX512_BF16 on this processor")
	}
	o := predictOpts(input, out, size)
	o.Backend.Precision = "bf16"
	return o
}

// nearTie is the margin |P(virus) − P(others)| in the fp32 original under which a
// frame's label may flip in bf16: above the worst bf16 score error measured on the
// e2e cases (0.0144, 300 bp).
const nearTie = 0.02

// TestBF16EndToEnd: with --precision bf16 on the CPU the e2e cases give the original
// VirNucPro's label on every frame that is not a near tie in fp32 (margin below
// nearTie; the flips are logged) and its highestscore file byte for byte except on
// chunks holding such a frame (the embeddings do differ from fp32: the run did
// compute in bf16).
func TestBF16EndToEnd(t *testing.T) {
	in := filepath.Join(td, "virnucpro_e2e_tiny", "input_sequence.fasta")
	for _, size := range []int{500, 300} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			out := t.TempDir()
			o := bf16Opts(t, in, out, size)
			o.Output.KeepIntermediate = true
			if _, err := Predict(context.Background(), o); err != nil {
				t.Fatal(err)
			}
			orig := filepath.Join(td, "virnucpro_e2e_tiny", fmt.Sprintf("L%d", size), "input_sequence_merged")
			_, want := readPredictions(t, filepath.Join(orig, PredictionsFile))
			gotIDs, got := readPredictions(t, filepath.Join(out, PredictionsFile))
			if len(got) != len(want) {
				t.Fatalf("%d frames, original %d", len(got), len(want))
			}
			worst, flips := 0.0, 0
			tied := map[string]bool{} // chunks with a near-tie frame
			for id, w := range want {
				g, margin := got[id], math.Abs(w.virus-w.others)
				if margin < nearTie {
					tied[chunkOfFrame(id)] = true
				}
				if g.label != w.label {
					flips++
					if margin >= nearTie {
						t.Errorf("%s: %s, original %s (fp32 margin %.4f)", id, g.label, w.label, margin)
					} else {
						t.Logf("%s: %s, original %s: a near tie in fp32 (scores %.4f/%.4f)", id, g.label, w.label, w.others, w.virus)
					}
				}
				worst = math.Max(worst, math.Max(math.Abs(g.others-w.others), math.Abs(g.virus-w.virus)))
			}
			hs := strings.Split(string(mustRead(t, filepath.Join(out, HighestScoreFile))), "\n")
			wantHS := strings.Split(string(mustRead(t, filepath.Join(orig, HighestScoreFile))), "\n")
			if len(hs) != len(wantHS) {
				t.Fatalf("highestscore has %d lines, the original %d", len(hs), len(wantHS))
			}
			for i := range hs {
				if hs[i] != wantHS[i] && !tied[strings.Split(wantHS[i], "\t")[0]] {
					t.Errorf("highestscore line %d is %q, the original %q", i+1, hs[i], wantHS[i])
				}
			}
			ref := t.TempDir()
			fp32 := predictOpts(in, ref, size)
			fp32.Output.KeepIntermediate = true
			if _, err := Predict(context.Background(), fp32); err != nil {
				t.Fatal(err)
			}
			_, a, _, err := embedfile.Read(filepath.Join(out, ESMEmbedFile))
			if err != nil {
				t.Fatal(err)
			}
			_, b, _, err := embedfile.Read(filepath.Join(ref, ESMEmbedFile))
			if err != nil {
				t.Fatal(err)
			}
			diff := 0.0
			for i := range a {
				diff = math.Max(diff, math.Abs(float64(a[i]-b[i])))
			}
			if diff == 0 {
				t.Error("the bf16 run's ESM-2 embeddings equal fp32's: bf16 was not used")
			}
			t.Logf("bf16, chunk size %d: %d frames, %d label(s) flipped (all near ties); worst score difference %.3g; ESM-2 embeddings within %.3g of fp32", size, len(gotIDs), flips, worst, diff)
		})
	}
}

// TestBF16Determinism: in bf16 too, two workers and an interrupted then resumed run
// write every file byte-identical to one uninterrupted one-worker run.
func TestBF16Determinism(t *testing.T) {
	in := filepath.Join(td, "virnucpro_e2e_tiny", "input_sequence.fasta")
	ref := filepath.Join(t.TempDir(), "ref")
	if _, err := Predict(context.Background(), bf16Opts(t, in, ref, 300)); err != nil {
		t.Fatal(err)
	}
	refTree := testutil.ReadTree(t, ref, ".virnucpro")

	w2 := filepath.Join(t.TempDir(), "w2")
	o := bf16Opts(t, in, w2, 300)
	o.Workers = 2
	if _, err := Predict(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	testutil.SameTree(t, refTree, testutil.ReadTree(t, w2, ".virnucpro"), "bf16, two workers")

	out := filepath.Join(t.TempDir(), "run")
	open := checkpointOpener(t, out)
	o = bf16Opts(t, in, out, 300)
	o.Checkpoint = open()
	cancelAfterThreeWindows(t, o)
	o = bf16Opts(t, in, out, 300)
	o.Checkpoint = open()
	resumeInterrupted(t, o)
	testutil.SameTree(t, refTree, testutil.ReadTree(t, out, ".virnucpro"), "bf16, after resume")
}

// chunkOfFrame is the chunk id of a frame id (its F1..F3/R1..R3 suffix dropped).
func chunkOfFrame(id string) string {
	if n := len(id); n > 2 && (id[n-2] == 'F' || id[n-2] == 'R') {
		return id[:n-2]
	}
	return id
}
