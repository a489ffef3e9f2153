package cpu

// The kernels below work on n groups of lnLanes values, exactly as their Go
// counterparts (lnSumGo, lnSqDevGo, lnNormGo): no fused multiply-adds, conversions
// rounding to nearest.

//go:noescape
func lnSumAVX512(p *float32, n int, lanes *[lnLanes]float64)

//go:noescape
func lnSumAVX2(p *float32, n int, lanes *[lnLanes]float64)

//go:noescape
func lnSqDevAVX512(p *float32, n int, mean float64, lanes *[lnLanes]float64)

//go:noescape
func lnSqDevAVX2(p *float32, n int, mean float64, lanes *[lnLanes]float64)

//go:noescape
func lnNormAVX512(out, src, gamma, beta *float32, n int, mean, inv float64)

//go:noescape
func lnNormAVX2(out, src, gamma, beta *float32, n int, mean, inv float64)

// lnSum adds src (a multiple of lnLanes long) into lanes, value j into lane j%lnLanes.
func lnSum(src []float32, lanes *[lnLanes]float64) {
	n := len(src) / lnLanes
	switch {
	case n == 0:
	case simdLevel >= simdAVX512:
		lnSumAVX512(&src[0], n, lanes)
	case simdLevel >= simdAVX2:
		lnSumAVX2(&src[0], n, lanes)
	default:
		lnSumGo(src, lanes)
	}
}

// lnSqDev adds the squared deviations of src (a multiple of lnLanes long) from mean
// into lanes, value j into lane j%lnLanes.
func lnSqDev(src []float32, mean float64, lanes *[lnLanes]float64) {
	n := len(src) / lnLanes
	switch {
	case n == 0:
	case simdLevel >= simdAVX512:
		lnSqDevAVX512(&src[0], n, mean, lanes)
	case simdLevel >= simdAVX2:
		lnSqDevAVX2(&src[0], n, mean, lanes)
	default:
		lnSqDevGo(src, mean, lanes)
	}
}

// lnNorm writes float32((src-mean)·inv)·g + be into out (all a multiple of lnLanes
// long).
func lnNorm(out, src, g, be []float32, mean, inv float64) {
	n := len(src) / lnLanes
	if n == 0 {
		return
	}
	_, _, _ = out[n*lnLanes-1], g[n*lnLanes-1], be[n*lnLanes-1]
	switch {
	case simdLevel >= simdAVX512:
		lnNormAVX512(&out[0], &src[0], &g[0], &be[0], n, mean, inv)
	case simdLevel >= simdAVX2:
		lnNormAVX2(&out[0], &src[0], &g[0], &be[0], n, mean, inv)
	default:
		lnNormGo(out, src, g, be, mean, inv)
	}
}
