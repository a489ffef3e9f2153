package tensor

// Fuser is implemented by backends that can run a Linear together with the
// element-wise work that follows it in a transformer layer, on each block of rows
// while it is still in cache (the CPU backend). The results are those of the unfused
// sequence of Backend calls that each method names, bit for bit; models call the
// package functions below, which fall back to that sequence on other backends.
type Fuser interface {
	// LinearGELU is Linear(dst, x, w, bias, false) then GELU(dst).
	LinearGELU(dst, x, w, bias Tensor)
	// LinearGatedGELU is GatedGELU(dst, x·wᵀ): w is 2I×k, dst is m×I, and the m×2I
	// product is never materialised.
	LinearGatedGELU(dst, x, w Tensor)
	// LinearResidualNorm is Copy(dst, residual) (unless residual is dst), then
	// Linear(dst, x, w, bias, true), then LayerNorm(norm, dst, gamma, beta, eps)
	// (norm may be dst).
	LinearResidualNorm(dst, x, w, bias, residual, norm, gamma, beta Tensor, eps float32)
}

// LinearGELU computes dst = GELU(x·wᵀ + bias), fused when b is a Fuser.
func LinearGELU(b Backend, dst, x, w, bias Tensor) {
	if f, ok := b.(Fuser); ok {
		f.LinearGELU(dst, x, w, bias)
		return
	}
	b.Linear(dst, x, w, bias, false)
	b.GELU(dst)
}

// LinearGatedGELU computes dst = GatedGELU(x·wᵀ) (w is 2I×k, dst m×I), fused when
// b is a Fuser; otherwise scratch (m×2I, or nil to allocate one) holds the product.
func LinearGatedGELU(b Backend, dst, x, w, scratch Tensor) {
	if f, ok := b.(Fuser); ok {
		f.LinearGatedGELU(dst, x, w)
		return
	}
	if scratch == nil {
		scratch = b.New(x.Rows(), w.Rows())
		defer b.Free(scratch)
	}
	b.Linear(scratch, x, w, nil, false)
	b.GatedGELU(dst, scratch)
}

// LinearResidualNorm computes dst = residual + x·wᵀ + bias, then
// norm = LayerNorm(dst), fused when b is a Fuser. residual and norm may be dst.
func LinearResidualNorm(b Backend, dst, x, w, bias, residual, norm, gamma, beta Tensor, eps float32) {
	if f, ok := b.(Fuser); ok {
		f.LinearResidualNorm(dst, x, w, bias, residual, norm, gamma, beta, eps)
		return
	}
	if residual != dst {
		b.Copy(dst, residual)
	}
	b.Linear(dst, x, w, bias, true)
	b.LayerNorm(norm, dst, gamma, beta, eps)
}

// RowConcatenator is implemented by backends that can stack weight matrices of one
// width into a single matrix without copying them (the CPU backend: the parts keep
// aliasing the memory-mapped weight file, so fusing q, k and v costs no memory). The
// result may only be used as the weight of Linear and of the Fuser methods.
type RowConcatenator interface {
	ConcatRows(parts ...Tensor) Tensor
}

// ScratchAllocator is implemented by backends that can hand out tensors whose
// contents are left undefined, reusing the memory of such tensors freed earlier (the
// CPU backend: a batch's working tensors then cost neither zeroing nor garbage
// collection).
type ScratchAllocator interface {
	// NewScratch returns a rows×cols tensor with undefined contents; Free gives its
	// memory back for reuse.
	NewScratch(rows, cols int) Tensor
}

// NewScratch returns a rows×cols tensor that the caller writes before reading it: b's
// NewScratch when it is a ScratchAllocator, else New.
func NewScratch(b Backend, rows, cols int) Tensor {
	if s, ok := b.(ScratchAllocator); ok {
		return s.NewScratch(rows, cols)
	}
	return b.New(rows, cols)
}
