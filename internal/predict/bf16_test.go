package predict

import (
	"context"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/virnucpro/virnucpro/internal/embedfile"
	"github.com/virnucpro/virnucpro/internal/pipeline"
	"github.com/virnucpro/virnucpro/internal/tensor/cpu"
	"github.com/virnucpro/virnucpro/internal/testutil"
)

// bf16Opts are predictOpts with --precision bf16 on the CPU and the default
// confirmation margin; the test is skipped on processors without AVX512_BF16.
func bf16Opts(t *testing.T, input, out string, size int) PredictOptions {
	t.Helper()
	if !cpu.BF16Supported() {
		t.Skip("no AVX512_BF16 on this processor")
	}
	o := predictOpts(input, out, size)
	o.Backend.Precision = "bf16"
	o.ModelOptions.ConfirmMargin = DefaultBF16ConfirmMargin
	return o
}

// bf16Run is one bf16 run of the e2e case: its per-frame predictions, its
// highestscore file, its ESM-2 embeddings by frame and its statistics.
type bf16Run struct {
	pred map[string]predRow
	hs   string
	esm  map[string][]float32
	st   pipeline.Stats
}

// runE2E runs o (KeepIntermediate set) and reads its outputs.
func runE2E(t *testing.T, o PredictOptions) bf16Run {
	t.Helper()
	o.Output.KeepIntermediate = true
	st, err := Predict(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	_, pred := readPredictions(t, filepath.Join(o.Output.Dir, PredictionsFile))
	ids, vals, dim, err := embedfile.Read(filepath.Join(o.Output.Dir, ESMEmbedFile))
	if err != nil {
		t.Fatal(err)
	}
	esm := map[string][]float32{}
	for i, id := range ids {
		esm[id] = vals[i*dim : (i+1)*dim]
	}
	return bf16Run{pred: pred, hs: string(mustRead(t, filepath.Join(o.Output.Dir, HighestScoreFile))), esm: esm, st: st}
}

// TestBF16EndToEnd: with --precision bf16 on the CPU and the default confirmation
// margin, both e2e cases give the original VirNucPro's label on every frame and its
// highestscore file byte for byte; the confirmed frames (and only they) have exactly
// fp32's ESM-2 embeddings, the others bf16's. Without confirmation (margin 0) the
// known near tie at 300 bp (fp32 P = 0.504 / 0.496) flips: confirmation is what
// fixes it. It also measures bf16's worst score error against fp32 (what
// DefaultBF16ConfirmMargin rests on) and checks the default keeps a safety factor of
// at least 3 over the margin error it implies (twice the score error).
func TestBF16EndToEnd(t *testing.T) {
	in := filepath.Join(td, "virnucpro_e2e_tiny", "input_sequence.fasta")
	for _, size := range []int{500, 300} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			orig := filepath.Join(td, "virnucpro_e2e_tiny", fmt.Sprintf("L%d", size), "input_sequence_merged")
			_, want := readPredictions(t, filepath.Join(orig, PredictionsFile))
			wantHS := string(mustRead(t, filepath.Join(orig, HighestScoreFile)))
			fp32 := runE2E(t, predictOpts(in, t.TempDir(), size))
			confirmed := runE2E(t, bf16Opts(t, in, t.TempDir(), size))
			o := bf16Opts(t, in, t.TempDir(), size)
			o.ModelOptions.ConfirmMargin = 0
			plain := runE2E(t, o)

			if len(confirmed.pred) != len(want) {
				t.Fatalf("%d frames, original %d", len(confirmed.pred), len(want))
			}
			flips, worst := 0, 0.0
			for id, w := range want {
				if g := confirmed.pred[id]; g.label != w.label {
					t.Errorf("%s: %s, original %s (fp32 scores %.4f/%.4f)", id, g.label, w.label, w.others, w.virus)
				}
				p, f := plain.pred[id], fp32.pred[id]
				if p.label != w.label {
					flips++
					t.Logf("without confirmation %s is %s, original %s (fp32 scores %.4f/%.4f, bf16 %.4f/%.4f)", id, p.label, w.label, f.others, f.virus, p.others, p.virus)
				}
				worst = math.Max(worst, math.Max(math.Abs(p.others-f.others), math.Abs(p.virus-f.virus)))
			}
			if confirmed.hs != wantHS {
				t.Errorf("highestscore differs from the original's:\n%s\nwant:\n%s", confirmed.hs, wantHS)
			}
			if size == 300 && flips == 0 {
				t.Error("without confirmation no label flipped: the test no longer shows what confirmation fixes")
			}
			exact := 0
			for id, e := range confirmed.esm {
				if slices.Equal(e, fp32.esm[id]) {
					exact++
				}
			}
			if exact != confirmed.st.Confirmed || exact == len(confirmed.esm) {
				t.Errorf("%d of %d frames have fp32's ESM-2 embedding bit for bit, %d were confirmed", exact, len(confirmed.esm), confirmed.st.Confirmed)
			}
			if plain.st.Confirmed != 0 {
				t.Errorf("margin 0 confirmed %d frames", plain.st.Confirmed)
			}
			if 3*2*worst > DefaultBF16ConfirmMargin {
				t.Errorf("bf16's worst score error %.4g: the default margin %g keeps a safety factor under 3 over the margin error %.4g", worst, DefaultBF16ConfirmMargin, 2*worst)
			}
			t.Logf("bf16, chunk size %d: %d frames; worst score error vs fp32 %.4g (margin error ≤ %.4g); margin %g confirmed %d frames (%.0f%%); without confirmation %d label(s) flip",
				size, len(want), worst, 2*worst, DefaultBF16ConfirmMargin, confirmed.st.Confirmed, 100*float64(confirmed.st.Confirmed)/float64(len(want)), flips)
		})
	}
}

