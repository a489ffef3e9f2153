package store

import (
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
)

// ErrNotModel marks a file whose content is plainly not a model (an HTML page: a
// login, error or "file moved" page served with status 200).
var ErrNotModel = errors.New("not a model file")

// GitBlobSHA1 is the git blob id of a file's content: SHA-1 over "blob <size>\x00"
// followed by the content, as `git hash-object` computes it.
func GitBlobSHA1(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return "", err
	}
	h := sha1.New()
	h.Write([]byte("blob " + strconv.FormatInt(st.Size(), 10) + "\x00"))
	n, err := io.Copy(h, f)
	if err != nil {
		return "", err
	}
	if n != st.Size() {
		return "", fmt.Errorf("%s changed while it was hashed", path)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// checkBlob compares a file with its pinned git blob id ("" = nothing to check).
func checkBlob(path, want string) error {
	if want == "" {
		return nil
	}
	got, err := GitBlobSHA1(path)
	if err != nil {
		return err
	}
	if got != want {
		return fmt.Errorf("%w: git blob sha1 %s, the upstream repository's tree says %s", ErrDigest, got, want)
	}
	return nil
}

// refuseHTML fails when a file starts like an HTML page: no model file virnucpro
// downloads (a zip, a JSON file) ever does.
func refuseHTML(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	head := make([]byte, 512)
	n, _ := io.ReadFull(f, head)
	if looksHTML(head[:n]) {
		return fmt.Errorf("%w: the server sent an HTML page (a login, error or moved page?), not the file", ErrNotModel)
	}
	return nil
}

// looksHTML reports whether b begins, after white space and a byte-order mark, with
// an HTML doctype or tag.
func looksHTML(b []byte) bool {
	b = bytes.TrimLeft(bytes.TrimPrefix(b, []byte("\xef\xbb\xbf")), " \t\r\n")
	lower := bytes.ToLower(b[:min(len(b), 16)])
	return bytes.HasPrefix(lower, []byte("<!doctype html")) || bytes.HasPrefix(lower, []byte("<html")) ||
		bytes.HasPrefix(lower, []byte("<head")) || bytes.HasPrefix(lower, []byte("<!--"))
}
