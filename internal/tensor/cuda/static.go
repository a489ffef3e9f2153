package cuda

import "errors"

// ErrStaticBuild is every CUDA call's error in the static build (-tags static), which
// leaves out the run-time library loader and so cannot reach the NVIDIA driver.
var ErrStaticBuild = errors.New("CUDA is not in the static build of virnucpro (built with -tags static, it cannot load the NVIDIA libraries): " +
	"for GPUs use the default build (go build ./cmd/virnucpro) or the release's virnucpro-*-linux-amd64-gpu binary")
