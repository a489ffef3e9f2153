package cuda

import (
	"errors"
	"fmt"
	"math"
	"os"
	"runtime"
	"sync"
	"time"
	"unsafe"

	"github.com/virnucpro/virnucpro/internal/tensor"
)

// workspaceBytes is the cuBLASLt workspace (32 MiB is NVIDIA's advice for Hopper).
const workspaceBytes = 32 << 20

// Backend is a tensor.Backend on one CUDA device. Operations are queued on the
// device's legacy default stream and run asynchronously; ToHost, Sync and
// CheckFinite wait for them.
//
// The tensor.Backend methods return no error: a failure (bad shapes, a tensor
// of another backend, a CUDA error, out of memory) is recorded and every later
// operation becomes a no-op until Sync reports and clears it; ToHost fills its
// destination with NaN meanwhile, so a per-batch NaN check also catches it.
// Use one Backend from one goroutine at a time.
type Backend struct {
	lb        *libs
	ordinal   int
	dev       int32
	ctx       uintptr
	name      string
	prec      Precision
	info      DeviceInfo
	module    uintptr
	fns       map[string]uintptr
	blas      *gemm
	workspace uint64

	mu     sync.Mutex // guards err (read by Err from other goroutines)
	err    error
	closed bool

	cache map[uint64][]uint64 // free device blocks by rounded size
	live  uint64              // bytes handed out to tensors

	ids, segs, spans, rot, slopes, flag scratch

	rotInv []float32 // inverse frequencies of the rotary table in rot
	rotLen int       // positions in the rotary table

	params [16]uint64
	ptrs   [16]uintptr
}

// devTensor is a matrix in device memory.
type devTensor struct {
	rows, cols int
	ptr        uint64
	size       uint64 // allocated bytes (rounded)
	owner      *Backend
	freed      bool
}

// Rows is the number of rows.
func (t *devTensor) Rows() int { return t.rows }

// Cols is the number of columns.
func (t *devTensor) Cols() int { return t.cols }

var _ tensor.Backend = (*Backend)(nil)

// Open initialises CUDA device ordinal (as numbered after CUDA_VISIBLE_DEVICES)
// and returns a backend storing tensors in precision ("fp32", "fp16", "bf16").
// Kernels are compiled with NVRTC on first use of a device model and cached.
func Open(ordinal int, precision string) (*Backend, error) {
	prec, err := ParsePrecision(precision)
	if err != nil {
		return nil, err
	}
	lb, err := loadAll()
	if err != nil {
		return nil, err
	}
	devs, err := Devices()
	if err != nil {
		return nil, err
	}
	if ordinal < 0 || ordinal >= len(devs) {
		return nil, fmt.Errorf("cuda:%d: no such device (%d visible%s)", ordinal, len(devs), visibleNote())
	}
	b := &Backend{lb: lb, ordinal: ordinal, prec: prec, info: devs[ordinal],
		name: fmt.Sprintf("cuda:%d", ordinal), fns: map[string]uintptr{}, cache: map[uint64][]uint64{}}
	if b.info.Major < 7 {
		return nil, fmt.Errorf("%s (%s): compute capability %d.%d is below the supported 7.0", b.name, b.info.Name, b.info.Major, b.info.Minor)
	}
	if prec == BF16 && b.info.Major < 8 {
		return nil, fmt.Errorf("%s (%s): bf16 needs compute capability 8.0 or newer (device has %d.%d)", b.name, b.info.Name, b.info.Major, b.info.Minor)
	}
	d := &lb.drv
	if b.dev, err = d.device(ordinal); err != nil {
		return nil, err
	}
	ctx := new(uintptr)
	if err := d.check("cuDevicePrimaryCtxRetain", call(d.cuDevicePrimaryCtxRetain, uintptr(unsafe.Pointer(ctx)), uintptr(b.dev))); err != nil {
		return nil, fmt.Errorf("%s: %w", b.name, err)
	}
	b.ctx = *ctx
	runtime.LockOSThread()
	err = b.setup()
	runtime.UnlockOSThread()
	if err != nil {
		b.Close()
		return nil, fmt.Errorf("%s: %w", b.name, err)
	}
	return b, nil
}

