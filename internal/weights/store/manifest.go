package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/virnucpro/virnucpro/internal/atomicfile"
	"github.com/virnucpro/virnucpro/internal/filelock"
)

// ManifestName is the manifest's file name in the cache directory.
const ManifestName = "manifest.json"

// lockName is the lock file taken while the cache is written.
const lockName = ".lock"

// manifestVersion is the format version written.
const manifestVersion = 1

// Manifest records what the cache holds: every downloaded file with its digest and
// source, and a cache of file hashes (for `weights list`) keyed by path, size and
// modification time, so multi-gigabyte files are hashed once, not on every listing.
type Manifest struct {
	Version int `json:"version"`
	// Files maps a cache-relative path (esm2_t36_3B_UR50D.pt, DNABERT-S/config.json)
	// to its record.
	Files map[string]Entry `json:"files"`
	// Hashes maps an absolute path (anywhere: torch hub, Hugging Face cache, ...) to
	// its last known hash.
	Hashes map[string]Hash `json:"hashes,omitempty"`
}

// Entry is one downloaded file.
type Entry struct {
	Model  string `json:"model"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
	// DigestFrom says what the digest was checked against: "pinned" (the catalog),
	// a header name (X-Linked-Etag, ETag), or "recorded" (nothing to check against:
	// this is the first record).
	DigestFrom string    `json:"digest_from"`
	URL        string    `json:"url"`
	Time       time.Time `json:"time"`
}

// Hash is a cached file hash, valid while the file's size and modification time are
// unchanged.
type Hash struct {
	Size    int64  `json:"size"`
	ModTime int64  `json:"mtime_ns"`
	SHA256  string `json:"sha256"`
}

// LoadManifest reads dir's manifest; a missing one is empty.
func LoadManifest(dir string) (*Manifest, error) {
	m := &Manifest{Version: manifestVersion, Files: map[string]Entry{}, Hashes: map[string]Hash{}}
	data, err := os.ReadFile(filepath.Join(dir, ManifestName))
	if errors.Is(err, os.ErrNotExist) {
		return m, nil
	}
	if err != nil {
		return nil, fmt.Errorf("weights cache manifest: %w", err)
	}
	if err := json.Unmarshal(data, m); err != nil {
		return nil, fmt.Errorf("weights cache manifest %s: %w", filepath.Join(dir, ManifestName), err)
	}
	if m.Version > manifestVersion {
		return nil, fmt.Errorf("weights cache manifest %s: version %d is newer than this virnucpro (%d)", filepath.Join(dir, ManifestName), m.Version, manifestVersion)
	}
	if m.Files == nil {
		m.Files = map[string]Entry{}
	}
	if m.Hashes == nil {
		m.Hashes = map[string]Hash{}
	}
	return m, nil
}

// Save writes the manifest into dir atomically. Call it while holding the cache lock.
func (m *Manifest) Save(dir string) error {
	m.Version = manifestVersion
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("weights cache manifest: %w", err)
	}
	return atomicfile.WriteFile(filepath.Join(dir, ManifestName), append(data, '\n'))
}

// cachedHash returns the cached hash of path if its size and mtime still match.
func (m *Manifest) cachedHash(path string, st os.FileInfo) (string, bool) {
	h, ok := m.Hashes[path]
	if !ok || h.Size != st.Size() || h.ModTime != st.ModTime().UnixNano() {
		return "", false
	}
	return h.SHA256, true
}

// remember caches path's hash.
func (m *Manifest) remember(path string, st os.FileInfo, sum string) {
	m.Hashes[path] = Hash{Size: st.Size(), ModTime: st.ModTime().UnixNano(), SHA256: sum}
}

// lockCache takes the cache directory's lock (creating the directory), waiting while
// another virnucpro process holds it; wait is called first in that case.
func lockCache(dir string, wait func(holder error)) (*filelock.Lock, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("weights cache: %w", err)
	}
	path := filepath.Join(dir, lockName)
	l, err := filelock.TryLock(path)
	if err == nil {
		return l, nil
	}
	if !errors.Is(err, filelock.ErrLocked) {
		return nil, err
	}
	if wait != nil {
		wait(err)
	}
	return filelock.Acquire(path)
}

// updateManifest applies fn to dir's manifest under the cache lock and saves it.
// With try set it gives up (returning nil) when another process holds the lock.
func updateManifest(dir string, try bool, fn func(*Manifest)) error {
	var l *filelock.Lock
	var err error
	if try {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("weights cache: %w", err)
		}
		if l, err = filelock.TryLock(filepath.Join(dir, lockName)); errors.Is(err, filelock.ErrLocked) {
			return nil
		}
	} else {
		l, err = lockCache(dir, nil)
	}
	if err != nil {
		return err
	}
	defer l.Unlock()
	m, err := LoadManifest(dir)
	if err != nil {
		return err
	}
	fn(m)
	return m.Save(dir)
}

// SaveHashes merges m's hash cache into dir's manifest, unless another process holds
// the cache lock (a download: the hashes are then simply computed again next time).
func SaveHashes(dir string, m *Manifest) error {
	return updateManifest(dir, true, func(cur *Manifest) {
		for k, v := range m.Hashes {
			cur.Hashes[k] = v
		}
	})
}
