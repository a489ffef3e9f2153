package cpu

import (
	"errors"
	"testing"

	"github.com/virnucpro/virnucpro/internal/tensor"
)

// bf16TestBackend is a bf16 backend on this processor's kernels (the Go reference
// where it has no AVX512_BF16).
func bf16TestBackend(threads int) *Backend {
	b := New(threads, NewNative(threads))
	b.bf16 = &bf16Products{asm: bf16Supported()}
	return b
}

// TestBF16Backend: a bf16 backend's Linear (plain, accumulating, on a ConcatRows
// stack) is the bf16 product's definition plus the bias; the fused operations equal
// the unfused sequence; ToHost gives the rounded weight; fp32 weights (FromHost)
// still multiply in fp32.
func TestBF16Backend(t *testing.T) {
	r := seeded(t)
	b := bf16TestBackend(3)
	const m, k, n = 29, 77, 45
	xv, wv, bv := randSlice(r, m*k), randSlice(r, 2*n*k), randSlice(r, 2*n)
	x, bias := b.FromHost(xv, m, k), b.FromHost(bv, 1, 2*n)
	w1, copied := b.FromHostWeight(wv[:n*k], n, k)
	w2, _ := b.FromHostWeight(wv[n*k:], n, k)
	if !copied {
		t.Fatal("a bf16 backend does not report its weights copied")
	}
	w := b.ConcatRows(w1, w2)
	want := make([]float32, m*2*n)
	naiveSbgemm(m, 2*n, k, xv, k, wv, want, 2*n, false)
	addBias(want, 2*n, bv)
	dst := b.New(m, 2*n)
	b.Linear(dst, x, w, bias, false)
	sameSliceBits(t, "Linear", mat(dst).data, want)

	acc := append([]float32(nil), mat(dst).data...)
	naiveSbgemm(m, 2*n, k, xv, k, wv, acc, 2*n, true)
	addBias(acc, 2*n, bv)
	b.Linear(dst, x, w, bias, true)
	sameSliceBits(t, "Linear accumulating", mat(dst).data, acc)

	unfused := struct{ tensor.Backend }{b}
	fused, plain := b.New(m, 2*n), b.New(m, 2*n)
	tensor.LinearGELU(b, fused, x, w, bias)
	tensor.LinearGELU(unfused, plain, x, w, bias)
	sameSliceBits(t, "LinearGELU", mat(fused).data, mat(plain).data)
	fusedG, plainG := b.New(m, n), b.New(m, n)
	tensor.LinearGatedGELU(b, fusedG, x, w, nil)
	tensor.LinearGatedGELU(unfused, plainG, x, w, nil)
	sameSliceBits(t, "LinearGatedGELU", mat(fusedG).data, mat(plainG).data)

	back := make([]float32, 2*n*k)
	b.ToHost(back, w)
	for i, v := range wv {
		if back[i] != fromBF16(toBF16(v)) {
			t.Fatalf("ToHost: weight value %d is %g, want %g", i, back[i], fromBF16(toBF16(v)))
		}
	}

	// A weight uploaded with FromHost stays float32 and multiplies as in fp32.
	f32 := b.FromHost(wv[:n*k], n, k)
	got, ref := b.New(m, n), New(3, NewNative(3)).New(m, n)
	b.Linear(got, x, f32, nil, false)
	New(3, NewNative(3)).Linear(ref, x, f32, nil, false)
	sameSliceBits(t, "fp32 weight", mat(got).data, mat(ref).data)
}

// TestBF16Spec: bf16 opens (and names its math) only on the native kernels of a
// processor with AVX512_BF16; otherwise the errors name the field to change.
func TestBF16Spec(t *testing.T) {
	for _, kind := range []string{"go", "openblas"} {
		_, err := OpenPrecision(kind, "bf16", 1, nil)
		var se *tensor.SpecError
		if !errors.As(err, &se) || se.Field != "blas" || !errors.Is(err, tensor.ErrBF16NeedsNative) {
			t.Errorf("bf16 with %s: %v", kind, err)
		}
		if _, err := MathPathPrecision(kind, "bf16"); !errors.Is(err, tensor.ErrBF16NeedsNative) {
			t.Errorf("bf16 math with %s: %v", kind, err)
		}
	}
	if _, err := OpenPrecision("auto", "fp16", 1, nil); !errors.Is(err, tensor.ErrPrecisionNeedsAccelerator) {
		t.Errorf("fp16 on the CPU: %v", err)
	}
	b, err := OpenPrecision("auto", "bf16", 1, nil)
	math, merr := MathPathPrecision("auto", "bf16")
	if !BF16Supported() {
		why := tensor.ErrNoBF16
		if bf16Supported() { // the processor has it, KernelsEnv caps the kernels below it
			why = tensor.ErrKernelsCapped
		}
		var se *tensor.SpecError
		if !errors.As(err, &se) || se.Field != "precision" || !errors.Is(err, why) || !errors.Is(merr, why) {
			t.Errorf("bf16 without AVX512_BF16: %v, %v", err, merr)
		}
		return
	}
	if err != nil || merr != nil || b.(*Backend).bf16 == nil || math != "cpu native dpbf16 bf16" {
		t.Errorf("bf16 on this processor: %v, %v, math %q", err, merr, math)
	}
	if fp, _ := MathPathPrecision("auto", "fp32"); fp == math {
		t.Errorf("fp32 and bf16 have the same math %q", fp)
	}
}
