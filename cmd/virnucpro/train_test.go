package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/virnucpro/virnucpro/internal/model/mlp"
	"github.com/virnucpro/virnucpro/internal/train"
)

var td = filepath.Join("..", "..", "testdata")

// runOut executes the CLI in-process, on a fresh command tree, and returns its
// standard output.
func runOut(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	root := newRootCmd()
	root.SetArgs(args)
	root.SetOut(&out)
	err := root.Execute()
	return out.String(), err
}

// writeFASTA writes n random records of 100..233 codons drawn from codons (none a
// stop, so every chunk keeps at least one frame).
func writeFASTA(t *testing.T, path string, seed uint64, n int, codons []string) {
	r := rand.New(rand.NewPCG(seed, 1))
	var b strings.Builder
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, ">s%d_%d\n", seed, i)
		for k := 100 + r.IntN(134); k > 0; k-- {
			b.WriteString(codons[r.IntN(len(codons))])
		}
		b.WriteByte('\n')
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestFeaturesTrainEvaluatePredict runs the whole training workflow with the tiny
// encoders: features for both classes, train (bit-identical for -j 1 and -j 3),
// evaluate the trained and a reference classifier, and predict with the trained one.
func TestFeaturesTrainEvaluatePredict(t *testing.T) {
	dir := t.TempDir()
	esm := filepath.Join(td, "esm2_tiny", "esm2_t3_tiny_UR50D.pt")
	dnabert := filepath.Join(td, "dnabert_tiny")
	viralFa, otherFa := filepath.Join(dir, "viral.fa"), filepath.Join(dir, "other.fa")
	writeFASTA(t, viralFa, 1, 40, []string{"AAT", "ATT", "TTA", "ATA", "AAA", "TAT", "TTT", "GAT", "ACT"})
	writeFASTA(t, otherFa, 2, 10, []string{"GCC", "GGC", "CGC", "GCG", "CCG", "GGG", "CCC", "GTC", "CAG"})
	viral, other := filepath.Join(dir, "viral"), filepath.Join(dir, "other")
	for _, c := range []struct{ in, label, out string }{{viralFa, "viral", viral}, {otherFa, "other", other}} {
		if _, err := runOut(t, "features", c.in, "--label", c.label, "--esm", esm, "--dnabert", dnabert, "-o", c.out,
			"--chunk-size", "300", "--shard-rows", "50", "--blas", "go", "--device", "cpu", "--no-progress", "-j", "2"); err != nil {
			t.Fatalf("features %s: %v", c.label, err)
		}
	}
	// Rerunning replays the checkpoint and rewrites identical shards.
	first, _ := os.ReadFile(filepath.Join(viral, train.ShardName(1)))
	os.Remove(filepath.Join(viral, train.ShardName(1)))
	if _, err := runOut(t, "features", viralFa, "--label", "viral", "--esm", esm, "--dnabert", dnabert, "-o", viral,
		"--chunk-size", "300", "--shard-rows", "50", "--blas", "go", "--device", "cpu", "--no-progress"); err != nil {
		t.Fatalf("features rerun: %v", err)
	}
	if again, _ := os.ReadFile(filepath.Join(viral, train.ShardName(1))); !bytes.Equal(first, again) || len(first) == 0 {
		t.Error("resumed features run wrote a different shard")
	}

	var models [][]byte
	for _, j := range []string{"1", "3"} {
		out := filepath.Join(dir, "model"+j+".safetensors")
		hist := filepath.Join(dir, "history"+j+".json")
		if _, err := runOut(t, "train", "--viral", viral, "--other", other, "-o", out, "--hidden", "16", "--epochs", "6",
			"--lr", "0.01", "--seed", "3", "--history", hist, "-j", j); err != nil {
			t.Fatalf("train -j %s: %v", j, err)
		}
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		models = append(models, b)
		var h struct {
			Epochs []map[string]any `json:"epochs"`
		}
		raw, _ := os.ReadFile(hist)
		if err := json.Unmarshal(raw, &h); err != nil || len(h.Epochs) == 0 || h.Epochs[0]["val"] == nil {
			t.Fatalf("history: %v %s", err, raw)
		}
	}
	if !bytes.Equal(models[0], models[1]) {
		t.Error("train -j 1 and -j 3 wrote different models")
	}
	trained := filepath.Join(dir, "model1.safetensors")
	c, err := mlp.Load(trained)
	if err != nil {
		t.Fatal(err)
	}
	if c.In != 224 || c.Hidden != 16 {
		t.Fatalf("trained classifier %d -> %d", c.In, c.Hidden)
	}

	for _, m := range []string{trained, filepath.Join(td, "virnucpro_e2e_tiny", "mlp", "model.pth")} {
		js, err := runOut(t, "evaluate", "--model", m, "--viral", viral, "--other", other, "--json", "-")
		if err != nil {
			t.Fatalf("evaluate %s: %v", m, err)
		}
		var res map[string]any
		if err := json.Unmarshal([]byte(js), &res); err != nil {
			t.Fatalf("evaluate JSON: %v\n%s", err, js)
		}
		s, _ := train.Load([]string{viral}, []string{other})
		if int(res["n"].(float64)) != s.Len() || res["confusion"] == nil || res["mcc"] == nil {
			t.Errorf("evaluate %s: %v", m, res)
		}
		t.Logf("%s: accuracy %v F1 %v AUROC %v", filepath.Base(m), res["accuracy"], res["f1"], res["auroc"])
		text, err := runOut(t, "evaluate", "--classifier", m, "--viral", viral, "--other", other, "--json", filepath.Join(dir, "m.json"))
		if err != nil || !strings.Contains(text, "confusion matrix") || !strings.Contains(text, "MCC") {
			t.Errorf("evaluate text: %v\n%s", err, text)
		}
	}

	pred := filepath.Join(dir, "pred")
	if _, err := runOut(t, "predict", viralFa, "--esm", esm, "--dnabert", dnabert, "--classifier", trained, "-o", pred,
		"--chunk-size", "300", "--blas", "go", "--device", "cpu", "--no-progress"); err != nil {
		t.Fatalf("predict with the trained classifier: %v", err)
	}
	if b, err := os.ReadFile(filepath.Join(pred, "prediction_results.txt")); err != nil || bytes.Count(b, []byte("\n")) < 10 {
		t.Errorf("prediction_results.txt: %v", err)
	}
}

