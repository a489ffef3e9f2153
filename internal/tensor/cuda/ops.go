package cuda

import (
	"errors"
	"fmt"
	"math"
	"unsafe"

	"github.com/virnucpro/virnucpro/internal/tensor"
)

// Attention query tiles (must match ATT_BQ and TC_BQ in kernels.cu).
const (
	attBQ   = 64
	attTCBQ = 128
)

// launch queues kernel name on the default stream. args are uint64 (device
// pointers, int64), int32, int or float32.
func (b *Backend) launch(name string, gx, gy, block uint32, args ...any) error {
	return b.launchShared(name, gx, gy, block, 0, args...)
}

// launchShared is launch with shmem bytes of dynamic shared memory.
func (b *Backend) launchShared(name string, gx, gy, block, shmem uint32, args ...any) error {
	f := b.fns[name]
	if f == 0 {
		return fmt.Errorf("kernel %s not loaded", name)
	}
	if len(args) > len(b.params) {
		return fmt.Errorf("kernel %s: too many arguments", name)
	}
	for i, a := range args {
		switch v := a.(type) {
		case uint64:
			b.params[i] = v
		case int64:
			b.params[i] = uint64(v)
		case int32:
			b.params[i] = uint64(uint32(v))
		case int:
			b.params[i] = uint64(uint32(int32(v)))
		case float32:
			b.params[i] = uint64(math.Float32bits(v))
		default:
			return fmt.Errorf("kernel %s: argument %d has unsupported type %T", name, i, a)
		}
		b.ptrs[i] = uintptr(unsafe.Pointer(&b.params[i]))
	}
	d := &b.lb.drv
	r := call(d.cuLaunchKernel, f, uintptr(gx), uintptr(gy), 1, uintptr(block), 1, 1, uintptr(shmem), 0,
		uintptr(unsafe.Pointer(&b.ptrs[0])), 0)
	keep(b)
	return d.check("cuLaunchKernel "+name, r)
}

// gridFor returns a grid-stride grid size for n elements.
func (b *Backend) gridFor(n int64) uint32 {
	g := (n + 255) / 256
	max := int64(b.info.Multiprocessors) * 32
	if max < 1 {
		max = 1024
	}
	if g > max {
		g = max
	}
	if g < 1 {
		g = 1
	}
	return uint32(g)
}

// Embed writes table row ids[i]·scale into dst row i.
func (b *Backend) Embed(dst, table tensor.Tensor, ids []int32, scale float32) {
	defer b.lock()()
	if !b.ok() {
		return
	}
	d, tb, err := b.pair(dst, table, "Embed")
	if err != nil {
		b.fail(err)
		return
	}
	if d.rows != len(ids) || d.cols != tb.cols {
		b.fail(fmt.Errorf("Embed: dst %d×%d for %d ids and a table of width %d", d.rows, d.cols, len(ids), tb.cols))
		return
	}
	for i, id := range ids {
		if id < 0 || int(id) >= tb.rows {
			b.fail(fmt.Errorf("Embed: id %d at position %d outside the table's %d rows", id, i, tb.rows))
			return
		}
	}
	if len(ids) == 0 || d.cols == 0 {
		return
	}
	p, err := b.upload(&b.ids, int32Bytes(ids))
	if err != nil {
		b.fail(err)
		return
	}
	b.fail(b.launch("embed_"+b.prec.kernelSuffix(), uint32(len(ids)), 1, 256, d.ptr, tb.ptr, p, d.cols, scale))
}

