package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/virnucpro/virnucpro/internal/seqout"
)

var tdIO = filepath.Join("..", "..", "testdata")

// tinyModelFlags are the bundled tiny test models.
func tinyModelFlags() []string {
	return []string{"--esm", filepath.Join(tdIO, "esm2_tiny", "esm2_t3_tiny_UR50D.pt"), "--dnabert", filepath.Join(tdIO, "dnabert_tiny"),
		"--classifier", filepath.Join(tdIO, "virnucpro_e2e_tiny", "mlp", "model.pth"), "--no-progress", "-q"}
}

// captureStderr runs f with os.Stderr sent to a file and returns what was written.
func captureStderr(t *testing.T, f func()) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "stderr")
	w, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	old := os.Stderr
	os.Stderr = w
	defer func() { os.Stderr = old }()
	f()
	w.Close()
	b, _ := os.ReadFile(p)
	return string(b)
}

func TestVersionIsBare(t *testing.T) {
	out, err := runOut(t, "--version")
	if err != nil || out != version+"\n" {
		t.Fatalf("--version printed %q (%v), want %q", out, err, version+"\n")
	}
}

// TestChunkFlagsAndStdout: --chunk-size is chunk's flag (--size still parses), -o -
// writes to standard output, several inputs are one stream, and a size that is not
// positive is refused naming the flag and the range, leaving no file.
func TestChunkFlagsAndStdout(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(tdIO, "virnucpro_e2e_tiny", "input_sequence.fasta")
	a, b := filepath.Join(dir, "a.fa"), filepath.Join(dir, "b.fa")
	if err := run(t, "chunk", in, "--chunk-size", "300", "-o", a); err != nil {
		t.Fatal(err)
	}
	if err := run(t, "chunk", in, "--size", "300", "-o", b); err != nil {
		t.Fatal(err)
	}
	fa, _ := os.ReadFile(a)
	fb, _ := os.ReadFile(b)
	stdout, err := runOut(t, "chunk", in, "--chunk-size", "300", "-o", "-")
	if err != nil || len(fa) == 0 || !bytes.Equal(fa, fb) || stdout != string(fa) {
		t.Fatalf("--chunk-size, --size and -o - disagree (%v)", err)
	}
	data, _ := os.ReadFile(in)
	half := bytes.Index(data[len(data)/2:], []byte("\n>")) + len(data)/2 + 1
	p1, p2 := filepath.Join(dir, "p1.fa"), filepath.Join(dir, "p2.fa")
	os.WriteFile(p1, data[:half], 0o644)
	os.WriteFile(p2, data[half:], 0o644)
	if two, err := runOut(t, "chunk", p1, p2, "--chunk-size", "300", "-o", "-"); err != nil || two != string(fa) {
		t.Fatalf("two inputs differ from their concatenation (%v)", err)
	}
	for _, size := range []string{"0", "-5"} {
		out := filepath.Join(dir, "bad"+size+".fa")
		err := run(t, "chunk", in, "--size", size, "-o", out)
		if err == nil || !strings.Contains(err.Error(), "--chunk-size "+size+": must be a positive number of bp") {
			t.Errorf("--size %s: %v", size, err)
		}
		if _, err := os.Stat(out); !os.IsNotExist(err) {
			t.Errorf("--size %s left a file", size)
		}
	}
}

