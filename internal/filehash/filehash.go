// Package filehash identifies files by size and content hash (streaming sha256): the
// run identity of checkpoints and the weight store's digests both use it.
package filehash

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
)

// Identity identifies one file by size and content hash.
type Identity struct {
	Path   string `json:"path"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// File returns the identity of the file at path.
func File(path string) (Identity, error) {
	f, err := os.Open(path)
	if err != nil {
		return Identity{}, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return Identity{}, fmt.Errorf("hash %s: %w", path, err)
	}
	return Identity{Path: path, Size: n, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

// Files hashes several files (a model directory's weight and config files, say).
func Files(paths []string) ([]Identity, error) {
	out := make([]Identity, 0, len(paths))
	for _, p := range paths {
		id, err := File(p)
		if err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, nil
}
