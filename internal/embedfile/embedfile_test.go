package embedfile

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"os"
	"path/filepath"
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