// setup loads the kernels and creates the cuBLASLt handle.
func (b *Backend) setup() error {
	d := &b.lb.drv
	if err := b.enter(); err != nil {
		return err
	}
	t0 := time.Now()
	img, err := b.lb.rtc.compileKernels(b.info.Major*10 + b.info.Minor)
	if err != nil {
		return err
	}
	debugf("%s: kernels ready in %v (%d bytes)", b.name, time.Since(t0), len(img))
	mod := new(uintptr)
	if err := d.check("cuModuleLoadData", call(d.cuModuleLoadData, uintptr(unsafe.Pointer(mod)), uintptr(unsafe.Pointer(&img[0])))); err != nil {
		return err
	}
	keep(img)
	b.module = *mod
	suf := b.prec.kernelSuffix()
	for _, k := range []string{"embed", "layernorm", "layernormc", "gelu", "gatedgelu", "addbias", "meanpool", "nonfinite",
		"attention16", "attention32", "attention64", "attention128"} {
		f := new(uintptr)
		name := cString(k + "_" + suf)
		if err := d.check("cuModuleGetFunction "+k, call(d.cuModuleGetFunction, uintptr(unsafe.Pointer(f)), b.module, uintptr(unsafe.Pointer(&name[0])))); err != nil {
			return err
		}
		b.fns[k+"_"+suf] = *f
	}
	if b.prec != FP32 && b.info.Major >= 8 {
		for _, k := range []string{"attentiontc32", "attentiontc64"} {
			f := new(uintptr)
			name := cString(k + "_" + suf)
			if err := d.check("cuModuleGetFunction "+k, call(d.cuModuleGetFunction, uintptr(unsafe.Pointer(f)), b.module, uintptr(unsafe.Pointer(&name[0])))); err != nil {
				return err
			}
			b.fns[k+"_"+suf] = *f
		}
	}
	ws, _, err := b.alloc(workspaceBytes)
	if err != nil {
		return err
	}
	b.workspace = ws
	b.blas, err = newGemm(&b.lb.lt, b.prec.cudaType(), ws, workspaceBytes)
	return err
}

// enter makes the backend's context current on this OS thread.
func (b *Backend) enter() error {
	if b.closed {
		return errors.New(b.name + ": backend is closed")
	}
	return b.lb.drv.check("cuCtxSetCurrent", call(b.lb.drv.cuCtxSetCurrent, b.ctx))
}

// fail records the first error.
func (b *Backend) fail(err error) {
	if err == nil {
		return
	}
	b.mu.Lock()
	if b.err == nil {
		b.err = fmt.Errorf("%s: %w", b.name, err)
	}
	b.mu.Unlock()
}

// lock pins the goroutine to its OS thread and makes the backend's context
// current there (CUDA contexts are per thread); call the returned function
// when the operation is done.
func (b *Backend) lock() func() {
	runtime.LockOSThread()
	if err := b.enter(); err != nil {
		b.fail(err)
	}
	return runtime.UnlockOSThread
}

// ok reports whether operations may run (no pending error).
func (b *Backend) ok() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.err == nil
}

// Err returns the pending error, if any, without clearing it or waiting.
func (b *Backend) Err() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.err
}

