package embedfile

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
)

// Reader streams an embedding file: one id and one row at a time, in order, in
// memory that does not depend on the number of rows (Read loads them all). The
// header's ids are decoded as they are read, never held whole.
type Reader struct {
	path string
	f    *os.File
	n    int
	dim  int
	ids  *json.Decoder
	rows *bufio.Reader
	buf  []byte
	row  []float32
	read int
}

// tensorInfo is a safetensors header entry.
type tensorInfo struct {
	Dtype       string   `json:"dtype"`
	Shape       []int64  `json:"shape"`
	DataOffsets [2]int64 `json:"data_offsets"`
}

// Open starts reading the embedding file at path.
func Open(path string) (*Reader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	r, err := open(path, f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return r, nil
}

func open(path string, f *os.File) (*Reader, error) {
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	var lenBuf [8]byte
	if _, err := io.ReadFull(f, lenBuf[:]); err != nil {
		return nil, fmt.Errorf("file too short (%d bytes) for a header", st.Size())
	}
	hlen := binary.LittleEndian.Uint64(lenBuf[:])
	if hlen > uint64(st.Size()-8) {
		return nil, fmt.Errorf("header length %d exceeds the file (%d bytes)", hlen, st.Size())
	}
	idsOff, t, err := scanHeader(io.NewSectionReader(f, 8, int64(hlen)))
	if err != nil {
		return nil, fmt.Errorf("header: %w", err)
	}
	dataStart, dataLen := 8+int64(hlen)+t.DataOffsets[0], t.DataOffsets[1]-t.DataOffsets[0]
	switch {
	case t.Dtype != "F32" || len(t.Shape) != 2 || t.Shape[0] < 0 || t.Shape[1] <= 0 || t.Shape[0] > math.MaxInt32:
		return nil, fmt.Errorf("%s is %s %v, want a float32 matrix [N, D]", TensorName, t.Dtype, t.Shape)
	case t.DataOffsets[0] < 0 || dataLen != t.Shape[0]*t.Shape[1]*4 || dataStart+dataLen > st.Size():
		return nil, fmt.Errorf("%s's data_offsets %v do not hold %v float32 values inside the file", TensorName, t.DataOffsets, t.Shape)
	case idsOff < 0:
		return nil, errors.New("no ids in __metadata__")
	}
	ids := json.NewDecoder(&stringReader{br: bufio.NewReaderSize(io.NewSectionReader(f, 8+idsOff, int64(hlen)-idsOff), 1<<16)})
	tok, err := ids.Token()
	if err != nil {
		return nil, fmt.Errorf("metadata ids: %v", err)
	}
	if d, ok := tok.(json.Delim); (!ok || d != '[') && !(tok == nil && t.Shape[0] == 0) {
		return nil, fmt.Errorf("metadata ids: %v where a JSON array was due", tok)
	}
	if tok == nil {
		ids = nil // "null": no rows
	}
	dim := int(t.Shape[1])
	return &Reader{path: path, f: f, n: int(t.Shape[0]), dim: dim, ids: ids,
		rows: bufio.NewReaderSize(io.NewSectionReader(f, dataStart, dataLen), 1<<16),
		buf:  make([]byte, 4*dim), row: make([]float32, dim)}, nil
}

// scanHeader finds the ids in the header's __metadata__ (the offset of their first
// byte inside the header, -1 when absent) and the embeddings tensor's entry.
func scanHeader(h io.Reader) (idsOff int64, t tensorInfo, err error) {
	s := &headerScanner{br: bufio.NewReaderSize(h, 1<<16)}
	idsOff = -1
	if err := s.expect('{'); err != nil {
		return 0, t, err
	}
	err = s.object(func(key string, first byte) error {
		switch {
		case key == "__metadata__" && first == '{':
			return s.object(func(key string, first byte) error {
				if key == "ids" && first == '"' {
					idsOff = s.off
				}
				_, err := s.value(first, false)
				return err
			})
		case key == TensorName:
			raw, err := s.value(first, true)
			if err == nil {
				err = json.Unmarshal(raw, &t)
			}
			return err
		}
		_, err := s.value(first, false)
		return err
	})
	return idsOff, t, err
}

// Len is the number of rows; Dim their width.
func (r *Reader) Len() int { return r.n }

// Dim is the width of a row.
func (r *Reader) Dim() int { return r.dim }

// Next returns the next id and row (valid until the next call), and io.EOF after
// the last once the ids are checked to end with the rows.
func (r *Reader) Next() (string, []float32, error) {
	if r.read == r.n {
		if r.ids != nil {
			if r.ids.More() {
				return "", nil, fmt.Errorf("%s: more ids than its %d rows", r.path, r.n)
			}
			if tok, err := r.ids.Token(); err != nil || tok != json.Delim(']') {
				return "", nil, fmt.Errorf("%s: metadata ids do not end after %d rows", r.path, r.n)
			}
		}
		return "", nil, io.EOF
	}
	var id string
	if !r.ids.More() {
		return "", nil, fmt.Errorf("%s: %d ids for %d rows", r.path, r.read, r.n)
	}
	if err := r.ids.Decode(&id); err != nil {
		return "", nil, fmt.Errorf("%s: metadata id %d: %v", r.path, r.read+1, err)
	}
	if _, err := io.ReadFull(r.rows, r.buf); err != nil {
		return "", nil, fmt.Errorf("%s: row %d: %w", r.path, r.read+1, noEOF(err))
	}
	for j := range r.row {
		r.row[j] = math.Float32frombits(binary.LittleEndian.Uint32(r.buf[4*j:]))
	}
	r.read++
	return id, r.row, nil
}

// Close closes the file.
func (r *Reader) Close() error { return r.f.Close() }
