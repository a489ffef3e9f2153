package weights

import (
	"encoding/binary"
	"math"
	"runtime"
	"sync"
)

// widenLevel is a set of widening kernels: the Go reference, or SIMD ones.
type widenLevel int

const (
	widenGo     widenLevel = iota // halfToFloat / bf16ToFloat, one value at a time
	widenAVX2                     // AVX2 + F16C: 8 values a vector
	widenAVX512                   // AVX-512F: 16 values a vector
)

// width is the number of values the level converts at a time.
func (l widenLevel) width() int {
	switch l {
	case widenAVX2:
		return 8
	case widenAVX512:
		return 16
	}
	return 1
}

// bestWiden is the fastest level this processor runs; tests may set others.
var bestWiden = func() widenLevel { l := widenLevels(); return l[len(l)-1] }()

// parallelMin is the fewest values worth splitting between goroutines.
const parallelMin = 1 << 18

// HalfToFloat32 widens the little-endian IEEE float16 values in src (2 bytes each)
// into dst exactly: every value, NaN payloads and subnormals included, becomes the
// float32 it denotes. len(src) must be 2·len(dst) (otherwise it panics: a caller's
// bug). It runs on all the CPUs the Go runtime uses, with F16C or AVX-512 where the
// processor has them, and returns the index of the first value that is not finite
// (Inf or NaN), or -1.
func HalfToFloat32(dst []float32, src []byte) int { return widen(bestWiden, false, dst, src) }

// BF16ToFloat32 is HalfToFloat32 for bfloat16 values.
func BF16ToFloat32(dst []float32, src []byte) int { return widen(bestWiden, true, dst, src) }

// FirstNonFinite returns the index of the first Inf or NaN in v, or -1; it runs on
// all the CPUs the Go runtime uses, with AVX2 or AVX-512 where the processor has them.
func FirstNonFinite(v []float32) int {
	bad := -1
	parallel(len(v), 1, func(lo, hi int) int { return firstNonFinite(bestWiden, v[lo:hi]) }, &bad)
	return bad
}

func widen(level widenLevel, bf16 bool, dst []float32, src []byte) int {
	if len(src) != 2*len(dst) {
		panic("weights: widen: src must hold 2 bytes per dst value")
	}
	bad := -1
	parallel(len(dst), level.width(), func(lo, hi int) int { return widenSerial(level, bf16, dst[lo:hi], src[2*lo:2*hi]) }, &bad)
	return bad
}

// parallel runs fn over [0, n) split into one range per CPU (boundaries multiples
// of align) when n is large, and sets *bad to the lowest index (offset by its
// range's start) that any range reported, if any did (fn returns -1 for none).
func parallel(n, align int, fn func(lo, hi int) int, bad *int) {
	parts := min(runtime.GOMAXPROCS(0), n/parallelMin)
	if parts <= 1 {
		*bad = fn(0, n)
		return
	}
	step := (n/parts + align - 1) / align * align
	found := make([]int, parts)
	var wg sync.WaitGroup
	for p := range parts {
		lo, hi := min(p*step, n), min((p+1)*step, n)
		if p == parts-1 {
			hi = n
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			found[p] = -1
			if i := fn(lo, hi); i >= 0 {
				found[p] = lo + i
			}
		}()
	}
	wg.Wait()
	*bad = -1
	for _, i := range found {
		if i >= 0 {
			*bad = i
			return
		}
	}
}

// widenSerial converts on the calling goroutine: the level's kernel over whole
// vectors, the Go reference for a vector holding Inf or NaN and for the tail.
func widenSerial(level widenLevel, bf16 bool, dst []float32, src []byte) int {
	bad := -1
	w := level.width()
	for i := 0; i < len(dst); {
		i += widenKernel(level, bf16, dst[i:], src[2*i:])
		end := min(len(dst), i+w)
		if level == widenGo || i >= len(dst)&^(w-1) {
			end = len(dst) // all of it, or the tail
		}
		for ; i < end; i++ {
			h := binary.LittleEndian.Uint16(src[2*i:])
			if bf16 {
				dst[i] = bf16ToFloat(h)
			} else {
				dst[i] = halfToFloat(h)
			}
			if bad < 0 && math.Float32bits(dst[i])&0x7f800000 == 0x7f800000 {
				bad = i
			}
		}
	}
	return bad
}

// firstNonFinite scans on the calling goroutine.
func firstNonFinite(level widenLevel, v []float32) int {
	i := finiteKernel(level, v)
	for ; i < len(v); i++ {
		if math.Float32bits(v[i])&0x7f800000 == 0x7f800000 {
			return i
		}
	}
	return -1
}
