//go:build static

package cuda

// staticBuild is true in the static build (-tags static), which cannot load the
// NVIDIA libraries: dynamic loading needs the system's dynamic loader.
const staticBuild = true

// dlopen fails: the static build loads no shared objects.
func dlopen(string) (uintptr, error) { return 0, ErrStaticBuild }

// dlsym fails: the static build loads no shared objects.
func dlsym(uintptr, string) (uintptr, error) { return 0, ErrStaticBuild }

// syscallN is never reached: no function pointer exists without dlsym.
func syscallN(uintptr, ...uintptr) uintptr { panic(ErrStaticBuild) }
