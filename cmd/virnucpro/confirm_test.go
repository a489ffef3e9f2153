package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/virnucpro/virnucpro/internal/mqc"
	"github.com/virnucpro/virnucpro/internal/report"
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
	var confirmed int
	if _, err := fmt.Sscanf(summary[strings.Index(summary, "confirmed "):], "confirmed %d frames", &confirmed); err != nil || confirmed == 0 {
		t.Fatalf("no confirmed count in the summary (%v):\n%s", err, summary)
	}
	checkConfirmationFiles(t, out, confirmed, "bf16 predict")
	// report redoes the tables from chunks.tsv, which does not hold the count: it
	// keeps the one the run recorded.
	if err := run(t, "report", out, "--min-weighted-delta", "0.2"); err != nil {
		t.Fatal(err)
	}
	checkConfirmationFiles(t, out, confirmed, "after report")
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

// TestNoConfirmationInFP32Outputs: an fp32 run's report.html and MultiQC table say
// nothing of an fp32 confirmation, before and after report.
func TestNoConfirmationInFP32Outputs(t *testing.T) {
	out := t.TempDir()
	args := append([]string{"predict", "../../demo/input.fasta", "-o", out, "--device", "cpu", "--chunk-size", "300", "--no-checkpoint"}, testModelFlags()...)
	for _, argv := range [][]string{args, {"report", out}} {
		summary, err := runOut(t, argv...)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(summary, "confirmed") {
			t.Errorf("%s: an fp32 run's summary mentions a confirmation:\n%s", argv[0], summary)
		}
		checkConfirmationFiles(t, out, -1, "fp32 "+argv[0])
	}
}

// checkConfirmationFiles checks that out's report.html and virnucpro_mqc.yaml give
// confirmed frames re-scored in fp32 at margin 0.1, or (confirmed < 0) no
// confirmation at all.
func checkConfirmationFiles(t *testing.T, out string, confirmed int, what string) {
	t.Helper()
	html, err := os.ReadFile(filepath.Join(out, report.HTMLFile))
	if err != nil {
		t.Fatal(err)
	}
	yaml, err := os.ReadFile(filepath.Join(out, mqc.YAMLFile))
	if err != nil {
		t.Fatal(err)
	}
	if confirmed < 0 {
		if strings.Contains(string(html), "fp32 confirmation") || strings.Contains(string(yaml), "confirm") {
			t.Errorf("%s: a run without confirmation shows one", what)
		}
		return
	}
	row := regexp.MustCompile(`<tr><th>fp32 confirmation</th><td>(\d+) of \d+ frames \([0-9.]+%\) re-scored in fp32: every chunk whose bf16 call was within 0\.1 of flipping</td></tr>`)
	if m := row.FindStringSubmatch(string(html)); m == nil || m[1] != fmt.Sprint(confirmed) {
		t.Errorf("%s: report.html's confirmation row %q, want %d frames", what, m, confirmed)
	}
	if w := fmt.Sprintf("    fp32_confirmed_frames: %d\n    bf16_confirm_margin: 0.1\n", confirmed); !strings.Contains(string(yaml), w) {
		t.Errorf("%s: %s lacks %q:\n%s", what, mqc.YAMLFile, w, yaml)
	}
}
