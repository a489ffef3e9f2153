package weights

import (
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"
	"unsafe"
)

// TestAlignedInterior: the whole aligned blocks inside a span, for spans that
// start on and off a boundary, hold no whole block, are empty, or end at the top
// of the address space.
func TestAlignedInterior(t *testing.T) {
	const a = hugePageSize
	top := ^uintptr(0)
	for _, c := range []struct {
		addr   uintptr
		n      int
		lo, hi int
	}{
		{addr: 0, n: 0, lo: 0, hi: 0},
		{addr: a, n: -1, lo: 0, hi: 0},
		{addr: a, n: 1, lo: 0, hi: 0},
		{addr: a, n: a - 1, lo: 0, hi: 0},
		{addr: a, n: a, lo: 0, hi: a},
		{addr: a, n: 3*a + 5, lo: 0, hi: 3 * a},
		{addr: a + 4096, n: a, lo: 0, hi: 0},                          // crosses a boundary, no whole block
		{addr: a + 4096, n: 2*a - 4096, lo: a - 4096, hi: 2*a - 4096}, // ends on a boundary
		{addr: a - 8192, n: 5 * a, lo: 8192, hi: 8192 + 4*a},
		{addr: top - a + 1, n: a - 1, lo: 0, hi: 0}, // the last block, not whole
		{addr: top - 100, n: 50, lo: 0, hi: 0},      // rounding up would wrap
	} {
		lo, hi := alignedInterior(c.addr, c.n, a)
		if lo != c.lo || hi != c.hi {
			t.Errorf("alignedInterior(%#x, %d) = [%d, %d), want [%d, %d)", c.addr, c.n, lo, hi, c.lo, c.hi)
		}
		if hi > lo && ((c.addr+uintptr(lo))%a != 0 || (hi-lo)%a != 0 || hi > c.n) {
			t.Errorf("alignedInterior(%#x, %d) = [%d, %d): not whole aligned blocks inside", c.addr, c.n, lo, hi)
		}
	}
}

// TestAllocFloat32: every size (empty, tiny, just below and at the advice
// threshold, large and odd) gives that many zeroed, writable values, with huge
// pages and with the fallback forced.
func TestAllocFloat32(t *testing.T) {
	defer func(f func() bool) { useHugePages = f }(useHugePages)
	for _, huge := range []bool{false, true} {
		useHugePages = func() bool { return huge }
		for _, n := range []int{0, 1, 3, hugeMin/4 - 1, hugeMin / 4, 3*hugePageSize/4 + 7, 5*hugeMin/4 + 3} {
			v := allocFloat32(n)
			if len(v) != n || v == nil {
				t.Fatalf("huge %v: allocFloat32(%d) has %d values (nil %v)", huge, n, len(v), v == nil)
			}
			for i := range v {
				if v[i] != 0 {
					t.Fatalf("huge %v: allocFloat32(%d)[%d] = %v, want 0", huge, n, i, v[i])
				}
				v[i] = float32(i)
			}
			for i := range v {
				if v[i] != float32(i) {
					t.Fatalf("huge %v: allocFloat32(%d)[%d] = %v after writing %d", huge, n, i, v[i], i)
				}
			}
		}
	}
}

// TestAllocFloat32Advice: the advice covers exactly the whole 2 MiB pages inside
// a destination of at least hugeMin bytes, and is not given for smaller ones nor
// when huge pages are unavailable (the fallback).
func TestAllocFloat32Advice(t *testing.T) {
	defer func(f func() bool, a func([]byte)) { useHugePages, advise = f, a }(useHugePages, advise)
	var got [][2]uintptr
	advise = func(b []byte) {
		p := uintptr(unsafe.Pointer(&b[0]))
		got = append(got, [2]uintptr{p, p + uintptr(len(b))})
	}
	for _, c := range []struct {
		huge bool
		n    int
		want bool
	}{
		{true, 0, false}, {true, 1, false}, {true, hugeMin/4 - 1, false},
		{true, hugeMin / 4, true}, {true, 5*hugeMin/4 + 3, true},
		{false, hugeMin / 4, false}, {false, 5*hugeMin/4 + 3, false},
	} {
		useHugePages = func() bool { return c.huge }
		got = got[:0]
		v := allocFloat32(c.n)
		if !c.want {
			if len(got) != 0 {
				t.Errorf("huge %v, %d values: advised %d ranges, want none", c.huge, c.n, len(got))
			}
			continue
		}
		start := uintptr(unsafe.Pointer(&v[0]))
		lo, hi := alignedInterior(start, 4*len(v), hugePageSize)
		if len(got) != 1 || got[0] != [2]uintptr{start + uintptr(lo), start + uintptr(hi)} || hi-lo < hugeMin-hugePageSize {
			t.Errorf("huge %v, %d values at %#x: advised %#x, want [%#x, %#x)", c.huge, c.n, start, got, start+uintptr(lo), start+uintptr(hi))
		}
	}
}

// TestLargeHalfTensorHugeOrNot: a float16 tensor large enough to be advised
// (every bit pattern, 40 times: 10 MB of float32) loads to the same exact values
// with huge pages and with the fallback forced.
func TestLargeHalfTensorHugeOrNot(t *testing.T) {
	defer func(f func() bool) { useHugePages = f }(useHugePages)
	src := allHalves(40)
	n := len(src) / 2
	if 4*n < hugeMin+hugePageSize {
		t.Fatalf("%d values do not reach the advice threshold", n)
	}
	header := fmt.Sprintf(`{"w":{"dtype":"F16","shape":[%d],"data_offsets":[0,%d]}}`, n, len(src))
	file := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	path := filepath.Join(t.TempDir(), "half.safetensors")
	if err := os.WriteFile(path, append(append(file, header...), src...), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, huge := range []bool{true, false} {
		useHugePages = func() bool { return huge }
		sd, err := Load(path)
		if err != nil {
			t.Fatal(err)
		}
		w, err := sd.Get("w", n)
		if err != nil {
			t.Fatal(err)
		}
		for i, v := range w.Data {
			if want := halfToFloat(binary.LittleEndian.Uint16(src[2*i:])); math.Float32bits(v) != math.Float32bits(want) {
				t.Fatalf("huge %v: w[%d] = %#x, want %#x", huge, i, math.Float32bits(v), math.Float32bits(want))
			}
		}
	}
}
