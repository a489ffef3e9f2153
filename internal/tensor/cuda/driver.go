package cuda

import (
	"fmt"
	"unsafe"

	"github.com/virnucpro/virnucpro/internal/tensor"
)

// CUDA driver API result codes used by name.
const (
	cudaSuccess          = 0
	cudaErrorOutOfMemory = 2
	cudaErrorNoDevice    = 100
)

// Device attributes (CUdevice_attribute).
const (
	attrMultiprocessorCount = 16
	attrClockRate           = 13
	attrComputeMajor        = 75
	attrComputeMinor        = 76
	attrMaxSharedOptin      = 97
)

// ErrOutOfMemory reports that a device allocation failed; callers may retry
// with a smaller batch after Sync. It is tensor.ErrOutOfMemory, so callers test
// for it without importing this package.
var ErrOutOfMemory = tensor.ErrOutOfMemory

// driverAPI holds the CUDA driver entry points.
type driverAPI struct {
	cuInit, cuDriverGetVersion, cuDeviceGetCount, cuDeviceGet, cuDeviceGetName uintptr
	cuDeviceTotalMem, cuDeviceGetAttribute, cuDeviceGetPCIBusId                uintptr
	cuDevicePrimaryCtxRetain, cuDevicePrimaryCtxRelease, cuCtxSetCurrent       uintptr
	cuCtxSynchronize, cuMemAlloc, cuMemFree, cuMemcpyHtoD, cuMemcpyHtoDAsync   uintptr
	cuMemcpyDtoH, cuMemcpyDtoDAsync, cuMemsetD8Async, cuMemGetInfo             uintptr
	cuModuleLoadData, cuModuleUnload, cuModuleGetFunction, cuLaunchKernel      uintptr
	cuGetErrorName, cuGetErrorString, cuEventCreate, cuEventRecord             uintptr
	cuEventSynchronize, cuEventElapsedTime, cuEventDestroy, cuFuncSetAttribute uintptr
}

func (d *driverAPI) load(l *library) error {
	var err error
	d.cuInit = l.sym("cuInit", &err)
	d.cuDriverGetVersion = l.sym("cuDriverGetVersion", &err)
	d.cuDeviceGetCount = l.sym("cuDeviceGetCount", &err)
	d.cuDeviceGet = l.sym("cuDeviceGet", &err)
	d.cuDeviceGetName = l.sym("cuDeviceGetName", &err)
	d.cuDeviceTotalMem = l.sym("cuDeviceTotalMem_v2", &err)
	d.cuDeviceGetAttribute = l.sym("cuDeviceGetAttribute", &err)
	d.cuDeviceGetPCIBusId = l.sym("cuDeviceGetPCIBusId", &err)
	d.cuDevicePrimaryCtxRetain = l.sym("cuDevicePrimaryCtxRetain", &err)
	d.cuDevicePrimaryCtxRelease = l.sym("cuDevicePrimaryCtxRelease_v2", &err)
	d.cuCtxSetCurrent = l.sym("cuCtxSetCurrent", &err)
	d.cuCtxSynchronize = l.sym("cuCtxSynchronize", &err)
	d.cuMemAlloc = l.sym("cuMemAlloc_v2", &err)
	d.cuMemFree = l.sym("cuMemFree_v2", &err)
	d.cuMemcpyHtoD = l.sym("cuMemcpyHtoD_v2", &err)
	d.cuMemcpyHtoDAsync = l.sym("cuMemcpyHtoDAsync_v2", &err)
	d.cuMemcpyDtoH = l.sym("cuMemcpyDtoH_v2", &err)
	d.cuMemcpyDtoDAsync = l.sym("cuMemcpyDtoDAsync_v2", &err)
	d.cuMemsetD8Async = l.sym("cuMemsetD8Async", &err)
	d.cuMemGetInfo = l.sym("cuMemGetInfo_v2", &err)
	d.cuModuleLoadData = l.sym("cuModuleLoadData", &err)
	d.cuModuleUnload = l.sym("cuModuleUnload", &err)
	d.cuModuleGetFunction = l.sym("cuModuleGetFunction", &err)
	d.cuLaunchKernel = l.sym("cuLaunchKernel", &err)
	d.cuGetErrorName = l.sym("cuGetErrorName", &err)
	d.cuGetErrorString = l.sym("cuGetErrorString", &err)
	d.cuEventCreate = l.sym("cuEventCreate", &err)
	d.cuEventRecord = l.sym("cuEventRecord", &err)
	d.cuEventSynchronize = l.sym("cuEventSynchronize", &err)
	d.cuEventElapsedTime = l.sym("cuEventElapsedTime", &err)
	d.cuEventDestroy = l.sym("cuEventDestroy_v2", &err)
	d.cuFuncSetAttribute = l.sym("cuFuncSetAttribute", &err)
	return err
}