// TestErrorsSpeakTheUsersLanguage: the error texts of the issue.
func TestErrorsSpeakTheUsersLanguage(t *testing.T) {
	dir := t.TempDir()
	prot := filepath.Join(dir, "prot.fa")
	os.WriteFile(prot, []byte(">p1\nMKTLLVAGLLEEQPF\n"), 0o644)
	good := filepath.Join(tdIO, "virnucpro_e2e_tiny", "input_sequence.fasta")
	for _, tc := range []struct {
		name string
		env  string
		args []string
		want string
	}{
		{"threads env", "abc", []string{"chunk", good, "-o", filepath.Join(dir, "x.fa")}, `VIRNUCPRO_THREADS="abc": want a whole number`},
		{"threads flag", "", []string{"chunk", good, "-o", filepath.Join(dir, "x.fa"), "--threads", "abc"}, `--threads "abc": want a whole number`},
		{"directory input", "", append([]string{"predict", dir, "-o", filepath.Join(dir, "o1")}, tinyModelFlags()...), dir + ": is a directory, not a sequence file"},
		{"protein input", "", []string{"chunk", prot, "-o", filepath.Join(dir, "x.fa")}, "looks like protein"},
		{"protein predict", "", append([]string{"predict", prot, "-o", filepath.Join(dir, "o2"), "--no-checkpoint"}, tinyModelFlags()...), "looks like protein"},
		{"esm given dnabert", "", append(append([]string{"predict", good, "-o", filepath.Join(dir, "o3")}, tinyModelFlags()...), "--esm", filepath.Join(tdIO, "dnabert_tiny")),
			"holds DNABERT-S weights"},
		{"min-tier", "", append([]string{"predict", good, "-o", filepath.Join(dir, "o4"), "--min-tier", "best"}, tinyModelFlags()...), `minimum tier "best": must be one of`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.env != "" {
				t.Setenv("VIRNUCPRO_THREADS", tc.env)
			}
			err := run(t, tc.args...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
			for _, leak := range []string{"strconv", "hash ", "*fasta.", "embed_tokens", "ParseInt"} {
				if strings.Contains(err.Error(), leak) {
					t.Fatalf("error %q leaks %q", err, leak)
				}
			}
		})
	}
}

// TestPredictNumbersCheckedFirst: --chunk-size 0 is refused naming the flag and the
// range, before any warning about 300/500 bp.
func TestPredictNumbersCheckedFirst(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(tdIO, "virnucpro_e2e_tiny", "input_sequence.fasta")
	for _, bad := range [][]string{{"--chunk-size", "0"}, {"--chunk-size", "-3"}, {"--window", "0"}, {"--workers", "-1"}} {
		var err error
		stderr := captureStderr(t, func() {
			err = run(t, append(append([]string{"predict", in, "-o", filepath.Join(dir, "o")}, tinyModelFlags()...), bad...)...)
		})
		if err == nil || !strings.Contains(err.Error(), bad[0]+" "+bad[1]+": must be") {
			t.Errorf("%v: %v", bad, err)
		}
		if strings.Contains(stderr, "WARN") {
			t.Errorf("%v: a warning came before the error:\n%s", bad, stderr)
		}
	}
}

// TestReleasedClassifierMustMatchChunkSize poses the tiny classifier as the released
// 500 bp one: --chunk-size 300 is refused naming both, --force runs it.
func TestReleasedClassifierMustMatchChunkSize(t *testing.T) {
	clf, _ := filepath.Abs(filepath.Join(tdIO, "virnucpro_e2e_tiny", "mlp", "model.pth"))
	old := releasedChunkSize
	releasedChunkSize = func(p string) (int, bool, error) {
		if abs, _ := filepath.Abs(p); abs == clf {
			return 500, true, nil
		}
		return old(p)
	}
	defer func() { releasedChunkSize = old }()
	dir := t.TempDir()
	in := filepath.Join(tdIO, "virnucpro_e2e_tiny", "input_sequence.fasta")
	args := append([]string{"predict", in, "--chunk-size", "300", "--no-checkpoint"}, tinyModelFlags()...)
	err := run(t, append(args, "-o", filepath.Join(dir, "a"))...)
	if err == nil || !strings.Contains(err.Error(), "released 500 bp classifier but --chunk-size is 300") || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("got %v", err)
	}
	if err := run(t, append(args, "-o", filepath.Join(dir, "b"), "--force")...); err != nil {
		t.Fatalf("--force: %v", err)
	}
	if err := run(t, "predict", in, "--chunk-size", "500", "--no-checkpoint", "-o", filepath.Join(dir, "c"), "--esm", filepath.Join(tdIO, "esm2_tiny", "esm2_t3_tiny_UR50D.pt"),
		"--dnabert", filepath.Join(tdIO, "dnabert_tiny"), "--classifier", clf, "-q", "--no-progress"); err != nil {
		t.Fatalf("matching size: %v", err)
	}
}

