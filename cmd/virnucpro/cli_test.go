package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// run executes the CLI in-process (a fresh command tree) and returns the error.
func run(t *testing.T, args ...string) error {
	t.Helper()
	_, err := runOut(t, args...)
	return err
}

func TestChunkTranslateThreadsAreDeterministic(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join("..", "..", "testdata", "virnucpro_e2e_tiny", "input_sequence.fasta")
	var outs [][]byte
	for _, threads := range []string{"1", "2", "7"} {
		c := filepath.Join(dir, "c"+threads+".fa")
		n := filepath.Join(dir, "n"+threads+".fa")
		p := filepath.Join(dir, "p"+threads+".faa")
		if err := run(t, "chunk", in, "--size", "300", "-o", c, "-j", threads); err != nil {
			t.Fatal(err)
		}
		if err := run(t, "translate", c, "--nucleotide", n, "--protein", p, "-j", threads); err != nil {
			t.Fatal(err)
		}
		var all []byte
		for _, f := range []string{c, n, p} {
			b, _ := os.ReadFile(f)
			all = append(all, b...)
		}
		outs = append(outs, all)
	}
	want, _ := os.ReadFile(filepath.Join("..", "..", "testdata", "virnucpro_e2e_tiny", "L300", "input_sequence_chunked300.fa"))
	if !bytes.HasPrefix(outs[0], want) {
		t.Fatal("chunk output differs from the original's")
	}
	for i := range outs {
		if !bytes.Equal(outs[i], outs[0]) {
			t.Fatalf("thread count changed the output (run %d)", i)
		}
	}
}

func TestValidateAndBadInput(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(text), 0o644)
		return p
	}
	if err := run(t, "validate", write("ok.fa", ">a\nACGTN\r\n\n>b\nacgt\n")); err != nil {
		t.Fatalf("valid file: %v", err)
	}
	for name, text := range map[string]string{
		"dup.fa":   ">a\nACGT\n>a\nACGT\n",
		"empty.fa": ">a\n>b\nACGT\n",
		"x.fa":     ">a\nACXT\n",
		"none.fa":  "",
	} {
		if err := run(t, "validate", write(name, text)); err == nil {
			t.Errorf("%s: validate accepted it", name)
		}
	}
	// A failed chunk leaves no output behind.
	out := filepath.Join(dir, "out.fa")
	err := run(t, "chunk", write("bad.fa", ">a\nACGT\n>b\nAC!T\n"), "-o", out)
	if err == nil || !strings.Contains(err.Error(), `record "b"`) {
		t.Fatalf("got %v", err)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Fatal("a failed chunk left its output file")
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			t.Fatalf("temporary file %s left behind", e.Name())
		}
	}
}

// TestChunkTranslateSpilledRecords checks that records read back from disk one chunk at
// a time (longer than spillBases) give the same bytes as records held in memory, and
// that no spill file is left.
func TestChunkTranslateSpilledRecords(t *testing.T) {
	dir := t.TempDir()
	var in strings.Builder
	bases := "ACGTTGCAAGGCTTAACCGGTATGCATTAGC"
	for i, n := range []int{5003, 120, 7777, 1, 2600} {
		in.WriteString(">r" + strings.Repeat("x", i) + " desc\n")
		for j := 0; j < n; j++ {
			in.WriteByte(bases[(j*7+i)%len(bases)])
			if j%70 == 69 {
				in.WriteByte('\n')
			}
		}
		in.WriteByte('\n')
	}
	src := filepath.Join(dir, "in.fa")
	os.WriteFile(src, []byte(in.String()), 0o644)
	defer func(v int) { spillBases = v }(spillBases)
	outputs := map[int][]byte{}
	for _, spill := range []int{1 << 30, 1000} {
		spillBases = spill
		sub := filepath.Join(dir, strconv.Itoa(spill))
		os.Mkdir(sub, 0o755)
		c, n, p := filepath.Join(sub, "c.fa"), filepath.Join(sub, "n.fa"), filepath.Join(sub, "p.faa")
		if err := run(t, "chunk", src, "--size", "300", "-o", c, "-j", "2"); err != nil {
			t.Fatal(err)
		}
		if err := run(t, "translate", src, "--chunk-size", "300", "--nucleotide", n, "--protein", p, "-j", "2"); err != nil {
			t.Fatal(err)
		}
		for _, f := range []string{c, n, p} {
			b, _ := os.ReadFile(f)
			outputs[spill] = append(outputs[spill], b...)
		}
		if entries, _ := os.ReadDir(sub); len(entries) != 3 {
			t.Fatalf("spill %d: %d files in the output directory, want 3", spill, len(entries))
		}
	}
	if len(outputs[1000]) == 0 || !bytes.Equal(outputs[1000], outputs[1<<30]) {
		t.Fatal("spilled records gave other bytes than records in memory")
	}
}
