// Package embedfile writes and reads embedding files: safetensors holding one float32
// tensor "embeddings" [N, D] in input order and the N ids as a JSON array in the
// __metadata__ key "ids". Python reads them with safetensors.numpy.load_file and
// json.loads(metadata["ids"]).
package embedfile

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"

	"github.com/virnucpro/virnucpro/internal/atomicfile"
	"github.com/virnucpro/virnucpro/internal/weights"
)

// TensorName is the name of the embedding matrix.
const TensorName = "embeddings"

// Writer streams rows to a temporary file and assembles the safetensors file on
// Commit, so memory does not grow with N (only the ids are kept).
type Writer struct {
	path string
	dim  int
	ids  []string
	tmp  *os.File
	buf  *bufio.Writer
	b4   [4]byte
}

// Create starts an embedding file of width dim at path.
func Create(path string, dim int) (*Writer, error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".rows-*")
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", path, err)
	}
	return &Writer{path: path, dim: dim, tmp: tmp, buf: bufio.NewWriterSize(tmp, 1<<20)}, nil
}

// Append adds one row.
func (w *Writer) Append(id string, row []float32) error {
	if len(row) != w.dim {
		return fmt.Errorf("%s: row %q has %d values, want %d", w.path, id, len(row), w.dim)
	}
	w.ids = append(w.ids, id)
	for _, v := range row {
		binary.LittleEndian.PutUint32(w.b4[:], math.Float32bits(v))
		if _, err := w.buf.Write(w.b4[:]); err != nil {
			return fmt.Errorf("write %s: %w", w.path, err)
		}
	}
	return nil
}

// Commit writes the final file atomically and removes the temporary rows.
func (w *Writer) Commit() error {
	defer w.Abort()
	if err := w.buf.Flush(); err != nil {
		return fmt.Errorf("write %s: %w", w.path, err)
	}
	ids, err := json.Marshal(w.ids)
	if err != nil {
		return err
	}
	n := int64(len(w.ids)) * int64(w.dim) * 4
	header := map[string]any{
		TensorName:     map[string]any{"dtype": "F32", "shape": []int{len(w.ids), w.dim}, "data_offsets": []int64{0, n}},
		"__metadata__": map[string]string{"ids": string(ids), "format": "virnucpro-embeddings"},
	}
	h, err := json.Marshal(header)
	if err != nil {
		return err
	}
	for len(h)%8 != 0 {
		h = append(h, ' ')
	}
	out, err := atomicfile.Create(w.path)
	if err != nil {
		return err
	}
	var lenBuf [8]byte
	binary.LittleEndian.PutUint64(lenBuf[:], uint64(len(h)))
	_, err = out.Write(lenBuf[:])
	if err == nil {
		_, err = out.Write(h)
	}
	if err == nil {
		_, err = w.tmp.Seek(0, io.SeekStart)
	}
	if err == nil {
		_, err = io.Copy(out, w.tmp)
	}
	if err != nil {
		out.Abort()
		return fmt.Errorf("write %s: %w", w.path, err)
	}
	return out.Commit()
}

// Abort removes the temporary rows (no-op after Commit).
func (w *Writer) Abort() {
	if w.tmp != nil {
		w.tmp.Close()
		os.Remove(w.tmp.Name())
		w.tmp = nil
	}
}

// Write writes a whole embedding file at once.
func Write(path string, ids []string, data []float32, dim int) error {
	w, err := Create(path, dim)
	if err != nil {
		return err
	}
	for i, id := range ids {
		if err := w.Append(id, data[i*dim:(i+1)*dim]); err != nil {
			w.Abort()
			return err
		}
	}
	return w.Commit()
}

// Read loads an embedding file: the ids and the [N, D] matrix.
func Read(path string) (ids []string, data []float32, dim int, err error) {
	sd, err := weights.LoadSafetensors(path)
	if err != nil {
		return nil, nil, 0, err
	}
	t, err := sd.Get(TensorName, -1, -1)
	if err != nil {
		return nil, nil, 0, err
	}
	if err := json.Unmarshal([]byte(sd.Metadata["ids"]), &ids); err != nil {
		return nil, nil, 0, fmt.Errorf("%s: metadata ids: %v", path, err)
	}
	if len(ids) != t.Shape[0] {
		return nil, nil, 0, fmt.Errorf("%s: %d ids for %d rows", path, len(ids), t.Shape[0])
	}
	return ids, t.Data, t.Shape[1], nil
}