func TestTrainEvaluateBadInput(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	os.Mkdir(empty, 0o755)
	feats := filepath.Join(dir, "f")
	os.Mkdir(feats, 0o755)
	if err := train.WriteShard(filepath.Join(feats, "a.safetensors"), []string{"a", "b"}, []float32{1, 2, 3, 4}, 2, train.Viral, nil); err != nil {
		t.Fatal(err)
	}
	others := filepath.Join(dir, "o")
	os.Mkdir(others, 0o755)
	if err := train.WriteShard(filepath.Join(others, "b.safetensors"), []string{"c", "d"}, []float32{5, 6, 7, 8}, 2, train.Other, nil); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"train-no-output", []string{"train", "--viral", feats, "--other", feats}, "--output"},
		{"train-no-other", []string{"train", "--viral", feats, "-o", filepath.Join(dir, "m.safetensors")}, "--other"},
		{"train-empty-dir", []string{"train", "--viral", feats, "--other", empty, "-o", filepath.Join(dir, "m.safetensors")}, "no feature shards"},
		{"train-label-conflict", []string{"train", "--viral", empty, "--other", feats, "-o", filepath.Join(dir, "m.safetensors")}, "no feature shards"},
		{"train-bad-batch", []string{"train", "--viral", feats, "--other", feats, "-o", filepath.Join(dir, "m.safetensors"), "--batch-size", "1"}, "batch size"},
		{"train-bad-dropout", []string{"train", "--viral", feats, "--other", feats, "-o", filepath.Join(dir, "m.safetensors"), "--dropout", "1"}, "dropout"},
		// The width mismatch of --init used to be lost through a shadowed err, then a nil
		// result panicked.
		{"train-init-width", []string{"train", "--viral", feats, "--other", others, "-o", filepath.Join(dir, "m.safetensors"), "--init", filepath.Join(td, "mlp", "model.pth")}, "features have width 2"},
		{"evaluate-no-model", []string{"evaluate", "--viral", feats}, "--classifier is required"},
		{"evaluate-missing-model", []string{"evaluate", "--model", filepath.Join(dir, "nope.pth"), "--viral", feats}, "nope.pth"},
		{"evaluate-width", []string{"evaluate", "--model", filepath.Join(td, "mlp", "model.pth"), "--viral", feats}, "width 2"},
		{"features-bad-label", []string{"features", "x.fa", "--label", "bacteria", "-o", dir}, "label"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := runOut(t, tc.args...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one mentioning %q", err, tc.want)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "m.safetensors")); err == nil {
		t.Error("a failed run left a model behind")
	}
}
