package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/virnucpro/virnucpro/internal/checkpoint"
	"github.com/virnucpro/virnucpro/internal/testutil"
)

// TestCompletedRunIsVerifiedNotRedone runs predict on the demo, checks the end-of-run
// summary and that the checkpoint was compacted to its completion record; a rerun says
// the run is complete (outputs untouched), a tampered output is named, --restart
// recomputes the same bytes, -q silences the summary and --keep-checkpoint keeps the
// shards.
func TestCompletedRunIsVerifiedNotRedone(t *testing.T) {
	root, _ := filepath.Abs(filepath.Join("..", ".."))
	t.Chdir(root)
	out := filepath.Join(t.TempDir(), "run")
	args := append(append([]string{"predict", "demo/input.fasta"}, demoModels...), "-o", out, "--no-progress", "-j", "2")
	stdout, err := runOut(t, args...)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"records   ", "chunks    ", "frames", "calls     ", "regions   ", "time      ", "output    " + out,
		"report.html", "sequences.tsv", "plots/ ("} {
		if !strings.Contains(stdout, want) {
			t.Errorf("summary lacks %q:\n%s", want, stdout)
		}
	}
	ckpt, _ := os.ReadDir(filepath.Join(out, checkpoint.Dir))
	var names []string
	for _, e := range ckpt {
		names = append(names, e.Name())
	}
	if strings.Join(names, " ") != checkpoint.CompletionName+" "+checkpoint.MarkerName+" "+checkpoint.LockName {
		t.Fatalf("checkpoint directory after a successful run: %v", names)
	}
	want := testutil.ReadTree(t, out, checkpoint.Dir)

	stdout, err = runOut(t, args...)
	if err != nil || !strings.Contains(stdout, "already holds this run") || !strings.Contains(stdout, "intact") {
		t.Fatalf("rerun: %v\n%s", err, stdout)
	}
	testutil.SameTree(t, want, testutil.ReadTree(t, out, checkpoint.Dir), "after a rerun")

	seqs := filepath.Join(out, "sequences.tsv")
	b, _ := os.ReadFile(seqs)
	os.WriteFile(seqs, append(b, "extra\n"...), 0o644)
	if _, err := runOut(t, args...); err == nil || !strings.Contains(err.Error(), "sequences.tsv was modified") || !strings.Contains(err.Error(), "--restart") {
		t.Fatalf("rerun over a tampered output: %v", err)
	}
	stdout, err = runOut(t, append(args, "--restart", "-q")...)
	if err != nil || stdout != "" {
		t.Fatalf("--restart -q: %v, stdout %q", err, stdout)
	}
	testutil.SameTree(t, want, testutil.ReadTree(t, out, checkpoint.Dir), "recomputed with --restart")

	if _, err := runOut(t, append(args, "--restart", "--keep-checkpoint")...); err != nil {
		t.Fatal(err)
	}
	if shards, _ := filepath.Glob(filepath.Join(out, checkpoint.Dir, "shard-*")); len(shards) == 0 {
		t.Fatal("--keep-checkpoint removed the shards")
	}
	if stdout, err := runOut(t, args...); err != nil || !strings.Contains(stdout, "already holds this run") {
		t.Fatalf("rerun after --keep-checkpoint: %v\n%s", err, stdout)
	}
}
