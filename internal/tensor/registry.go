package tensor

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"sort"
	"strings"
	"sync"
)

// Spec selects the compute backends of a run: where they run, in what precision and,
// on the CPU, with which matrix library.
type Spec struct {
	// Device is auto, cpu, or an accelerator's device ("cuda", "cuda:N", "cuda:N,M").
	Device string
	// BLAS is the CPU matrix library: auto, native, openblas or go.
	BLAS string
	// Precision is fp32, fp16 or bf16 (fp16: accelerators only; bf16 on the CPU where
	// it has AVX512_BF16).
	Precision string
	// Threads is the CPU threads of the run (default GOMAXPROCS), shared between the
	// CPU backends of OpenAll.
	Threads int
}

// precision returns s.Precision, defaulting to fp32.
func (s Spec) precision() string {
	if s.Precision == "" {
		return "fp32"
	}
	return s.Precision
}

// Driver is one family of backends (the CPU, CUDA). Driver packages register
// themselves with Register from an init function; a binary includes a driver by
// importing its package (see internal/backends).
type Driver struct {
	// Name names the driver ("cpu", "cuda").
	Name string
	// Forms lists the device forms an accelerator takes, for errors ("cuda", "cuda:N").
	Forms []string
	// Host marks the CPU driver: it serves "cpu", and "auto" when no accelerator
	// claims it; it is given fp32 or bf16 only (it decides whether it can compute in
	// bf16), and its backends share Spec.Threads.
	Host bool
	// Claim resolves a device spec to the devices this driver serves: none (nil, nil)
	// when the spec is not its own or, for "auto", when it has no usable device; an
	// error when the spec names its devices but they cannot be used. Host drivers
	// need none.
	Claim func(device string) ([]int, error)
	// Open opens device id (an accelerator ordinal; the worker number on the host)
	// for spec; on the host, spec.Threads is that backend's share.
	Open func(id int, spec Spec) (Backend, error)
	// Describe writes the driver's devices, or why it has none, for
	// `virnucpro devices`; nil when there is nothing to say.
	Describe func(w io.Writer) error
	// Math names the arithmetic the driver's backends compute with for spec
	// (kernels, precision), for run identities; nil: the driver's name and the
	// precision.
	Math func(spec Spec) (string, error)
}

var (
	registryMu sync.Mutex
	drivers    []Driver
)

// Register adds a driver; accelerators are tried in name order before the host.
func Register(d Driver) {
	registryMu.Lock()
	defer registryMu.Unlock()
	drivers = append(drivers, d)
	sort.SliceStable(drivers, func(i, j int) bool {
		if drivers[i].Host != drivers[j].Host {
			return !drivers[i].Host
		}
		return drivers[i].Name < drivers[j].Name
	})
}

// Drivers returns the registered drivers, accelerators first.
func Drivers() []Driver {
	registryMu.Lock()
	defer registryMu.Unlock()
	return append([]Driver(nil), drivers...)
}

// ErrUnknownBLAS is a CPU matrix library the CPU driver does not know.
var ErrUnknownBLAS = errors.New("unknown matrix library")

// ErrUnknownDevice is returned when no registered driver serves a device spec.
var ErrUnknownDevice = errors.New("unknown device")

// ErrPrecisionNeedsAccelerator is returned for a precision other than fp32 or bf16
// on the CPU.
var ErrPrecisionNeedsAccelerator = errors.New("needs a GPU; the CPU backend computes in fp32, or bf16 where it has AVX512_BF16")

// Open returns the one backend spec selects (the first device when the spec names
// several).
func Open(spec Spec) (Backend, error) {
	bs, err := openN(spec, 1)
	if err != nil {
		return nil, err
	}
	return bs[0], nil
}

// OpenAll returns one backend per inference worker: one per device the spec
// selects ("cuda" and "auto": every visible device; "cuda:N,M": those), at most
// workers of them when workers > 0; on the CPU, workers (default 1) backends
// sharing spec.Threads.
func OpenAll(spec Spec, workers int) ([]Backend, error) {
	return openN(spec, workers)
}