// TestPredictStdinAndEmbedPositional: predict - reads standard input (spooled for the
// sequence outputs) like the file; embed takes its input as an argument or with -i.
func TestPredictStdinAndEmbedPositional(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(tdIO, "virnucpro_e2e_tiny", "input_sequence.fasta")
	if err := run(t, append([]string{"predict", in, "-o", filepath.Join(dir, "file"), "--no-checkpoint", "--sample", "s"}, tinyModelFlags()...)...); err != nil {
		t.Fatal(err)
	}
	f, _ := os.Open(in)
	old := os.Stdin
	os.Stdin = f
	err := run(t, append([]string{"predict", "-", "-o", filepath.Join(dir, "stdin"), "--no-checkpoint", "--sample", "s"}, tinyModelFlags()...)...)
	os.Stdin = old
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{seqout.ViralFile, seqout.RegionsFile, "sequences.tsv", "virnucpro_mqc.tsv"} {
		a, _ := os.ReadFile(filepath.Join(dir, "file", name))
		b, errB := os.ReadFile(filepath.Join(dir, "stdin", name))
		if errB != nil || !bytes.Equal(a, b) {
			t.Errorf("%s: stdin run differs (%v)", name, errB)
		}
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "stdin", ".stdin-spool-*")); len(left) > 0 {
		t.Errorf("spool left behind: %v", left)
	}

	dna := filepath.Join(tdIO, "dnabert_tiny", "dna.fasta")
	outs := []string{filepath.Join(dir, "pos.safetensors"), filepath.Join(dir, "i.safetensors")}
	if err := run(t, "embed", "dnabert", dna, "--weights", filepath.Join(tdIO, "dnabert_tiny"), "-o", outs[0]); err != nil {
		t.Fatal(err)
	}
	if err := run(t, "embed", "dnabert", "-i", dna, "--weights", filepath.Join(tdIO, "dnabert_tiny"), "-o", outs[1]); err != nil {
		t.Fatal(err)
	}
	a, _ := os.ReadFile(outs[0])
	b, _ := os.ReadFile(outs[1])
	if len(a) == 0 || !bytes.Equal(a, b) {
		t.Fatal("embed: the positional input and -i differ")
	}
	stdout, err := runOut(t, "embed", "dnabert", dna, "--weights", filepath.Join(tdIO, "dnabert_tiny"), "-o", "-")
	if err != nil || stdout != string(a) {
		t.Fatalf("embed -o - differs from the file (%v)", err)
	}
	tmpl, err := runOut(t, "config", "init", "-")
	if err != nil || !strings.Contains(tmpl, "chunk-size") {
		t.Fatalf("config init -: %v\n%s", err, tmpl)
	}
	if _, err := os.Stat("-"); err == nil {
		t.Fatal("config init - wrote a file named -")
	}
}

// TestReportRefreshesSequenceOutputs: report with other thresholds rewrites the MultiQC
// files (same sample) and, given the input, viral.fna; without it, removes the stale one.
func TestReportRefreshesSequenceOutputs(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(tdIO, "virnucpro_e2e_tiny", "input_sequence.fasta")
	out := filepath.Join(dir, "run")
	if err := run(t, append([]string{"predict", in, "-o", out, "--no-checkpoint", "--chunk-size", "300"}, tinyModelFlags()...)...); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(filepath.Join(out, seqout.ViralFile))
	// Every record with a positive weighted delta becomes Viral.
	if err := run(t, "report", out, "--call-delta", "0", "--input", in, "-q"); err != nil {
		t.Fatal(err)
	}
	after, _ := os.ReadFile(filepath.Join(out, seqout.ViralFile))
	if bytes.Count(after, []byte(">")) <= bytes.Count(before, []byte(">")) {
		t.Fatalf("viral.fna did not follow the new calls: %d then %d records", bytes.Count(before, []byte(">")), bytes.Count(after, []byte(">")))
	}
	tsv, _ := os.ReadFile(filepath.Join(out, "virnucpro_mqc.tsv"))
	if !strings.Contains(string(tsv), "\ninput_sequence\t") {
		t.Fatalf("the MultiQC sample changed:\n%s", tsv)
	}
	if err := run(t, "report", out, "-q"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(out, seqout.ViralFile)); !os.IsNotExist(err) {
		t.Fatal("a viral.fna of the old calls was left")
	}
}
