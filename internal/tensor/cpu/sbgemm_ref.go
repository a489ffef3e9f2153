package cpu

import "math"

// bf16DAZ widens a bfloat16 as VDPBF16PS reads its inputs: a denormal is a zero of
// the same sign.
func bf16DAZ(h uint16) float32 {
	if h&0x7f80 == 0 {
		h &= 0x8000
	}
	return fromBF16(h)
}

// ftz32 flushes a denormal float32 to a zero of its sign.
func ftz32(f float32) float32 {
	u := math.Float32bits(f)
	if u&0x7f800000 == 0 {
		return math.Float32frombits(u & 0x80000000)
	}
	return f
}

// dpbf16 is one lane of VDPBF16PS as the Intel SDM defines it: two fused
// multiply-adds in float32, the odd pair first, with denormal inputs read as zero,
// denormal results flushed to zero and rounding to nearest even (MXCSR is not
// consulted).
func dpbf16(acc float32, a, b uint32) float32 {
	acc = ftz32(acc)
	acc = ftz32(fma32(bf16DAZ(uint16(a>>16)), bf16DAZ(uint16(b>>16)), acc))
	return ftz32(fma32(bf16DAZ(uint16(a)), bf16DAZ(uint16(b)), acc))
}

// sbgemmKernelGo is the bf16 microkernel in Go (the reference the assembly kernel
// is tested against): an mr×nr tile from packed pairs (a: k2 steps of mr lanes, b:
// k2 steps of nr lanes), each element one chain of dpbf16 in step order from zero
// (or from src with flags&gemmLoad), stored to dst (added to dst's old values with
// flags&gemmAdd).
func sbgemmKernelGo(mr, nr, k2 int, a, b []uint32, src []float32, lds int, dst []float32, ldd int, flags int) {
	var acc [gemmMaxTile]float32
	t := acc[:mr*nr]
	if flags&gemmLoad != 0 {
		for r := 0; r < mr; r++ {
			copy(t[r*nr:(r+1)*nr], src[r*lds:r*lds+nr])
		}
	}
	a, b = a[:k2*mr], b[:k2*nr]
	for p := 0; p < k2; p++ {
		ap, bp := a[p*mr:(p+1)*mr], b[p*nr:(p+1)*nr]
		for r, x := range ap {
			row := t[r*nr : (r+1)*nr]
			for j, y := range bp {
				row[j] = dpbf16(row[j], x, y)
			}
		}
	}
	storeTile(dst, ldd, t, mr, nr, flags)
}
