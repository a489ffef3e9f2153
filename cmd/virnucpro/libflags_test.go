package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// libraryFlagError finds an error built in a library with a flag's spelling in its
// text (fmt.Errorf or errors.New with "--name" inside the literal).
var libraryFlagError = regexp.MustCompile(`(?:Errorf|errors\.New)\("[^"]*--[a-z][a-z-]*`)

// TestLibrariesNameNoFlags: the packages under internal/ describe problems in words
// and sentinels; only cmd/virnucpro (advice.go) names the flags that fix them, so a
// library used by another front end never tells its user about our command line.
func TestLibrariesNameNoFlags(t *testing.T) {
	root := filepath.Join("..", "..", "internal")
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for i, line := range strings.Split(string(b), "\n") {
			if m := libraryFlagError.FindString(line); m != "" {
				t.Errorf("%s:%d: a library error names a flag: %s", path, i+1, m)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
