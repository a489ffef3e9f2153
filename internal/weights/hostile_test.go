package weights

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
)

// torchZip packs a pickle and storage records the way torch.save does (stored
// entries under <root>/), or with deflated records when deflate is set.
func torchZip(t testing.TB, pkl []byte, records map[string][]byte, deflate bool) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	put := func(name string, data []byte, method uint16) {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: method})
		if err != nil {
			t.Fatal(err)
		}
		w.Write(data)
	}
	put("m/data.pkl", pkl, zip.Store)
	for k, v := range records {
		m := zip.Store
		if deflate {
			m = zip.Deflate
		}
		put("m/data/"+k, v, m)
	}
	zw.Close()
	return buf.Bytes()
}

// pklTensor is a pickle of {"w": _rebuild_tensor_v2(storage(F32, "0", numel),
// offset, size, stride)}; ints are written as BININT (4 bytes) or, when they do not
// fit, as LONG1.
func pklTensor(numel, offset int, size, stride []int) []byte {
	var b bytes.Buffer
	num := func(v int) {
		if v >= math.MinInt32 && v <= math.MaxInt32 {
			b.WriteByte('J')
			binary.Write(&b, binary.LittleEndian, int32(v))
			return
		}
		b.Write([]byte{0x8a, 8})
		binary.Write(&b, binary.LittleEndian, int64(v))
	}
	str := func(s string) {
		b.WriteByte('X')
		binary.Write(&b, binary.LittleEndian, uint32(len(s)))
		b.WriteString(s)
	}
	tuple := func(vs []int) {
		b.WriteByte('(')
		for _, v := range vs {
			num(v)
		}
		b.WriteByte('t')
	}
	b.WriteString("\x80\x02}")
	str("w")
	b.WriteString("ctorch._utils\n_rebuild_tensor_v2\n(")
	b.WriteByte('(')
	str("storage")
	b.WriteString("ctorch\nFloatStorage\n")
	str("0")
	str("cpu")
	num(numel)
	b.WriteString("tQ")
	num(offset)
	tuple(size)
	tuple(stride)
	b.WriteString("\x89ctorch._utils\nOrderedDict\n)Rtb") // placeholder replaced below
	out := b.Bytes()
	// requires_grad False, an empty OrderedDict of hooks, then REDUCE and SETITEM.
	out = bytes.Replace(out, []byte("ctorch._utils\nOrderedDict\n)Rtb"), []byte("ccollections\nOrderedDict\n)RtRs."), 1)
	return out
}

// TestPickleAllowList: the globals the adversarial pass loaded with exit 0 are
// refused, each named; the globals real files use are accepted (the golden tests load
// the fair-esm, HF and VirNucPro files).
func TestPickleAllowList(t *testing.T) {
	for _, g := range []string{"__builtin__.getattr", "__builtin__.__import__", "commands.Popen", "timeit.timeit",
		"functools.partial", "_posixsubprocess.fork_exec", "os.system", "builtins.eval", "torch.load", "numpy.load"} {
		mod, name, _ := strings.Cut(g, ".")
		if i := strings.LastIndex(g, "."); i > 0 {
			mod, name = g[:i], g[i+1:]
		}
		pkl := []byte(fmt.Sprintf("\x80\x02c%s\n%s\nq\x00X\x01\x00\x00\x00x\x85R.", mod, name))
		_, err := ParsePyTorch(torchZip(t, pkl, nil, false), "evil.pth")
		var ge *GlobalError
		if !errors.As(err, &ge) || ge.Global != g || !strings.Contains(err.Error(), "evil.pth") {
			t.Errorf("%s: got %v, want a refusal naming it", g, err)
		}
	}
	for _, g := range []string{"argparse.Namespace", "__main__.MLPClassifier", "torch.nn.modules.linear.Linear",
		"torch.nn.modules.batchnorm.BatchNorm1d", "torch.nn.modules.dropout.Dropout", "torch.nn.modules.activation.ReLU"} {
		i := strings.LastIndex(g, ".")
		if _, err := findClass(g[:i], g[i+1:]); err != nil {
			t.Errorf("%s refused: %v", g, err)
		}
	}
}

