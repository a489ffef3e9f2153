package cpu

import "math"

// Float32 kernels for the transcendental functions of the element-wise passes
// (softmax's exp, GELU's erf). The float64 math.Exp and math.Erf they replace cost
// more than a transformer layer's attention products; these stay within a few
// float32 ulps (see mathf_test.go), which is what PyTorch's own vectorised float32
// kernels achieve.

const (
	log2e = 1.4426950408889634
	// ln2Hi + ln2Lo = ln 2, with ln2Hi short (9 significant bits) so that k*ln2Hi is
	// exact in float32 for every |k| <= 2^15.
	ln2Hi = 0.693359375
	ln2Lo = -2.1219444005469057e-4
)

// The vectorised exp (expShiftedFast) handles x in [expFastMin, expFastMax], where
// the scale 2^k is a normal float32 (-126 <= k <= 127); expf's special cases cover
// the rest.
const (
	expFastMin = -87
	expFastMax = 88
)

// expf's limits: above expOverflow the result is +Inf, below expUnderflow 0. The
// AVX-512 exp compares with the same float32 values.
const (
	expOverflow  = 88.72283
	expUnderflow = -103.97208
)

// expShiftedSum replaces each value s of row by expf(s - m) and returns their sum,
// vectorised where the processor allows. The sum is defined by its order, the same
// on every path: value j is added into lane j%8 (in order of j), then the lanes are
// added in order.
func expShiftedSum(row []float32, m float32) float32 {
	var lanes [8]float32
	for i := expShiftedFast(row, m, &lanes); i < len(row); i++ {
		row[i] = expf(row[i] - m)
		lanes[i%8] += row[i]
	}
	var sum float32
	for _, l := range lanes {
		sum += l
	}
	return sum
}

// expf returns e^x in float32 (error within about one ulp; 0 below -103.97,
// +Inf above 88.72, NaN for NaN).
//
// Range reduction: x = k·ln2 + r with |r| <= ln2/2, then e^r by its degree-7 Taylor
// polynomial (truncation error r^8/8! < 5.3e-9 relative), summed as 1 + (r + r²·q)
// so that the final rounding is the only one at the result's scale, and a scale by
// 2^k built from the exponent bits.
func expf(x float32) float32 {
	switch {
	case x > expOverflow:
		return float32(math.Inf(1))
	case x < expUnderflow:
		return 0
	case x != x:
		return x
	}
	// Every product is converted to float32 explicitly: the Go spec lets a compiler
	// fuse x*y+z into one FMA (GOAMD64=v3, arm64 do), and the SIMD kernels, which
	// must give the same bits, round each product.
	z := float32(x * log2e)
	var k int32
	if z >= 0 {
		k = int32(z + 0.5)
	} else {
		k = int32(z - 0.5)
	}
	fk := float32(k)
	r := x - float32(fk*ln2Hi)
	r -= float32(fk * ln2Lo)
	q := float32(1.0 / 5040)
	q = 1.0/720 + float32(r*q)
	q = 1.0/120 + float32(r*q)
	q = 1.0/24 + float32(r*q)
	q = 1.0/6 + float32(r*q)
	q = 1.0/2 + float32(r*q)
	p := 1 + (r + float32(float32(r*r)*q))
	if k >= -126 {
		if k == 128 {
			return p * 2 * math.Float32frombits(127<<23+127<<23)
		}
		return p * math.Float32frombits(uint32(k+127)<<23)
	}
	// Subnormal result: scale in two steps so neither factor underflows early.
	return p * math.Float32frombits(uint32(k+127+64)<<23) * (1.0 / (1 << 64))
}

// erfDegree is the degree of each piece of erf32's piecewise polynomial.
const erfDegree = 7

// erfPiece is one piece: erf(z) ≈ Σ k[i]·(z-center)^i.
type erfPiece struct {
	center float32
	k      [erfDegree + 1]float32
}

// erfTab covers z in [0, 4) in 16 pieces of width 1/4 (beyond, erf rounds to 1 in
// float32: 1-erf(4) = 1.5e-8 is below half an ulp of 1). Piece 0 is fitted on
// [-1/4, 1/4] around 0, so that erf32(0) = 0 and small arguments keep their
// relative accuracy.
var erfTab = func() (tab [16]erfPiece) {
	for i := range tab {
		c, h := (float64(i)+0.5)/4, 0.125
		if i == 0 {
			c, h = 0, 0.25
		}
		tab[i].center = float32(c)
		for j, v := range chebyshevFit(math.Erf, c, h, erfDegree) {
			if i == 0 && j%2 == 0 {
				v = 0 // erf is odd: drop the fit's rounding noise in the even terms
			}
			tab[i].k[j] = float32(v)
		}
	}
	return tab
}()

// erf32 returns erf(x) in float32 with an absolute error below 7e-8 (within about
// two ulps of the result; see mathf_test.go). It is used by GELU, where
// 1+erf(x) is what matters, so absolute accuracy is the relevant measure.
func erf32(x float32) float32 {
	bits := math.Float32bits(x)
	z := math.Float32frombits(bits &^ (1 << 31))
	var r float32
	switch {
	case z < 4:
		p := &erfTab[int(z*4)]
		t := z - p.center
		k := &p.k
		// Horner, each product rounded on its own (no fused multiply-add; see expf).
		r = k[7]
		for i := erfDegree - 1; i >= 0; i-- {
			r = k[i] + float32(t*r)
		}
	case z == z:
		r = 1
	default:
		return x
	}
	return math.Float32frombits(math.Float32bits(r) | bits&(1<<31))
}

// geluf is the exact (erf) GELU x·½·(1+erf(x/√2)) in float32.
func geluf(x float32) float32 {
	return 0.5 * x * (1 + erf32(x*math.Sqrt2/2))
}

// chebyshevFit returns the monomial coefficients, in t = x-c, of the polynomial of
// degree n interpolating f at the n+1 Chebyshev nodes of [c-h, c+h] (within a small
// factor of the best uniform approximation).
func chebyshevFit(f func(float64) float64, c, h float64, n int) []float64 {
	// Solve the Vandermonde system in u = t/h ∈ [-1, 1] (well conditioned at the
	// Chebyshev nodes), then rescale the coefficients to t.
	m := n + 1
	a := make([][]float64, m)
	for j := range a {
		u := math.Cos(math.Pi * (float64(j) + 0.5) / float64(m))
		a[j] = make([]float64, m+1)
		p := 1.0
		for i := 0; i < m; i++ {
			a[j][i] = p
			p *= u
		}
		a[j][m] = f(c + h*u)
	}
	for col := 0; col < m; col++ {
		piv := col
		for r := col + 1; r < m; r++ {
			if math.Abs(a[r][col]) > math.Abs(a[piv][col]) {
				piv = r
			}
		}
		a[col], a[piv] = a[piv], a[col]
		for r := 0; r < m; r++ {
			if r == col {
				continue
			}
			q := a[r][col] / a[col][col]
			for i := col; i <= m; i++ {
				a[r][i] -= q * a[col][i]
			}
		}
	}
	out := make([]float64, m)
	scale := 1.0
	for i := range out {
		out[i] = a[i][m] / a[i][i] / scale
		scale *= h
	}
	return out
}
