package readlabel

import (
	"bytes"
	"io"
	"testing"
)

// FuzzLabel: any input gives rows or an error, never a panic.
func FuzzLabel(f *testing.F) {
	f.Add([]byte(samHeader + samLine("r", 0, "V", 60, "10S80M10S", "NM:i:2")))
	f.Add([]byte("r\t100\t0\t100\t+\tV\t1000\t0\t100\t99\t100\t60\ttp:A:P\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, fm := range []Format{FormatAuto, FormatSAM, FormatPAF, FormatBAM} {
			src, err := OpenSource(bytes.NewReader(data), "fuzz", fm)
			if err != nil {
				continue
			}
			Label(src, ContigTable{}, io.Discard, Options{Thresholds: DefaultThresholds(), OrderDir: t.TempDir()})
		}
	})
}
