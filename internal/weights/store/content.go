package store

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
)

// ErrNotModel marks a file whose content is plainly not a model (an HTML page: a
// login, error or "file moved" page served with status 200).
var ErrNotModel = errors.New("not a model file")

// checkBlob compares a file with its pinned git blob id ("" = nothing to check).
func checkBlob(path, want string) error {
	if want == "" {
		return nil
	}
	got, err := GitBlobID(path)
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