// Linear computes dst = x·wᵀ + bias (or dst += … when accumulate) with cuBLASLt
// (FP32 accumulation; FP32 mode uses no TF32). dst must not alias x or w.
func (b *Backend) Linear(dst, x, w, bias tensor.Tensor, accumulate bool) {
	defer b.lock()()
	if !b.ok() {
		return
	}
	d, xt, err := b.pair(dst, x, "Linear")
	if err != nil {
		b.fail(err)
		return
	}
	wt, err := b.tensorOf(w, "Linear weight")
	if err != nil {
		b.fail(err)
		return
	}
	m, k, n := xt.rows, xt.cols, wt.rows
	if wt.cols != k || d.rows != m || d.cols != n {
		b.fail(fmt.Errorf("Linear: x %d×%d, w %d×%d, dst %d×%d", m, k, wt.rows, wt.cols, d.rows, d.cols))
		return
	}
	var bp uint64
	if bias != nil {
		bt, err := b.tensorOf(bias, "Linear bias")
		if err != nil {
			b.fail(err)
			return
		}
		if bt.rows*bt.cols != n {
			b.fail(fmt.Errorf("Linear: bias %d×%d for %d outputs", bt.rows, bt.cols, n))
			return
		}
		bp = bt.ptr
	}
	if d.ptr != 0 && (d.ptr == xt.ptr || d.ptr == wt.ptr) {
		b.fail(errors.New("Linear: dst aliases an input"))
		return
	}
	if m == 0 || n == 0 {
		return
	}
	if k == 0 {
		// No products: dst = bias (+dst).
		if !accumulate {
			b.fail(b.lb.drv.check("cuMemsetD8Async", call(b.lb.drv.cuMemsetD8Async, uintptr(d.ptr), 0, uintptr(b.bytes(m, n)), 0)))
		}
		if bp != 0 {
			b.fail(b.launch("addbias_"+b.prec.kernelSuffix(), b.gridFor(int64(m*n)), 1, 256, d.ptr, bp, int64(m*n), n))
		}
		return
	}
	b.fail(b.blas.linear(d.ptr, xt.ptr, wt.ptr, bp, m, n, k, accumulate, 0))
}

// LayerNorm normalises each row (biased variance, float32 statistics).
func (b *Backend) LayerNorm(dst, x, gamma, beta tensor.Tensor, eps float32) {
	defer b.lock()()
	if !b.ok() {
		return
	}
	d, xt, err := b.pair(dst, x, "LayerNorm")
	if err != nil {
		b.fail(err)
		return
	}
	g, err := b.tensorOf(gamma, "LayerNorm gamma")
	if err != nil {
		b.fail(err)
		return
	}
	be, err := b.tensorOf(beta, "LayerNorm beta")
	if err != nil {
		b.fail(err)
		return
	}
	if d.rows != xt.rows || d.cols != xt.cols || g.rows*g.cols != xt.cols || be.rows*be.cols != xt.cols {
		b.fail(fmt.Errorf("LayerNorm: x %d×%d, dst %d×%d, gamma %d, beta %d", xt.rows, xt.cols, d.rows, d.cols, g.rows*g.cols, be.rows*be.cols))
		return
	}
	if xt.rows == 0 || xt.cols == 0 {
		return
	}
	if vec := 16 / b.prec.elemSize(); xt.cols%vec == 0 && xt.cols*4 <= 48<<10 {
		b.fail(b.launchShared("layernormc_"+b.prec.kernelSuffix(), uint32(xt.rows), 1, 256, uint32(xt.cols*4), d.ptr, xt.ptr, g.ptr, be.ptr, xt.cols, eps))
		return
	}
	b.fail(b.launch("layernorm_"+b.prec.kernelSuffix(), uint32(xt.rows), 1, 256, d.ptr, xt.ptr, g.ptr, be.ptr, xt.cols, eps))
}

// GELU applies the exact erf GELU in place.
func (b *Backend) GELU(x tensor.Tensor) {
	defer b.lock()()
	if !b.ok() {
		return
	}
	xt, err := b.tensorOf(x, "GELU input")
	if err != nil {
		b.fail(err)
		return
	}
	n := int64(xt.rows) * int64(xt.cols)
	if n == 0 {
		return
	}
	b.fail(b.launch("gelu_"+b.prec.kernelSuffix(), b.gridFor(n), 1, 256, xt.ptr, n))
}

// GatedGELU computes dst[:, j] = GELU(x[:, j])·x[:, I+j].
func (b *Backend) GatedGELU(dst, x tensor.Tensor) {
	defer b.lock()()
	if !b.ok() {
		return
	}
	d, xt, err := b.pair(dst, x, "GatedGELU")
	if err != nil {
		b.fail(err)
		return
	}
	if d.rows != xt.rows || 2*d.cols != xt.cols {
		b.fail(fmt.Errorf("GatedGELU: x %d×%d, dst %d×%d (want width %d)", xt.rows, xt.cols, d.rows, d.cols, xt.cols/2))
		return
	}
	n := int64(d.rows) * int64(d.cols)
	if n == 0 {
		return
	}
	b.fail(b.launch("gatedgelu_"+b.prec.kernelSuffix(), b.gridFor(n), 1, 256, d.ptr, xt.ptr, n, d.cols))
}