func (d *driverAPI) init() int32 { return call(d.cuInit, 0) }

// err converts a CUresult into an error naming the code.
func (d *driverAPI) err(r int32) error {
	if r == cudaSuccess {
		return nil
	}
	var name, desc uintptr
	pn, pd := new(uintptr), new(uintptr)
	if d.cuGetErrorName != 0 && call(d.cuGetErrorName, uintptr(r), uintptr(unsafe.Pointer(pn))) == 0 {
		name = *pn
	}
	if d.cuGetErrorString != 0 && call(d.cuGetErrorString, uintptr(r), uintptr(unsafe.Pointer(pd))) == 0 {
		desc = *pd
	}
	e := fmt.Errorf("CUDA error %d %s: %s", r, goString(name), goString(desc))
	if r == cudaErrorOutOfMemory {
		return fmt.Errorf("CUDA %w (%v)", ErrOutOfMemory, e)
	}
	return e
}

// check wraps a CUresult with the operation name.
func (d *driverAPI) check(op string, r int32) error {
	if r == cudaSuccess {
		return nil
	}
	return fmt.Errorf("%s: %w", op, d.err(r))
}

func (d *driverAPI) version() (int, error) {
	v := new(int32)
	if err := d.check("cuDriverGetVersion", call(d.cuDriverGetVersion, uintptr(unsafe.Pointer(v)))); err != nil {
		return 0, err
	}
	return int(*v), nil
}

func (d *driverAPI) deviceCount() (int, error) {
	n := new(int32)
	if err := d.check("cuDeviceGetCount", call(d.cuDeviceGetCount, uintptr(unsafe.Pointer(n)))); err != nil {
		return 0, err
	}
	return int(*n), nil
}

func (d *driverAPI) device(ordinal int) (int32, error) {
	dev := new(int32)
	if err := d.check(fmt.Sprintf("cuDeviceGet(%d)", ordinal), call(d.cuDeviceGet, uintptr(unsafe.Pointer(dev)), uintptr(ordinal))); err != nil {
		return 0, err
	}
	return *dev, nil
}

func (d *driverAPI) attribute(dev int32, attr int) (int, error) {
	v := new(int32)
	if err := d.check("cuDeviceGetAttribute", call(d.cuDeviceGetAttribute, uintptr(unsafe.Pointer(v)), uintptr(attr), uintptr(dev))); err != nil {
		return 0, err
	}
	return int(*v), nil
}

func (d *driverAPI) deviceName(dev int32) (string, error) {
	buf := make([]byte, 256)
	if err := d.check("cuDeviceGetName", call(d.cuDeviceGetName, uintptr(unsafe.Pointer(&buf[0])), 255, uintptr(dev))); err != nil {
		return "", err
	}
	return goString(uintptr(unsafe.Pointer(&buf[0]))), nil
}

func (d *driverAPI) pciBusID(dev int32) string {
	buf := make([]byte, 64)
	if call(d.cuDeviceGetPCIBusId, uintptr(unsafe.Pointer(&buf[0])), 63, uintptr(dev)) != 0 {
		return ""
	}
	return goString(uintptr(unsafe.Pointer(&buf[0])))
}

func (d *driverAPI) totalMem(dev int32) (uint64, error) {
	v := new(uint64)
	if err := d.check("cuDeviceTotalMem", call(d.cuDeviceTotalMem, uintptr(unsafe.Pointer(v)), uintptr(dev))); err != nil {
		return 0, err
	}
	return *v, nil
}
