// Package weights reads model weights as data — PyTorch zip checkpoints (.pt, .pth,
// .bin) through a pickle virtual machine that never executes anything, safetensors,
// and Hugging Face model directories — into float32 tensors. Large files are
// memory-mapped and float32 tensors alias the mapping, so loading a model does not
// need twice its size in memory.
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
}

// Numel is the number of elements the shape describes.
func (t *Tensor) Numel() int {
	n := 1
	for _, d := range t.Shape {
		n *= d
	}
	return n
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
