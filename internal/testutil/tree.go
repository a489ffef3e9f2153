package testutil

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// ReadTree reads every regular file under dir, keyed by slash-separated relative
// path, skipping the directories named in skip (e.g. ".virnucpro", the checkpoint).
// A report.html is read without its run metadata (StripMeta).
func ReadTree(t testing.TB, dir string, skip ...string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			for _, s := range skip {
				if d.Name() == s {
					return filepath.SkipDir
				}
			}
			return nil
		}
		if d.Type().IsRegular() {
			b, err := os.ReadFile(p)
			rel, _ := filepath.Rel(dir, p)
			if d.Name() == "report.html" { // its run metadata (date, command, runtime) differs by design
				b = []byte(StripMeta(string(b)))
			}
			files[filepath.ToSlash(rel)] = string(b)
			return err
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// SameTree fails t unless got holds exactly want's files with the same bytes; what
// says which comparison this is. An empty want is an error (nothing was compared).
func SameTree(t testing.TB, want, got map[string]string, what string) {
	t.Helper()
	if len(want) == 0 {
		t.Fatalf("%s: the reference holds no file", what)
	}
	for name, w := range want {
		g, ok := got[name]
		switch {
		case !ok:
			t.Errorf("%s: %s missing", what, name)
		case g != w:
			t.Errorf("%s: %s differs: %s", what, name, FirstDifference(w, g))
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("%s: unexpected file %s", what, name)
		}
	}
}

// FirstDifference describes the first line where got differs from want: its number
// and both versions (cut to 200 bytes), or which text is a prefix of the other.
func FirstDifference(want, got string) string {
	wl, gl := strings.SplitAfter(want, "\n"), strings.SplitAfter(got, "\n")
	for i := 0; i < len(wl) && i < len(gl); i++ {
		if wl[i] != gl[i] {
			return fmt.Sprintf("line %d:\n  want %q\n  got  %q", i+1, cut(wl[i]), cut(gl[i]))
		}
	}
	switch {
	case len(wl) > len(gl):
		return fmt.Sprintf("got ends after line %d; want continues with %q", len(gl), cut(wl[len(gl)]))
	case len(gl) > len(wl):
		return fmt.Sprintf("want ends after line %d; got continues with %q", len(wl), cut(gl[len(wl)]))
	}
	return "no difference"
}

func cut(s string) string {
	if len(s) > 200 {
		return s[:200] + "..."
	}
	return s
}

// MetaBegin and MetaEnd are report.MetaBegin and report.MetaEnd (report's tests
// import this package, so it cannot import report; TestMetaMarkers keeps them equal).
const (
	MetaBegin = "<!--run-meta-->"
	MetaEnd   = "<!--/run-meta-->"
)

// StripMeta removes the run metadata block (and the line end after it) from the text
// of a report.html.
func StripMeta(page string) string {
	i := strings.Index(page, MetaBegin)
	j := strings.Index(page, MetaEnd)
	if i < 0 || j < i {
		return page
	}
	return page[:i] + strings.TrimPrefix(page[j+len(MetaEnd):], "\n")
}
