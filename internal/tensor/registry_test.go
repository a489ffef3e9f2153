package tensor

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// fakeBackend is a Backend that only has a name.
type fakeBackend struct {
	Backend
	name    string
	threads int
}

func (f fakeBackend) Name() string { return f.name }

// registerFakes registers a host driver and an accelerator "gpu" with two devices.
func registerFakes(t *testing.T) {
	saved := drivers
	t.Cleanup(func() { drivers = saved })
	drivers = nil
	Register(Driver{Name: "host", Host: true, Open: func(k int, s Spec) (Backend, error) {
		return fakeBackend{name: fmt.Sprintf("host%d", k), threads: s.Threads}, nil
	}})
	Register(Driver{Name: "gpu", Forms: []string{"gpu", "gpu:N"},
		Claim: func(d string) ([]int, error) {
			switch d {
			case "gpu", "auto", "":
				return []int{0, 1}, nil
			case "gpu:1":
				return []int{1}, nil
			case "gpu:9":
				return nil, errors.New("gpu:9 does not exist")
			}
			return nil, nil
		},
		Open: func(id int, s Spec) (Backend, error) {
			return fakeBackend{name: fmt.Sprintf("gpu:%d/%s", id, s.precision())}, nil
		},
	})
}

func TestOpenAll(t *testing.T) {
	registerFakes(t)
	for _, c := range []struct {
		spec    Spec
		workers int
		want    string // backend names and host threads
		err     string
	}{
		{Spec{Device: "auto"}, 0, "gpu:0/fp32 gpu:1/fp32", ""},
		{Spec{Device: "gpu", Precision: "bf16"}, 1, "gpu:0/bf16", ""},
		{Spec{Device: "gpu:1"}, 0, "gpu:1/fp32", ""},
		{Spec{Device: "cpu", Threads: 5}, 2, "host0/3 host1/2", ""},
		{Spec{Device: "cpu", Threads: 1}, 3, "host0/1 host1/1 host2/1", ""},
		{Spec{Device: "CPU", Threads: 4}, 0, "host0/4", ""},
		{Spec{Device: "cpu", Precision: "fp16"}, 0, "", `precision "fp16": needs a GPU`},
		{Spec{Device: "cpu", Precision: "bf16", Threads: 2}, 0, "host0/2", ""}, // the host driver decides
		{Spec{Device: "gpu:9"}, 0, "", "gpu:9 does not exist"},
		{Spec{Device: "tpu"}, 0, "", `device "tpu": unknown device, want auto, cpu, gpu or gpu:N`},
	} {
		bs, err := OpenAll(c.spec, c.workers)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%+v: error %v, want %q", c.spec, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%+v: %v", c.spec, err)
			continue
		}
		var names []string
		for _, b := range bs {
			n := b.Name()
			if f := b.(fakeBackend); strings.HasPrefix(n, "host") {
				n += fmt.Sprintf("/%d", f.threads)
			}
			names = append(names, n)
		}
		if got := strings.Join(names, " "); got != c.want {
			t.Errorf("%+v workers %d: %s, want %s", c.spec, c.workers, got, c.want)
		}
	}
	var se *SpecError
	if _, err := Open(Spec{Device: "cpu", Precision: "fp16"}); !errors.As(err, &se) || !errors.Is(err, ErrPrecisionNeedsAccelerator) {
		t.Errorf("precision on the CPU: %v, want a *SpecError wrapping ErrPrecisionNeedsAccelerator", err)
	}
	if _, err := Open(Spec{Device: "tpu"}); !errors.Is(err, ErrUnknownDevice) {
		t.Errorf("unknown device: %v, want ErrUnknownDevice", err)
	}
}
