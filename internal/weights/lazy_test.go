package weights

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"testing"
	"unsafe"
)

// sameBits fails unless got holds exactly want's values (bit for bit).
func sameBits(t *testing.T, what string, got, want []float32) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("%s[%d] = %v, want %v", what, i, got[i], want[i])
		}
	}
}

// TestLazyLoadAgreesWithEager: every format loaded lazily holds the same tensors as
// an eager load, converted into one reused scratch buffer, into Data, again after
// Release, and in fp16/bf16 checkpoints as much as in fp32 ones.
func TestLazyLoadAgreesWithEager(t *testing.T) {
	cases := []struct{ name, path string }{
		{"fair-esm fp32 .pt", filepath.Join(td, "esm2_tiny", "esm2_t3_tiny_UR50D.pt")},
		{"fair-esm fp16 .pt", rewriteCheckpoint(t, "HalfStorage", Float32ToHalf)},
		{"fair-esm bf16 .pt", rewriteCheckpoint(t, "BFloat16Storage", Float32ToBF16)},
		{"HF directory (safetensors)", filepath.Join(td, "esm2_tiny", "hf")},
		{"pytorch_model.bin", filepath.Join(td, "dnabert_tiny", "pytorch_model.bin")},
		{"pickled module", filepath.Join(td, "mlp", "model.pth")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			eager, err := Load(c.path)
			if err != nil {
				t.Fatal(err)
			}
			lazy, err := LoadLazy(c.path)
			if err != nil {
				t.Fatal(err)
			}
			if len(lazy.Tensors) != len(eager.Tensors) {
				t.Fatalf("%d tensors, want %d", len(lazy.Tensors), len(eager.Tensors))
			}
			var scratch []float32
			for _, name := range eager.Names() {
				want := eager.Tensors[name]
				lt, err := lazy.Get(name, want.Shape...)
				if err != nil {
					t.Fatal(err)
				}
				if !lt.Lazy() || lt.Data != nil {
					t.Fatalf("%s: converted by a lazy load", name)
				}
				if scratch, err = lt.MaterializeInto(scratch); err != nil {
					t.Fatal(err)
				}
				sameBits(t, name+" (scratch)", scratch, want.Data)
				if err := lt.Materialize(); err != nil {
					t.Fatal(err)
				}
				sameBits(t, name+" (Data)", lt.Data, want.Data)
				lt.Release()
				if !lt.Lazy() {
					t.Fatalf("%s: still converted after Release", name)
				}
				again, err := lt.MaterializeInto(nil)
				if err != nil {
					t.Fatal(err)
				}
				sameBits(t, name+" (after Release)", again, want.Data)
			}
		})
	}
}

// TestLazyDTypeAndScratch: DType names the file's type; MaterializeInto fills the
// caller's buffer when it is large enough (whatever its length), grows it when not,
// and never returns the file's own bytes (a caller may write into the result).
func TestLazyDTypeAndScratch(t *testing.T) {
	sd, err := LoadLazy(rewriteCheckpoint(t, "HalfStorage", Float32ToHalf))
	if err != nil {
		t.Fatal(err)
	}
	w := sd.Tensors["encoder.sentence_encoder.embed_tokens.weight"]
	if w.DType() != "F16" {
		t.Errorf("DType %q, want F16", w.DType())
	}
	big := make([]float32, 1, w.Numel()+5)
	got, err := w.MaterializeInto(big)
	if err != nil || len(got) != w.Numel() || &got[0] != &big[0] {
		t.Fatalf("into a large enough buffer: len %d, same buffer %v, %v", len(got), len(got) > 0 && &got[0] == &big[0], err)
	}
	small := make([]float32, 3)
	if got, err = w.MaterializeInto(small); err != nil || len(got) != w.Numel() {
		t.Fatalf("into a short buffer: len %d, %v", len(got), err)
	}
	fp32, err := LoadLazy(filepath.Join(td, "esm2_tiny", "hf"))
	if err != nil {
		t.Fatal(err)
	}
	for name, lt := range fp32.Tensors {
		if lt.DType() != "F32" {
			t.Fatalf("%s: DType %q, want F32", name, lt.DType())
		}
		got, err := lt.MaterializeInto(nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) > 0 && len(lt.src.raw) > 0 && &lt.src.raw[0] == (*byte)(unsafeData(got)) {
			t.Fatalf("%s: MaterializeInto returned the file's bytes", name)
		}
	}
}

