package perf

import (
	"os"
	"os/exec"
	"testing"

	"github.com/virnucpro/virnucpro/internal/tensor/cpu"
)

func TestParseVmHWM(t *testing.T) {
	for _, c := range []struct {
		status string
		want   uint64
		ok     bool
	}{
		{"Name:\tx\nVmPeak:\t  100 kB\nVmHWM:\t   2048 kB\nVmRSS:\t 10 kB\n", 2048 << 10, true},
		{"VmHWM: 1 kB", 1024, true},
		{"Name: x\n", 0, false},
	} {
		got, err := parseVmHWM([]byte(c.status))
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("parseVmHWM(%q) = %d, %v; want %d (ok %v)", c.status, got, err, c.want, c.ok)
		}
	}
	for _, c := range []struct {
		out  string
		want uint64
		ok   bool
	}{
		{"log line\nVmHWM 12345\n", 12345, true},
		{"nothing", 0, false},
	} {
		got, err := ParseRSSChild([]byte(c.out))
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("ParseRSSChild(%q) = %d, %v; want %d", c.out, got, err, c.want)
		}
	}
}

// TestPeakRSS loads a random ESM-2 of a few hundred MB in each weight format in a
// child process and checks its peak resident memory against the float32 weight size
// (acceptance: at most ~1.15× plus activations; the child's activations are a few
// MB). It writes ~1 GB of files, so it runs only with VIRNUCPRO_RSS_TEST=1.
func TestPeakRSS(t *testing.T) {
	if os.Getenv("VIRNUCPRO_RSS_TEST") == "" {
		t.Skip("set VIRNUCPRO_RSS_TEST=1 to measure peak RSS while loading a ~400 MB model")
	}
	for _, format := range RSSFormats {
		t.Run(format, func(t *testing.T) {
			path, weights, err := WriteRSSModel(t.TempDir(), format)
			if err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(os.Args[0], "-test.run=^TestRSSChild$", "-test.v")
			cmd.Env = append(os.Environ(), "VIRNUCPRO_RSS_CHILD="+path)
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("child: %v\n%s", err, out)
			}
			peak, err := ParseRSSChild(out)
			if err != nil {
				t.Fatal(err)
			}
			ratio := float64(peak) / float64(weights)
			t.Logf("%s: peak RSS %.1f MB for %.1f MB of float32 weights: %.3f×", format, float64(peak)/1e6, float64(weights)/1e6, ratio)
			if ratio > 1.15 {
				t.Errorf("%s: peak RSS is %.3f× the float32 weights, want <= 1.15×", format, ratio)
			}
		})
	}
}

// TestRSSChild is the child process of TestPeakRSS.
func TestRSSChild(t *testing.T) {
	path := os.Getenv("VIRNUCPRO_RSS_CHILD")
	if path == "" {
		t.Skip("child process of TestPeakRSS")
	}
	if err := RSSChild(path, os.Stdout); err != nil {
		t.Fatal(err)
	}
}

// fakeEncoder counts the batches it is given.
type fakeEncoder struct{ batches int }

func (f *fakeEncoder) Dim() int                    { return 4 }
func (f *fakeEncoder) FLOPsPerToken(n int) float64 { return 1e6 }
func (f *fakeEncoder) EmbedBatch(tokens [][]int32, out [][]float32) error {
	f.batches++
	return nil
}

func TestMeasureCounts(t *testing.T) {
	for _, c := range []struct {
		rounds  int
		batches [][][]int32
	}{
		{1, [][][]int32{{{1, 2, 3}}}},
		{3, [][][]int32{{{1, 2}, {3}}, {{4, 5, 6, 7}}}},
	} {
		enc := &fakeEncoder{}
		w := &Workload{Name: "fake", Encoder: enc, Batches: c.batches, RawK: 8, RawN: 16}
		res, err := Measure(cpu.New(1, nil), w, c.rounds, 0)
		if err != nil {
			t.Fatal(err)
		}
		tokens := 0
		for _, bt := range c.batches {
			for _, s := range bt {
				tokens += len(s)
			}
		}
		if res.Rounds != c.rounds || res.Tokens != c.rounds*tokens || enc.batches != 1+c.rounds*len(c.batches) {
			t.Errorf("%d rounds: %+v after %d batches", c.rounds, res, enc.batches)
		}
		if !(res.GFLOPS > 0 && res.RawGFLOPS > 0 && res.Ratio() > 0) {
			t.Errorf("%d rounds: %+v", c.rounds, res)
		}
	}
}

// TestParseSmapsField: the value of one "Name: n kB" line of smaps_rollup, in bytes.
func TestParseSmapsField(t *testing.T) {
	rollup := "00400000-7ffd [rollup]\nRss:  11150776 kB\nAnonHugePages:  10643456 kB\nShmemHugePages:  0 kB\n"
	for _, c := range []struct {
		name string
		want uint64
		ok   bool
	}{
		{"AnonHugePages:", 10643456 << 10, true},
		{"ShmemHugePages:", 0, true},
		{"FilePmdMapped:", 0, false},
	} {
		if got, ok := parseSmapsField([]byte(rollup), c.name); got != c.want || ok != c.ok {
			t.Errorf("parseSmapsField(%s) = %d, %v; want %d, %v", c.name, got, ok, c.want, c.ok)
		}
	}
}

// TestProcessUsage: where the platform reports it, usage only grows, and Sub is
// the difference field by field.
func TestProcessUsage(t *testing.T) {
	u0, ok := ProcessUsage()
	if !ok {
		t.Skip("no process usage on this platform")
	}
	buf := make([]byte, 8<<20)
	for i := 0; i < len(buf); i += 4096 {
		buf[i] = 1
	}
	u1, _ := ProcessUsage()
	d := u1.Sub(u0)
	if d.User < 0 || d.Sys < 0 || d.MinorFaults < 0 || d.MajorFaults < 0 {
		t.Errorf("usage went down: %+v", d)
	}
	if d.User != u1.User-u0.User || d.MinorFaults != u1.MinorFaults-u0.MinorFaults {
		t.Errorf("Sub(%+v, %+v) = %+v", u1, u0, d)
	}
}
