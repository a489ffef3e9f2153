package fasta

import (
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// TestInputSHA256 is the digest of the raw file as read (compressed bytes for a .gz),
// reported whole only once the reader reached the end.
func TestInputSHA256(t *testing.T) {
	dir := t.TempDir()
	plain := filepath.Join(dir, "a.fa")
	os.WriteFile(plain, []byte(">a\nACGT\n>b\nGGCC\n"), 0o644)
	gz := filepath.Join(dir, "a.fa.gz")
	f, _ := os.Create(gz)
	zw := gzip.NewWriter(f)
	zw.Write([]byte(">a\nACGT\n>b\nGGCC\n"))
	zw.Close()
	f.Close()
	for _, path := range []string{plain, gz} {
		data, _ := os.ReadFile(path)
		sum := sha256.Sum256(data)
		r, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		for {
			if _, err := r.Next(); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				t.Fatal(err)
			}
		}
		got, whole := r.InputSHA256()
		if !whole || got != hex.EncodeToString(sum[:]) {
			t.Errorf("%s: %s %v, want %x", path, got, whole, sum)
		}
		r.Close()
	}
}
