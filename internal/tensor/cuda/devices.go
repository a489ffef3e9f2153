package cuda

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// DeviceInfo describes one visible CUDA device.
type DeviceInfo struct {
	// Ordinal is the device number after CUDA_VISIBLE_DEVICES (cuda:N).
	Ordinal int
	// Name is the marketing name ("NVIDIA H100 80GB HBM3").
	Name string
	// TotalMemory is the device memory in bytes.
	TotalMemory uint64
	// Major and Minor are the compute capability.
	Major, Minor int
	// Multiprocessors is the SM count.
	Multiprocessors int
	// PCIBusID identifies the physical GPU ("0000:3b:00.0").
	PCIBusID string
	// Driver is the CUDA version the driver supports ("13.0").
	Driver string
}

// ErrNoDevice reports that no CUDA device is visible.
var ErrNoDevice = errors.New("no CUDA device visible")

// visibleNote mentions CUDA_VISIBLE_DEVICES when it is set.
func visibleNote() string {
	if v, ok := os.LookupEnv("CUDA_VISIBLE_DEVICES"); ok {
		return fmt.Sprintf("; CUDA_VISIBLE_DEVICES=%q", v)
	}
	return ""
}

// Devices lists the visible CUDA devices, numbered as CUDA_VISIBLE_DEVICES
// presents them. It fails with a reason when the driver is missing or no
// device is visible.
func Devices() ([]DeviceInfo, error) {
	lb, err := loadDriver()
	if err != nil {
		return nil, err
	}
	d := &lb.drv
	ver, err := d.version()
	if err != nil {
		return nil, err
	}
	n, err := d.deviceCount()
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, fmt.Errorf("%w (driver supports CUDA %d.%d%s)", ErrNoDevice, ver/1000, ver%1000/10, visibleNote())
	}
	out := make([]DeviceInfo, 0, n)
	for i := 0; i < n; i++ {
		dev, err := d.device(i)
		if err != nil {
			return nil, err
		}
		info := DeviceInfo{Ordinal: i, Driver: fmt.Sprintf("%d.%d", ver/1000, ver%1000/10), PCIBusID: d.pciBusID(dev)}
		if info.Name, err = d.deviceName(dev); err != nil {
			return nil, err
		}
		if info.TotalMemory, err = d.totalMem(dev); err != nil {
			return nil, err
		}
		if info.Major, err = d.attribute(dev, attrComputeMajor); err != nil {
			return nil, err
		}
		if info.Minor, err = d.attribute(dev, attrComputeMinor); err != nil {
			return nil, err
		}
		if info.Multiprocessors, err = d.attribute(dev, attrMultiprocessorCount); err != nil {
			return nil, err
		}
		out = append(out, info)
	}
	return out, nil
}

// Libraries reports the paths of the loaded driver, cuBLASLt and NVRTC, or why
// the backend cannot run (a missing library or no device).
func Libraries() (driver, cublasLt, nvrtc string, err error) {
	lb, err := loadAll()
	if err != nil {
		if driverLib != nil {
			driver = driverLib.cuda.path
		}
		return driver, "", "", err
	}
	return lb.cuda.path, lb.blasLt.path, lb.nvrtc.path + " (NVRTC " + lb.rtc.versionString() + ")", nil
}

// Available reports nil when a CUDA backend can be opened (driver, cuBLASLt,
// NVRTC and at least one device), or the reason it cannot.
func Available() error {
	if _, err := loadAll(); err != nil {
		return err
	}
	_, err := Devices()
	return err
}

// Ordinals resolves a --device value: "cpu" gives none; "cuda" gives every
// visible device (one worker each); "cuda:N" (or "cuda:N,M") the ones named;
// "auto" every visible device when CUDA is usable and none otherwise (with the
// reason in err only for the explicit forms).
func Ordinals(spec string) ([]int, error) {
	s := strings.ToLower(strings.TrimSpace(spec))
	switch {
	case s == "cpu":
		return nil, nil
	case s == "auto" || s == "":
		if Available() != nil {
			return nil, nil
		}
		devs, _ := Devices()
		return allOrdinals(len(devs)), nil
	case s == "cuda" || s == "gpu":
		if err := Available(); err != nil {
			return nil, err
		}
		devs, err := Devices()
		if err != nil {
			return nil, err
		}
		return allOrdinals(len(devs)), nil
	case strings.HasPrefix(s, "cuda:"):
		var out []int
		for _, f := range strings.Split(s[len("cuda:"):], ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || n < 0 {
				return nil, fmt.Errorf("%q is not a device number", f)
			}
			out = append(out, n)
		}
		if err := Available(); err != nil {
			return nil, err
		}
		devs, err := Devices()
		if err != nil {
			return nil, err
		}
		for _, n := range out {
			if n >= len(devs) {
				return nil, fmt.Errorf("cuda:%d does not exist (%d visible, numbered from 0%s)", n, len(devs), visibleNote())
			}
		}
		return out, nil
	}
	return nil, fmt.Errorf("%q: want auto, cpu, cuda or cuda:N", spec)
}

func allOrdinals(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}
