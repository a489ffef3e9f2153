package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/virnucpro/virnucpro/internal/tensor/cuda"
)

// devicesCmd lists the CUDA devices this binary can use, or explains why none is usable.
var devicesCmd = &cobra.Command{
	Use:   "devices",
	Short: "List usable GPUs (name, memory, compute capability, driver) or explain why there are none",
	Args:  cobra.NoArgs,
	RunE: func(cmd *cobra.Command, args []string) error {
		out := cmd.OutOrStdout()
		devs, err := cuda.Devices()
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
		drv, lt, rtc, err := cuda.Libraries()
		if err != nil {
			fmt.Fprintf(out, "Not usable for inference: %v\n", err)
			return nil
		}
		fmt.Fprintf(out, "libraries: %s, %s, %s\n", drv, lt, rtc)
		return nil
	},
}

func init() { rootCmd.AddCommand(devicesCmd) }
