package main

import (
	"os/exec"
	"strings"
	"testing"
)

// goList runs go list with args and returns its output lines.
func goList(t *testing.T, args ...string) []string {
	t.Helper()
	out, err := exec.Command("go", append([]string{"list"}, args...)...).Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	return strings.Fields(string(out))
}

// TestBinaryCarriesNoTestCode: no test-helper package is linked into virnucpro.
func TestBinaryCarriesNoTestCode(t *testing.T) {
	deps := goList(t, "-deps", ".")
	if len(deps) < 20 {
		t.Fatalf("go list -deps listed %d packages", len(deps))
	}
	for _, p := range deps {
		if strings.Contains(p, "/virnucpro/internal/") && (strings.Contains(p, "test") || strings.HasSuffix(p, "/testutil")) {
			t.Errorf("the binary links the test-helper package %s", p)
		}
	}
}

// TestOnlyTheRegistryNamesDrivers: the commands and the application and engine
// packages open backends through tensor.Open, never by importing a driver.
func TestOnlyTheRegistryNamesDrivers(t *testing.T) {
	const mod = "github.com/virnucpro/virnucpro/"
	for _, pkg := range []string{".", mod + "internal/pipeline", mod + "internal/predict", mod + "internal/train", mod + "internal/merge"} {
		imports := goList(t, "-f", "{{join .Imports \" \"}}", pkg)
		for _, imp := range imports {
			if strings.HasSuffix(imp, "internal/tensor/cpu") || strings.HasSuffix(imp, "internal/tensor/cuda") {
				t.Errorf("%s imports %s; open backends with tensor.Open", pkg, imp)
			}
		}
	}
}