// TestPickleLengthsAreBounded: lengths, frames and counts a pickle declares beyond the
// bytes present are refused before anything is allocated (a 15-byte data.pkl with a
// huge byte-string length used to end in "fatal error: out of memory").
func TestPickleLengthsAreBounded(t *testing.T) {
	le8 := func(op byte, n uint64) []byte {
		b := []byte{0x80, 0x04, op}
		return binary.LittleEndian.AppendUint64(b, n)
	}
	le4 := func(op byte, n uint32) []byte {
		b := []byte{0x80, 0x02, op}
		return binary.LittleEndian.AppendUint32(b, n)
	}
	for name, pkl := range map[string][]byte{
		"BINBYTES8 2^60":        le8(0x8e, 1<<60),
		"BINUNICODE8 2^62":      le8(0x8d, 1<<62),
		"BYTEARRAY8 2^40":       le8(0x96, 1<<40),
		"FRAME 2^50":            le8(0x95, 1<<50),
		"BINUNICODE 2^32-1":     le4('X', math.MaxUint32),
		"BINBYTES 2^31":         le4('B', 1<<31),
		"LONG4 negative":        le4(0x8b, 0xffffffff),
		"LONG4 2^31-1":          le4(0x8b, math.MaxInt32), // the huge int field (2.1 GB)
		"LONG1 past":            {0x80, 0x02, 0x8a, 200, 1},
		"SHORT_BINUNICODE past": {0x80, 0x04, 0x8c, 255, 'a'},
		"BINSTRING negative":    le4('T', 0x80000000),
		"SHORT_BINBYTES past":   {0x80, 0x02, 'C', 200, 'a'},
		"unterminated GLOBAL":   []byte("\x80\x02ctorch\nFloatSto"),
		"no STOP":               []byte("\x80\x02N"),
		"unknown opcode":        []byte("\x80\x02\xff."),
	} {
		if _, err := ParsePyTorch(torchZip(t, pkl, nil, false), "x.pth"); err == nil || !strings.Contains(err.Error(), "x.pth") {
			t.Errorf("%s: got %v, want an error naming the file", name, err)
		}
	}
}

// TestTensorViewsAreBounded: sizes, strides, offsets and element counts are checked
// against the storage, with overflow, before a tensor is allocated (these used to
// panic or allocate gigabytes).
func TestTensorViewsAreBounded(t *testing.T) {
	storage := make([]byte, 4*16)
	cases := []struct {
		name          string
		numel, offset int
		size, stride  []int
		want          string
	}{
		{"fits", 16, 0, []int{4, 4}, []int{4, 1}, ""},
		{"transposed", 16, 0, []int{4, 4}, []int{1, 4}, ""},
		{"negative size", 16, 0, []int{-4, 4}, []int{4, 1}, "negative"},
		{"negative stride", 16, 15, []int{4}, []int{-1}, "negative"},
		{"2^62 x 224 without data", 16, 0, []int{1 << 62, 224}, []int{224, 1}, "overflow"},
		{"huge strided view", 16, 0, []int{2, 2}, []int{1 << 40, 1}, "needs more"},
		{"offset past storage", 16, 20, []int{4}, []int{1}, "needs more"},
		{"expanded past storage", 16, 0, []int{1 << 20, 16}, []int{0, 1}, "needs more"},
		{"numel past record", 1 << 40, 0, []int{4}, []int{1}, "need"},
		{"negative numel", -5, 0, []int{4}, []int{1}, "non-negative"},
		{"strides missing", 16, 0, []int{4, 4}, []int{1}, "strides"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := ParsePyTorch(torchZip(t, pklTensor(c.numel, c.offset, c.size, c.stride), map[string][]byte{"0": storage}, false), "v.pt")
			if err == nil {
				_, err = p.Weights()
			}
			if c.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "v.pt") {
				t.Fatalf("got %v, want an error with %q naming the file", err, c.want)
			}
		})
	}
}

// TestZipBombIsRefused: a deflated record declaring far more than a file of its size
// may hold is refused before it is inflated (a 3 MB .pth inflating to 3 GiB used to
// reach 8.4 GB RSS).
func TestZipBombIsRefused(t *testing.T) {
	zeros := make([]byte, 64<<20)
	data := torchZip(t, pklTensor(16<<20, 0, []int{16 << 20}, []int{1}), map[string][]byte{"0": zeros}, true)
	if len(data) > 1<<20 {
		t.Fatalf("test bomb is %d bytes", len(data))
	}
	_, err := ParsePyTorch(data, "bomb.pth")
	if err == nil || !strings.Contains(err.Error(), "zip bomb") || !strings.Contains(err.Error(), "bomb.pth") {
		t.Fatalf("got %v", err)
	}
}

// TestSelfContainingDictIsAnError: a dict that contains itself ends in an error, not
// a stack overflow.
func TestSelfContainingDictIsAnError(t *testing.T) {
	pkl := []byte("\x80\x02}q\x00X\x01\x00\x00\x00ah\x00s.")
	p, err := ParsePyTorch(torchZip(t, pkl, nil, false), "cycle.pt")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Weights(); err == nil || !strings.Contains(err.Error(), "nested deeper") {
		t.Fatalf("got %v", err)
	}
}

