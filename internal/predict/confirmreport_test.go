package predict

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/virnucpro/virnucpro/internal/checkpoint"
	"github.com/virnucpro/virnucpro/internal/mqc"
	"github.com/virnucpro/virnucpro/internal/report"
)

// TestConfirmationInEveryOutput: a bf16 run that confirms its near ties in fp32 shows
// how many frames it re-scored and at which margin in report.html, the MultiQC table
// and (a --shard run) shard.json, all agreeing with the run's count; an fp32 run and
// a bf16 run with margin 0 show it nowhere (no "0 confirmed" where none ran).
func TestConfirmationInEveryOutput(t *testing.T) {
	in := filepath.Join(td, "virnucpro_e2e_tiny", "input_sequence.fasta")
	for _, tc := range []struct {
		name   string
		bf16   bool
		margin float64
	}{
		{"fp32", false, 0},
		{"bf16 confirmed", true, DefaultBF16ConfirmMargin},
		{"bf16 margin 0", true, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := t.TempDir()
			o := predictOpts(in, out, 300)
			if tc.bf16 {
				o = bf16Opts(t, in, out, 300)
				o.ModelOptions.ConfirmMargin = tc.margin
			}
			o.Shard = ShardSpec{Index: 0, Count: 1}
			o.ShardIdentity = &checkpoint.Identity{Tool: "test", Options: map[string]string{"shard": "0/1"}}
			st, err := Predict(context.Background(), o)
			if err != nil {
				t.Fatal(err)
			}
			ran := tc.margin > 0
			if ran && (st.Confirmed == 0 || st.Confirmed == st.Frames) {
				t.Fatalf("%d of %d frames confirmed: the test would not tell the count from the frames", st.Confirmed, st.Frames)
			}
			html := string(mustRead(t, filepath.Join(out, report.HTMLFile)))
			row := fmt.Sprintf("<td>%d of %d frames (%.1f%%) re-scored in fp32: every chunk whose bf16 call was within 0.1 of flipping</td>",
				st.Confirmed, st.Frames, 100*float64(st.Confirmed)/float64(st.Frames))
			if ran != strings.Contains(html, row) || !ran && strings.Contains(html, "fp32 confirmation") {
				t.Errorf("confirmation ran: %v, but report.html's confirmation row (%q) is present: %v", ran, row, strings.Contains(html, "fp32 confirmation"))
			}
			yaml := string(mustRead(t, filepath.Join(out, mqc.YAMLFile)))
			fields := fmt.Sprintf("    fp32_confirmed_frames: %d\n    bf16_confirm_margin: 0.1\n", st.Confirmed)
			if ran != strings.Contains(yaml, fields) || !ran && strings.Contains(yaml, "confirm") {
				t.Errorf("confirmation ran: %v; %s:\n%s", ran, mqc.YAMLFile, yaml)
			}
			res, err := ReadShardResult(out)
			if err != nil {
				t.Fatal(err)
			}
			want := &report.Confirmation{Frames: st.Confirmed, Margin: DefaultBF16ConfirmMargin}
			if !ran {
				want = nil
			}
			if fmt.Sprint(res.Confirmation) != fmt.Sprint(want) {
				t.Errorf("shard.json's confirmation %+v, want %+v", res.Confirmation, want)
			}
			raw := string(mustRead(t, filepath.Join(out, ShardResultFile)))
			if ran != strings.Contains(raw, fmt.Sprintf("\"confirmation\": {\n    \"frames\": %d,\n    \"margin\": 0.1\n  }", st.Confirmed)) ||
				!ran && strings.Contains(raw, "confirmation") {
				t.Errorf("confirmation ran: %v; %s:\n%s", ran, ShardResultFile, raw)
			}
		})
	}
}

// TestShardResultRefusesADamagedConfirmation: shard.json whose confirmation no run can
// have is refused naming the file and the field.
func TestShardResultRefusesADamagedConfirmation(t *testing.T) {
	dir := t.TempDir()
	id := checkpoint.Identity{Tool: "test"}
	for _, tc := range []struct {
		conf *report.Confirmation
		want string
	}{
		{nil, ""},
		{&report.Confirmation{Frames: 5, Margin: 0.1}, ""},
		{&report.Confirmation{Frames: 6, Margin: 0.1}, "confirmation: 6 confirmed frames, the run has 5"},
		{&report.Confirmation{Frames: 1}, "confirmation: 1 confirmed frames without a margin"},
		{&report.Confirmation{Frames: 1, Margin: -1}, "confirmation: margin -1 is not"},
	} {
		r := ShardResult{Shard: ShardCoord{Index: 0, Count: 1}, InputRecords: 2, Records: 2, Chunks: 3, Frames: 5,
			Identity: id, Confirmation: tc.conf}
		if err := writeShardResult(dir, r); err != nil {
			t.Fatal(err)
		}
		_, err := ReadShardResult(dir)
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), ShardResultFile)) {
			t.Errorf("%+v: %v, want %q", tc.conf, err, tc.want)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(dir, ShardResultFile)); len(b) == 0 {
		t.Fatal("no shard.json written")
	}
}
