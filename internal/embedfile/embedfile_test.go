package embedfile

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "e.safetensors")
	if err := Write(p, []string{"a", "b|c"}, []float32{1, 2, 3, 4, 5, 6}, 3); err != nil {
		t.Fatal(err)
	}
	ids, data, dim, err := Read(p)
	if err != nil {
		t.Fatal(err)
	}
	if dim != 3 || len(ids) != 2 || ids[1] != "b|c" || data[5] != 6 {
		t.Fatalf("got %v %v %d", ids, data, dim)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("temporary files left: %v", entries)
	}
	w, _ := Create(filepath.Join(dir, "x.safetensors"), 2)
	if err := w.Append("x", []float32{1}); err == nil {
		t.Fatal("want a width error")
	}
	w.Abort()
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Fatalf("abort left files: %v", entries)
	}
}

// failAfter accepts n bytes, then fails every write.
type failAfter struct{ n int }

func (f *failAfter) Write(b []byte) (int, error) {
	if len(b) > f.n {
		return 0, errors.New("disk full")
	}
	f.n -= len(b)
	return len(b), nil
}

// TestHeaderWriteErrorIsReported: a failure writing the header (after its length) is
// returned, not dropped.
func TestHeaderWriteErrorIsReported(t *testing.T) {
	err := writeSafetensors(&failAfter{n: 8}, []byte(`{"x":1}`), strings.NewReader(""))
	if err == nil || err.Error() != "disk full" {
		t.Fatalf("got %v", err)
	}
}