// TestBF16Determinism: in bf16 with confirmation too, two workers, an interrupted
// then resumed run, and a run whose fp32 confirmation fails and is resumed write
// every file (embeddings included) byte-identical to one uninterrupted one-worker
// run, and count the same confirmed frames.
func TestBF16Determinism(t *testing.T) {
	in := filepath.Join(td, "virnucpro_e2e_tiny", "input_sequence.fasta")
	opts := func(out string) PredictOptions {
		o := bf16Opts(t, in, out, 300)
		o.Output.KeepIntermediate = true
		return o
	}
	ref := filepath.Join(t.TempDir(), "ref")
	refSt, err := Predict(context.Background(), opts(ref))
	if err != nil {
		t.Fatal(err)
	}
	if refSt.Confirmed == 0 {
		t.Fatal("nothing was confirmed: the test would not exercise confirmation")
	}
	refTree := testutil.ReadTree(t, ref, ".virnucpro")
	check := func(st pipeline.Stats, dir, what string) {
		t.Helper()
		testutil.SameTree(t, refTree, testutil.ReadTree(t, dir, ".virnucpro"), what)
		if st.Confirmed != refSt.Confirmed {
			t.Errorf("%s: %d frames confirmed, the uninterrupted run %d", what, st.Confirmed, refSt.Confirmed)
		}
	}

	w2 := filepath.Join(t.TempDir(), "w2")
	o := opts(w2)
	o.Workers = 2
	st, err := Predict(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	check(st, w2, "bf16, two workers")

	out := filepath.Join(t.TempDir(), "run")
	open := checkpointOpener(t, out)
	o = opts(out)
	o.Checkpoint = open()
	cancelAfterThreeWindows(t, o)
	o = opts(out)
	o.Checkpoint = open()
	check(resumeInterrupted(t, o), out, "bf16, after resume")

	failed := filepath.Join(t.TempDir(), "failed")
	open = checkpointOpener(t, failed)
	o = opts(failed)
	o.Checkpoint = open()
	o.wrapModels = func(m pipeline.Models) pipeline.Models {
		c := *m.Confirm
		c.Encoders[pipeline.ESM] = &failingAfter{Encoder: c.Encoders[pipeline.ESM], after: 2, err: errors.New("injected backend failure")}
		m.Confirm = &c
		return m
	}
	if _, err := Predict(context.Background(), o); err == nil || !strings.Contains(err.Error(), "confirmation") {
		t.Fatalf("a failing confirmation gave %v", err)
	}
	o = opts(failed)
	o.Checkpoint = open()
	check(resumeInterrupted(t, o), failed, "bf16, resumed after the confirmation failed")
}
