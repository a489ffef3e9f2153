package predict

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/virnucpro/virnucpro/internal/pipeline"
	"github.com/virnucpro/virnucpro/internal/report"
	"github.com/virnucpro/virnucpro/internal/weights"
)

// TestStreamedShardIsEncodeSafetensors: a checkpoint shard written window by window
// has the bytes weights.EncodeSafetensors gives for the assembled tensors (the
// format resumes read), with and without scores.
func TestStreamedShardIsEncodeSafetensors(t *testing.T) {
	const dim = 3
	var pending []*pipeline.Window
	var features, scores []float32
	var meta []shardWindow
	for wi, n := range []int{2, 0, 3} {
		w := &pipeline.Window{Index: wi, FeatureDim: dim, SeqDigest: "d"}
		for f := range n {
			w.Frames = append(w.Frames, pipeline.Frame{ID: "f"})
			for j := range dim {
				w.Features = append(w.Features, float32(wi*100+f*10+j)/3)
			}
			if wi != 2 { // the last window unscored: its scores are 0/0
				w.Scores = append(w.Scores, report.FrameScore{Others: float32(f) / 7, Virus: 1 - float32(f)/7})
			}
		}
		for f := range n {
			if w.Scores != nil {
				scores = append(scores, w.Scores[f].Others, w.Scores[f].Virus)
			} else {
				scores = append(scores, 0, 0)
			}
		}
		features = append(features, w.Features...)
		pending = append(pending, w)
		meta = append(meta, shardWindow{Index: w.Index, Frames: n, IDsHash: hashIDs(w), SeqHash: w.SeqDigest})
	}
	frames := len(scores) / 2
	header, err := shardHeader(meta, frames, dim)
	if err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	if err := writeShard(&got, header, pending); err != nil {
		t.Fatal(err)
	}
	mj, _ := json.Marshal(meta)
	want, err := weights.EncodeSafetensors(map[string]*weights.Tensor{
		"scores":   {Shape: []int{frames, 2}, Data: scores},
		"features": {Shape: []int{frames, dim}, Data: features},
	}, map[string]string{"windows": string(mj), "format": "virnucpro-checkpoint-shard"})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), want) {
		t.Fatalf("streamed shard (%d bytes) differs from EncodeSafetensors (%d bytes)", got.Len(), len(want))
	}
}
