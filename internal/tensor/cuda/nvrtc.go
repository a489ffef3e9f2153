package cuda

import (
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"unsafe"
)

//go:embed kernels.cu
var kernelSource string

// CacheDirEnv overrides the directory where compiled kernels are cached.
const CacheDirEnv = "VIRNUCPRO_CUDA_CACHE"

// nvrtcAPI holds the NVRTC entry points.
type nvrtcAPI struct {
	version, create, compile, logSize, getLog, cubinSize, getCubin uintptr
	ptxSize, getPTX, destroy, numArchs, archs                      uintptr
}

func (n *nvrtcAPI) load(l *library) error {
	var err error
	n.version = l.sym("nvrtcVersion", &err)
	n.create = l.sym("nvrtcCreateProgram", &err)
	n.compile = l.sym("nvrtcCompileProgram", &err)
	n.logSize = l.sym("nvrtcGetProgramLogSize", &err)
	n.getLog = l.sym("nvrtcGetProgramLog", &err)
	n.cubinSize = l.sym("nvrtcGetCUBINSize", &err)
	n.getCubin = l.sym("nvrtcGetCUBIN", &err)
	n.ptxSize = l.sym("nvrtcGetPTXSize", &err)
	n.getPTX = l.sym("nvrtcGetPTX", &err)
	n.destroy = l.sym("nvrtcDestroyProgram", &err)
	n.numArchs = l.sym("nvrtcGetNumSupportedArchs", &err)
	n.archs = l.sym("nvrtcGetSupportedArchs", &err)
	return err
}

// versionString returns "major.minor" of NVRTC.
func (n *nvrtcAPI) versionString() string {
	ma, mi := new(int32), new(int32)
	if call(n.version, uintptr(unsafe.Pointer(ma)), uintptr(unsafe.Pointer(mi))) != 0 {
		return "?"
	}
	return fmt.Sprintf("%d.%d", *ma, *mi)
}

// bestArch returns the highest architecture NVRTC supports that is not above
// the device's (sm), and whether it equals the device's (a cubin can then be
// built; otherwise PTX for the driver to JIT).
func (n *nvrtcAPI) bestArch(sm int) (int, bool) {
	cnt := new(int32)
	if call(n.numArchs, uintptr(unsafe.Pointer(cnt))) != 0 || *cnt <= 0 {
		return sm, true
	}
	list := make([]int32, *cnt)
	if call(n.archs, uintptr(unsafe.Pointer(&list[0]))) != 0 {
		return sm, true
	}
	best := 0
	for _, a := range list {
		if int(a) <= sm && int(a) > best {
			best = int(a)
		}
	}
	if best == 0 {
		return sm, true
	}
	return best, best == sm
}

// compileKernels returns a loadable image (cubin, or PTX when NVRTC is older
// than the device) of kernelSource for compute capability sm (e.g. 90),
// reading it from the on-disk cache when present.
func (n *nvrtcAPI) compileKernels(sm int) ([]byte, error) {
	arch, exact := n.bestArch(sm)
	kind := "ptx"
	if exact {
		kind = "cubin"
	}
	sum := sha256.Sum256([]byte(kernelSource + "|" + n.versionString()))
	name := fmt.Sprintf("kernels-%s-sm%d-%s.%s", hex.EncodeToString(sum[:8]), arch, n.versionString(), kind)
	dir := os.Getenv(CacheDirEnv)
	if dir == "" {
		if d, err := os.UserCacheDir(); err == nil {
			dir = filepath.Join(d, "virnucpro", "cuda")
		}
	}
	if dir != "" {
		if b, err := os.ReadFile(filepath.Join(dir, name)); err == nil && len(b) > 0 {
			return b, nil
		}
	}
	debugf("compiling kernels for sm_%d with NVRTC %s (cubin=%v)", arch, n.versionString(), exact)
	img, err := n.build(arch, exact)
	if err != nil {
		return nil, err
	}
	if dir != "" {
		// The cache is an optimisation: failures to write it are ignored.
		if os.MkdirAll(dir, 0o755) == nil {
			tmp, err := os.CreateTemp(dir, name+".tmp*")
			if err == nil {
				_, werr := tmp.Write(img)
				cerr := tmp.Close()
				if werr == nil && cerr == nil {
					_ = os.Rename(tmp.Name(), filepath.Join(dir, name))
				} else {
					_ = os.Remove(tmp.Name())
				}
			}
		}
	}
	return img, nil
}

// build runs NVRTC on kernelSource.
func (n *nvrtcAPI) build(arch int, cubin bool) ([]byte, error) {
	prog := new(uintptr)
	src := cString(kernelSource)
	pname := cString("virnucpro_kernels.cu")
	if r := call(n.create, uintptr(unsafe.Pointer(prog)), uintptr(unsafe.Pointer(&src[0])), uintptr(unsafe.Pointer(&pname[0])), 0, 0, 0); r != 0 {
		return nil, fmt.Errorf("nvrtcCreateProgram: error %d", r)
	}
	defer call(n.destroy, uintptr(unsafe.Pointer(prog)))
	target := fmt.Sprintf("--gpu-architecture=compute_%d", arch)
	if cubin {
		target = fmt.Sprintf("--gpu-architecture=sm_%d", arch)
	}
	opts := [][]byte{cString(target), cString("--std=c++14"), cString("--fmad=true")}
	ptrs := make([]uintptr, len(opts))
	for i := range opts {
		ptrs[i] = uintptr(unsafe.Pointer(&opts[i][0]))
	}
	r := call(n.compile, *prog, uintptr(len(ptrs)), uintptr(unsafe.Pointer(&ptrs[0])))
	keep(opts)
	if r != 0 {
		return nil, fmt.Errorf("NVRTC compile (%s) failed with error %d:\n%s", target, r, n.log(*prog))
	}
	size := new(uintptr)
	get, sizeFn := n.getCubin, n.cubinSize
	if !cubin {
		get, sizeFn = n.getPTX, n.ptxSize
	}
	if r := call(sizeFn, *prog, uintptr(unsafe.Pointer(size))); r != 0 || *size == 0 {
		return nil, fmt.Errorf("NVRTC: reading the compiled image size: error %d", r)
	}
	img := make([]byte, *size)
	if r := call(get, *prog, uintptr(unsafe.Pointer(&img[0]))); r != 0 {
		return nil, fmt.Errorf("NVRTC: reading the compiled image: error %d", r)
	}
	return img, nil
}

func (n *nvrtcAPI) log(prog uintptr) string {
	size := new(uintptr)
	if call(n.logSize, prog, uintptr(unsafe.Pointer(size))) != 0 || *size <= 1 {
		return ""
	}
	b := make([]byte, *size)
	call(n.getLog, prog, uintptr(unsafe.Pointer(&b[0])))
	return string(b[:len(b)-1])
}
