package report

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestConfirmationInReportHTML: report.html's run summary has a row with the frames a
// bf16 run re-scored in fp32, of the run's frames, and the margin, whether the count
// comes with the options (Rebuild) or at the end of the run (SetConfirmation); a run
// without confirmation (fp32, or margin 0) has no such row.
func TestConfirmationInReportHTML(t *testing.T) {
	// synthRecords scores 19 frames (one per scored chunk).
	const row = "<tr><th>fp32 confirmation</th><td>4 of 19 frames (21.1%) re-scored in fp32: every chunk whose bf16 call was within 0.1 of flipping</td></tr>"
	for _, tc := range []struct {
		name    string
		conf    Confirmation
		via     string // "options", "setter" or "rebuild"
		want    string // "" : no confirmation row
		wantNot string
	}{
		{"fp32", Confirmation{}, "setter", "", "fp32 confirmation"},
		{"bf16 margin 0", Confirmation{Margin: 0}, "options", "", "re-scored"},
		{"bf16 set at the end", Confirmation{Frames: 4, Margin: 0.1}, "setter", row, ""},
		{"bf16 in the options", Confirmation{Frames: 4, Margin: 0.1}, "options", row, ""},
		{"bf16 rebuilt", Confirmation{Frames: 4, Margin: 0.1}, "rebuild", row, ""},
		{"bf16, none needed", Confirmation{Frames: 0, Margin: 0.25}, "setter",
			"<td>0 of 19 frames (0.0%) re-scored in fp32: every chunk whose bf16 call was within 0.25 of flipping</td>", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			opts := Options{Dir: dir, PlotTop: 1}
			if tc.via == "options" {
				opts.Confirmation = tc.conf
			}
			rr, err := NewRunReport(opts)
			if err != nil {
				t.Fatal(err)
			}
			synthRecords(t, rr)
			if tc.via == "setter" {
				rr.SetConfirmation(tc.conf)
			}
			if err := rr.Finish(); err != nil {
				t.Fatal(err)
			}
			if rr.Summary().Frames != 19 {
				t.Fatalf("summary counts %d frames, want 19", rr.Summary().Frames)
			}
			if tc.via == "rebuild" {
				os.Remove(filepath.Join(dir, HTMLFile))
				if err := Rebuild(dir, Options{PlotTop: 1, Confirmation: tc.conf}); err != nil {
					t.Fatal(err)
				}
			}
			b, err := os.ReadFile(filepath.Join(dir, HTMLFile))
			if err != nil {
				t.Fatal(err)
			}
			html := string(b)
			if tc.want != "" && !strings.Contains(html, tc.want) {
				t.Errorf("report.html lacks %q", tc.want)
			}
			if tc.want == "" && strings.Contains(html, "fp32 confirmation") {
				t.Errorf("a run without confirmation has a confirmation row")
			}
			if tc.wantNot != "" && strings.Contains(html, tc.wantNot) {
				t.Errorf("report.html has %q", tc.wantNot)
			}
		})
	}
}

// TestConfirmationCheck: a recorded confirmation no run can have is refused with the
// reason.
func TestConfirmationCheck(t *testing.T) {
	for _, tc := range []struct {
		c     Confirmation
		total int
		want  string // "" : accepted
	}{
		{Confirmation{}, 10, ""},
		{Confirmation{Frames: 10, Margin: 0.1}, 10, ""},
		{Confirmation{Frames: 3, Margin: 0.1}, -1, ""},
		{Confirmation{Frames: 11, Margin: 0.1}, 10, "11 confirmed frames, the run has 10"},
		{Confirmation{Frames: -1, Margin: 0.1}, -1, "-1 confirmed frames"},
		{Confirmation{Frames: 2}, 10, "2 confirmed frames without a margin"},
		{Confirmation{Margin: -0.1}, 10, "margin -0.1 is not"},
		{Confirmation{Margin: math.NaN()}, 10, "margin NaN is not"},
		{Confirmation{Margin: math.Inf(1)}, 10, "margin +Inf is not"},
	} {
		err := tc.c.Check(tc.total)
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%+v of %d: %v, want %q", tc.c, tc.total, err, tc.want)
		}
	}
}
