package randmodel

import (
	"archive/zip"
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"sort"

	"github.com/virnucpro/virnucpro/internal/weights"
)

// WritePyTorch writes tensors as a torch.save zip checkpoint ({"model": OrderedDict}
// as fair-esm saves them, records stored uncompressed and 64-byte aligned, as
// torch.save does), in float16 when half is set, else float32.
func WritePyTorch(path string, tensors map[string]*weights.Tensor, half bool) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	cw := &countingWriter{w: bufio.NewWriterSize(f, 1<<20)}
	zw := zip.NewWriter(cw)
	names := make([]string, 0, len(tensors))
	for n := range tensors {
		names = append(names, n)
	}
	sort.Strings(names)
	storage := "FloatStorage"
	if half {
		storage = "HalfStorage"
	}
	var p pickler
	p.op(0x80, 2)                          // PROTO 2
	p.op('}')                              // EMPTY_DICT
	p.str("model")                         //
	p.global("collections", "OrderedDict") //
	p.op(')', 'R')                         // EMPTY_TUPLE, REDUCE
	p.op('(')                              // MARK
	for i, n := range names {
		p.str(n)
		p.tensor(storage, fmt.Sprint(i), len(tensors[n].Data), tensors[n].Shape)
	}
	p.op('u', 's', '.') // SETITEMS, SETITEM, STOP
	if err := store(zw, cw, "archive/data.pkl", p.Bytes()); err != nil {
		return err
	}
	for i, n := range names {
		var raw []byte
		if half {
			raw = make([]byte, 2*len(tensors[n].Data))
			for j, v := range tensors[n].Data {
				binary.LittleEndian.PutUint16(raw[2*j:], weights.Float32ToHalf(v))
			}
		} else {
			raw = make([]byte, 4*len(tensors[n].Data))
			for j, v := range tensors[n].Data {
				binary.LittleEndian.PutUint32(raw[4*j:], math.Float32bits(v))
			}
		}
		if err := store(zw, cw, fmt.Sprintf("archive/data/%d", i), raw); err != nil {
			return err
		}
	}
	if err := store(zw, cw, "archive/version", []byte("3\n")); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	if err := cw.w.(*bufio.Writer).Flush(); err != nil {
		return err
	}
	return f.Close()
}

// store writes one uncompressed record whose data starts at a multiple of 64 bytes.
func store(zw *zip.Writer, cw *countingWriter, name string, data []byte) error {
	return storeFunc(zw, cw, name, func(w io.Writer) error { _, err := w.Write(data); return err })
}

// storeFunc is store with the record's bytes written by write (streamed).
func storeFunc(zw *zip.Writer, cw *countingWriter, name string, write func(io.Writer) error) error {
	if err := zw.Flush(); err != nil {
		return err
	}
	const local = 30 // fixed part of a local file header
	pad := (64 - (cw.n+local+int64(len(name))+4)%64) % 64
	extra := make([]byte, 4+pad)
	binary.LittleEndian.PutUint16(extra, 0x4246) // "FB", as torch.save's padding field
	binary.LittleEndian.PutUint16(extra[2:], uint16(pad))
	w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Store, Extra: extra})
	if err != nil {
		return err
	}
	return write(w)
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(b []byte) (int, error) {
	n, err := c.w.Write(b)
	c.n += int64(n)
	return n, err
}

// pickler emits pickle protocol 2 opcodes.
type pickler struct{ bytes.Buffer }

func (p *pickler) op(codes ...byte) { p.Write(codes) }

func (p *pickler) str(s string) {
	p.WriteByte('X') // BINUNICODE
	binary.Write(p, binary.LittleEndian, uint32(len(s)))
	p.WriteString(s)
}

func (p *pickler) global(module, name string) { fmt.Fprintf(p, "c%s\n%s\n", module, name) }

func (p *pickler) int(v int) {
	p.WriteByte('J') // BININT
	binary.Write(p, binary.LittleEndian, int32(v))
}

// tensor pickles torch._utils._rebuild_tensor_v2 of a whole contiguous storage
// (persistent id ('storage', torch.<storage>, key, 'cpu', numel)), not requiring grad.
func (p *pickler) tensor(storage, key string, numel int, shape []int) {
	p.global("torch._utils", "_rebuild_tensor_v2")
	p.op('(')        // MARK (arguments)
	p.op('(')        // MARK (persistent id)
	p.str("storage") //
	p.global("torch", storage)
	p.str(key)
	p.str("cpu")
	p.int(numel)
	p.op('t', 'Q') // TUPLE, BINPERSID
	p.int(0)       // storage offset
	p.ints(shape)
	stride := make([]int, len(shape))
	s := 1
	for d := len(shape) - 1; d >= 0; d-- {
		stride[d] = s
		s *= shape[d]
	}
	p.ints(stride)
	p.op(0x89)                             // NEWFALSE (requires_grad)
	p.global("collections", "OrderedDict") // backward hooks
	p.op(')', 'R', 't', 'R')               // OrderedDict(), TUPLE, REDUCE
}

func (p *pickler) ints(vs []int) {
	p.op('(')
	for _, v := range vs {
		p.int(v)
	}
	p.op('t')
}
