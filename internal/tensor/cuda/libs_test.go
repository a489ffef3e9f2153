package cuda

import (
	"path/filepath"
	"slices"
	"testing"
)

// TestSearchDirsOrder checks where the CUDA libraries are looked for, most specific
// first: the override variable, the toolkit variables, then the conda environment
// (conda-forge's libcublas and cuda-nvrtc, as the bioconda package documents).
func TestSearchDirsOrder(t *testing.T) {
	t.Setenv(LibPathEnv, "/override/a"+string(filepath.ListSeparator)+"/override/b")
	t.Setenv("CUDA_HOME", "/toolkit")
	t.Setenv("CUDA_PATH", "")
	t.Setenv("CONDA_PREFIX", "/conda/env")
	dirs := searchDirs()
	want := []string{"/override/a", "/override/b", "/toolkit/lib64", "/toolkit/lib", "/conda/env/lib", "/usr/local/cuda/lib64"}
	if len(dirs) < len(want) || !slices.Equal(dirs[:len(want)], want) {
		t.Fatalf("search order %v, want it to start with %v", dirs, want)
	}
}
