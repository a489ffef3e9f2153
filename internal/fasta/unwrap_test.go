package fasta

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// TestEmptyInputIsErrEmpty: every way of reading an input without records ends in
// an *Error that names the file and unwraps to ErrEmpty.
func TestEmptyInputIsErrEmpty(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct{ name, text string }{
		{"empty.fa", ""},
		{"blank.fa", "\n\n"},
	} {
		p := filepath.Join(dir, c.name)
		if err := os.WriteFile(p, []byte(c.text), 0o644); err != nil {
			t.Fatal(err)
		}
		for _, open := range []struct {
			how string
			fn  func() (*Reader, error)
		}{
			{"Open", func() (*Reader, error) { return Open(p) }},
			{"OpenAll", func() (*Reader, error) { return OpenAll([]string{p}, Options{}) }},
		} {
			r, err := open.fn()
			if err == nil {
				_, err = r.Next()
				r.Close()
			}
			var fe *Error
			if !errors.Is(err, ErrEmpty) || !errors.As(err, &fe) || fe.File == "" || errors.Is(err, io.EOF) {
				t.Errorf("%s %s: got %v, want an *Error naming the file and wrapping ErrEmpty", open.how, c.name, err)
			}
		}
	}
	if errors.Is(&Error{File: "x", Msg: "bad letter"}, ErrEmpty) {
		t.Error("an unrelated *Error is ErrEmpty")
	}
}
