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
	"strings"

	"github.com/virnucpro/virnucpro/internal/atomicfile"
	"github.com/virnucpro/virnucpro/internal/weights"
)

// TensorName is the name of the embedding matrix.
const TensorName = "embeddings"

// Writer streams rows and ids to temporary files and assembles the safetensors file
// on Commit, so memory does not grow with N.
type Writer struct {
	path string
	dim  int
	n    int
	tmp  *os.File
	buf  *bufio.Writer
	b4   [4]byte
	// idTmp holds the ids already escaped as the header will hold them (see Commit).
	idTmp *os.File
	idBuf *bufio.Writer
	// stream, when set, receives the file instead of path (WriteStream).
	stream io.Writer
}

// Create starts an embedding file of width dim at path.
func Create(path string, dim int) (*Writer, error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".rows-*")
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", path, err)
	}
	idTmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".ids-*")
	if err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return nil, fmt.Errorf("create %s: %w", path, err)
	}
	return &Writer{path: path, dim: dim, tmp: tmp, buf: bufio.NewWriterSize(tmp, 1<<20),
		idTmp: idTmp, idBuf: bufio.NewWriterSize(idTmp, 1<<16)}, nil
}

// escapedID is id as it appears inside the header's "ids" value: the JSON array of ids
// is itself a JSON string there, so each id is JSON-encoded twice (both encodings work
// rune by rune, so encoding the ids one at a time gives the bytes of encoding the
// whole array).
func escapedID(id string) ([]byte, error) {
	inner, err := json.Marshal(id)
	if err != nil {
		return nil, err
	}
	outer, err := json.Marshal(string(inner))
	if err != nil {
		return nil, err
	}
	return outer[1 : len(outer)-1], nil
}

// Append adds one row.
func (w *Writer) Append(id string, row []float32) error {
	if len(row) != w.dim {
		return fmt.Errorf("%s: row %q has %d values, want %d", w.path, id, len(row), w.dim)
	}
	e, err := escapedID(id)
	if err != nil {
		return err
	}
	if w.n > 0 {
		w.idBuf.WriteByte(',')
	}
	if _, err := w.idBuf.Write(e); err != nil {
		return fmt.Errorf("write %s: %w", w.path, err)
	}
	w.n++
	for _, v := range row {
		binary.LittleEndian.PutUint32(w.b4[:], math.Float32bits(v))
		if _, err := w.buf.Write(w.b4[:]); err != nil {
			return fmt.Errorf("write %s: %w", w.path, err)
		}
	}
	return nil
}

// Commit writes the final file atomically and removes the temporary files. The
// header is the one json.Marshal gives for {"embeddings": {...}, "__metadata__":
// {"ids": <JSON array as a string>, "format": ...}} (keys sorted), assembled while the
// escaped ids are copied from their temporary file.
func (w *Writer) Commit() error {
	defer w.Abort()
	if err := w.buf.Flush(); err != nil {
		return fmt.Errorf("write %s: %w", w.path, err)
	}
	if err := w.idBuf.Flush(); err != nil {
		return fmt.Errorf("write %s: %w", w.path, err)
	}
	idLen, err := w.idTmp.Seek(0, io.SeekCurrent)
	if err != nil {
		return fmt.Errorf("write %s: %w", w.path, err)
	}
	n := int64(w.n) * int64(w.dim) * 4
	head := `{"__metadata__":{"format":"virnucpro-embeddings","ids":"`
	tail := fmt.Sprintf(`"},"%s":{"data_offsets":[0,%d],"dtype":"F32","shape":[%d,%d]}}`, TensorName, n, w.n, w.dim)
	ids := io.Reader(io.NewSectionReader(w.idTmp, 0, idLen))
	if w.n == 0 { // json.Marshal of an empty (nil) id list
		head, ids, idLen = `{"__metadata__":{"format":"virnucpro-embeddings","ids":"null`, strings.NewReader(""), 0
	} else {
		head += "["
		tail = "]" + tail
	}
	hlen := int64(len(head)) + idLen + int64(len(tail))
	pad := (8 - hlen%8) % 8
	var out *atomicfile.File
	dst := w.stream
	if dst == nil {
		if out, err = atomicfile.Create(w.path); err != nil {
			return err
		}
		dst = out
	}
	var lenBuf [8]byte
	binary.LittleEndian.PutUint64(lenBuf[:], uint64(hlen+pad))
	bw := bufio.NewWriterSize(dst, 1<<20) // a write error sticks to bw: Flush returns it
	_, err = bw.Write(lenBuf[:])
	if err == nil {
		_, err = bw.WriteString(head)
	}
	if err == nil {
		_, err = io.Copy(bw, ids)
	}
	if err == nil {
		_, err = bw.WriteString(tail + strings.Repeat(" ", int(pad)))
	}
	if err == nil {
		_, err = w.tmp.Seek(0, io.SeekStart)
	}
	if err == nil {
		_, err = io.Copy(bw, w.tmp)
	}
	if err == nil {
		err = bw.Flush()
	}
	if err != nil {
		if out != nil {
			out.Abort()
		}
		return fmt.Errorf("write %s: %w", w.path, err)
	}
	if out == nil {
		return nil
	}
	return out.Commit()
}

// WriteStream writes a whole embedding file to out (standard output, say); the rows
// and ids wait in the temporary directory until the header, which lists the ids, is
// written.
func WriteStream(out io.Writer, ids []string, data []float32, dim int) error {
	w, err := Create(filepath.Join(os.TempDir(), "embeddings"), dim)
	if err != nil {
		return err
	}
	w.path, w.stream = "standard output", out
	for i, id := range ids {
		if err := w.Append(id, data[i*dim:(i+1)*dim]); err != nil {
			w.Abort()
			return err
		}
	}
	return w.Commit()
}

// Abort removes the temporary rows (no-op after Commit).
func (w *Writer) Abort() {
	for _, f := range []**os.File{&w.tmp, &w.idTmp} {
		if *f != nil {
			(*f).Close()
			os.Remove((*f).Name())
			*f = nil
		}
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
