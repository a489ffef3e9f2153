package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/virnucpro/virnucpro/internal/tensor/cpu"
)

// TestBF16ConfirmMarginFlag: --bf16-confirm-margin refuses a negative margin naming
// itself; a bf16 run prints how many frames it confirmed in fp32; the margin is part
// of a bf16 run's identity (a completed run is not taken for one with another
// margin); and it is settable from a --config file like every option (0 there: no
// confirmation, no line).
func TestBF16ConfirmMarginFlag(t *testing.T) {
	predictArgs := func(out string, flags ...string) []string {
		args := append([]string{"predict", "../../demo/input.fasta", "-o", out, "--device", "cpu", "--chunk-size", "300"}, flags...)
		return append(args, testModelFlags()...)
	}
	if err := run(t, predictArgs(t.TempDir(), "--no-checkpoint", "--bf16-confirm-margin", "-0.1")...); err == nil || !strings.Contains(err.Error(), "--bf16-confirm-margin -0.1") {
		t.Errorf("a negative margin: %v", err)
	}
	if !cpu.BF16Supported() {
		t.Skip("no AVX512_BF16 on this processor")
	}
	out := t.TempDir()
	summary, err := runOut(t, predictArgs(out, "--precision", "bf16")...)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(summary, "frames (") || !strings.Contains(summary, "in fp32: chunks whose bf16 call was within 0.1 of flipping") {
		t.Errorf("the summary does not say what was confirmed:\n%s", summary)
	}
	if err := run(t, predictArgs(out, "--precision", "bf16", "--bf16-confirm-margin", "0.2")...); err == nil || !strings.Contains(err.Error(), "bf16-confirm-margin") {
		t.Errorf("a completed run with margin 0.1 was taken for one with 0.2: %v", err)
	}
	cfg := filepath.Join(t.TempDir(), "c.yaml")
	os.WriteFile(cfg, []byte("bf16-confirm-margin: 0\n"), 0o644)
	summary, err = runOut(t, append(predictArgs(t.TempDir(), "--precision", "bf16", "--no-checkpoint"), "--config", cfg)...)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(summary, "confirmed") {
		t.Errorf("bf16-confirm-margin: 0 in the config still confirmed:\n%s", summary)
	}
}
