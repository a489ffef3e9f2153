package store

import (
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"io"
	"os"
)

// releasedClassifierBlobs maps the git blob ids (SHA-1 over "blob <size>\x00" + content)
// of VirNucPro's released classifiers to their chunk size. Read from the upstream
// repository's tree (`git ls-tree -l HEAD` of github.com/Li-Jing-1997/VirNucPro, which the
// Broad's fork carries unchanged); issue 16 lists the same ids.
var releasedClassifierBlobs = map[string]int{
	"a0b5b85e7c1e44f00cde146d091beb82b2c8e855": 300, // 300_model.pth
	"fc35d5ef9f1f4564eea7036f34f4f8ec6000d33d": 500, // 500_model.pth
}

// GitBlobID is the id git gives the file's content (`git hash-object path`).
func GitBlobID(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return "", err
	}
	if !st.Mode().IsRegular() {
		return "", fmt.Errorf("%s: not a regular file", path)
	}
	h := sha1.New()
	fmt.Fprintf(h, "blob %d\x00", st.Size())
	n, err := io.Copy(h, f)
	if err != nil {
		return "", fmt.Errorf("%s: %v", path, err)
	}
	if n != st.Size() {
		return "", fmt.Errorf("%s: changed while being read", path)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// ReleasedClassifierChunkSize tells whether path is one of VirNucPro's released
// classifiers, by content (not by name), and for which chunk size it was trained.
func ReleasedClassifierChunkSize(path string) (chunkSize int, released bool, err error) {
	id, err := GitBlobID(path)
	if err != nil {
		return 0, false, err
	}
	size, ok := releasedClassifierBlobs[id]
	return size, ok, nil
}
