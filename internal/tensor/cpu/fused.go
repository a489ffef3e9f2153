package cpu

import (
	"fmt"

	"github.com/virnucpro/virnucpro/internal/tensor"
)

// The fused operations (tensor.Fuser) run a Linear's element-wise epilogue on each
// block of rows right after the block's product, while it is in cache, doing exactly
// the unfused operations in the same order (so results are identical bit for bit).

var (
	_ tensor.Fuser           = (*Backend)(nil)
	_ tensor.RowConcatenator = (*Backend)(nil)
)

// linearShape checks x·wᵀ into an m×n destination and returns m, k, n.
func linearShape(op string, d, xm, wm *Matrix, dstCols int) (m, k, n int) {
	m, k, n = xm.rows, xm.cols, wm.rows
	if wm.cols != k || d.rows != m || d.cols != dstCols {
		panic(fmt.Sprintf("cpu backend: %s %d×%d · (%d×%d)ᵀ into %d×%d", op, m, k, wm.rows, wm.cols, d.rows, d.cols))
	}
	return m, k, n
}

// LinearGELU implements tensor.Fuser.
func (b *Backend) LinearGELU(dst, x, w, bias tensor.Tensor) {
	d, xm, wm := mat(dst), mat(x), mat(w)
	m, k, n := linearShape("LinearGELU", d, xm, wm, wm.rows)
	bv := biasOf(bias, n)
	epilogue := func(r0, r1 int) {
		c := d.data[r0*n : r1*n]
		addBias(c, n, bv)
		geluSlice(c)
	}
	if b.native != nil {
		b.nativeProduct(m, k, xm.data, wm, d.data, n, false, nil, epilogue)
		return
	}
	b.forRowBlocks(m, func(r0, r1 int, ws *workspace) {
		b.rowBlockParts(r1-r0, k, xm.data[r0*k:], k, wm, d.data[r0*n:r1*n], n, false, ws)
		epilogue(r0, r1)
	})
}

// LinearGatedGELU implements tensor.Fuser.
func (b *Backend) LinearGatedGELU(dst, x, w tensor.Tensor) {
	d, xm, wm := mat(dst), mat(x), mat(w)
	if wm.rows != 2*d.cols {
		panic(fmt.Sprintf("cpu backend: LinearGatedGELU with %d outputs into %d columns", wm.rows, d.cols))
	}
	m, k, n := linearShape("LinearGatedGELU", d, xm, wm, d.cols)
	half := d.cols
	if b.native != nil {
		prod := b.scratch.get(m * n)
		defer b.scratch.put(prod)
		b.nativeProduct(m, k, xm.data, wm, prod, n, false, nil, func(r0, r1 int) {
			gatedGELURows(d.data[r0*half:r1*half], prod[r0*n:r1*n], half)
		})
		return
	}
	b.forRowBlocks(m, func(r0, r1 int, ws *workspace) {
		ws.prod = grow(ws.prod, (r1-r0)*n)
		b.rowBlockParts(r1-r0, k, xm.data[r0*k:], k, wm, ws.prod, n, false, ws)
		gatedGELURows(d.data[r0*half:r1*half], ws.prod, half)
	})
}

// LinearResidualNorm implements tensor.Fuser.
func (b *Backend) LinearResidualNorm(dst, x, w, bias, residual, norm, gamma, beta tensor.Tensor, eps float32) {
	d, xm, wm := mat(dst), mat(x), mat(w)
	m, k, n := linearShape("LinearResidualNorm", d, xm, wm, wm.rows)
	res, nm := mat(residual), mat(norm)
	if res.rows != m || res.cols != n || nm.rows != m || nm.cols != n {
		panic(fmt.Sprintf("cpu backend: LinearResidualNorm residual %d×%d, norm %d×%d for %d×%d", res.rows, res.cols, nm.rows, nm.cols, m, n))
	}
	bv := biasOf(bias, n)
	g, be := mat(gamma).data, mat(beta).data
	residualRows := func(r0, r1 int) {
		if res != d {
			copy(d.data[r0*n:r1*n], res.data[r0*n:r1*n])
		}
	}
	epilogue := func(r0, r1 int) {
		addBias(d.data[r0*n:r1*n], n, bv)
		for i := r0; i < r1; i++ {
			layerNormRow(nm.data[i*n:(i+1)*n], d.data[i*n:(i+1)*n], g, be, eps)
		}
	}
	if b.native != nil {
		b.nativeProduct(m, k, xm.data, wm, d.data, n, true, residualRows, epilogue)
		return
	}
	b.forRowBlocks(m, func(r0, r1 int, ws *workspace) {
		residualRows(r0, r1)
		b.rowBlockParts(r1-r0, k, xm.data[r0*k:], k, wm, d.data[r0*n:r1*n], n, true, ws)
		epilogue(r0, r1)
	})
}
