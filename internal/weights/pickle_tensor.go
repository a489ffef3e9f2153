package weights

import (
	"fmt"
	"math"
)

// checkView validates a tensor view against its storage before anything is allocated:
// sizes, strides and offset non-negative, as many strides as sizes, the element count
// (overflow-checked) no larger than the storage, and the last element it reaches
// inside the storage. It returns the element count.
func checkView(t *ptTensor) (int, error) {
	if len(t.stride) != len(t.size) {
		return 0, fmt.Errorf("%d sizes but %d strides", len(t.size), len(t.stride))
	}
	if t.offset < 0 {
		return 0, fmt.Errorf("negative storage offset %d", t.offset)
	}
	n, last := 1, t.offset
	for i, d := range t.size {
		if d < 0 || t.stride[i] < 0 {
			return 0, fmt.Errorf("negative size or stride in %v / %v", t.size, t.stride)
		}
		if d == 0 {
			return 0, nil
		}
		if n > math.MaxInt/d {
			return 0, fmt.Errorf("shape %v overflows", t.size)
		}
		n *= d
		if t.stride[i] > 0 && d-1 > (math.MaxInt-last)/t.stride[i] {
			return 0, fmt.Errorf("strides %v of shape %v overflow", t.stride, t.size)
		}
		last += (d - 1) * t.stride[i]
	}
	if n > t.storage.numel || last >= t.storage.numel {
		return 0, fmt.Errorf("view of shape %v, stride %v at offset %d needs more than the %d elements of storage %s", t.size, t.stride, t.offset, t.storage.numel, t.storage.key)
	}
	return n, nil
}

// spend takes n bytes of converted tensor data from the file's budget.
func (p *Pickle) spend(n int64) error { return p.budget.spend(n) }

// tensor materialises a pickled tensor view (named name in the state dict) as
// float32, or, in a lazy load, keeps a contiguous one as a view of its storage.
func (p *Pickle) tensor(t *ptTensor, name string) (*Tensor, error) {
	if c, ok := p.cache[t]; ok {
		return c, nil
	}
	raw := p.records[t.storage.key]
	n, err := checkView(t)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", p.File, err)
	}
	if n == 0 {
		out := &Tensor{Shape: append([]int{}, t.size...), Data: []float32{}}
		p.cache[t] = out
		return out, nil
	}
	size := dtypeSize[t.storage.dtype]
	contiguous := true
	expect := 1
	for i := len(t.size) - 1; i >= 0; i-- {
		if t.size[i] != 1 && t.stride[i] != expect {
			contiguous = false
		}
		expect *= t.size[i]
	}
	var vals []float32
	finite := false
	if contiguous && p.lazy {
		b := raw[t.offset*size : (t.offset+n)*size]
		out := &Tensor{Shape: append([]int{}, t.size...), src: &source{raw: b, dtype: t.storage.dtype, file: p.File, name: name, budget: p.budget}}
		p.cache[t] = out
		return out, nil
	}
	if contiguous {
		b := raw[t.offset*size : (t.offset+n)*size]
		if err := p.spend(4 * int64(n)); err != nil {
			return nil, err
		}
		if vals, finite, err = decode(b, t.storage.dtype); err != nil {
			return nil, err
		}
		if !aliases(vals, b) {
			release(b)
		}
	} else {
		if vals, finite, err = p.gather(t, raw, n); err != nil {
			return nil, err
		}
	}
	out := &Tensor{Shape: append([]int{}, t.size...), Data: vals, finite: finite}
	p.cache[t] = out
	return out, nil
}

// gather copies a strided view (checked by checkView) into a dense tensor; finite
// when the whole storage converted was.
func (p *Pickle) gather(t *ptTensor, raw []byte, n int) ([]float32, bool, error) {
	size := dtypeSize[t.storage.dtype]
	if err := p.spend(4*int64(n) + 4*int64(t.storage.numel)); err != nil {
		return nil, false, err
	}
	all, finite, err := decode(raw[:t.storage.numel*size], t.storage.dtype)
	if err != nil {
		return nil, false, err
	}
	vals := allocFloat32(n)
	idx := make([]int, len(t.size))
	for i := 0; i < n; i++ {
		pos := t.offset
		for d := range idx {
			pos += idx[d] * t.stride[d]
		}
		vals[i] = all[pos]
		for d := len(idx) - 1; d >= 0; d-- {
			idx[d]++
			if idx[d] < t.size[d] {
				break
			}
			idx[d] = 0
		}
	}
	return vals, finite, nil
}
