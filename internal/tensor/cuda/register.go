package cuda

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/virnucpro/virnucpro/internal/tensor"
)

// init registers CUDA as an accelerator driver of tensor.Open.
func init() {
	tensor.Register(tensor.Driver{
		Name:  "cuda",
		Forms: []string{"cuda", "cuda:N"},
		Claim: claim,
		Open: func(ordinal int, spec tensor.Spec) (tensor.Backend, error) {
			p := spec.Precision
			if p == "" {
				p = "fp32"
			}
			return Open(ordinal, p)
		},
		Describe: describe,
	})
}

// claim resolves the device specs CUDA serves ("auto", "cuda", "gpu", "cuda:N,M")
// with Ordinals and leaves the others to other drivers.
func claim(device string) ([]int, error) {
	s := strings.ToLower(strings.TrimSpace(device))
	if s != "auto" && s != "" && s != "cuda" && s != "gpu" && !strings.HasPrefix(s, "cuda:") {
		return nil, nil
	}
	return Ordinals(device)
}

// describe lists the CUDA devices this binary can use, or explains why none is usable.
func describe(out io.Writer) error {
	devs, err := Devices()
	if err != nil {
		fmt.Fprintf(out, "No usable CUDA device: %v\nvirnucpro will run on the CPU (--device cpu).\n", err)
		return nil
	}
	if v, ok := os.LookupEnv("CUDA_VISIBLE_DEVICES"); ok {
		fmt.Fprintf(out, "CUDA_VISIBLE_DEVICES=%q (devices are numbered as visible)\n", v)
	}
	for _, d := range devs {
		fmt.Fprintf(out, "cuda:%d  %s  %.1f GiB  compute %d.%d  %d SMs  driver CUDA %s  PCI %s\n",
			d.Ordinal, d.Name, float64(d.TotalMemory)/(1<<30), d.Major, d.Minor, d.Multiprocessors, d.Driver, d.PCIBusID)
	}
	drv, lt, rtc, err := Libraries()
	if err != nil {
		fmt.Fprintf(out, "Not usable for inference: %v\n", err)
		return nil
	}
	fmt.Fprintf(out, "libraries: %s, %s, %s\n", drv, lt, rtc)
	return nil
}
