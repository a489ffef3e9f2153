package readlabel

import (
	"bytes"
	"fmt"
	"io"
	"syscall"
	"testing"
)

// BenchmarkLabelPAF labels 100000 reads of two PAF alignments each (bytes/s is the
// PAF read rate); the order check spills runs of 1<<20 reads, so this measures the
// in-memory path plus the final sort.
func BenchmarkLabelPAF(b *testing.B) {
	var buf bytes.Buffer
	for i := range 100000 {
		for _, c := range []string{"V", "N"} {
			fmt.Fprintf(&buf, "read%d\t150\t0\t150\t+\t%s\t5000\t100\t250\t148\t150\t60\ttp:A:P\tcm:i:20\n", i, c)
		}
	}
	data := buf.Bytes()
	tab, err := ReadContigs(bytes.NewReader([]byte(testContigs)), "c")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	cpu0 := cpuTime()
	for b.Loop() {
		src, _ := OpenSource(bytes.NewReader(data), "bench.paf", FormatPAF)
		if _, err := Label(src, tab, io.Discard, Options{Thresholds: DefaultThresholds(), OrderDir: b.TempDir()}); err != nil {
			b.Fatal(err)
		}
	}
	// CPU time per alignment, which a loaded machine does not inflate as it does
	// wall time (the process is single-threaded apart from the GC).
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N)/200000, "cpu-ns/alignment")
}

// cpuTime is the process's user+system CPU time in nanoseconds.
func cpuTime() int64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Utime.Nano() + ru.Stime.Nano()
}
