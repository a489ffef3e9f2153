package embedfile

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
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

// oldHeader is the header the writer built before it streamed the ids: json.Marshal
// of the whole map.
func oldHeader(ids []string, dim int) []byte {
	idj, _ := json.Marshal(ids)
	n := int64(len(ids)) * int64(dim) * 4
	h, _ := json.Marshal(map[string]any{
		TensorName:     map[string]any{"dtype": "F32", "shape": []int{len(ids), dim}, "data_offsets": []int64{0, n}},
		"__metadata__": map[string]string{"ids": string(idj), "format": "virnucpro-embeddings"},
	})
	for len(h)%8 != 0 {
		h = append(h, ' ')
	}
	return h
}

// TestStreamedHeaderIsJSONMarshal checks that the ids streamed through a temporary
// file give byte for byte the header json.Marshal gives, for ids that need escaping.
func TestStreamedHeaderIsJSONMarshal(t *testing.T) {
	for _, ids := range [][]string{nil, {"a"}, {"r1_chunk_1F1", "x<y>&z", `q"uo\\te`, "tab\there", "ünï©ødé", "bad\xffutf8", "ctl\x01", "\u2028sep"}} {
		p := filepath.Join(t.TempDir(), "e.safetensors")
		data := make([]float32, 2*len(ids))
		if err := Write(p, ids, data, 2); err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(p)
		hlen := binary.LittleEndian.Uint64(b[:8])
		if got, want := b[8:8+hlen], oldHeader(ids, 2); !bytes.Equal(got, want) {
			t.Fatalf("ids %q:\n got %s\nwant %s", ids, got, want)
		}
		got, _, _, err := Read(p)
		if err != nil || len(got) != len(ids) {
			t.Fatalf("read back %q: %v", got, err)
		}
	}
}

// failAfter accepts n bytes, then fails every write with err.
type failAfter struct {
	n   int
	err error
}

func (f *failAfter) Write(b []byte) (int, error) {
	if len(b) > f.n {
		k := f.n
		f.n = 0
		return k, f.err
	}
	f.n -= len(b)
	return len(b), nil
}

// TestHeaderWriteErrorIsReported (issue 16, defect 12): a write that fails anywhere in
// the file (inside the length, the header, the ids streamed into it, or the rows) is
// returned, naming the destination, and not dropped (the header's write error used to be
// lost through a shadowed err, leaving a file without its header and a nil error). A
// small file is written in one piece at the final flush; the large one (a header over
// the 1 MiB buffer) fails while the header itself is being written.
func TestHeaderWriteErrorIsReported(t *testing.T) {
	small := []string{"r1_chunk_1F1", "r1_chunk_1R1"}
	large := make([]string, 40000) // ~1.3 MB of ids in the header
	for i := range large {
		large[i] = fmt.Sprintf("read_%06d_chunk_1F1", i)
	}
	diskFull := errors.New("no space left on device")
	for _, c := range []struct {
		name  string
		ids   []string
		after int
	}{
		{"in the length", small, 3},
		{"at the header", small, 8},
		{"inside the header", small, 40},
		{"at the rows", small, -1}, // -1: the header's length (the rows' first byte)
		{"large header, at its start", large, 8},
		{"large header, inside the ids", large, 600_000},
	} {
		t.Run(c.name, func(t *testing.T) {
			var whole bytes.Buffer
			data := make([]float32, 2*len(c.ids))
			if err := WriteStream(&whole, c.ids, data, 2); err != nil {
				t.Fatal(err)
			}
			after := c.after
			if after < 0 {
				after = 8 + int(binary.LittleEndian.Uint64(whole.Bytes()[:8]))
			}
			if after >= whole.Len() {
				t.Fatalf("fault at %d is past the file's %d bytes", after, whole.Len())
			}
			err := WriteStream(&failAfter{n: after, err: diskFull}, c.ids, data, 2)
			if !errors.Is(err, diskFull) || !strings.Contains(err.Error(), "standard output") {
				t.Fatalf("fault after %d of %d bytes: got %v, want the write error", after, whole.Len(), err)
			}
		})
	}
	// Commit into a failing destination removes its temporary row and id files.
	dir := t.TempDir()
	w, err := Create(filepath.Join(dir, "e.safetensors"), 2)
	if err != nil {
		t.Fatal(err)
	}
	w.Append("a", []float32{1, 2})
	w.stream, w.path = &failAfter{n: 20, err: diskFull}, "injected"
	if err := w.Commit(); !errors.Is(err, diskFull) {
		t.Fatalf("Commit: %v", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("files left: %v", entries)
	}
}
