package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/virnucpro/virnucpro/internal/readlabel"
	"github.com/virnucpro/virnucpro/internal/report"
)

// TestReadsCommand: report writes contigs.tsv from a hand-made chunks.tsv, reads labels
// SAM alignments against it.
func TestReadsCommand(t *testing.T) {
	dir := t.TempDir()
	var chunks strings.Builder
	chunks.WriteString(report.ChunksHeader)
	for i := range 5 {
		chunks.WriteString("c1\t" + strconv.Itoa(i+1) + "\t" + strconv.Itoa(i*300+1) + "\t" + strconv.Itoa(i*300+300) + "\t1\t0.05\t0.95\tviral\n")
	}
	for i := range 5 {
		chunks.WriteString("c2\t" + strconv.Itoa(i+1) + "\t" + strconv.Itoa(i*300+1) + "\t" + strconv.Itoa(i*300+300) + "\t1\t0.9\t0.1\tnon_viral\n")
	}
	if err := os.WriteFile(filepath.Join(dir, report.ChunksFile), []byte(chunks.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := run(t, "report", dir, "--min-chunks", "5", "--min-weighted-delta", "0.3", "--high-fraction", "0.1"); err != nil {
		t.Fatal(err)
	}
	aln := filepath.Join(dir, "aln.sam")
	rec := func(name, flag, ref, tags string) string {
		return name + "\t" + flag + "\t" + ref + "\t1\t60\t100M\t*\t0\t0\t" + strings.Repeat("A", 100) + "\t*\t" + tags + "\n"
	}
	sam := "@SQ\tSN:c1\tLN:1500\n@SQ\tSN:c2\tLN:1500\n@SQ\tSN:c3\tLN:900\n" +
		rec("r1", "0", "c1", "NM:i:0") + rec("r2", "16", "c2", "NM:i:3") + rec("r3", "0", "c3", "NM:i:0") +
		rec("r4", "65", "c1", "NM:i:0") + rec("r4", "129", "c2", "NM:i:0")
	if err := os.WriteFile(aln, []byte(sam), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "reads.tsv")
	if err := run(t, "reads", aln, "--results", dir, "-o", out); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(out)
	want := readlabel.Header +
		"r1\t100\tc1\t1500\t+\t60\t100.0\t100.0\ttrue\tViral\thigh_confidence\t0.9\t5\t5\t0\t0\t1.0\t0.0\n" +
		"r2\t100\tc2\t1500\t-\t60\t97.0\t100.0\ttrue\tNon-viral\thigh_confidence\t-0.8\t5\t0\t5\t0\t0.0\t1.0\n" +
		"r3\t100\tc3\t900\t+\t60\t100.0\t100.0\ttrue\tUnclassified\t\"\"\t0.0\t0\t0\t0\t0\t0.0\t0.0\n" +
		"r4\t100\tc1\t1500\t+\t60\t100.0\t100.0\ttrue\tMulti-mapped\treview\t0.9\t5\t5\t0\t0\t1.0\t0.0\n"
	if string(got) != want {
		t.Errorf("reads.tsv:\n%s\nwant\n%s", got, want)
	}
	// --contigs takes the table directly; errors name the problem and leave no file.
	bad := filepath.Join(dir, "bad.tsv")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"reads", aln, "--results", dir}, "--output/-o is required"},
		{[]string{"reads", aln, "--results", dir, "--contigs", filepath.Join(dir, report.ContigsFile), "-o", bad}, "one of --results"},
		{[]string{"reads", aln, "--contigs", filepath.Join(dir, report.ContigsFile), "-o", bad, "--min-identity", "0.9"}, "percent units"},
		{[]string{"reads", aln, "--contigs", filepath.Join(dir, "none.tsv"), "-o", bad, "--min-identity", "90"}, "none.tsv"},
		{[]string{"reads", aln, "--results", t.TempDir(), "-o", bad}, "virnucpro report"},
		{[]string{"reads", aln, "--contigs", filepath.Join(dir, report.ContigsFile), "-o", bad, "--format", "cram"}, "want auto, bam, sam or paf"},
	} {
		err := run(t, tc.args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v, want %q", tc.args, err, tc.want)
		}
	}
	os.WriteFile(aln, []byte(sam+rec("r5", "0", "c1", "AS:i:1")), 0o644)
	if err := run(t, "reads", aln, "--results", dir, "-o", bad); err == nil || !strings.Contains(err.Error(), `(read "r5"): no NM tag`) {
		t.Errorf("missing NM: %v", err)
	}
	if _, err := os.Stat(bad); err == nil {
		t.Error("a failed run left its output")
	}
}

// TestReadsStdinStdout: ALIGNMENTS - reads stdin (here PAF), -o - writes stdout.
func TestReadsStdinStdout(t *testing.T) {
	dir := t.TempDir()
	contigs := filepath.Join(dir, "contigs.tsv")
	os.WriteFile(contigs, []byte(report.ContigsHeader+"c1\tViral\tmoderate_confidence\t0.5\t5\t1\t0\t0\t0.2\t0.0\n"), 0o644)
	in := filepath.Join(dir, "aln.paf")
	os.WriteFile(in, []byte("r1\t150\t0\t120\t-\tc1\t900\t10\t130\t117\t120\t4\ttp:A:P\n"), 0o644)
	stdin, _ := os.Open(in)
	defer stdin.Close()
	stdout, _ := os.Create(filepath.Join(dir, "stdout"))
	oldIn, oldOut := os.Stdin, os.Stdout
	os.Stdin, os.Stdout = stdin, stdout
	err := run(t, "reads", "-", "--contigs", contigs, "-o", "-")
	os.Stdin, os.Stdout = oldIn, oldOut
	stdout.Close()
	if err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(filepath.Join(dir, "stdout"))
	if want := readlabel.Header + "r1\t150\tc1\t900\t-\t4\t97.5\t80.0\tfalse\tViral\tmoderate_confidence\t0.5\t5\t1\t0\t0\t0.2\t0.0\n"; string(got) != want {
		t.Errorf("stdout %q, want %q", got, want)
	}
}