// TestLazyNonFiniteIsRefused: a NaN at any position of a lazy float16/bfloat16
// tensor (large enough to be widened in parallel ranges) is refused by
// MaterializeInto and by GetFinite, naming the file, the tensor and the element.
func TestLazyNonFiniteIsRefused(t *testing.T) {
	n := 2*parallelMin + 21
	for _, dtype := range []string{"F16", "BF16"} {
		nan := map[string]uint16{"F16": 0x7c01, "BF16": 0x7f81}[dtype]
		for _, at := range []int{-1, 0, parallelMin, n - 1} {
			raw := make([]byte, 2*n)
			for i := 0; i < n; i++ {
				binary.LittleEndian.PutUint16(raw[2*i:], 0x3c00|uint16(i%7))
			}
			if at >= 0 {
				binary.LittleEndian.PutUint16(raw[2*at:], nan)
			}
			header := fmt.Sprintf(`{"layer.w":{"dtype":%q,"shape":[%d],"data_offsets":[0,%d]}}`, dtype, n, 2*n)
			st := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
			st = append(append(st, header...), raw...)
			pt := bytes.Replace(pklTensor(n, 0, []int{n}, []int{1}), []byte("ctorch\nFloatStorage\n"), []byte(map[string]string{"F16": "ctorch\nHalfStorage\n", "BF16": "ctorch\nBFloat16Storage\n"}[dtype]), 1)
			ck, err := ParsePyTorch(torchZip(t, pt, map[string][]byte{"0": raw}, false), "m.pt")
			if err != nil {
				t.Fatal(err)
			}
			fromPT, err := ck.LazyWeights()
			if err != nil {
				t.Fatal(err)
			}
			fromST, err := ParseSafetensorsLazy(st, "m.safetensors")
			if err != nil {
				t.Fatal(err)
			}
			for _, sd := range []*StateDict{fromPT, fromST} {
				name := sd.Names()[0]
				want := fmt.Sprintf(`tensor %q holds NaN at element %d;`, name, at)
				_, errInto := sd.Tensors[name].MaterializeInto(nil)
				_, errGet := sd.GetFinite(name, n)
				for how, err := range map[string]error{"MaterializeInto": errInto, "GetFinite": errGet} {
					switch {
					case at < 0 && err != nil:
						t.Errorf("%s %s %s, all finite: %v", how, sd.File, dtype, err)
					case at >= 0 && (err == nil || !strings.Contains(err.Error(), want) || !strings.HasPrefix(err.Error(), sd.File+":")):
						t.Errorf("%s %s %s, NaN at %d: %v", how, sd.File, dtype, at, err)
					}
				}
			}
		}
	}
}

// TestLazyBudget: Materialize charges the file's budget (refusing, naming the file,
// what it cannot pay), Release gives it back, aliased float32 data costs nothing,
// and MaterializeInto (the caller's memory) is not charged.
func TestLazyBudget(t *testing.T) {
	header := `{"a":{"dtype":"F16","shape":[8],"data_offsets":[0,16]},"b":{"dtype":"F32","shape":[4],"data_offsets":[16,32]}}`
	for len(header)%8 != 0 {
		header += " "
	}
	st := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	st = append(append(st, header...), make([]byte, 32)...)
	sd, err := ParseSafetensorsLazy(st, "b.safetensors")
	if err != nil {
		t.Fatal(err)
	}
	a, b := sd.Tensors["a"], sd.Tensors["b"]
	bud := a.src.budget
	bud.left.Store(31)
	if err := a.Materialize(); err == nil || !strings.Contains(err.Error(), "b.safetensors") {
		t.Fatalf("over budget: %v", err)
	}
	if !a.Lazy() || bud.left.Load() != 31 {
		t.Fatalf("a refused Materialize changed the tensor or the budget (%d left)", bud.left.Load())
	}
	if _, err := a.MaterializeInto(nil); err != nil {
		t.Fatalf("MaterializeInto is not charged: %v", err)
	}
	bud.left.Store(32)
	if err := a.Materialize(); err != nil || bud.left.Load() != 0 {
		t.Fatalf("Materialize: %v, %d left, want 0", err, bud.left.Load())
	}
	if err := b.Materialize(); err != nil || bud.left.Load() != 0 {
		t.Fatalf("aligned float32: %v, %d left, want 0 (aliased)", err, bud.left.Load())
	}
	a.Release()
	if bud.left.Load() != 32 {
		t.Fatalf("after Release %d left, want 32", bud.left.Load())
	}
}

// TestLazyHostileViews: the hostile views of TestTensorViewsAreBounded are refused
// by a lazy load as by an eager one, before anything is converted.
func TestLazyHostileViews(t *testing.T) {
	storage := make([]byte, 4*16)
	for _, c := range []struct {
		name          string
		numel, offset int
		size, stride  []int
	}{
		{"negative size", 16, 0, []int{-4, 4}, []int{4, 1}},
		{"2^62 x 224 without data", 16, 0, []int{1 << 62, 224}, []int{224, 1}},
		{"offset past storage", 16, 20, []int{4}, []int{1}},
		{"numel past record", 1 << 40, 0, []int{4}, []int{1}},
		{"strides missing", 16, 0, []int{4, 4}, []int{1}},
	} {
		p, err := ParsePyTorch(torchZip(t, pklTensor(c.numel, c.offset, c.size, c.stride), map[string][]byte{"0": storage}, false), "v.pt")
		if err == nil {
			_, err = p.LazyWeights()
		}
		if err == nil || !strings.Contains(err.Error(), "v.pt") {
			t.Errorf("%s: got %v, want an error naming the file", c.name, err)
		}
	}
}

func unsafeData(v []float32) unsafe.Pointer { return unsafe.Pointer(unsafe.SliceData(v)) }
