package predict

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/virnucpro/virnucpro/internal/pipeline"
	"github.com/virnucpro/virnucpro/internal/tensor"
	"github.com/virnucpro/virnucpro/internal/testutil"
)

// failingAfter passes batches to a real encoder and then fails with err.
type failingAfter struct {
	pipeline.Encoder
	mu    sync.Mutex
	after int
	err   error
}

func (f *failingAfter) EmbedBatch(tokens [][]int32, out [][]float32) error {
	f.mu.Lock()
	f.after--
	n := f.after
	f.mu.Unlock()
	if n < 0 {
		return f.err
	}
	return f.Encoder.EmbedBatch(tokens, out)
}

// TestFailedRunCommitsAndResumes: a real checkpointed run whose ESM-2 worker fails
// (each category) commits the windows completed before the failure, leaves no final
// results, and a resumed run replays them and ends byte-identical to a clean run.
func TestFailedRunCommitsAndResumes(t *testing.T) {
	in := filepath.Join(td, "virnucpro_e2e_tiny", "input_sequence.fasta")
	ref := filepath.Join(t.TempDir(), "ref")
	if _, err := Predict(context.Background(), determinismOpts(t, in, ref, 300)); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		err  error
		want pipeline.FailureCategory
	}{
		{fmt.Errorf("cublasLtMatmul: %w", tensor.ErrOutOfMemory), pipeline.FailureOutOfMemory},
		{errors.New("CUDA error 700: an illegal memory access was encountered"), pipeline.FailureBackend},
		{fmt.Errorf("check: %w", tensor.ErrNonFinite), pipeline.FailureNumerical},
	} {
		t.Run(c.want.String(), func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "run")
			open := checkpointOpener(t, out)
			o := determinismOpts(t, in, out, 300)
			o.MaxTokens = [2]int{0, 0} // one sequence per batch: the failure comes mid-run
			o.Checkpoint = open()
			o.wrapModels = func(m pipeline.Models) pipeline.Models {
				m.Workers = nil
				m.Encoders[pipeline.ESM] = &failingAfter{Encoder: m.Encoders[pipeline.ESM], after: 20, err: c.err}
				return m
			}
			_, err := Predict(context.Background(), o)
			if cat, ok := pipeline.CategoryOf(err); !ok || cat != c.want {
				t.Fatalf("got %v (%v), want category %v", err, cat, c.want)
			}
			if _, err := os.Stat(filepath.Join(out, PredictionsFile)); !os.IsNotExist(err) {
				t.Fatal("a failed run left final results")
			}
			o = determinismOpts(t, in, out, 300)
			o.MaxTokens = [2]int{0, 0}
			o.Checkpoint = open()
			committed := o.Checkpoint.next
			if committed == 0 {
				t.Fatal("nothing was committed before the failure")
			}
			st, err := Predict(context.Background(), o)
			if err != nil {
				t.Fatal(err)
			}
			if st.ReplayedWindows != committed {
				t.Errorf("replayed %d windows, %d were committed", st.ReplayedWindows, committed)
			}
			testutil.SameTree(t, testutil.ReadTree(t, ref, ".virnucpro"), testutil.ReadTree(t, out, ".virnucpro"), "after resuming a failed run")
		})
	}
}

// TestWorkersGiveIdenticalResults: on the CPU (batch-invariant) a run spread over
// three workers writes the same files, byte for byte, as a one-worker run.
func TestWorkersGiveIdenticalResults(t *testing.T) {
	in := filepath.Join(td, "virnucpro_e2e_tiny", "input_sequence.fasta")
	ref := filepath.Join(t.TempDir(), "ref")
	if _, err := Predict(context.Background(), determinismOpts(t, in, ref, 500)); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "w3")
	o := determinismOpts(t, in, out, 500)
	o.Workers = 3
	o.Backend.Threads = 3
	var workers int
	o.wrapModels = func(m pipeline.Models) pipeline.Models { workers = len(m.Workers); return m }
	if _, err := Predict(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	if workers != 3 {
		t.Fatalf("%d workers loaded, want 3", workers)
	}
	testutil.SameTree(t, testutil.ReadTree(t, ref, ".virnucpro"), testutil.ReadTree(t, out, ".virnucpro"), "three workers")
}
