// Package backends links the compute drivers into a binary: importing it (blank)
// registers the CPU and CUDA drivers with tensor.Open. Commands and application
// packages import only internal/tensor; this is the one place that names the drivers.
package backends

import (
	// The CPU driver (pure Go, or OpenBLAS loaded at run time).
	_ "github.com/virnucpro/virnucpro/internal/tensor/cpu"
	// The CUDA driver (driver API, cuBLASLt and NVRTC loaded at run time).
	_ "github.com/virnucpro/virnucpro/internal/tensor/cuda"
)
