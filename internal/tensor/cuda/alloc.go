package cuda

import (
	"bytes"
	"errors"
	"unsafe"
)

// roundSize rounds an allocation up to its cache bucket: powers of two up to
// 1 MiB (at least 512 bytes), then multiples of 2 MiB.
func roundSize(n uint64) uint64 {
	if n <= 512 {
		return 512
	}
	if n <= 1<<20 {
		s := uint64(512)
		for s < n {
			s <<= 1
		}
		return s
	}
	const g = 2 << 20
	return (n + g - 1) / g * g
}

// alloc returns a device block of at least n bytes from the cache or
// cuMemAlloc; on out-of-memory it frees the cache and tries once more.
func (b *Backend) alloc(n uint64) (ptr, size uint64, err error) {
	size = roundSize(n)
	if l := b.cache[size]; len(l) > 0 {
		ptr = l[len(l)-1]
		b.cache[size] = l[:len(l)-1]
		return ptr, size, nil
	}
	d := &b.lb.drv
	p := new(uint64)
	r := call(d.cuMemAlloc, uintptr(unsafe.Pointer(p)), uintptr(size))
	if r == cudaErrorOutOfMemory {
		b.trim()
		r = call(d.cuMemAlloc, uintptr(unsafe.Pointer(p)), uintptr(size))
	}
	if err := d.check("cuMemAlloc", r); err != nil {
		return 0, 0, err
	}
	return *p, size, nil
}

// release puts a block back into the cache. Blocks are reused in stream order,
// so a block freed while a queued kernel still reads it is safe to hand out
// again: its next user's work is queued after that kernel.
func (b *Backend) release(ptr, size uint64) {
	b.cache[size] = append(b.cache[size], ptr)
}

// trim frees every cached block.
func (b *Backend) trim() {
	d := &b.lb.drv
	for s, l := range b.cache {
		for _, p := range l {
			call(d.cuMemFree, uintptr(p))
		}
		delete(b.cache, s)
	}
}

// scratch is a small device buffer for per-call host data (token ids,
// segments); it skips the upload when the content equals the previous one.
type scratch struct {
	ptr, cap uint64
	last     []byte
}

// upload copies data into s (growing it) on the default stream and returns
// the device pointer.
func (b *Backend) upload(s *scratch, data []byte) (uint64, error) {
	if len(data) == 0 {
		return 0, errors.New("empty upload")
	}
	if s.ptr != 0 && bytes.Equal(s.last, data) {
		return s.ptr, nil
	}
	if uint64(len(data)) > s.cap {
		if s.ptr != 0 {
			b.release(s.ptr, s.cap)
			s.ptr, s.cap = 0, 0
		}
		p, size, err := b.alloc(uint64(len(data)))
		if err != nil {
			return 0, err
		}
		s.ptr, s.cap = p, size
	}
	d := &b.lb.drv
	// Pageable memory: the driver stages the bytes before returning, so data
	// may be reused at once; the copy itself runs in stream order.
	if err := d.check("cuMemcpyHtoDAsync", call(d.cuMemcpyHtoDAsync, uintptr(s.ptr), uintptr(unsafe.Pointer(&data[0])), uintptr(len(data)), 0)); err != nil {
		s.last = nil
		return 0, err
	}
	s.last = append(s.last[:0], data...)
	return s.ptr, nil
}

// int32Bytes views v as bytes.
func int32Bytes(v []int32) []byte {
	if len(v) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&v[0])), 4*len(v))
}

// float32Bytes views v as bytes.
func float32Bytes(v []float32) []byte {
	if len(v) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&v[0])), 4*len(v))
}
