package weights

import (
	"archive/zip"
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var td = filepath.Join("..", "..", "testdata")

func sameTensors(t *testing.T, a, b *StateDict, rename func(string) string) {
	t.Helper()
	n := 0
	for name, ta := range a.Tensors {
		tb, ok := b.Tensors[rename(name)]
		if !ok {
			continue
		}
		n++
		if len(ta.Data) != len(tb.Data) {
			t.Fatalf("%s: %d vs %d values", name, len(ta.Data), len(tb.Data))
		}
		for i := range ta.Data {
			if ta.Data[i] != tb.Data[i] {
				t.Fatalf("%s[%d]: %v vs %v", name, i, ta.Data[i], tb.Data[i])
			}
		}
	}
	if n == 0 {
		t.Fatal("no tensors in common")
	}
}

func TestFormatsAgree(t *testing.T) {
	t.Run("dnabert bin vs safetensors", func(t *testing.T) {
		a, err := Load(filepath.Join(td, "dnabert_tiny", "pytorch_model.bin"))
		if err != nil {
			t.Fatal(err)
		}
		b, err := Load(filepath.Join(td, "dnabert_tiny"))
		if err != nil {
			t.Fatal(err)
		}
		if len(a.Tensors) != len(b.Tensors) {
			t.Fatalf("%d vs %d tensors", len(a.Tensors), len(b.Tensors))
		}
		sameTensors(t, a, b, func(s string) string { return s })
	})
	t.Run("mlp module vs state dict vs safetensors", func(t *testing.T) {
		var sds []*StateDict
		for _, f := range []string{"model.pth", "state_dict.pt", "model.safetensors"} {
			sd, err := Load(filepath.Join(td, "mlp", f))
			if err != nil {
				t.Fatal(err)
			}
			sds = append(sds, sd)
		}
		for _, sd := range sds[1:] {
			if len(sd.Tensors) != len(sds[0].Tensors) {
				t.Fatalf("%s: %v vs %v", sd.File, sd.Names(), sds[0].Names())
			}
			sameTensors(t, sds[0], sd, func(s string) string { return s })
		}
	})
	t.Run("fair-esm checkpoint", func(t *testing.T) {
		p, err := LoadPyTorch(filepath.Join(td, "esm2_tiny", "esm2_t3_tiny_UR50D.pt"))
		if err != nil {
			t.Fatal(err)
		}
		cfg, ok := Lookup(p.Root, "cfg")
		if !ok {
			t.Fatal("no cfg")
		}
		model, _ := Lookup(cfg, "model")
		layers, _ := Lookup(model, "encoder_layers")
		if layers != 3 {
			t.Fatalf("encoder_layers = %v", layers)
		}
		sd, err := p.Weights()
		if err != nil {
			t.Fatal(err)
		}
		emb, err := sd.Get("encoder.sentence_encoder.embed_tokens.weight", 33, 128)
		if err != nil {
			t.Fatal(err)
		}
		hf, err := Load(filepath.Join(td, "esm2_tiny", "hf"))
		if err != nil {
			t.Fatal(err)
		}
		hemb, err := hf.Get("esm.embeddings.word_embeddings.weight", 33, 128)
		if err != nil {
			t.Fatal(err)
		}
		for i := range emb.Data {
			if emb.Data[i] != hemb.Data[i] {
				t.Fatal("embeddings differ between the .pt and the HF copy")
			}
		}
	})
}

func TestSafetensorsRoundTrip(t *testing.T) {
	p := filepath.Join(t.TempDir(), "x.safetensors")
	in := map[string]*Tensor{"a": {Shape: []int{2, 3}, Data: []float32{1, 2, 3, 4, 5, 6}}, "b": {Shape: []int{}, Data: []float32{7}}}
	if err := WriteSafetensors(p, in, map[string]string{"ids": `["x"]`}); err != nil {
		t.Fatal(err)
	}
	sd, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if sd.Metadata["ids"] != `["x"]` || sd.Tensors["a"].Data[5] != 6 || sd.Tensors["b"].Data[0] != 7 {
		t.Fatalf("round trip: %+v", sd)
	}
}

func TestMalformed(t *testing.T) {
	good, err := os.ReadFile(filepath.Join(td, "mlp", "model.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	pt, err := os.ReadFile(filepath.Join(td, "mlp", "state_dict.pt"))
	if err != nil {
		t.Fatal(err)
	}
	evil := evilPickle(t)
	tests := []struct {
		name  string
		parse func() error
		want  string
	}{
		{"short safetensors", func() error { _, err := ParseSafetensors(good[:5], "x"); return err }, "too short"},
		{"header past end", func() error {
			_, err := ParseSafetensors(append([]byte{255, 255, 0, 0, 0, 0, 0, 0}, good[8:100]...), "x")
			return err
		}, "exceeds"},
		{"truncated data", func() error { _, err := ParseSafetensors(good[:len(good)-10], "x"); return err }, "data_offsets"},
		{"truncated pt", func() error { _, err := ParsePyTorch(pt[:len(pt)/2], "x"); return err }, "x"},
		{"not a zip", func() error { _, err := ParsePyTorch([]byte("hello world"), "x"); return err }, "not a PyTorch zip"},
		{"os.system global", func() error { _, err := ParsePyTorch(evil, "evil.pt"); return err }, "references the global os.system"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.parse()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error with %q", err, tc.want)
			}
		})
	}
}

// evilPickle builds a torch-style zip whose pickle calls os.system("echo pwned").
func evilPickle(t *testing.T) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.CreateHeader(&zip.FileHeader{Name: "evil/data.pkl", Method: zip.Store})
	w.Write([]byte("\x80\x02cos\nsystem\nq\x00X\x0a\x00\x00\x00echo pwnedq\x01\x85q\x02Rq\x03."))
	zw.Close()
	return buf.Bytes()
}

// TestRelease checks that releasing pages never changes what a slice reads: a file
// mapping faults its pages back in, and memory that is not a mapping is left alone.
func TestRelease(t *testing.T) {
	page := os.Getpagesize()
	content := make([]byte, 5*page+123)
	for i := range content {
		content[i] = byte(i*7 + 3)
	}
	path := filepath.Join(t.TempDir(), "blob")
	if err := os.WriteFile(path, content, 0o644); err != nil {
		t.Fatal(err)
	}
	mappedData, err := mapFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		data []byte
	}{
		{"mapping", mappedData},
		{"heap", append([]byte(nil), content...)},
	} {
		for _, r := range [][2]int{{0, len(content)}, {100, 3*page + 5}, {page, 2 * page}, {10, 20}} {
			release(c.data[r[0]:r[1]])
			if !bytes.Equal(c.data, content) {
				t.Fatalf("%s: release(%v) changed the data", c.name, r)
			}
		}
	}
}