func openN(spec Spec, workers int) ([]Backend, error) {
	d, ids, err := resolve(spec.Device)
	if err != nil {
		return nil, err
	}
	if d.Host {
		return openHost(d, spec, workers)
	}
	if workers > 0 && workers < len(ids) {
		ids = ids[:workers]
	}
	var out []Backend
	for _, id := range ids {
		b, err := d.Open(id, spec)
		if err != nil {
			if len(ids) > 1 {
				err = fmt.Errorf("worker %d: %w", len(out), err)
			}
			return nil, err
		}
		slog.Info("compute backend", workerAttr(len(out), len(ids), "device", b.Name(), "precision", spec.precision())...)
		out = append(out, b)
	}
	return out, nil
}

// workerAttr prefixes attrs with the worker number when there are several.
func workerAttr(k, n int, attrs ...any) []any {
	if n > 1 {
		return append([]any{"worker", k}, attrs...)
	}
	return attrs
}

// openHost opens workers CPU backends sharing spec.Threads.
func openHost(d Driver, spec Spec, workers int) ([]Backend, error) {
	if p := spec.precision(); p != "fp32" && p != "bf16" {
		return nil, &SpecError{Field: "precision", Value: p, Err: ErrPrecisionNeedsAccelerator}
	}
	workers = max(workers, 1)
	threads := spec.Threads
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	var out []Backend
	for k := range workers {
		t := threads / workers
		if k < threads%workers {
			t++
		}
		s := spec
		s.Threads = max(t, 1)
		b, err := d.Open(k, s)
		if err != nil {
			var se *SpecError
			if !errors.As(err, &se) {
				err = &SpecError{Field: "blas", Value: spec.BLAS, Err: err}
			}
			return nil, err
		}
		out = append(out, b)
	}
	return out, nil
}

// resolve finds the driver serving device and the devices it selects.
func resolve(device string) (Driver, []int, error) {
	s := strings.ToLower(strings.TrimSpace(device))
	var host *Driver
	for _, d := range Drivers() {
		if d.Host {
			if host == nil {
				host = &d
			}
			continue
		}
		if s == "cpu" {
			continue
		}
		ids, err := d.Claim(device)
		if err != nil {
			return Driver{}, nil, &SpecError{Field: "device", Value: device, Err: err}
		}
		if len(ids) > 0 {
			return d, ids, nil
		}
	}
	if (s == "cpu" || s == "auto" || s == "") && host != nil {
		return *host, nil, nil
	}
	forms := []string{"auto", "cpu"}
	for _, d := range Drivers() {
		if !d.Host {
			forms = append(forms, d.Forms...)
		}
	}
	return Driver{}, nil, &SpecError{Field: "device", Value: device, Err: fmt.Errorf("%w, want %s or %s", ErrUnknownDevice,
		strings.Join(forms[:len(forms)-1], ", "), forms[len(forms)-1])}
}

// OnHost reports whether spec selects the host (CPU) driver rather than an
// accelerator.
func OnHost(spec Spec) (bool, error) {
	d, _, err := resolve(spec.Device)
	return d.Host, err
}

// MathPath names the arithmetic the backends spec selects compute with ("cpu native
// fma32 fp32", "cuda fp16", ...): resumed and merged runs must not mix results of
// different math, which differ in their last bits.
func MathPath(spec Spec) (string, error) {
	d, _, err := resolve(spec.Device)
	if err != nil {
		return "", err
	}
	if d.Math != nil {
		return d.Math(spec)
	}
	return d.Name + " " + spec.precision(), nil
}

// SpecError is an unusable Spec field; Field is "device", "precision" or "blas" (the
// command names its flag), or "environment" for a variable that steers the backend
// (the CPU driver's kernel cap).
type SpecError struct {
	Field, Value string
	Err          error
}

func (e *SpecError) Error() string { return fmt.Sprintf("%s %q: %v", e.Field, e.Value, e.Err) }

// Unwrap returns the cause.
func (e *SpecError) Unwrap() error { return e.Err }

// Describe writes every accelerator driver's devices, or why it has none.
func Describe(w io.Writer) error {
	for _, d := range Drivers() {
		if d.Describe != nil {
			if err := d.Describe(w); err != nil {
				return err
			}
		}
	}
	return nil
}
