package filehash

import (
	"os"
	"path/filepath"
	"testing"
)

func TestFiles(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a")
	if err := os.WriteFile(a, []byte("abc"), 0o644); err != nil {
		t.Fatal(err)
	}
	ids, err := Files([]string{a})
	if err != nil {
		t.Fatal(err)
	}
	want := Identity{Path: a, Size: 3, SHA256: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"}
	if len(ids) != 1 || ids[0] != want {
		t.Fatalf("got %+v, want %+v", ids, want)
	}
	if _, err := Files([]string{filepath.Join(dir, "missing")}); err == nil {
		t.Fatal("a missing file hashed")
	}
}
