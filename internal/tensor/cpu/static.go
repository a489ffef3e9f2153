package cpu

import "errors"

// ErrStaticBuild is LoadOpenBLAS's error in the static build (-tags static), which
// leaves out the run-time library loader: its matrix products are the Go kernels.
var ErrStaticBuild = errors.New("OpenBLAS is not in the static build of virnucpro (built with -tags static, it cannot load shared libraries): " +
	"its own kernels (native, or the portable Go ones) do the products; OpenBLAS needs the default build (go build ./cmd/virnucpro)")
