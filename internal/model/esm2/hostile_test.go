package esm2

import (
	"archive/zip"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/virnucpro/virnucpro/internal/tensor/cpu"
)

// withPickle copies the tiny fair-esm checkpoint, replacing old by new in its data.pkl.
func withPickle(t *testing.T, old, new string) string {
	t.Helper()
	src, err := zip.OpenReader(filepath.Join(td, "esm2_t3_tiny_UR50D.pt"))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range src.File {
		rc, _ := f.Open()
		data, _ := io.ReadAll(rc)
		rc.Close()
		if strings.HasSuffix(f.Name, "data.pkl") {
			if !bytes.Contains(data, []byte(old)) {
				t.Fatalf("%q not in data.pkl", old)
			}
			data = bytes.Replace(data, []byte(old), []byte(new), 1)
		}
		w, _ := zw.CreateHeader(&zip.FileHeader{Name: f.Name, Method: zip.Store})
		w.Write(data)
	}
	zw.Close()
	path := filepath.Join(t.TempDir(), "esm2_t3_tiny_UR50D.pt")
	os.WriteFile(path, buf.Bytes(), 0o644)
	return path
}

// TestAbsurdHeadsNameTheField: encoder_attention_heads = -1 (or 7, not dividing the
// width) in the checkpoint's cfg, or num_attention_heads = -1 in config.json, is an
// error naming the field, not a crash or "no cfg in the checkpoint".
func TestAbsurdHeadsNameTheField(t *testing.T) {
	heads := "encoder_attention_headsr\xf1\x01\x00\x00K\x04"
	hfDir := t.TempDir()
	for _, f := range []string{"config.json", "model.safetensors"} {
		b, _ := os.ReadFile(filepath.Join(td, "hf", f))
		if f == "config.json" {
			b = bytes.Replace(b, []byte(`"num_attention_heads": 4`), []byte(`"num_attention_heads": -1`), 1)
		}
		os.WriteFile(filepath.Join(hfDir, f), b, 0o644)
	}
	for _, c := range []struct {
		name, path, want string
	}{
		{"cfg heads -1", withPickle(t, heads, "encoder_attention_headsr\xf1\x01\x00\x00J\xff\xff\xff\xff"), "cfg.model.encoder_attention_heads is -1"},
		{"cfg heads 7", withPickle(t, heads, "encoder_attention_headsr\xf1\x01\x00\x00K\x07"), "cfg.model.encoder_attention_heads is 7"},
		{"config.json heads -1", hfDir, "num_attention_heads is -1"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Load(c.path, cpu.New(1, nil), Options{ReprLayer: -1})
			if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "no cfg") {
				t.Fatalf("got %v, want %q", err, c.want)
			}
		})
	}
}
