package train

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/virnucpro/virnucpro/internal/embedfile"
	"github.com/virnucpro/virnucpro/internal/model/mlp"
)

var testdata = filepath.Join("..", "..", "testdata")

// readNpyF32 reads a little-endian float32 .npy file: values and shape.
func readNpyF32(t *testing.T, path string) ([]float32, []int) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	hlen := int(binary.LittleEndian.Uint16(data[8:10]))
	header := string(data[10 : 10+hlen])
	if !strings.Contains(header, "'<f4'") {
		t.Fatalf("%s: not float32: %s", path, header)
	}
	var shape []int
	for _, f := range strings.Split(header[strings.Index(header, "(")+1:strings.Index(header, ")")], ",") {
		if f = strings.TrimSpace(f); f != "" {
			var n int
			if err := json.Unmarshal([]byte(f), &n); err != nil {
				t.Fatal(err)
			}
			shape = append(shape, n)
		}
	}
	body := data[10+hlen:]
	out := make([]float32, len(body)/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(body[4*i:]))
	}
	return out, shape
}

func TestShardRoundTripAndErrors(t *testing.T) {
	dir := t.TempDir()
	data := []float32{1, 2, 3, 4, 5, 6}
	p := filepath.Join(dir, ShardName(1))
	if err := WriteShard(p, []string{"a_chunk_1F1", "b_chunk_1R2"}, data, 3, Viral, map[string]string{"layout": "x"}); err != nil {
		t.Fatal(err)
	}
	s, err := ReadShard(p)
	if err != nil {
		t.Fatal(err)
	}
	if !s.HasLabel || s.Label != Viral || s.Dim != 3 || !slices.Equal(s.Data, data) || s.IDs[1] != "b_chunk_1R2" || s.Meta["layout"] != "x" {
		t.Fatalf("round trip: %+v", s)
	}
	// A feature shard is also an embedding file.
	ids, _, dim, err := embedfile.Read(p)
	if err != nil || dim != 3 || len(ids) != 2 {
		t.Fatalf("embedfile.Read: %v %d %v", ids, dim, err)
	}
	if n, ok := ShardIndex(filepath.Base(p)); !ok || n != 1 {
		t.Errorf("ShardIndex(%s) = %d %v", p, n, ok)
	}

	// Label conflicts, width mismatches, NaN rows and empty dirs are errors naming the file.
	other := filepath.Join(dir, "other")
	os.Mkdir(other, 0o755)
	os.WriteFile(filepath.Join(other, ".tmp-partial.safetensors"), []byte("junk"), 0o644) // hidden: ignored
	if _, err := Load(nil, []string{dir}); err == nil || !strings.Contains(err.Error(), "labelled viral") {
		t.Errorf("label conflict: %v", err)
	}
	if _, err := Load([]string{other}, nil); err == nil || !strings.Contains(err.Error(), "no feature shards") {
		t.Errorf("empty dir: %v", err)
	}
	wide := filepath.Join(other, "w.safetensors")
	if err := WriteShard(wide, []string{"x"}, []float32{1, 2}, 2, Other, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := Load([]string{dir}, []string{other}); err == nil || !strings.Contains(err.Error(), "width 2") {
		t.Errorf("width mismatch: %v", err)
	}
	nan := filepath.Join(t.TempDir(), "nan.safetensors")
	if err := WriteShard(nan, []string{"ok", "bad"}, []float32{1, 2, float32(math.NaN()), 4}, 2, Other, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadShard(nan); err == nil || !strings.Contains(err.Error(), `"bad"`) || !strings.Contains(err.Error(), "nan.safetensors") {
		t.Errorf("NaN row: %v", err)
	}
	garbage := filepath.Join(t.TempDir(), "g.safetensors")
	os.WriteFile(garbage, []byte("not a safetensors file at all"), 0o644)
	if _, err := ReadShard(garbage); err == nil || !strings.Contains(err.Error(), "g.safetensors") {
		t.Errorf("garbage file: %v", err)
	}
	if err := WriteShard(filepath.Join(dir, "x.safetensors"), []string{"a"}, []float32{1}, 2, Viral, nil); err == nil {
		t.Error("short data accepted")
	}
	if _, err := ParseLabel("bacteria"); err == nil {
		t.Error("unknown label accepted")
	}
}

// TestReadOriginalMergedPT reads the original's merged feature file (prediction
// time: no labels) and matches the exported matrix.
func TestReadOriginalMergedPT(t *testing.T) {
	base := filepath.Join(testdata, "virnucpro_e2e_tiny", "L500")
	s, err := ReadShard(filepath.Join(base, "input_sequence_merged", "output_1_merged.pt"))
	if err != nil {
		t.Fatal(err)
	}
	want, shape := readNpyF32(t, filepath.Join(base, "export", "merged.npy"))
	if s.HasLabel || s.Dim != shape[1] || len(s.IDs) != shape[0] || !slices.Equal(s.Data, want) {
		t.Fatalf("merged .pt: dim %d ids %d label %v; export %v", s.Dim, len(s.IDs), s.HasLabel, shape)
	}
	var ids []string
	raw, _ := os.ReadFile(filepath.Join(base, "export", "ids.json"))
	if err := json.Unmarshal(raw, &ids); err == nil && len(ids) == len(s.IDs) && ids[0] != s.IDs[0] {
		t.Errorf("first id %q, export %q", s.IDs[0], ids[0])
	}
}

// TestEvaluateReferenceClassifier: the reference classifier (the original's
// MLPClassifier, as .pth, state_dict .pt and safetensors) through EvaluateClassifier,
// with its own golden calls as the truth: every row right, and the loss equal to the
// golden probabilities' cross-entropy.
func TestEvaluateReferenceClassifier(t *testing.T) {
	td := filepath.Join(testdata, "mlp")
	feats, shape := readNpyF32(t, filepath.Join(td, "features.npy"))
	probs, _ := readNpyF32(t, filepath.Join(td, "golden_probs.npy"))
	var g struct {
		Rows []struct {
			ID    string `json:"id"`
			Label int    `json:"label"`
		} `json:"rows"`
	}
	raw, err := os.ReadFile(filepath.Join(td, "golden.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &g); err != nil {
		t.Fatal(err)
	}
	dim := shape[1]
	dirs := map[Label]string{Viral: filepath.Join(t.TempDir(), "viral"), Other: filepath.Join(t.TempDir(), "other")}
	var wantLoss float64
	for _, l := range []Label{Viral, Other} {
		var ids []string
		var rows []float32
		for i, r := range g.Rows {
			if Label(r.Label) == l {
				ids = append(ids, r.ID)
				rows = append(rows, feats[i*dim:(i+1)*dim]...)
				wantLoss -= math.Log(float64(probs[2*i+r.Label]))
			}
		}
		os.MkdirAll(dirs[l], 0o755)
		if err := WriteShard(filepath.Join(dirs[l], ShardName(1)), ids, rows, dim, l, nil); err != nil {
			t.Fatal(err)
		}
	}
	wantLoss /= float64(len(g.Rows))
	s, err := Load([]string{dirs[Viral]}, []string{dirs[Other]})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"model.pth", "state_dict.pt", "model.safetensors"} {
		t.Run(f, func(t *testing.T) {
			c, err := mlp.Load(filepath.Join(td, f))
			if err != nil {
				t.Fatal(err)
			}
			m, err := EvaluateClassifier(context.Background(), c, s, 32)
			if err != nil {
				t.Fatal(err)
			}
			if want := (Confusion{TP: s.Count(Viral), TN: s.Count(Other)}); m.Confusion != want || m.Accuracy != 1 || m.MCC != 1 || m.AUROC != 1 {
				t.Errorf("confusion %+v acc %v MCC %v AUROC %v, want %+v and 1s", m.Confusion, m.Accuracy, m.MCC, m.AUROC, want)
			}
			if math.Abs(m.Loss-wantLoss) > 1e-6 {
				t.Errorf("loss %.9f, golden %.9f", m.Loss, wantLoss)
			}
			// The float64 training-side forward of the same weights agrees.
			m64, err := Evaluate(context.Background(), FromClassifier(c), s, nil, 32, 2)
			if err != nil {
				t.Fatal(err)
			}
			if m64.Confusion != m.Confusion {
				t.Errorf("float64 forward confusion %+v", m64.Confusion)
			}
		})
	}
}
