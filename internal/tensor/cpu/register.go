package cpu

import (
	"log/slog"

	"github.com/virnucpro/virnucpro/internal/tensor"
)

// init registers the CPU as the host driver of tensor.Open.
func init() {
	tensor.Register(tensor.Driver{
		Name: "cpu",
		Host: true,
		Open: func(_ int, spec tensor.Spec) (tensor.Backend, error) {
			return OpenPrecision(spec.BLAS, spec.Precision, spec.Threads, slog.Default())
		},
		Math: func(spec tensor.Spec) (string, error) { return MathPathPrecision(spec.BLAS, spec.Precision) },
	})
}
