package main

import (
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/virnucpro/virnucpro/internal/testutil"
)

var mathPathRE = regexp.MustCompile(`"math": "[^"]*"`)

var updateGolden = flag.Bool("update-golden", false, "rewrite testdata/demo_expected from this build's outputs")

// demoModels are the README demo's model flags (the bundled tiny test models).
var demoModels = []string{"--esm", "testdata/esm2_tiny/esm2_t3_tiny_UR50D.pt", "--dnabert", "testdata/dnabert_tiny",
	"--classifier", "testdata/virnucpro_e2e_tiny/mlp/model.pth", "--chunk-size", "500"}

// TestDemoOutputsMatchExpected runs the README demo (plain, --keep-intermediate and
// one shard of two) from the repository root and compares every output file with
// testdata/demo_expected (written by the binary before the pipeline/predict split and
// checked byte-identical with it then; see testdata/PROVENANCE.md). Everything but
// the numbers must be identical; numbers agree within 1e-4, because the matrix
// kernels (OpenBLAS core types, the pure-Go GEMM) round differently. shard.json's
// absolute model paths are written as <repo>/, its math path as <math>. After an intended change of the
// outputs: go test ./cmd/virnucpro -run TestDemoOutputsMatchExpected -update-golden.
func TestDemoOutputsMatchExpected(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(root)
	out := t.TempDir()
	for _, c := range []struct {
		name  string
		extra []string
	}{
		{"demo", nil},
		{"keep", []string{"--keep-intermediate"}},
		{"shard1", []string{"--shard", "1/2"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := filepath.Join(out, c.name)
			args := append(append([]string{"predict", "demo/input.fasta"}, demoModels...), "-o", dir, "--no-progress")
			if _, err := runOut(t, append(args, c.extra...)...); err != nil {
				t.Fatal(err)
			}
			got := testutil.ReadTree(t, dir, ".virnucpro")
			if s, ok := got["shard.json"]; ok {
				s = strings.ReplaceAll(s, root+string(filepath.Separator), "<repo>/")
				// The math path names the machine's kernels (native on AVX2 CPUs, go elsewhere).
				got["shard.json"] = mathPathRE.ReplaceAllString(s, `"math": "<math>"`)
			}
			want := filepath.Join("testdata", "demo_expected", c.name)
			if *updateGolden {
				writeTree(t, want, got)
				return
			}
			testutil.SameTreeNumeric(t, testutil.ReadTree(t, want), got, 1e-4, "demo "+c.name)
		})
	}
}

// writeTree replaces dir with files.
func writeTree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	for name, data := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
