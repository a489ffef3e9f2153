package predict

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/virnucpro/virnucpro/internal/checkpoint"
	"github.com/virnucpro/virnucpro/internal/seqprep"
)

// alteredInput writes the e2e input and a copy with one base of its first record
// changed in place (same length, same ids).
func alteredInput(t *testing.T) (orig, altered string) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(td, "virnucpro_e2e_tiny", "input_sequence.fasta"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	orig, altered = filepath.Join(dir, "in.fa"), filepath.Join(dir, "in2.fa")
	os.WriteFile(orig, data, 0o644)
	// The first record's sequence (one line): change one base where the kept frames
	// stay the same, so that only the sequences tell the two inputs apart.
	start := bytes.IndexByte(data, '\n') + 1
	end := start + bytes.IndexByte(data[start:], '\n')
	seq := data[start:end]
	for i := range seq {
		for _, b := range []byte("ACGT") {
			mod := bytes.Clone(seq)
			if mod[i] == b {
				continue
			}
			mod[i] = b
			if keptFrames(seq) == keptFrames(mod) {
				os.WriteFile(altered, append(append(bytes.Clone(data[:start]), mod...), data[end:]...), 0o644)
				return orig, altered
			}
		}
	}
	t.Fatal("no base change keeps the frames")
	return "", ""
}

// keptFrames lists the ids of the stop-free frames of seq's 300 bp chunks.
func keptFrames(seq []byte) string {
	var ids []string
	for c := 0; c < seqprep.NumChunks(len(seq), 300); c++ {
		lo, hi := seqprep.ChunkSpan(len(seq), 300, c)
		for _, f := range seqprep.Translate(seqprep.ChunkID("r", c), seq[lo:hi]) {
			ids = append(ids, f.ID)
		}
	}
	return strings.Join(ids, " ")
}

// TestResumeChecksSequences: windows committed while a record was altered in place
// are not replayed for the restored input (their scores belong to the altered
// content; resume used to check frame ids only and carry them silently).
func TestResumeChecksSequences(t *testing.T) {
	orig, altered := alteredInput(t)
	out := filepath.Join(t.TempDir(), "run")
	open := checkpointOpener(t, out)
	o := predictOpts(altered, out, 300)
	o.Checkpoint = open()
	cancelAfterThreeWindows(t, o)
	o = predictOpts(orig, out, 300)
	o.Checkpoint = open()
	if o.Checkpoint.next == 0 {
		t.Fatal("nothing was committed")
	}
	_, err := Predict(context.Background(), o)
	if err == nil || !strings.Contains(err.Error(), "window 0") || !strings.Contains(err.Error(), "sequences") {
		t.Fatalf("got %v, want a refusal of window 0's committed scores", err)
	}
}

// TestInputChangedWhileRead: a run whose input differs, as read, from the hash its
// identity took at the start fails and writes no results.
func TestInputChangedWhileRead(t *testing.T) {
	orig, altered := alteredInput(t)
	data, _ := os.ReadFile(orig)
	sum := sha256.Sum256(data)
	out := filepath.Join(t.TempDir(), "run")
	id := checkpoint.Identity{Tool: "test", Inputs: []checkpoint.FileIdentity{{Path: altered, Size: int64(len(data)), SHA256: hex.EncodeToString(sum[:])}},
		Options: map[string]string{"chunk-size": "300"}}
	st, err := checkpoint.Open(out, id, checkpoint.OpenOptions{Resume: true})
	if err != nil {
		t.Fatal(err)
	}
	o := predictOpts(altered, out, 300)
	o.Checkpoint = NewCheckpointer(st, 7, 1<<40)
	_, err = Predict(context.Background(), o)
	if err == nil || !strings.Contains(err.Error(), "changed while it was read") {
		t.Fatalf("got %v", err)
	}
	if _, err := os.Stat(filepath.Join(out, PredictionsFile)); !os.IsNotExist(err) {
		t.Fatal("results were written for an input that changed")
	}
	// The same identity with the input as it is: the run succeeds.
	out2 := filepath.Join(t.TempDir(), "run2")
	id.Inputs[0].Path = orig
	st2, err := checkpoint.Open(out2, id, checkpoint.OpenOptions{Resume: true})
	if err != nil {
		t.Fatal(err)
	}
	o = predictOpts(orig, out2, 300)
	o.Checkpoint = NewCheckpointer(st2, 7, 1<<40)
	if _, err := Predict(context.Background(), o); err != nil {
		t.Fatal(err)
	}
}
