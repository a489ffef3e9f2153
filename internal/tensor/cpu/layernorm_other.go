//go:build !amd64

package cpu

func lnSum(src []float32, lanes *[lnLanes]float64) { lnSumGo(src, lanes) }

func lnSqDev(src []float32, mean float64, lanes *[lnLanes]float64) { lnSqDevGo(src, mean, lanes) }

func lnNorm(out, src, g, be []float32, mean, inv float64) { lnNormGo(out, src, g, be, mean, inv) }
