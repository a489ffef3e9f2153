package cpu

// GoGemm is the pure-Go matrix product: 4×4 register tiles of dot products over
// contiguous rows, parallel over blocks of B's rows. Each element of C is one float32
// dot product summed in k order, whatever the shape or thread count.
type GoGemm struct {
	Threads int
}

// Name implements Gemm.
func (g *GoGemm) Name() string { return "go" }

const blockN = 64 // rows of B per task (64×k floats stay in cache)

// SgemmNT implements Gemm.
func (g *GoGemm) SgemmNT(m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, accumulate bool) {
	blocks := (n + blockN - 1) / blockN
	rowParts := 1
	if blocks < g.Threads {
		rowParts = min(g.Threads, (m+15)/16)
	}
	parallelRanges(blocks*rowParts, g.Threads, func(lo, hi int) {
		for t := lo; t < hi; t++ {
			bi, ri := t%blocks, t/blocks
			j0, j1 := bi*blockN, min((bi+1)*blockN, n)
			i0, i1 := ri*m/rowParts, (ri+1)*m/rowParts
			gemmBlock(i0, i1, j0, j1, k, a, lda, b, ldb, c, ldc, accumulate)
		}
	})
}

func gemmBlock(i0, i1, j0, j1, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, acc bool) {
	i := i0
	for ; i+4 <= i1; i += 4 {
		a0, a1, a2, a3 := a[i*lda:i*lda+k], a[(i+1)*lda:(i+1)*lda+k], a[(i+2)*lda:(i+2)*lda+k], a[(i+3)*lda:(i+3)*lda+k]
		j := j0
		for ; j+4 <= j1; j += 4 {
			b0, b1, b2, b3 := b[j*ldb:j*ldb+k], b[(j+1)*ldb:(j+1)*ldb+k], b[(j+2)*ldb:(j+2)*ldb+k], b[(j+3)*ldb:(j+3)*ldb+k]
			var s00, s01, s02, s03, s10, s11, s12, s13, s20, s21, s22, s23, s30, s31, s32, s33 float32
			for p := 0; p < k; p++ {
				x0, x1, x2, x3 := a0[p], a1[p], a2[p], a3[p]
				y0, y1, y2, y3 := b0[p], b1[p], b2[p], b3[p]
				// Each product rounded on its own: a fused multiply-add (arm64,
				// GOAMD64=v3) would be used in some loops and not others, and a row's
				// result would depend on which loop its batch sends it through.
				s00 += float32(x0 * y0)
				s01 += float32(x0 * y1)
				s02 += float32(x0 * y2)
				s03 += float32(x0 * y3)
				s10 += float32(x1 * y0)
				s11 += float32(x1 * y1)
				s12 += float32(x1 * y2)
				s13 += float32(x1 * y3)
				s20 += float32(x2 * y0)
				s21 += float32(x2 * y1)
				s22 += float32(x2 * y2)
				s23 += float32(x2 * y3)
				s30 += float32(x3 * y0)
				s31 += float32(x3 * y1)
				s32 += float32(x3 * y2)
				s33 += float32(x3 * y3)
			}
			store4(c[i*ldc+j:], s00, s01, s02, s03, acc)
			store4(c[(i+1)*ldc+j:], s10, s11, s12, s13, acc)
			store4(c[(i+2)*ldc+j:], s20, s21, s22, s23, acc)
			store4(c[(i+3)*ldc+j:], s30, s31, s32, s33, acc)
		}
		for ; j < j1; j++ {
			for r := 0; r < 4; r++ {
				dotInto(c, (i+r)*ldc+j, a[(i+r)*lda:(i+r)*lda+k], b[j*ldb:j*ldb+k], acc)
			}
		}
	}
	for ; i < i1; i++ {
		for j := j0; j < j1; j++ {
			dotInto(c, i*ldc+j, a[i*lda:i*lda+k], b[j*ldb:j*ldb+k], acc)
		}
	}
}

func store4(c []float32, s0, s1, s2, s3 float32, acc bool) {
	c = c[:4]
	if acc {
		c[0] += s0
		c[1] += s1
		c[2] += s2
		c[3] += s3
		return
	}
	c[0], c[1], c[2], c[3] = s0, s1, s2, s3
}

func dotInto(c []float32, idx int, x, y []float32, acc bool) {
	var s float32
	y = y[:len(x)]
	for p, v := range x {
		s += float32(v * y[p])
	}
	if acc {
		c[idx] += s
	} else {
		c[idx] = s
	}
}
