package perf

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"

	"github.com/virnucpro/virnucpro/internal/model/esm2"
	"github.com/virnucpro/virnucpro/internal/randmodel"
	"github.com/virnucpro/virnucpro/internal/tensor/cpu"
)

// PeakRSS returns the process's peak resident set size (VmHWM) in bytes; Linux only.
func PeakRSS() (uint64, error) {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, fmt.Errorf("peak RSS: %w", err)
	}
	return parseVmHWM(data)
}

// ResetPeakRSS returns freed heap memory to the system and restarts the peak RSS
// from the current resident size (Linux >= 4.0), so that PeakRSS then measures
// only what follows (not, say, generating random models).
func ResetPeakRSS() error {
	debug.FreeOSMemory()
	return os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
}

func parseVmHWM(status []byte) (uint64, error) {
	sc := bufio.NewScanner(bytes.NewReader(status))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 3 && f[0] == "VmHWM:" && f[2] == "kB" {
			kb, err := strconv.ParseUint(f[1], 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("peak RSS: no VmHWM line in /proc/self/status")
}

// RSSFormats are the weight-file formats WriteRSSModel writes: safetensors (float32,
// mapped), a torch.save checkpoint in float32 (mapped) and one in float16 (converted
// to float32, as fair-esm's ESM-2 3B checkpoint is).
var RSSFormats = []string{"safetensors", "pt", "pt-fp16"}

// RSSLayers and RSSDim are the ESM-2 shape of the memory measurement: 5 × 1280
// (98M parameters, 393 MB in float32).
const (
	RSSLayers = 5
	RSSDim    = 1280
)

// WriteRSSModel writes a random ESM-2 of RSSLayers × RSSDim in format into dir and
// returns the path to load and the model's float32 weight size in bytes.
func WriteRSSModel(dir, format string) (path string, fp32Bytes uint64, err error) {
	ts := randmodel.ESM2Tensors(RSSLayers, RSSDim)
	for _, t := range ts {
		fp32Bytes += 4 * uint64(len(t.Data))
	}
	switch format {
	case "safetensors":
		return dir, fp32Bytes, randmodel.ESM2(dir, RSSLayers, RSSDim, 20)
	case "pt", "pt-fp16":
		path = filepath.Join(dir, "esm2_rss.pt")
		return path, fp32Bytes, randmodel.WritePyTorch(path, ts, format == "pt-fp16")
	}
	return "", 0, fmt.Errorf("memory measurement: unknown format %q", format)
}

// RSSChild loads the ESM-2 at path on the CPU backend (OpenBLAS when it loads),
// embeds two short proteins, and writes "VmHWM <bytes>" to w. Run it in a fresh
// process (its peak is the measurement).
func RSSChild(path string, w io.Writer) error {
	var gemm cpu.Gemm
	if lib, err := cpu.LoadOpenBLAS(1); err == nil {
		gemm = lib
	}
	m, err := esm2.Load(path, cpu.New(1, gemm), esm2.Options{ReprLayer: -1})
	if err != nil {
		return err
	}
	var toks [][]int32
	out := make([][]float32, 2)
	for i := range out {
		t := []int32{esm2.TokenCLS}
		for j := 0; j < 40; j++ {
			t = append(t, int32(4+(i+j)%20))
		}
		toks = append(toks, append(t, esm2.TokenEOS))
		out[i] = make([]float32, m.Dim())
	}
	if err := m.EmbedBatch(toks, out); err != nil {
		return err
	}
	peak, err := PeakRSS()
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "VmHWM %d\n", peak)
	return err
}

// ParseRSSChild returns the peak RSS that RSSChild printed into out.
func ParseRSSChild(out []byte) (uint64, error) {
	for _, line := range strings.Split(string(out), "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "VmHWM "); ok {
			return strconv.ParseUint(v, 10, 64)
		}
	}
	return 0, fmt.Errorf("memory measurement: no VmHWM in the child's output: %s", bytes.TrimSpace(out))
}
