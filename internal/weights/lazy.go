package weights

import (
	"fmt"
	"sync/atomic"
	"unsafe"
)

// source is where a lazy tensor's values lie: a checked, contiguous view of the
// file's bytes (the mapping, when the file is mapped) and their dtype.
type source struct {
	raw    []byte
	dtype  string
	file   string
	name   string
	budget *budget
	// spent is what the current Data took from the budget (0 when it aliases raw).
	spent int64
}

// budget bounds the float32 copies made from one file, whatever it claims: a
// fixed multiple of its size (convertBudget). It is shared by the file's lazy
// tensors, which may be materialized from several goroutines.
type budget struct {
	file string
	left atomic.Int64
}

func newBudget(file string, n int64) *budget {
	b := &budget{file: file}
	b.left.Store(n)
	return b
}

// spend takes n bytes of converted tensor data from the budget.
func (b *budget) spend(n int64) error {
	for {
		left := b.left.Load()
		if n > left {
			return fmt.Errorf("%s: the tensors would need more memory than a file of its size can describe (shared storages viewed too often?)", b.file)
		}
		if b.left.CompareAndSwap(left, left-n) {
			return nil
		}
	}
}

// Lazy reports whether the tensor's values are still only in the file: Data is nil
// until Materialize (MaterializeInto converts without setting it).
func (t *Tensor) Lazy() bool { return t.src != nil && t.Data == nil }

// DType is the element type of the tensor in its file ("F16", "BF16", "F32", ...)
// for a tensor of a lazy load; "F32" for others (their values were converted).
func (t *Tensor) DType() string {
	if t.src == nil {
		return "F32"
	}
	return t.src.dtype
}

// values is the number of values the tensor holds (or will hold once materialized).
func (t *Tensor) values() int {
	if t.Lazy() {
		return len(t.src.raw) / dtypeSize[t.src.dtype]
	}
	return len(t.Data)
}

// Materialize converts a lazy tensor's values into Data, as an eager load would
// have (aligned float32 data aliases the file, other types are widened into memory
// charged to the file's budget, and the mapped bytes of a converted tensor are
// released), so that Get, CheckFinite and the rest see an ordinary tensor. It does
// nothing when Data is set. Not safe for concurrent use on the same tensor.
func (t *Tensor) Materialize() error {
	if !t.Lazy() {
		return nil
	}
	s := t.src
	var spent int64
	if s.dtype != "F32" || uintptr(unsafe.Pointer(&s.raw[0]))%4 != 0 {
		spent = 4 * int64(len(s.raw)/dtypeSize[s.dtype])
		if err := s.budget.spend(spent); err != nil {
			return err
		}
	}
	vals, finite, err := decode(s.raw, s.dtype)
	if err != nil {
		s.budget.left.Add(spent)
		return fmt.Errorf("%s: tensor %q: %v", s.file, s.name, err)
	}
	if !aliases(vals, s.raw) {
		release(s.raw)
	}
	t.Data, t.finite, s.spent = vals, finite, spent
	return nil
}

// MaterializeInto converts the tensor's values into dst, grown when its capacity is
// short, and returns dst[:Numel()] (always the caller's memory, never the file's):
// Data is left as it is, so a caller can widen tensor after tensor into one scratch
// buffer, hand each to a backend that copies it, and convert the same tensor again
// later. Values that are not finite are refused, naming the file, the tensor and
// the element. It works on any tensor (one already converted is copied) and may run
// concurrently with MaterializeInto and Release of any tensor, but not with
// Materialize of the same one.
func (t *Tensor) MaterializeInto(dst []float32) ([]float32, error) {
	n := t.values()
	if cap(dst) < n {
		dst = allocFloat32(n)
	}
	dst = dst[:n]
	bad := -1
	switch {
	case !t.Lazy():
		copy(dst, t.Data)
		bad = FirstNonFinite(dst)
	case t.src.dtype == "F16" || t.src.dtype == "BF16":
		bad = widen(bestWiden, t.src.dtype == "BF16", dst, t.src.raw)
	case t.src.dtype == "F32":
		copy(unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(dst))), 4*n), t.src.raw)
		bad = FirstNonFinite(dst)
	default: // F64 and the integer types: rare in weight files
		vals, err := decodeValues(t.src.raw, t.src.dtype)
		if err != nil {
			return nil, fmt.Errorf("%s: tensor %q: %v", t.src.file, t.src.name, err)
		}
		copy(dst, vals)
		bad = FirstNonFinite(dst)
	}
	if bad >= 0 {
		file, name := "", ""
		if t.src != nil {
			file, name = t.src.file, t.src.name
		}
		return nil, fmt.Errorf("%s: tensor %q holds %v at element %d; model weights must be finite", file, name, dst[bad], bad)
	}
	return dst, nil
}

// Release undoes Materialize for a tensor of a lazy load (Data becomes nil, its
// memory returns to the file's budget; a later Materialize or MaterializeInto
// converts it again) and tells the kernel that the tensor's mapped bytes are not
// needed now: they leave the resident set and are read back from the file (the
// page cache) when converted again. Tensors of an eager load are left as they are.
func (t *Tensor) Release() {
	if t.src == nil {
		return
	}
	if t.Data != nil {
		t.src.budget.left.Add(t.src.spent)
		t.Data, t.finite, t.src.spent = nil, false, 0
	}
	release(t.src.raw)
}