// TestSafetensorsShapesAreBounded: shapes whose product overflows, or that need more
// bytes than present, and spans reused by many tensors are refused before decoding.
func TestSafetensorsShapesAreBounded(t *testing.T) {
	file := func(header string, data int) []byte {
		b := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
		return append(append(b, header...), make([]byte, data)...)
	}
	for name, c := range map[string]struct {
		header string
		want   string
	}{
		"2^62 x 224":      {`{"w":{"dtype":"F32","shape":[4611686018427387904,224],"data_offsets":[0,0]}}`, "needs more"},
		"product wraps":   {`{"w":{"dtype":"F32","shape":[4294967296,4294967296,0],"data_offsets":[0,0]}}`, "needs more"},
		"negative":        {`{"w":{"dtype":"F32","shape":[-1,4],"data_offsets":[0,16]}}`, "negative"},
		"overlap":         {`{"a":{"dtype":"F16","shape":[8],"data_offsets":[0,16]},"b":{"dtype":"F16","shape":[8],"data_offsets":[0,16]}}`, "overlap"},
		"offsets outside": {`{"w":{"dtype":"F32","shape":[4],"data_offsets":[8,24]}}`, "data_offsets"},
	} {
		_, err := ParseSafetensors(file(c.header, 16), "m.safetensors")
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "m.safetensors") {
			t.Errorf("%s: got %v, want %q", name, err, c.want)
		}
	}
}

// TestNonFiniteWeightsAreRefused: a NaN or Inf weight is refused naming the tensor.
func TestNonFiniteWeightsAreRefused(t *testing.T) {
	sd := &StateDict{File: "f.safetensors", Tensors: map[string]*Tensor{
		"ok":  {Shape: []int{2}, Data: []float32{1, 2}},
		"nan": {Shape: []int{2}, Data: []float32{1, float32(math.NaN())}},
		"inf": {Shape: []int{1}, Data: []float32{float32(math.Inf(-1))}},
	}}
	if _, err := sd.GetFinite("ok", 2); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"nan", "inf"} {
		if _, err := sd.GetFinite(name); err == nil || !strings.Contains(err.Error(), `"`+name+`"`) || !strings.Contains(err.Error(), "f.safetensors") {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestNonFiniteHalfWeightsAreRefused: the finite check made while widening float16
// and bfloat16 (safetensors and torch.save storages, large enough to be converted in
// parallel ranges) lets finite tensors through unread and refuses a NaN or Inf at any
// position, naming the file, the tensor and the element.
func TestNonFiniteHalfWeightsAreRefused(t *testing.T) {
	n := 2*parallelMin + 21
	for _, dtype := range []string{"F16", "BF16"} {
		inf := map[string]uint16{"F16": 0x7c00, "BF16": 0x7f80}[dtype]
		for _, at := range []int{-1, 0, 17, parallelMin - 1, parallelMin, n - 1} {
			raw := make([]byte, 2*n)
			for i := 0; i < n; i++ {
				binary.LittleEndian.PutUint16(raw[2*i:], 0x3c00|uint16(i%7)) // finite in both
			}
			if at >= 0 {
				binary.LittleEndian.PutUint16(raw[2*at:], inf|1) // a NaN
			}
			header := fmt.Sprintf(`{"w":{"dtype":%q,"shape":[%d],"data_offsets":[0,%d]}}`, dtype, n, 2*n)
			st := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
			st = append(append(st, header...), raw...)
			pt := pklTensor(n, 0, []int{n}, []int{1})
			pt = bytes.Replace(pt, []byte("ctorch\nFloatStorage\n"), []byte(map[string]string{"F16": "ctorch\nHalfStorage\n", "BF16": "ctorch\nBFloat16Storage\n"}[dtype]), 1)
			ck, err := ParsePyTorch(torchZip(t, pt, map[string][]byte{"0": raw}, false), "m.pt")
			if err != nil {
				t.Fatal(err)
			}
			fromPT, err := ck.Weights()
			if err != nil {
				t.Fatal(err)
			}
			fromST, err := ParseSafetensors(st, "m.safetensors")
			if err != nil {
				t.Fatal(err)
			}
			for _, sd := range []*StateDict{fromPT, fromST} {
				_, err := sd.GetFinite("w", n)
				switch {
				case at < 0 && err != nil:
					t.Errorf("%s %s, all finite: %v", sd.File, dtype, err)
				case at >= 0 && (err == nil || !strings.Contains(err.Error(), fmt.Sprintf(`tensor "w" holds NaN at element %d;`, at)) || !strings.Contains(err.Error(), sd.File)):
					t.Errorf("%s %s, NaN at %d: %v", sd.File, dtype, at, err)
				}
			}
		}
	}
}
