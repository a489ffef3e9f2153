//go:build !static

package cuda

import "github.com/ebitengine/purego"

// staticBuild is true in the static build (-tags static), which cannot load the
// NVIDIA libraries: dynamic loading needs the system's dynamic loader.
const staticBuild = false

// dlopen opens the shared object at path (RTLD_NOW|RTLD_GLOBAL).
func dlopen(path string) (uintptr, error) {
	return purego.Dlopen(path, purego.RTLD_NOW|purego.RTLD_GLOBAL)
}

// dlsym resolves name in the library handle h.
func dlsym(h uintptr, name string) (uintptr, error) { return purego.Dlsym(h, name) }

// syscallN calls the C function fn with integer/pointer arguments.
//
//go:uintptrescapes
func syscallN(fn uintptr, args ...uintptr) uintptr {
	r, _, _ := purego.SyscallN(fn, args...)
	return r
}
