package mlp

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var td = filepath.Join("..", "..", "..", "testdata", "mlp")

// readNpy reads a little-endian float32 .npy file.
func readNpy(t *testing.T, path string) ([]float32, []int) {
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
	shapeStr := header[strings.Index(header, "(")+1 : strings.Index(header, ")")]
	var shape []int
	for _, f := range strings.Split(shapeStr, ",") {
		if f = strings.TrimSpace(f); f != "" {
			var n int
			json.Unmarshal([]byte(f), &n)
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

func TestGoldenProbabilities(t *testing.T) {
	feats, shape := readNpy(t, filepath.Join(td, "features.npy"))
	probs, _ := readNpy(t, filepath.Join(td, "golden_probs.npy"))
	var g struct {
		Rows []struct {
			Label  int     `json:"label"`
			Margin float64 `json:"margin_f64"`
		} `json:"rows"`
	}
	data, _ := os.ReadFile(filepath.Join(td, "golden.json"))
	json.Unmarshal(data, &g)
	saved := filepath.Join(t.TempDir(), "resaved.safetensors")
	for _, f := range []string{"model.pth", "state_dict.pt", "model.safetensors", saved} {
		if f == saved {
			c, err := Load(filepath.Join(td, "model.pth"))
			if err != nil {
				t.Fatal(err)
			}
			if err := c.Save(saved); err != nil {
				t.Fatal(err)
			}
		}
		path := f
		if !filepath.IsAbs(f) {
			path = filepath.Join(td, f)
		}
		c, err := Load(path)
		if err != nil {
			t.Fatal(err)
		}
		if c.InputDim() != shape[1] {
			t.Fatalf("%s: input %d, features %d", f, c.InputDim(), shape[1])
		}
		got, err := c.Classify(feats, shape[0])
		if err != nil {
			t.Fatal(err)
		}
		worst := 0.0
		for i := range got {
			worst = math.Max(worst, math.Abs(float64(got[i])-float64(probs[i])))
		}
		if worst > 1e-6 {
			t.Errorf("%s: worst |diff| %.3g > 1e-6", f, worst)
		}
		for i, r := range g.Rows {
			virus := got[2*i+1] > got[2*i]
			if math.Abs(r.Margin) > 1e-5 && virus != (r.Label == 1) {
				t.Errorf("%s row %d: label differs", f, i)
			}
		}
		t.Logf("%s: worst |diff| %.3g", filepath.Base(f), worst)
	}
}

func TestWidthMismatch(t *testing.T) {
	c, err := Load(filepath.Join(td, "model.pth"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Classify(make([]float32, 10), 1); err == nil || !strings.Contains(err.Error(), "3328") {
		t.Fatalf("got %v", err)
	}
	if _, err := Load(filepath.Join(td, "missing.pth")); err == nil {
		t.Fatal("want an error for a missing file")
	}
}