// Attention computes multi-head self-attention within each segment.
func (b *Backend) Attention(dst, qkv tensor.Tensor, segs []tensor.Segment, spec tensor.AttentionSpec) {
	defer b.lock()()
	if !b.ok() {
		return
	}
	d, q, err := b.pair(dst, qkv, "Attention")
	if err != nil {
		b.fail(err)
		return
	}
	dm := spec.Heads * spec.HeadDim
	switch {
	case spec.Heads <= 0 || spec.HeadDim <= 0:
		err = fmt.Errorf("Attention: %d heads of width %d", spec.Heads, spec.HeadDim)
	case spec.HeadDim > 128:
		err = fmt.Errorf("Attention: head width %d above the supported 128", spec.HeadDim)
	case q.cols != 3*dm || d.cols != dm || d.rows != q.rows:
		err = fmt.Errorf("Attention: qkv %d×%d, dst %d×%d for %d heads × %d", q.rows, q.cols, d.rows, d.cols, spec.Heads, spec.HeadDim)
	case spec.RotaryInvFreq != nil && (spec.HeadDim%2 != 0 || len(spec.RotaryInvFreq) != spec.HeadDim/2):
		err = fmt.Errorf("Attention: %d rotary frequencies for head width %d", len(spec.RotaryInvFreq), spec.HeadDim)
	case spec.ALiBiSlopes != nil && len(spec.ALiBiSlopes) != spec.Heads:
		err = fmt.Errorf("Attention: %d ALiBi slopes for %d heads", len(spec.ALiBiSlopes), spec.Heads)
	}
	if err != nil {
		b.fail(err)
		return
	}
	kname, block, bq := "attention128", uint32(attBQ), attBQ
	switch {
	case b.prec != FP32 && b.info.Major >= 8 && (spec.HeadDim == 32 || spec.HeadDim == 64) && dm%8 == 0:
		kname, block, bq = fmt.Sprintf("attentiontc%d", spec.HeadDim), 256, attTCBQ
	case spec.HeadDim <= 16:
		kname = "attention16"
	case spec.HeadDim <= 32:
		kname = "attention32"
	case spec.HeadDim <= 64:
		kname = "attention64"
	}
	// segs as (start, len) pairs followed by the query tiles as (segment, first query).
	buf := make([]int32, 0, 2*len(segs)+8)
	ntiles := 0
	for i, s := range segs {
		if s.Start < 0 || s.Len < 0 || s.Start+s.Len > q.rows {
			b.fail(fmt.Errorf("Attention: segment %d [%d,+%d) outside %d rows", i, s.Start, s.Len, q.rows))
			return
		}
		buf = append(buf, int32(s.Start), int32(s.Len))
		ntiles += (s.Len + bq - 1) / bq
	}
	if ntiles == 0 {
		return
	}
	for i, s := range segs {
		for q0 := 0; q0 < s.Len; q0 += bq {
			buf = append(buf, int32(i), int32(q0))
		}
	}
	segPtr, err := b.upload(&b.segs, int32Bytes(buf))
	if err != nil {
		b.fail(err)
		return
	}
	tilePtr := segPtr + uint64(8*len(segs))
	var rotPtr, slopePtr uint64
	if spec.RotaryInvFreq != nil {
		maxLen := 0
		for _, s := range segs {
			maxLen = max(maxLen, s.Len)
		}
		if rotPtr, err = b.rotaryTable(spec.RotaryInvFreq, maxLen); err != nil {
			b.fail(err)
			return
		}
	}
	if spec.ALiBiSlopes != nil {
		if slopePtr, err = b.upload(&b.slopes, float32Bytes(spec.ALiBiSlopes)); err != nil {
			b.fail(err)
			return
		}
	}
	b.fail(b.launch(kname+"_"+b.prec.kernelSuffix(), uint32(ntiles), uint32(spec.Heads), block,
		d.ptr, q.ptr, tilePtr, segPtr, dm, spec.HeadDim, spec.Scale, rotPtr, slopePtr))
}