// Sync waits for all queued work and returns (and clears) the first error
// since the previous Sync. After ErrOutOfMemory the caller may retry with a
// smaller batch.
func (b *Backend) Sync() error {
	if b.closed {
		return errors.New(b.name + ": backend is closed")
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := b.enter(); err != nil {
		b.fail(err)
	} else if r := call(b.lb.drv.cuCtxSynchronize); r != 0 {
		b.fail(b.lb.drv.check("cuCtxSynchronize", r))
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	e := b.err
	b.err = nil
	return e
}

// Name identifies the backend ("cuda:0").
func (b *Backend) Name() string { return b.name }

// Precision is the storage precision.
func (b *Backend) Precision() Precision { return b.prec }

// Device describes the GPU.
func (b *Backend) Device() DeviceInfo { return b.info }

// MemoryInUse returns the bytes held by live tensors.
func (b *Backend) MemoryInUse() uint64 { return b.live }

// Close frees all device memory and releases the device. The backend and its
// tensors must not be used afterwards.
func (b *Backend) Close() error {
	if b.closed {
		return nil
	}
	d := &b.lb.drv
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	err := b.enter()
	if err == nil {
		call(d.cuCtxSynchronize)
		if b.blas != nil {
			b.blas.close()
			b.blas = nil
		}
		for _, s := range []*scratch{&b.ids, &b.segs, &b.spans, &b.rot, &b.slopes, &b.flag} {
			if s.ptr != 0 {
				b.release(s.ptr, s.cap)
				s.ptr, s.cap, s.last = 0, 0, nil
			}
		}
		if b.workspace != 0 {
			b.release(b.workspace, workspaceBytes)
			b.workspace = 0
		}
		b.trim()
		if b.module != 0 {
			call(d.cuModuleUnload, b.module)
			b.module = 0
		}
	}
	call(d.cuDevicePrimaryCtxRelease, uintptr(b.dev))
	b.closed = true
	return err
}

// tensorOf checks that t is a live tensor of this backend.
func (b *Backend) tensorOf(t tensor.Tensor, what string) (*devTensor, error) {
	dt, ok := t.(*devTensor)
	switch {
	case t == nil || (ok && dt == nil):
		return nil, fmt.Errorf("%s is nil", what)
	case !ok:
		return nil, fmt.Errorf("%s is a %T, not a tensor of this CUDA backend", what, t)
	case dt.owner != b:
		return nil, fmt.Errorf("%s belongs to another backend (%s)", what, dt.owner.name)
	case dt.freed:
		return nil, fmt.Errorf("%s was freed", what)
	}
	return dt, nil
}

func (b *Backend) bytes(rows, cols int) uint64 {
	return uint64(rows) * uint64(cols) * uint64(b.prec.elemSize())
}

// newTensor allocates an uninitialised rows×cols tensor.
func (b *Backend) newTensor(rows, cols int) (*devTensor, error) {
	t := &devTensor{rows: rows, cols: cols, owner: b}
	if rows < 0 || cols < 0 {
		return t, fmt.Errorf("tensor shape %d×%d is negative", rows, cols)
	}
	n := b.bytes(rows, cols)
	if n == 0 {
		return t, nil
	}
	p, size, err := b.alloc(n)
	if err != nil {
		return t, fmt.Errorf("allocating %d×%d %s (%d bytes): %w", rows, cols, b.prec, n, err)
	}
	t.ptr, t.size = p, size
	b.live += size
	return t, nil
}

// New returns a zeroed rows×cols tensor.
func (b *Backend) New(rows, cols int) tensor.Tensor {
	defer b.lock()()
	if !b.ok() {
		return &devTensor{rows: rows, cols: cols, owner: b}
	}
	t, err := b.newTensor(rows, cols)
	if err != nil {
		b.fail(err)
		return t
	}
	if t.ptr != 0 {
		d := &b.lb.drv
		b.fail(d.check("cuMemsetD8Async", call(d.cuMemsetD8Async, uintptr(t.ptr), 0, uintptr(b.bytes(rows, cols)), 0)))
	}
	return t
}

// FromHost uploads data (converted to the backend's precision) into a new tensor.
func (b *Backend) FromHost(data []float32, rows, cols int) tensor.Tensor {
	defer b.lock()()
	if !b.ok() {
		return &devTensor{rows: rows, cols: cols, owner: b}
	}
	if rows < 0 || cols < 0 || len(data) != rows*cols {
		b.fail(fmt.Errorf("FromHost: %d values for a %d×%d tensor", len(data), rows, cols))
		return &devTensor{rows: rows, cols: cols, owner: b}
	}
	t, err := b.newTensor(rows, cols)
	if err != nil || t.ptr == 0 {
		b.fail(err)
		return t
	}
	var src unsafe.Pointer
	switch b.prec {
	case FP32:
		src = unsafe.Pointer(&data[0])
	case FP16:
		h := make([]uint16, len(data))
		for i, v := range data {
			h[i] = float32ToHalf(v)
		}
		src = unsafe.Pointer(&h[0])
		defer keep(h)
	case BF16:
		h := make([]uint16, len(data))
		for i, v := range data {
			h[i] = float32ToBF16(v)
		}
		src = unsafe.Pointer(&h[0])
		defer keep(h)
	}
	d := &b.lb.drv
	b.fail(d.check("cuMemcpyHtoD", call(d.cuMemcpyHtoD, uintptr(t.ptr), uintptr(src), uintptr(b.bytes(rows, cols)))))
	keep(data)
	return t
}

// ToHost copies t into dst (converted to float32). On a pending error dst is
// filled with NaN.
func (b *Backend) ToHost(dst []float32, t tensor.Tensor) {
	fillNaN := func() {
		nan := float32(math.NaN())
		for i := range dst {
			dst[i] = nan
		}
	}
	defer b.lock()()
	if !b.ok() {
		fillNaN()
		return
	}
	dt, err := b.tensorOf(t, "ToHost source")
	if err == nil && len(dst) != dt.rows*dt.cols {
		err = fmt.Errorf("ToHost: destination has %d values, tensor is %d×%d", len(dst), dt.rows, dt.cols)
	}
	if err != nil {
		b.fail(err)
		fillNaN()
		return
	}
	if len(dst) == 0 {
		return
	}
	d := &b.lb.drv
	n := b.bytes(dt.rows, dt.cols)
	if b.prec == FP32 {
		err = d.check("cuMemcpyDtoH", call(d.cuMemcpyDtoH, uintptr(unsafe.Pointer(&dst[0])), uintptr(dt.ptr), uintptr(n)))
	} else {
		h := make([]uint16, len(dst))
		err = d.check("cuMemcpyDtoH", call(d.cuMemcpyDtoH, uintptr(unsafe.Pointer(&h[0])), uintptr(dt.ptr), uintptr(n)))
		conv := halfToFloat32
		if b.prec == BF16 {
			conv = bf16ToFloat32
		}
		for i, v := range h {
			dst[i] = conv(v)
		}
	}
	if err != nil {
		b.fail(err)
		fillNaN()
	}
}

// Free returns t's memory to the backend's cache.
func (b *Backend) Free(t tensor.Tensor) {
	dt, err := b.tensorOf(t, "Free argument")
	if err != nil {
		b.fail(err)
		return
	}
	dt.freed = true
	if dt.ptr != 0 {
		b.live -= dt.size
		b.release(dt.ptr, dt.size)
		dt.ptr = 0
	}
}

// Copy copies src into dst (same shape).
func (b *Backend) Copy(dst, src tensor.Tensor) {
	defer b.lock()()
	if !b.ok() {
		return
	}
	d, s, err := b.pair(dst, src, "Copy")
	if err == nil && (d.rows != s.rows || d.cols != s.cols) {
		err = fmt.Errorf("Copy: dst %d×%d, src %d×%d", d.rows, d.cols, s.rows, s.cols)
	}
	if err != nil {
		b.fail(err)
		return
	}
	if n := b.bytes(d.rows, d.cols); n > 0 && d.ptr != s.ptr {
		b.fail(b.lb.drv.check("cuMemcpyDtoDAsync", call(b.lb.drv.cuMemcpyDtoDAsync, uintptr(d.ptr), uintptr(s.ptr), uintptr(n), 0)))
	}
}

func (b *Backend) pair(x, y tensor.Tensor, op string) (*devTensor, *devTensor, error) {
	a, err := b.tensorOf(x, op+" dst")
	if err != nil {
		return nil, nil, err
	}
	c, err := b.tensorOf(y, op+" src")
	if err != nil {
		return nil, nil, err
	}
	return a, c, nil
}

// debugf prints a trace line to stderr when VIRNUCPRO_CUDA_DEBUG is set.
func debugf(format string, args ...any) {
	if os.Getenv("VIRNUCPRO_CUDA_DEBUG") != "" {
		fmt.Fprintf(os.Stderr, "virnucpro/cuda: "+format+"\n", args...)
	}
}
