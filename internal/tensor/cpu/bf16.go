package cpu

import "math"

// bfloat16 storage of Linear weights (--precision bf16): the upper half of a
// float32, with 8 bits of mantissa. Weights are rounded once at load; activations
// are rounded row by row as each product packs them; products accumulate in float32
// (sbgemm.go).

// toBF16 rounds f to bfloat16 to nearest, ties to even, as torch's
// c10::BFloat16 does (a NaN stays a quiet NaN of the same sign; denormals are kept).
func toBF16(f float32) uint16 {
	u := math.Float32bits(f)
	if u&0x7fffffff > 0x7f800000 { // NaN
		return uint16(u>>16) | 0x40
	}
	return uint16((u + 0x7fff + (u>>16)&1) >> 16)
}

// fromBF16 widens a bfloat16 to float32 (exact).
func fromBF16(h uint16) float32 { return math.Float32frombits(uint32(h) << 16) }

// pairBF16 packs two consecutive values of a row, rounded, into one 32-bit lane as
// VDPBF16PS reads it: the even one in the low half, the odd one in the high half.
func pairBF16(lo, hi float32) uint32 { return uint32(toBF16(lo)) | uint32(toBF16(hi))<<16 }

// sbgemmNR is the columns of a packed weight panel (two ZMM registers of pairs).
const sbgemmNR = 32

// bf16Weight is a Linear weight (n×k, nn.Linear layout) rounded to bfloat16 and
// packed once at load into the panels the bf16 microkernel reads: panel q holds
// columns (rows of the weight) [32q, 32q+32) as k2 = ⌈k/2⌉ steps of 32 lanes, lane j
// of step p holding W[32q+j][2p] (low half) and W[32q+j][2p+1] (high half).
// Columns past n and the odd k's last high half are zero.
type bf16Weight struct {
	n, k, k2 int
	panels   []uint32
}

// newBF16Weight rounds and packs the n×k row-major weight w, on up to threads
// goroutines.
func newBF16Weight(w []float32, n, k, threads int) *bf16Weight {
	k2 := (k + 1) / 2
	np := (n + sbgemmNR - 1) / sbgemmNR
	bw := &bf16Weight{n: n, k: k, k2: k2, panels: make([]uint32, np*k2*sbgemmNR)}
	bw.fill(w, threads)
	return bw
}

// fill rounds and packs the n×k row-major values w into the weight's panels,
// replacing what they held (FromHostWeight and RefillWeight check w's length).
func (bw *bf16Weight) fill(w []float32, threads int) {
	n, k, k2 := bw.n, bw.k, bw.k2
	parallelRanges((n+sbgemmNR-1)/sbgemmNR, threads, func(q0, q1 int) {
		for q := q0; q < q1; q++ {
			dst := bw.panels[q*k2*sbgemmNR : (q+1)*k2*sbgemmNR]
			rows := min(sbgemmNR, n-q*sbgemmNR)
			for j0 := 0; j0 < rows; j0 += 16 {
				done := 0 // pairs of rows j0..j0+15 packed by the SIMD kernel
				if j0+16 <= rows {
					done = packRows16(dst[j0:], w[(q*sbgemmNR+j0)*k:], k)
				}
				for j := j0; j < min(j0+16, rows); j++ {
					packRowBF16(dst[j:], w[(q*sbgemmNR+j)*k:(q*sbgemmNR+j+1)*k], done)
				}
			}
		}
	})
}

// packRowBF16 is the Go reference: it rounds the pairs of row from pair p0 on into
// lanes p·sbgemmNR of dst (the odd k's last high half zero).
func packRowBF16(dst []uint32, row []float32, p0 int) {
	k := len(row)
	p := p0
	for ; 2*p+1 < k; p++ {
		dst[p*sbgemmNR] = pairBF16(row[2*p], row[2*p+1])
	}
	if k%2 == 1 {
		dst[p*sbgemmNR] = pairBF16(row[k-1], 0)
	}
}

// unpack writes the rounded weight back as an n×k float32 matrix into dst.
func (w *bf16Weight) unpack(dst []float32) {
	for i := 0; i < w.n; i++ {
		q, j := i/sbgemmNR, i%sbgemmNR
		panel := w.panels[q*w.k2*sbgemmNR:]
		for p := 0; p < w.k; p++ {
			v := panel[(p/2)*sbgemmNR+j]
			dst[i*w.k+p] = fromBF16(uint16(v >> (16 * uint(p%2))))
		}
	}
}

// packABF16 writes rows of A of tiles [t0, t1) (mr rows each) as k2 steps of mr
// lanes of rounded pairs (rows past m and the odd k's last high half zero).
func packABF16(ap []uint32, a []float32, lda, m, k, mr, t0, t1 int) {
	k2 := (k + 1) / 2
	for t := t0; t < t1; t++ {
		dst := ap[(t-t0)*k2*mr : (t-t0+1)*k2*mr]
		for r := 0; r < mr; r++ {
			i := t*mr + r
			if i >= m {
				for p := 0; p < k2; p++ {
					dst[p*mr+r] = 0
				}
				continue
			}
			row := a[i*lda : i*lda+k]
			p := 0
			for ; 2*p+1 < k; p++ {
				dst[p*mr+r] = pairBF16(row[2*p], row[2*p+1])
			}
			if k%2 == 1 {
				dst[p*mr+r] = pairBF16(row[k-1], 0)
			}
		}
	}
}