// rotaryTable returns the device table of (cos, sin) float32 pairs for
// positions 0..n-1 (n ≥ maxLen) and the frequencies inv: angle = pos·inv[i]
// rounded to float32 as in fair-esm, cos and sin computed in float64.
func (b *Backend) rotaryTable(inv []float32, maxLen int) (uint64, error) {
	if b.rot.ptr != 0 && b.rotLen >= maxLen && slicesEqual(b.rotInv, inv) {
		return b.rot.ptr, nil
	}
	n := max(maxLen, 1026)
	tab := make([]float32, 0, 2*n*len(inv))
	for pos := 0; pos < n; pos++ {
		for _, f := range inv {
			a := float64(float32(pos) * f)
			tab = append(tab, float32(math.Cos(a)), float32(math.Sin(a)))
		}
	}
	b.rot.last = nil
	p, err := b.upload(&b.rot, float32Bytes(tab))
	if err != nil {
		b.rotInv = nil
		return 0, err
	}
	b.rot.last = nil // skip the byte comparison: rotInv/rotLen key the table
	b.rotInv = append(b.rotInv[:0], inv...)
	b.rotLen = n
	return p, nil
}

func slicesEqual(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return false
		}
	}
	return true
}

// MeanPool writes the mean of src rows [Start, End) of spans[i] into dst row i.
func (b *Backend) MeanPool(dst, src tensor.Tensor, spans []tensor.Span) {
	defer b.lock()()
	if !b.ok() {
		return
	}
	d, s, err := b.pair(dst, src, "MeanPool")
	if err != nil {
		b.fail(err)
		return
	}
	if d.rows != len(spans) || d.cols != s.cols {
		b.fail(fmt.Errorf("MeanPool: dst %d×%d for %d spans of width %d", d.rows, d.cols, len(spans), s.cols))
		return
	}
	buf := make([]int32, 0, 2*len(spans))
	for i, sp := range spans {
		if sp.Start < 0 || sp.End < sp.Start || sp.End > s.rows {
			b.fail(fmt.Errorf("MeanPool: span %d [%d,%d) outside %d rows", i, sp.Start, sp.End, s.rows))
			return
		}
		buf = append(buf, int32(sp.Start), int32(sp.End))
	}
	if len(spans) == 0 || s.cols == 0 {
		return
	}
	p, err := b.upload(&b.spans, int32Bytes(buf))
	if err != nil {
		b.fail(err)
		return
	}
	b.fail(b.launch("meanpool_"+b.prec.kernelSuffix(), uint32(len(spans)), uint32((s.cols+255)/256), 256, d.ptr, s.ptr, p, s.cols))
}

// ErrNonFinite reports a NaN or Inf found by CheckFinite (tensor.ErrNonFinite).
var ErrNonFinite = tensor.ErrNonFinite

// CheckFinite waits for queued work and returns ErrNonFinite when t holds a
// NaN or Inf, or the pending error when an earlier operation failed.
func (b *Backend) CheckFinite(t tensor.Tensor) error {
	defer b.lock()()
	if !b.ok() {
		return b.Sync()
	}
	dt, err := b.tensorOf(t, "CheckFinite argument")
	if err != nil {
		return err
	}
	n := int64(dt.rows) * int64(dt.cols)
	if n == 0 {
		return b.Sync()
	}
	flag := []int32{0}
	p, err := b.upload(&b.flag, int32Bytes(flag))
	if err != nil {
		b.fail(err)
		return b.Sync()
	}
	b.flag.last = nil // the kernel may write it: never skip the next reset
	if err := b.launch("nonfinite_"+b.prec.kernelSuffix(), b.gridFor(n), 1, 256, dt.ptr, n, p); err != nil {
		b.fail(err)
		return b.Sync()
	}
	d := &b.lb.drv
	if err := d.check("cuMemcpyDtoH", call(d.cuMemcpyDtoH, uintptr(unsafe.Pointer(&flag[0])), uintptr(p), 4)); err != nil {
		b.fail(err)
	}
	if err := b.Sync(); err != nil {
		return err
	}
	if flag[0] != 0 {
		return fmt.Errorf("%s: %d×%d: %w", b.name, dt.rows, dt.cols, ErrNonFinite)
	}
	return nil
}
