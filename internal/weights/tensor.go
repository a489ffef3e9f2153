// Package weights reads model weights as data — PyTorch zip checkpoints (.pt, .pth,
// .bin) through a pickle virtual machine that never executes anything, safetensors,
// and Hugging Face model directories — into float32 tensors. Large files are
// memory-mapped and float32 tensors alias the mapping, so loading a model does not
// need twice its size in memory.
//
// # Lazy loading
//
// Load converts every tensor at once (float16 and bfloat16 widened to float32). A
// caller that wants the values one tensor at a time — a model held in bfloat16, or
// streamed layer by layer through one buffer — uses LoadLazy (or
// Pickle.LazyWeights, ParseSafetensorsLazy) instead: the file is parsed and every
// tensor checked exactly as Load checks it, but a contiguous tensor keeps only a
// view of the memory-mapped bytes and its dtype (Tensor.Lazy, Tensor.DType), and is
// converted when asked:
//
//	sd, err := weights.LoadLazy(path)
//	t, err := sd.Get("layers.0.fc1.weight", 4*D, D) // shape only: nothing converted
//	// (a) into a buffer the caller reuses; not finite = error naming file and tensor:
//	scratch, err = t.MaterializeInto(scratch) // scratch[:t.Numel()] holds the values
//	t.Release()                               // mapped pages leave the resident set
//	// ... later, the same tensor again (read back from the page cache):
//	scratch, err = t.MaterializeInto(scratch)
//	// (b) or into t.Data, as Load would have (GetFinite and CheckFinite do this):
//	err = t.Materialize()
//	t.Release() // Data = nil again, its memory back to the file's budget
//
// MaterializeInto never keeps or aliases its result, so one scratch serves any
// number of tensors; it may run concurrently for different tensors. Materialize
// charges the file's budget (a fixed multiple of the file's size) as an eager load
// does, so a hostile file whose tensors share a storage cannot make it allocate
// without bound. Strided views and empty tensors are converted at once, as in Load.
// The mapping lives as long as the process, so a lazy tensor can be converted again
// at any time.
package weights

import (
	"fmt"
	"math"
	"sort"
	"strings"
)

// Tensor is a dense row-major float32 tensor.
type Tensor struct {
	Shape []int
	Data  []float32
	// finite records that the loader found every value finite while converting
	// them, so CheckFinite need not read them again (loaded weights are not
	// modified afterwards).
	finite bool
	// src, for a tensor of a lazy load (LoadLazy), is where its values lie in the
	// file: Data is nil until Materialize.
	src *source
}

// Numel is the number of elements the shape describes.
func (t *Tensor) Numel() int {
	n := 1
	for _, d := range t.Shape {
		n *= d
	}
	return n
}

// shapeNumel is the element count of shape, false when a dimension is negative or
// the product overflows.
func shapeNumel(shape []int) (int, bool) {
	n := 1
	for _, d := range shape {
		if d < 0 || (d > 0 && n > math.MaxInt/d) {
			return 0, false
		}
		n *= d
	}
	return n, true
}

// StateDict maps parameter names to tensors, remembering the file they came from.
type StateDict struct {
	File    string
	Tensors map[string]*Tensor
	// Metadata holds safetensors __metadata__ (nil for other formats).
	Metadata map[string]string
}

// Get returns the named tensor, checking its shape when one is given (-1 = any).
func (s *StateDict) Get(name string, shape ...int) (*Tensor, error) {
	t, ok := s.Tensors[name]
	if !ok {
		return nil, fmt.Errorf("%s: missing tensor %q", s.File, name)
	}
	if n, ok := shapeNumel(t.Shape); !ok || n != t.values() {
		return nil, fmt.Errorf("%s: tensor %q: shape %v does not match its %d values", s.File, name, t.Shape, t.values())
	}
	if len(shape) > 0 {
		okShape := len(shape) == len(t.Shape)
		for i := 0; okShape && i < len(shape); i++ {
			okShape = shape[i] < 0 || shape[i] == t.Shape[i]
		}
		if !okShape {
			return nil, fmt.Errorf("%s: tensor %q has shape %v, want %v", s.File, name, t.Shape, shape)
		}
	}
	return t, nil
}

// Has reports whether the named tensor exists.
func (s *StateDict) Has(name string) bool { _, ok := s.Tensors[name]; return ok }

// Names returns the tensor names in sorted order.
func (s *StateDict) Names() []string {
	names := make([]string, 0, len(s.Tensors))
	for n := range s.Tensors {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// StripPrefix returns a view whose names lose prefix (names without it are kept).
func (s *StateDict) StripPrefix(prefix string) *StateDict {
	out := &StateDict{File: s.File, Tensors: make(map[string]*Tensor, len(s.Tensors)), Metadata: s.Metadata}
	for n, t := range s.Tensors {
		out.Tensors[strings.TrimPrefix(n, prefix)] = t
	}
	return out
}

func halfToFloat(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h & 0x3ff)
	switch {
	case exp == 0 && mant == 0:
		return math.Float32frombits(sign)
	case exp == 0: // subnormal
		e := uint32(127 - 15 + 1)
		for mant&0x400 == 0 {
			mant <<= 1
			e--
		}
		mant &= 0x3ff
		return math.Float32frombits(sign | e<<23 | mant<<13)
	case exp == 0x1f:
		return math.Float32frombits(sign | 0xff<<23 | mant<<13)
	}
	return math.Float32frombits(sign | (exp+127-15)<<23 | mant<<13)
}

func bf16ToFloat(h uint16) float32 { return math.Float32frombits(uint32(h) << 16) }

// Float32ToHalf rounds f to IEEE binary16 (round to nearest even, subnormals kept,
// overflow to infinity), as torch's .half() does: the inverse of reading a float16
// storage.
func Float32ToHalf(f float32) uint16 {
	b := math.Float32bits(f)
	sign := uint16(b>>16) & 0x8000
	exp := int((b>>23)&0xff) - 127 + 15
	man := b & 0x7fffff
	switch {
	case (b>>23)&0xff == 0xff: // inf, nan
		if man != 0 {
			return sign | 0x7e00
		}
		return sign | 0x7c00
	case exp >= 0x1f:
		return sign | 0x7c00
	case exp <= 0:
		if exp < -10 {
			return sign
		}
		man |= 0x800000
		shift := uint32(14 - exp)
		half := uint32(1) << (shift - 1)
		r := man >> shift
		if rem := man & (1<<shift - 1); rem > half || (rem == half && r&1 == 1) {
			r++
		}
		return sign | uint16(r)
	}
	r := uint32(exp)<<10 | man>>13
	if rem := man & 0x1fff; rem > 0x1000 || (rem == 0x1000 && r&1 == 1) {
		r++ // may carry into the exponent, which is the correct rounding
	}
	return sign | uint16(r)
}

// Float32ToBF16 rounds f to bfloat16 (round to nearest even), as torch's
// .bfloat16() does.
func Float32ToBF16(f float32) uint16 {
	b := math.Float32bits(f)
	if b&0x7fffffff > 0x7f800000 {
		return uint16(b>>16) | 0x40
	}
	return uint16((b + 0x7fff + (b>>16)&1) >> 16)
}
