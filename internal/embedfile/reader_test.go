package embedfile

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// readAll streams a file with Reader.
func readAll(t *testing.T, path string) ([]string, []float32, int, error) {
	t.Helper()
	r, err := Open(path)
	if err != nil {
		return nil, nil, 0, err
	}
	defer r.Close()
	var ids []string
	var data []float32
	for {
		id, row, err := r.Next()
		if err == io.EOF {
			return ids, data, r.Dim(), nil
		}
		if err != nil {
			return ids, data, r.Dim(), err
		}
		ids = append(ids, id)
		data = append(data, row...)
	}
}

// writeRaw writes a safetensors file with the given header and float32 data.
func writeRaw(t *testing.T, header string, data []float32) string {
	t.Helper()
	for len(header)%8 != 0 {
		header += " "
	}
	b := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	b = append(b, header...)
	for _, v := range data {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(v))
	}
	p := filepath.Join(t.TempDir(), "e.safetensors")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestReaderStreamsWhatReadLoads: the streaming Reader gives the ids and rows Read
// gives, for ids that need escaping at both JSON levels, for no rows, for the header
// layouts json.Marshal and Python's safetensors write, and for more ids than any
// header string the scanner would hold (so they are streamed, not held).
func TestReaderStreamsWhatReadLoads(t *testing.T) {
	many := make([]string, 5000) // ~100 KB of ids, over maxToken
	for i := range many {
		many[i] = fmt.Sprintf("read_%08d_chunk_1F1", i)
	}
	for _, ids := range [][]string{nil, {"a"}, {"r1_chunk_1F1", "x<y>&z", `q"uo\\te`, "tab\there", "ünï©ødé", "bad\xffutf8", "ctl\x01", "\u2028sep", "😀 astral"}, many} {
		p := filepath.Join(t.TempDir(), "e.safetensors")
		data := make([]float32, 3*len(ids))
		for i := range data {
			data[i] = float32(i) / 7
		}
		if err := Write(p, ids, data, 3); err != nil {
			t.Fatal(err)
		}
		wantIDs, wantData, _, err := Read(p)
		if err != nil {
			t.Fatal(err)
		}
		gotIDs, gotData, dim, err := readAll(t, p)
		if err != nil || dim != 3 || fmt.Sprintf("%q", gotIDs) != fmt.Sprintf("%q", wantIDs) || fmt.Sprint(gotData) != fmt.Sprint(wantData) {
			t.Fatalf("%d ids: streamed %.80q (dim %d, %v), Read gives %.80q", len(ids), gotIDs, dim, err, wantIDs)
		}
	}
	// Other layouts: tensor first, spaces, escaped keys, an extra tensor, \u escapes.
	for _, h := range []string{
		`{"embeddings": {"dtype": "F32", "shape": [2, 1], "data_offsets": [0, 8]}, "__metadata__": {"ids": "[\"a\", \"\\u00e9\\ud83d\\ude00\"]", "format": "virnucpro-embeddings"}}`,
		`{"__metadata__":{"format":"x","ids":"[\"a\",\"é😀\"]"},"other":{"dtype":"F32","shape":[1],"data_offsets":[8,12]},"embeddings":{"data_offsets":[0,8],"dtype":"F32","shape":[2,1]}}`,
	} {
		p := writeRaw(t, h, []float32{1, 2, 3})
		ids, data, _, err := readAll(t, p)
		if err != nil || len(ids) != 2 || ids[1] != "é😀" || len(data) != 2 || data[1] != 2 {
			t.Fatalf("header %s: %q %v %v", h, ids, data, err)
		}
	}
}

// TestReaderRefusesInconsistentFiles: a malformed file is an error naming it (and the
// problem), never a panic or a silent short read.
func TestReaderRefusesInconsistentFiles(t *testing.T) {
	meta := func(ids string) string {
		return `{"__metadata__":{"ids":"` + ids + `"},"embeddings":{"dtype":"F32","shape":[2,1],"data_offsets":[0,8]}}`
	}
	for _, tc := range []struct {
		name, header, want string
		data               []float32
	}{
		{"fewer ids", meta(`[\"a\"]`), "1 ids for 2 rows", []float32{1, 2}},
		{"more ids", meta(`[\"a\",\"b\",\"c\"]`), "more ids than its 2 rows", []float32{1, 2}},
		{"no ids", `{"embeddings":{"dtype":"F32","shape":[2,1],"data_offsets":[0,8]}}`, "no ids", []float32{1, 2}},
		{"ids not an array", meta(`{}`), "JSON array", []float32{1, 2}},
		{"bad escape", meta(`[\"a\\q\"]`), "metadata", []float32{1, 2}},
		{"short data", meta(`[\"a\",\"b\"]`), "data_offsets", []float32{1}},
		{"float16", strings.Replace(meta(`[\"a\",\"b\"]`), "F32", "F16", 1), "float32 matrix", []float32{1, 2}},
		{"truncated header", `{"__metadata__":{"ids":"[`, "header", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := writeRaw(t, tc.header, tc.data)
			_, _, _, err := readAll(t, p)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), p) {
				t.Fatalf("got %v, want an error naming %s and %q", err, p, tc.want)
			}
		})
	}
	if _, err := Open(filepath.Join(t.TempDir(), "missing")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing file: %v", err)
	}
}
