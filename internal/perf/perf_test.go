package perf

import (
	"os"
	"os/exec"
	"testing"
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
