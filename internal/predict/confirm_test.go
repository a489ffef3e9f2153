package predict

import (
	"testing"

	"github.com/virnucpro/virnucpro/internal/tensor"
)

// TestConfirmSpec: only a bf16 run on the CPU with a positive margin is confirmed,
// in fp32 on the same device and kernels.
func TestConfirmSpec(t *testing.T) {
	for _, c := range []struct {
		spec   tensor.Spec
		margin float64
		want   bool
	}{
		{tensor.Spec{Device: "cpu", BLAS: "native", Precision: "bf16", Threads: 3}, 0.1, true},
		{tensor.Spec{Device: "cpu", Precision: "bf16"}, 0, false},
		{tensor.Spec{Device: "cpu", Precision: "fp32"}, 0.1, false},
		{tensor.Spec{Device: "cpu"}, 0.1, false},
	} {
		ref, ok, err := confirmSpec(c.spec, c.margin)
		if err != nil || ok != c.want {
			t.Errorf("%+v, margin %g: %v, %v; want %v", c.spec, c.margin, ok, err, c.want)
			continue
		}
		if ok && (ref.Precision != "fp32" || ref.Device != c.spec.Device || ref.BLAS != c.spec.BLAS || ref.Threads != c.spec.Threads) {
			t.Errorf("%+v: confirms on %+v", c.spec, ref)
		}
	}
}
