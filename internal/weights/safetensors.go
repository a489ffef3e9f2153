package weights

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"unsafe"

	"github.com/virnucpro/virnucpro/internal/atomicfile"
)

type stEntry struct {
	DType   string   `json:"dtype"`
	Shape   []int    `json:"shape"`
	Offsets [2]int64 `json:"data_offsets"`
}

// LoadSafetensors memory-maps a safetensors file and returns its tensors as float32
// (F32 aliased when aligned; F16, BF16, F64, I64, I32 converted).
func LoadSafetensors(path string) (*StateDict, error) { return loadSafetensors(path, false) }

func loadSafetensors(path string, lazy bool) (*StateDict, error) {
	data, err := mapFile(path)
	if err != nil {
		return nil, fmt.Errorf("safetensors %s: %w", path, err)
	}
	return parseSafetensors(data, path, lazy)
}

// ParseSafetensors decodes safetensors bytes (name is used in errors).
func ParseSafetensors(data []byte, name string) (*StateDict, error) {
	return parseSafetensors(data, name, false)
}

// ParseSafetensorsLazy is ParseSafetensors with lazy tensors (see LoadLazy): every
// entry is checked, none converted.
func ParseSafetensorsLazy(data []byte, name string) (*StateDict, error) {
	return parseSafetensors(data, name, true)
}

func parseSafetensors(data []byte, name string, lazy bool) (*StateDict, error) {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("safetensors %s: %s", name, fmt.Sprintf(format, a...))
	}
	if len(data) < 8 {
		return nil, bad("file too short (%d bytes) for a header", len(data))
	}
	hlen := binary.LittleEndian.Uint64(data[:8])
	if hlen > uint64(len(data)-8) || hlen > 100<<20 {
		return nil, bad("header length %d exceeds the file", hlen)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data[8:8+hlen], &raw); err != nil {
		return nil, bad("header is not valid JSON: %v", err)
	}
	buf := data[8+hlen:]
	sd := &StateDict{File: name, Tensors: make(map[string]*Tensor, len(raw))}
	var spans []stSpan
	for key, msg := range raw {
		if key == "__metadata__" {
			if err := json.Unmarshal(msg, &sd.Metadata); err != nil {
				return nil, bad("__metadata__ must map strings to strings: %v", err)
			}
			continue
		}
		sp, err := checkEntry(key, msg, int64(len(buf)))
		if err != nil {
			return nil, bad("%v", err)
		}
		spans = append(spans, sp)
	}
	// Every span is checked, and overlaps refused, before anything is decoded: the
	// float32 copies never exceed 4 times the file's data.
	sort.Slice(spans, func(i, j int) bool { return spans[i].lo < spans[j].lo })
	for i := 1; i < len(spans); i++ {
		if spans[i].lo < spans[i-1].hi {
			return nil, bad("tensors %q and %q overlap", spans[i-1].name, spans[i].name)
		}
	}
	var bud *budget
	if lazy {
		bud = newBudget(name, convertBudget(len(data)))
	}
	for _, sp := range spans {
		b := buf[sp.lo:sp.hi]
		if lazy && len(b) > 0 {
			sd.Tensors[sp.name] = &Tensor{Shape: sp.shape, src: &source{raw: b, dtype: sp.dtype, file: name, name: sp.name, budget: bud}}
			continue
		}
		vals, finite, err := decode(b, sp.dtype)
		if err != nil {
			return nil, bad("tensor %q: %v", sp.name, err)
		}
		if !aliases(vals, b) {
			release(b)
		}
		sd.Tensors[sp.name] = &Tensor{Shape: sp.shape, Data: vals, finite: finite}
	}
	return sd, nil
}

// stSpan is one checked tensor entry of a safetensors header.
type stSpan struct {
	lo, hi int64
	name   string
	dtype  string
	shape  []int
}

// checkEntry validates one header entry against a data buffer of n bytes: a known
// dtype, non-negative dimensions whose product (overflow-checked) times the dtype's
// size is exactly the span, and the span inside the buffer.
func checkEntry(key string, msg json.RawMessage, n int64) (stSpan, error) {
	var e stEntry
	if err := json.Unmarshal(msg, &e); err != nil {
		return stSpan{}, fmt.Errorf("tensor %q: %v", key, err)
	}
	size, ok := dtypeSize[e.DType]
	if !ok {
		return stSpan{}, fmt.Errorf("tensor %q: unsupported dtype %q", key, e.DType)
	}
	count := int64(1)
	for _, d := range e.Shape {
		if d < 0 {
			return stSpan{}, fmt.Errorf("tensor %q: negative dimension in shape %v", key, e.Shape)
		}
		if d > 0 && count > n/int64(d) {
			return stSpan{}, fmt.Errorf("tensor %q: shape %v needs more than the %d data bytes present", key, e.Shape, n)
		}
		count *= int64(d)
	}
	lo, hi := e.Offsets[0], e.Offsets[1]
	if lo < 0 || hi < lo || hi > n || hi-lo != count*int64(size) {
		return stSpan{}, fmt.Errorf("tensor %q: data_offsets %v do not fit shape %v %s in a %d-byte buffer", key, e.Offsets, e.Shape, e.DType, n)
	}
	return stSpan{lo: lo, hi: hi, name: key, dtype: e.DType, shape: append([]int{}, e.Shape...)}, nil
}

