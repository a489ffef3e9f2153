package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// buildVirnucpro builds ./cmd/virnucpro with CGO_ENABLED=0, the given tags and the
// version embedded the way scripts/release.sh embeds it.
func buildVirnucpro(t *testing.T, tags, ver string) string {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command to build the binary with")
	}
	bin := filepath.Join(t.TempDir(), "virnucpro")
	cmd := exec.Command("go", "build", "-tags", tags, "-ldflags", "-X main.version="+ver, "-o", bin, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build -tags %q: %v\n%s", tags, err, out)
	}
	return bin
}

// TestStaticBuild checks the README's static build: `file` calls it statically
// linked, the version embedded with -ldflags is what --version prints, and asking it
// for CUDA or OpenBLAS says that they are not in the static build.
func TestStaticBuild(t *testing.T) {
	bin := buildVirnucpro(t, "static", "9.8.7-test")
	deps, err := exec.Command("go", "list", "-tags", "static", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, deps)
	}
	if strings.Contains(string(deps), "github.com/ebitengine/purego") {
		t.Fatal("the static build still compiles in purego (the run-time loader)")
	}
	if _, err := exec.LookPath("file"); err != nil {
		t.Log("`file` is not installed (Debian package file): the statically-linked check is skipped")
	} else {
		out, err := exec.Command("file", "-L", bin).CombinedOutput()
		if err != nil {
			t.Fatalf("file: %v\n%s", err, out)
		}
		if !strings.Contains(string(out), "statically linked") {
			t.Fatalf("the static build is not statically linked: %s", out)
		}
	}
	runBin := func(args ...string) (string, error) {
		out, err := exec.Command(bin, args...).CombinedOutput()
		return string(out), err
	}
	if out, err := runBin("--version"); err != nil || out != "9.8.7-test\n" {
		t.Fatalf("--version: %q, %v; want the embedded version alone", out, err)
	}
	if out, err := runBin("devices"); err != nil || !strings.Contains(out, "not in the static build") {
		t.Fatalf("devices: %q, %v; want the static build named as the reason", out, err)
	}
	in := filepath.Join("..", "..", "demo", "input.fasta")
	models := []string{"--esm", filepath.Join("..", "..", "testdata", "esm2_tiny", "esm2_t3_tiny_UR50D.pt"),
		"--dnabert", filepath.Join("..", "..", "testdata", "dnabert_tiny"),
		"--classifier", filepath.Join("..", "..", "testdata", "virnucpro_e2e_tiny", "mlp", "model.pth")}
	for _, flag := range [][]string{{"--blas", "openblas"}, {"--device", "cuda"}} {
		args := append([]string{"predict", in, "-o", filepath.Join(t.TempDir(), "out"), "--no-progress", "-q"}, models...)
		out, err := runBin(append(args, flag...)...)
		if err == nil || !strings.Contains(out, "not in the static build") {
			t.Errorf("predict %s: %v, %q; want a failure naming the static build", strings.Join(flag, " "), err, out)
		}
	}
}

// TestDefaultBuildNeedsAnyGlibc checks the README's claim about the default build
// (CGO_ENABLED=0, loads CUDA and OpenBLAS at run time): it is dynamically linked
// against libc, libdl and libpthread but asks for no versioned glibc symbol, so any
// glibc Linux runs it.
func TestDefaultBuildNeedsAnyGlibc(t *testing.T) {
	if _, err := exec.LookPath("objdump"); err != nil {
		t.Skip("objdump is not installed (Debian package binutils)")
	}
	bin := buildVirnucpro(t, "", "0.0.0-test")
	out, err := exec.Command("objdump", "-T", bin).CombinedOutput()
	if err != nil {
		t.Skipf("objdump -T cannot read this binary (not ELF here?): %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "dlopen") {
		t.Fatalf("the default build does not import dlopen: is it still the dynamic one?\n%s", out)
	}
	if strings.Contains(string(out), "GLIBC_") {
		t.Fatalf("the default build needs versioned glibc symbols:\n%s", out)
	}
}
