package atomicfile

import (
	"os"
	"path/filepath"
	"testing"
)

func TestCommitAndAbort(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "out.txt")
	f, err := Create(p)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("hello")
	if _, err := os.Stat(p); !os.IsNotExist(err) {
		t.Fatal("final name visible before commit")
	}
	if err := f.Commit(); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(p); string(b) != "hello" {
		t.Fatalf("got %q", b)
	}
	if err := f.Commit(); err == nil {
		t.Fatal("second commit must fail")
	}

	g, err := Create(filepath.Join(dir, "aborted.txt"))
	if err != nil {
		t.Fatal(err)
	}
	g.WriteString("partial")
	g.Abort()
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 || entries[0].Name() != "out.txt" {
		t.Fatalf("leftovers after abort: %v", entries)
	}
	if err := WriteFile(filepath.Join(dir, "w.txt"), []byte("x")); err != nil {
		t.Fatal(err)
	}
	if _, err := Create(filepath.Join(dir, "missing", "x")); err == nil {
		t.Fatal("want an error for a missing directory")
	}
}