var dtypeSize = map[string]int{"F32": 4, "F16": 2, "BF16": 2, "F64": 8, "I64": 8, "I32": 4, "I16": 2, "I8": 1, "U8": 1, "BOOL": 1}

// decode converts little-endian raw values of dtype to float32; F32 data that is
// 4-byte aligned is aliased, not copied. finite reports that the conversion found
// every value finite (F16, BF16 and the integer types; F32 and F64 are not checked
// here).
func decode(b []byte, dtype string) (vals []float32, finite bool, err error) {
	vals, err = decodeValues(b, dtype)
	switch dtype {
	case "F16", "BF16":
		finite = err == nil && widen(bestWiden, dtype == "BF16", vals, b[:2*len(vals)]) < 0
	case "I64", "I32", "I16", "I8", "U8", "BOOL":
		finite = true
	}
	return vals, finite, err
}

// decodeValues converts raw values to float32 (F16 and BF16: allocated only, widen
// fills them).
func decodeValues(b []byte, dtype string) ([]float32, error) {
	switch dtype {
	case "F32":
		n := len(b) / 4
		if n == 0 {
			return []float32{}, nil
		}
		if uintptr(unsafe.Pointer(&b[0]))%4 == 0 {
			return unsafe.Slice((*float32)(unsafe.Pointer(&b[0])), n), nil
		}
		// Unaligned (a re-zipped checkpoint): copied whole, as the aliasing above
		// reads it (little-endian hosts).
		out := allocFloat32(n)
		copy(unsafe.Slice((*byte)(unsafe.Pointer(&out[0])), 4*n), b)
		return out, nil
	case "F16", "BF16":
		return allocFloat32(len(b) / 2), nil
	case "F64":
		out := allocFloat32(len(b) / 8)
		for i := range out {
			out[i] = float32(math.Float64frombits(binary.LittleEndian.Uint64(b[8*i:])))
		}
		return out, nil
	case "I64":
		out := allocFloat32(len(b) / 8)
		for i := range out {
			out[i] = float32(int64(binary.LittleEndian.Uint64(b[8*i:])))
		}
		return out, nil
	case "I32":
		out := allocFloat32(len(b) / 4)
		for i := range out {
			out[i] = float32(int32(binary.LittleEndian.Uint32(b[4*i:])))
		}
		return out, nil
	case "I16":
		out := allocFloat32(len(b) / 2)
		for i := range out {
			out[i] = float32(int16(binary.LittleEndian.Uint16(b[2*i:])))
		}
		return out, nil
	case "I8":
		out := allocFloat32(len(b))
		for i := range out {
			out[i] = float32(int8(b[i]))
		}
		return out, nil
	case "U8", "BOOL":
		out := allocFloat32(len(b))
		for i := range out {
			out[i] = float32(b[i])
		}
		return out, nil
	}
	return nil, fmt.Errorf("unsupported dtype %q", dtype)
}

// aliases reports whether vals is raw reinterpreted in place (not a converted copy).
func aliases(vals []float32, raw []byte) bool {
	return len(vals) > 0 && len(raw) > 0 && unsafe.Pointer(&vals[0]) == unsafe.Pointer(&raw[0])
}

// EncodeSafetensors serialises float32 tensors (names sorted, offsets packed in that
// order) with optional metadata.
func EncodeSafetensors(tensors map[string]*Tensor, metadata map[string]string) ([]byte, error) {
	names := make([]string, 0, len(tensors))
	for n := range tensors {
		if n == "__metadata__" {
			return nil, fmt.Errorf("safetensors: %q is reserved", n)
		}
		names = append(names, n)
	}
	sort.Strings(names)
	header := make(map[string]any, len(names)+1)
	var off int64
	for _, n := range names {
		t := tensors[n]
		if t.Numel() != len(t.Data) {
			return nil, fmt.Errorf("safetensors: tensor %q has %d values for shape %v", n, len(t.Data), t.Shape)
		}
		size := int64(4 * len(t.Data))
		shape := t.Shape
		if shape == nil {
			shape = []int{}
		}
		header[n] = stEntry{DType: "F32", Shape: shape, Offsets: [2]int64{off, off + size}}
		off += size
	}
	if len(metadata) > 0 {
		header["__metadata__"] = metadata
	}
	h, err := json.Marshal(header)
	if err != nil {
		return nil, err
	}
	for len(h)%8 != 0 {
		h = append(h, ' ')
	}
	var out bytes.Buffer
	out.Grow(8 + len(h) + int(off))
	binary.Write(&out, binary.LittleEndian, uint64(len(h)))
	out.Write(h)
	var b4 [4]byte
	for _, n := range names {
		for _, v := range tensors[n].Data {
			binary.LittleEndian.PutUint32(b4[:], math.Float32bits(v))
			out.Write(b4[:])
		}
	}
	return out.Bytes(), nil
}

// WriteSafetensors writes tensors atomically to path.
func WriteSafetensors(path string, tensors map[string]*Tensor, metadata map[string]string) error {
	data, err := EncodeSafetensors(tensors, metadata)
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(path, data)
}
