package store

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/virnucpro/virnucpro/internal/filehash"
	"github.com/virnucpro/virnucpro/internal/weights"
)

// Identity is what `weights list` shows for a model copy.
type Identity struct {
	// Size is the total size of the model's files (weights.ModelFiles).
	Size int64
	// SHA256 is the sha256 of the weight file; for a directory model, of its weight
	// file (model.safetensors, else pytorch_model.bin), so it equals the digest the
	// Hugging Face hub shows for that file; for sharded safetensors, the sha256 of the
	// lines "<shard name> <shard sha256>\n" in name order.
	SHA256 string
	// Cached is set when the hash came from the manifest's hash cache.
	Cached bool
}

// Hasher hashes model files, reusing hashes cached in a manifest while a file's path,
// size and modification time are unchanged (a 6 GB file is hashed once, not on every
// `weights list`).
type Hasher struct {
	// Manifest holds the hash cache; new hashes are added to it.
	Manifest *Manifest
	// Rehash ignores the cache.
	Rehash bool
	// Added counts hashes computed (to decide whether to save the manifest).
	Added int
}

// Identity computes the identity of a model file or directory.
func (h *Hasher) Identity(path string) (Identity, error) {
	files, err := weights.ModelFiles(path)
	if err != nil {
		return Identity{}, err
	}
	var id Identity
	for _, f := range files {
		st, err := os.Stat(f)
		if err != nil {
			return Identity{}, err
		}
		id.Size += st.Size()
	}
	wf := weightFiles(path, files)
	if len(wf) == 0 {
		return id, fmt.Errorf("%s: no weight file", path)
	}
	sums := make([]string, len(wf))
	id.Cached = true
	for i, f := range wf {
		sum, cached, err := h.File(f)
		if err != nil {
			return Identity{}, err
		}
		sums[i] = sum
		id.Cached = id.Cached && cached
	}
	if len(wf) == 1 {
		id.SHA256 = sums[0]
		return id, nil
	}
	d := sha256.New()
	for i, f := range wf {
		fmt.Fprintf(d, "%s %s\n", filepath.Base(f), sums[i])
	}
	id.SHA256 = hex.EncodeToString(d.Sum(nil))
	return id, nil
}

// File returns the sha256 of one file, from the cache when still valid.
func (h *Hasher) File(path string) (sum string, cached bool, err error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", false, err
	}
	st, err := os.Stat(abs)
	if err != nil {
		return "", false, err
	}
	if h.Manifest != nil && !h.Rehash {
		if sum, ok := h.Manifest.cachedHash(abs, st); ok {
			return sum, true, nil
		}
	}
	fi, err := filehash.File(abs)
	if err != nil {
		return "", false, err
	}
	if h.Manifest != nil {
		h.Manifest.remember(abs, st, fi.SHA256)
		h.Added++
	}
	return fi.SHA256, false, nil
}

// weightFiles picks the weight files among a model's files, as the loader does:
// model.safetensors, else the safetensors shards, else pytorch_model.bin; a single-file
// model is its own weight file.
func weightFiles(path string, files []string) []string {
	if st, err := os.Stat(path); err == nil && !st.IsDir() {
		return []string{path}
	}
	var shards []string
	for _, f := range files {
		switch base := filepath.Base(f); {
		case base == "model.safetensors":
			return []string{f}
		case filepath.Ext(base) == ".safetensors":
			shards = append(shards, f)
		}
	}
	if len(shards) > 0 {
		sort.Strings(shards)
		return shards
	}
	for _, f := range files {
		if filepath.Base(f) == "pytorch_model.bin" {
			return []string{f}
		}
	}
	return nil
}
