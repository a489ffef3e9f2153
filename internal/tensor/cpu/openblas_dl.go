//go:build !static

package cpu

import (
	"fmt"
	"strings"

	"github.com/ebitengine/purego"
)

// staticBuild is true in the static build (-tags static), which leaves out the
// run-time library loader and so cannot use OpenBLAS.
const staticBuild = false

// openOpenBLAS dlopens the library name and binds cblas_sgemm, setting OpenBLAS's own
// thread count to one and reading the kernels it runs. forced is the
// OPENBLAS_CORETYPE this process asked for ("" when none).
func openOpenBLAS(name, forced string) (*OpenBLAS, error) {
	h, err := purego.Dlopen(name, purego.RTLD_NOW|purego.RTLD_GLOBAL)
	if err != nil {
		return nil, err
	}
	lib := &OpenBLAS{path: name, verdict: new(canaryResult)}
	if _, err := purego.Dlsym(h, "cblas_sgemm"); err != nil {
		return nil, fmt.Errorf("%s: no cblas_sgemm", name)
	}
	purego.RegisterLibFunc(&lib.sgemm, h, "cblas_sgemm")
	if sym, err := purego.Dlsym(h, "openblas_set_num_threads"); err == nil {
		var setThreads func(int32)
		purego.RegisterFunc(&setThreads, sym)
		setThreads(1) // parallelism comes from our goroutines (see SgemmNT)
	}
	if sym, err := purego.Dlsym(h, "openblas_get_corename"); err == nil {
		var corename func() string
		purego.RegisterFunc(&corename, sym)
		lib.core = strings.TrimSpace(corename())
		lib.forced = forced != "" && strings.EqualFold(lib.core, forced)
	}
	return lib, nil
}
