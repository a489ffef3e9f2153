package cuda

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
)

// LibPathEnv names the environment variable holding extra directories
// (colon-separated) searched first for libcuda, cuBLASLt and NVRTC.
const LibPathEnv = "VIRNUCPRO_CUDA_LIB_PATH"

// library is one dlopen'ed shared object.
type library struct {
	handle uintptr
	path   string
}

// sym resolves name in l, recording the first failure in *err.
func (l *library) sym(name string, err *error) uintptr {
	if *err != nil {
		return 0
	}
	p, e := dlsym(l.handle, name)
	if e != nil || p == 0 {
		*err = fmt.Errorf("symbol %s missing in %s: %v", name, l.path, e)
		return 0
	}
	return p
}

// searchDirs lists the directories searched for the CUDA libraries, most
// specific first: the override variable, CUDA_HOME/CUDA_PATH, the active conda
// environment's lib (CONDA_PREFIX), the usual
// toolkit prefix and the lib folders of pip's nvidia-* wheels.
func searchDirs() []string {
	var dirs []string
	if v := os.Getenv(LibPathEnv); v != "" {
		dirs = append(dirs, filepath.SplitList(v)...)
	}
	for _, env := range []string{"CUDA_HOME", "CUDA_PATH"} {
		if v := os.Getenv(env); v != "" {
			dirs = append(dirs, filepath.Join(v, "lib64"), filepath.Join(v, "lib"))
		}
	}
	if v := os.Getenv("CONDA_PREFIX"); v != "" { // conda-forge's libcublas and cuda-nvrtc
		dirs = append(dirs, filepath.Join(v, "lib"))
	}
	dirs = append(dirs, "/usr/local/cuda/lib64", "/usr/local/cuda/targets/x86_64-linux/lib",
		"/usr/local/cuda/targets/sbsa-linux/lib", "/usr/local/nvidia/lib64")
	// pip wheels: site-packages/nvidia/<pkg>/lib and nvidia/cu13/lib.
	var roots []string
	if v := os.Getenv("VIRTUAL_ENV"); v != "" {
		roots = append(roots, filepath.Join(v, "lib", "python3*", "site-packages"))
	}
	if home, err := os.UserHomeDir(); err == nil {
		roots = append(roots, filepath.Join(home, ".local", "lib", "python3*", "site-packages"))
	}
	roots = append(roots,
		"/usr/local/lib/python3*/dist-packages", "/usr/local/lib/python3*/site-packages",
		"/usr/lib/python3*/dist-packages", "/usr/lib/python3/dist-packages",
		"/opt/*/lib/python3*/site-packages", "/opt/*/.venv/lib/python3*/site-packages",
		"/opt/conda/lib/python3*/site-packages")
	for _, r := range roots {
		for _, pat := range []string{"nvidia/*/lib", "nvidia/cu*/lib"} {
			m, _ := filepath.Glob(filepath.Join(r, pat))
			dirs = append(dirs, m...)
		}
	}
	seen := map[string]bool{}
	out := dirs[:0]
	for _, d := range dirs {
		if d != "" && !seen[d] {
			seen[d] = true
			out = append(out, d)
		}
	}
	return out
}

// openLibrary dlopens the first of names found, trying the search directories
// first and then the dynamic linker's own search (ldconfig cache,
// LD_LIBRARY_PATH). what names the library in errors.
func openLibrary(what string, names []string, preferLinker bool) (*library, error) {
	if runtime.GOOS != "linux" {
		return nil, fmt.Errorf("%s: CUDA libraries are only loaded on linux (this is %s/%s)", what, runtime.GOOS, runtime.GOARCH)
	}
	var tried []string
	tryPath := func(p string) *library {
		h, err := dlopen(p)
		if err != nil {
			tried = append(tried, fmt.Sprintf("%s (%v)", p, err))
			return nil
		}
		debugf("loaded %s", p)
		return &library{handle: h, path: p}
	}
	byLinker := func() *library {
		for _, n := range names {
			if l := tryPath(n); l != nil {
				return l
			}
		}
		return nil
	}
	if preferLinker && os.Getenv(LibPathEnv) == "" {
		if l := byLinker(); l != nil {
			return l, nil
		}
	}
	for _, d := range searchDirs() {
		for _, n := range names {
			p := filepath.Join(d, n)
			if _, err := os.Stat(p); err != nil {
				continue
			}
			if l := tryPath(p); l != nil {
				return l, nil
			}
		}
	}
	if !preferLinker || os.Getenv(LibPathEnv) != "" {
		if l := byLinker(); l != nil {
			return l, nil
		}
	}
	return nil, fmt.Errorf("%s not found (tried %s; set %s to its directory)", what, strings.Join(tried, "; "), LibPathEnv)
}

// preloadNVRTCBuiltins dlopens libnvrtc-builtins from dir (if present) so that
// NVRTC finds it even when dir is not on the linker path.
func preloadNVRTCBuiltins(dir string) {
	m, _ := filepath.Glob(filepath.Join(dir, "libnvrtc-builtins.so*"))
	for _, p := range m {
		if _, err := dlopen(p); err == nil {
			return
		}
	}
}

// libs holds the loaded driver, cuBLASLt and NVRTC entry points.
type libs struct {
	cuda   *library
	blasLt *library
	nvrtc  *library
	drv    driverAPI
	lt     ltAPI
	rtc    nvrtcAPI
}

var (
	driverOnce sync.Once
	driverLib  *libs
	driverErr  error

	fullOnce sync.Once
	fullErr  error
)

// loadDriver loads libcuda.so.1 and calls cuInit.
func loadDriver() (*libs, error) {
	driverOnce.Do(func() {
		if staticBuild {
			driverErr = ErrStaticBuild
			return
		}
		l, err := openLibrary("NVIDIA driver library libcuda.so.1", []string{"libcuda.so.1", "libcuda.so"}, true)
		if err != nil {
			driverErr = fmt.Errorf("no usable NVIDIA driver: %w", err)
			return
		}
		lb := &libs{cuda: l}
		if err := lb.drv.load(l); err != nil {
			driverErr = err
			return
		}
		if r := lb.drv.init(); r != 0 {
			if r == cudaErrorNoDevice {
				driverErr = fmt.Errorf("%w: the driver (%s) found no GPU%s", ErrNoDevice, l.path, visibleNote())
				return
			}
			driverErr = fmt.Errorf("cuInit: %w", lb.drv.err(r))
			return
		}
		driverLib = lb
	})
	return driverLib, driverErr
}

// loadAll loads the driver, cuBLASLt and NVRTC.
func loadAll() (*libs, error) {
	lb, err := loadDriver()
	if err != nil {
		return nil, err
	}
	fullOnce.Do(func() {
		var errs []error
		if l, err := openLibrary("cuBLASLt", []string{"libcublasLt.so.13", "libcublasLt.so.12", "libcublasLt.so"}, false); err != nil {
			errs = append(errs, err)
		} else if err := lb.lt.load(l); err != nil {
			errs = append(errs, err)
		} else {
			lb.blasLt = l
		}
		nv, err := openLibrary("NVRTC", []string{"libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so"}, false)
		if err == nil {
			if filepath.IsAbs(nv.path) {
				preloadNVRTCBuiltins(filepath.Dir(nv.path))
			}
			err = lb.rtc.load(nv)
		}
		if err != nil {
			errs = append(errs, err)
		} else {
			lb.nvrtc = nv
		}
		fullErr = errors.Join(errs...)
	})
	if fullErr != nil {
		return nil, fullErr
	}
	return lb, nil
}
