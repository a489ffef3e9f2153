//go:build !amd64

package cpu

import "math"

// bestSIMDLevel: no vectorised kernels on this architecture.
func bestSIMDLevel() int { return simdScalar }

// simdLevels lists the levels this processor can run (for tests).
func simdLevels() []int { return []int{simdScalar} }

// expShiftedFast has no vectorised version on this architecture.
func expShiftedFast(row []float32, m float32, lanes *[8]float32) int { return 0 }

// maxFast has no vectorised version on this architecture.
func maxFast(row []float32) (float32, int) { return float32(math.Inf(-1)), 0 }

// alibiMaxFast has no vectorised version on this architecture.
func alibiMaxFast(row []float32, i int, negSlope float32) (float32, int) {
	return float32(math.Inf(-1)), 0
}

// scaleFast has no vectorised version on this architecture.
func scaleFast(row []float32, s float32) int { return 0 }

// geluFast has no vectorised version on this architecture.
func geluFast(x []float32) int { return 0 }

// gatedGELUFast has no vectorised version on this architecture.
func gatedGELUFast(out, gate, lin []float32) int { return 0 }

// addFast has no vectorised version on this architecture.
func addFast(dst, src []float32) int { return 0 }
