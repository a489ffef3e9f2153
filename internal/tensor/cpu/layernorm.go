package cpu

import "math"

// lnLanes is the number of partial sums of layer norm's reductions: value j of a row
// is added into partial sum j%lnLanes, in row order, and the partial sums are then
// combined pairwise in a fixed order. The vector kernels (16 float64 lanes of
// AVX-512 or AVX2 registers) and the Go code below follow exactly this order, so a
// row's statistics are the same bit for bit on every machine class, and depend only
// on that row (packed == alone). simdLevel selects the kernels, as for the other
// element-wise work.
const lnLanes = 16

// layerNormRow normalises one row (out may be src): statistics in float64 (mean,
// then the mean squared deviation, each over lnLanes partial sums), then
// float32((v-mean)·inv)·g + be per value.
func layerNormRow(out, src, g, be []float32, eps float32) {
	c := len(src)
	out, g, be = out[:c], g[:c], be[:c]
	full := c - c%lnLanes
	// The vector kernels take whole groups of lnLanes; the Go code does the rest
	// (full is a multiple of lnLanes, so its values land in the same lanes).
	var lanes [lnLanes]float64
	lnSum(src[:full], &lanes)
	lnSumGo(src[full:], &lanes)
	mean := lnCombine(&lanes) / float64(c)
	lanes = [lnLanes]float64{}
	lnSqDev(src[:full], mean, &lanes)
	lnSqDevGo(src[full:], mean, &lanes)
	inv := 1 / math.Sqrt(lnCombine(&lanes)/float64(c)+float64(eps))
	lnNorm(out[:full], src[:full], g[:full], be[:full], mean, inv)
	lnNormGo(out[full:], src[full:], g[full:], be[full:], mean, inv)
}

// lnCombine sums the partial sums pairwise: lane l with lane l+8, then l+4, l+2, l+1.
func lnCombine(lanes *[lnLanes]float64) float64 {
	for w := lnLanes / 2; w >= 1; w /= 2 {
		for l := 0; l < w; l++ {
			lanes[l] += lanes[l+w]
		}
	}
	return lanes[0]
}

// lnSumGo adds src into lanes, value j into lane j%lnLanes.
func lnSumGo(src []float32, lanes *[lnLanes]float64) {
	for j, v := range src {
		lanes[j%lnLanes] += float64(v)
	}
}

// lnSqDevGo adds the squared deviations from mean of src into lanes, value j into
// lane j%lnLanes.
func lnSqDevGo(src []float32, mean float64, lanes *[lnLanes]float64) {
	for j, v := range src {
		dv := float64(v) - mean
		lanes[j%lnLanes] += float64(dv * dv) // the conversion forbids a fused multiply-add
	}
}

// lnNormGo writes float32((src-mean)·inv)·g + be into out.
func lnNormGo(out, src, g, be []float32, mean, inv float64) {
	out, g, be = out[:len(src)], g[:len(src)], be[:len(src)]
	for j, v := range src {
		out[j] = float32(float32((float64(v)-mean)*inv)*g[j]) + be[j]
	}
}
