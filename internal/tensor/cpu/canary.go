package cpu

import (
	"fmt"
	"math"
	"math/rand"
)

// checkRowInvariance is the start-up canary of a BLAS library: it computes the same
// rows at different offsets of the fixed-size blocks the backend calls it on
// (rotated inside a full block, and alone in a short zero-padded block) and returns
// an error naming the first row whose bits moved. OpenBLAS's Haswell kernels (what
// it runs on AMD Zen and other AVX2 CPUs, or with OPENBLAS_CORETYPE=Haswell) fail
// it; then resumed, sharded and multi-worker runs would not match one
// uninterrupted run.
func checkRowInvariance(kern kernels) error {
	r := rand.New(rand.NewSource(1))
	// Widths like a small encoder's, odd so that every tail of the library's
	// kernels is exercised.
	const k, n = 161, 67
	a, w := make([]float32, invariantRows*k), make([]float32, n*k)
	for i := range a {
		a[i] = float32(r.NormFloat64())
	}
	for i := range w {
		w[i] = float32(r.NormFloat64())
	}
	ws := new(workspace)
	full := make([]float32, invariantRows*n)
	kern.rowBlock(invariantRows, n, k, a, k, w, k, full, n, false, ws)
	for _, shift := range []int{1, 5, 13} {
		rot := append(append([]float32(nil), a[shift*k:]...), a[:shift*k]...)
		got := make([]float32, invariantRows*n)
		kern.rowBlock(invariantRows, n, k, rot, k, w, k, got, n, false, ws)
		for i := 0; i < invariantRows; i++ {
			src := (i + shift) % invariantRows
			if err := sameRow(got[i*n:(i+1)*n], full[src*n:(src+1)*n]); err != nil {
				return fmt.Errorf("row %d of a block computed at row %d: %v", src, i, err)
			}
		}
	}
	for _, rows := range []int{1, 7, 150} {
		got := make([]float32, rows*n)
		kern.rowBlock(rows, n, k, a[9*k:], k, w, k, got, n, false, ws)
		for i := 0; i < rows; i++ {
			if err := sameRow(got[i*n:(i+1)*n], full[(9+i)*n:(10+i)*n]); err != nil {
				return fmt.Errorf("row %d of a block computed at row %d of a %d-row block: %v", 9+i, i, rows, err)
			}
		}
	}
	return nil
}

// sameRow reports the first element whose bits differ.
func sameRow(got, want []float32) error {
	for j := range want {
		if math.Float32bits(got[j]) != math.Float32bits(want[j]) {
			return fmt.Errorf("column %d is %v, not %v", j, got[j], want[j])
		}
	}
	return nil
}

// CheckRowInvariance runs the canary on OpenBLAS (for reports; Open runs it itself).
func CheckRowInvariance(lib *OpenBLAS) error { return lib.canary() }
