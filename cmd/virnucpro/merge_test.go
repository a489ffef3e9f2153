package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/virnucpro/virnucpro/internal/checkpoint"
	"github.com/virnucpro/virnucpro/internal/predict"
	"github.com/virnucpro/virnucpro/internal/testutil"
)

// TestShardAndMergeCommands splits the demo over three shards on the command line
// (one without a checkpoint), merges them in reverse order (the checkpointed ones
// compacted to their completion records) and compares with one unsharded run.
func TestShardAndMergeCommands(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join("..", "..", "demo", "input.fasta")
	models := []string{"--esm", filepath.Join(td, "esm2_tiny", "esm2_t3_tiny_UR50D.pt"), "--dnabert", filepath.Join(td, "dnabert_tiny"),
		"--classifier", filepath.Join(td, "virnucpro_e2e_tiny", "mlp", "model.pth"), "--chunk-size", "500", "--no-progress", "-j", "2"}
	models = append(models, testutil.MathPathFlags(t)...)
	runPredict := func(out string, extra ...string) {
		t.Helper()
		args := append(append([]string{"predict", in, "-o", out}, models...), extra...)
		if _, err := runOut(t, args...); err != nil {
			t.Fatalf("%v: %v", extra, err)
		}
	}
	whole := filepath.Join(dir, "whole")
	runPredict(whole)
	var shards []string
	for i := 2; i >= 0; i-- {
		out := filepath.Join(dir, fmt.Sprintf("shard%d", i))
		extra := []string{"--shard", fmt.Sprintf("%d/3", i)}
		if i == 1 {
			extra = append(extra, "--no-checkpoint")
		}
		runPredict(out, extra...)
		shards = append(shards, out)
	}
	// The checkpointed shards were compacted to their completion records: merge reads
	// only the result files (and shard.json).
	for _, s := range []string{shards[0], shards[2]} {
		if left, _ := filepath.Glob(filepath.Join(s, checkpoint.Dir, "shard-*")); len(left) != 0 {
			t.Fatalf("%s: checkpoint shards left after a finished run: %v", s, left)
		}
		if _, err := os.Stat(filepath.Join(s, checkpoint.Dir, checkpoint.CompletionName)); err != nil {
			t.Fatalf("%s: no completion record: %v", s, err)
		}
	}
	merged := filepath.Join(dir, "merged")
	if _, err := runOut(t, append([]string{"merge", "-o", merged}, shards...)...); err != nil {
		t.Fatal(err)
	}
	testutil.SameTree(t, testutil.ReadTree(t, whole, ".virnucpro"), testutil.ReadTree(t, merged, ".virnucpro"), "merged vs unsharded")

	if _, err := runOut(t, "merge", "-o", filepath.Join(dir, "m2"), shards[0], shards[1]); err == nil || !strings.Contains(err.Error(), "shard(s) 0/3 missing") {
		t.Errorf("merge of 2 of 3 shards: %v", err)
	}
	if _, err := runOut(t, "merge", shards[0]); err == nil || !strings.Contains(err.Error(), "--output") {
		t.Errorf("merge without -o: %v", err)
	}
	if _, err := runOut(t, append([]string{"predict", "-", "-o", filepath.Join(dir, "stdin"), "--shard", "0/2", "--no-checkpoint"}, models...)...); err == nil || !strings.Contains(err.Error(), "stdin") {
		t.Errorf("--shard on stdin: %v", err)
	}
	if _, err := os.Stat(filepath.Join(merged, predict.ShardResultFile)); err == nil {
		t.Error("the merged output carries a shard.json")
	}
}
