package train

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	_ "github.com/virnucpro/virnucpro/internal/backends"
	"github.com/virnucpro/virnucpro/internal/checkpoint"
	"github.com/virnucpro/virnucpro/internal/model/esm2"
	"github.com/virnucpro/virnucpro/internal/predict"
	"github.com/virnucpro/virnucpro/internal/tensor"
)

func tinyFeatureOptions(t *testing.T, out string) FeatureOptions {
	return FeatureOptions{
		Input: filepath.Join(testdata, "virnucpro_e2e_tiny", "input_sequence.fasta"), OutDir: out, Label: Viral,
		ChunkSize: 500, DNABERT: filepath.Join(testdata, "dnabert_tiny"),
		ESM:     filepath.Join(testdata, "esm2_tiny", "esm2_t3_tiny_UR50D.pt"),
		Backend: tensor.Spec{Device: "cpu", BLAS: "go", Threads: 2}, ModelOptions: predict.ModelOptions{ESM: esm2.Options{ReprLayer: -1}},
		WindowFrames: 5, MaxTokens: [2]int{512, 512}, CacheBytes: 1 << 20, ShardRows: 4,
	}
}

// TestExtractFeaturesMatchesOriginal: the tiny end-to-end input through both tiny
// encoders gives the original's merged feature rows (ids in order, values within
// 1e-5), in shards of 4 rows with the label and a manifest.
func TestExtractFeaturesMatchesOriginal(t *testing.T) {
	out := filepath.Join(t.TempDir(), "feats")
	m, err := ExtractFeatures(context.Background(), tinyFeatureOptions(t, out))
	if err != nil {
		t.Fatal(err)
	}
	base := filepath.Join(testdata, "virnucpro_e2e_tiny", "L500", "export")
	want, shape := readNpyF32(t, filepath.Join(base, "merged.npy"))
	var ids struct {
		Merged []string `json:"merged"`
	}
	raw, err := os.ReadFile(filepath.Join(base, "ids.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &ids); err != nil {
		t.Fatal(err)
	}
	if m.Rows != shape[0] || m.Dim != shape[1] || len(m.Shards) != (shape[0]+3)/4 {
		t.Fatalf("manifest rows %d dim %d shards %d; original %v", m.Rows, m.Dim, len(m.Shards), shape)
	}
	s, err := Load([]string{out}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(s.IDs, ids.Merged) {
		t.Fatalf("ids differ:\n got %v\nwant %v", s.IDs, ids.Merged)
	}
	worst := 0.0
	for i, v := range s.X {
		worst = max(worst, math.Abs(float64(v)-float64(want[i])))
	}
	t.Logf("%d rows × %d, max |diff| vs the original %.2e", shape[0], shape[1], worst)
	if worst > 1e-5 {
		t.Errorf("features differ from the original's by %.2e", worst)
	}
	if _, err := os.Stat(filepath.Join(out, ManifestName)); err != nil {
		t.Error(err)
	}
	sh, err := ReadShard(filepath.Join(out, ShardName(1)))
	if err != nil || !sh.HasLabel || sh.Label != Viral || sh.Meta["feature_layout"] == "" {
		t.Errorf("shard 1: %+v %v", sh, err)
	}
}

// TestExtractFeaturesResumesAfterInterrupt: a run cancelled after its first committed
// checkpoint shard shows no feature shards; rerun with resume, it replays the committed
// windows and writes the same bytes as an uninterrupted run.
func TestExtractFeaturesResumesAfterInterrupt(t *testing.T) {
	ref := filepath.Join(t.TempDir(), "ref")
	if _, err := ExtractFeatures(context.Background(), tinyFeatureOptions(t, ref)); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "resumed")
	open := func() *predict.Checkpointer {
		st, err := checkpoint.Open(out, checkpoint.Identity{Tool: "test"}, checkpoint.OpenOptions{Resume: true})
		if err != nil {
			t.Fatal(err)
		}
		return predict.NewCheckpointer(st, 1, time.Hour)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	o := tinyFeatureOptions(t, out)
	o.Checkpoint = open()
	o.Checkpoint.AfterCommit = func(commits int) { // cancel once the first window is committed
		if commits == 1 {
			cancel()
		}
	}
	if _, err := ExtractFeatures(ctx, o); !errors.Is(err, context.Canceled) {
		t.Fatalf("the run cancelled after its first commit ended with %v", err)
	}
	if shards, _ := ListShards(out); len(shards) != 0 {
		t.Errorf("an interrupted run shows shards %v", shards)
	}
	o = tinyFeatureOptions(t, out)
	o.Checkpoint = open()
	if _, err := ExtractFeatures(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	want, _ := ListShards(ref)
	got, err := ListShards(out)
	if err != nil || len(got) != len(want) {
		t.Fatalf("%d shards after resume, %d uninterrupted (%v)", len(got), len(want), err)
	}
	for i := range want {
		a, _ := os.ReadFile(want[i])
		b, _ := os.ReadFile(got[i])
		if !bytes.Equal(a, b) {
			t.Errorf("%s differs from the uninterrupted run", filepath.Base(got[i]))
		}
	}
}
