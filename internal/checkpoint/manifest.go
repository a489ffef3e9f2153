package checkpoint

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/virnucpro/virnucpro/internal/atomicfile"
)

// ManifestVersion is the current manifest format. Version 1 manifests (no per-shard
// checksums) cannot be verified and are refused with an explanation.
const ManifestVersion = 2

// Dir is the checkpoint directory inside a run's output directory.
const Dir = ".virnucpro"

// LockName is the lock file inside Dir that the process writing the output directory
// holds (see LockOutput); a restart keeps it.
const LockName = "lock"

const (
	manifestName = "manifest.json"
	previousName = "manifest.prev.json"
)

// ShardInfo records one committed shard file.
type ShardInfo struct {
	// Seq is the shard's 0-based position; shards are committed in order.
	Seq int `json:"seq"`
	// FirstWindow and Windows give the run windows the shard holds.
	FirstWindow int `json:"first_window"`
	Windows     int `json:"windows"`
	// Frames and Records count its content (records counted where they start).
	Frames  int `json:"frames"`
	Records int `json:"records"`
	// File is the shard's name inside the checkpoint directory; Size and SHA256 its
	// exact bytes.
	File   string `json:"file"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// Manifest is the checkpoint directory's table of contents.
type Manifest struct {
	Version  int         `json:"version"`
	Identity Identity    `json:"identity"`
	Shards   []ShardInfo `json:"shards"`
	// Complete is set once every window of the input was committed.
	Complete bool      `json:"complete"`
	Updated  time.Time `json:"updated"`
}

// NextWindow is the first window not committed yet.
func (m *Manifest) NextWindow() int {
	if len(m.Shards) == 0 {
		return 0
	}
	last := m.Shards[len(m.Shards)-1]
	return last.FirstWindow + last.Windows
}

// readManifest reads dir's manifest, falling back to the previous copy when the
// current one is unreadable. It returns os.ErrNotExist when there is none.
func readManifest(dir string) (*Manifest, []string, error) {
	var warnings []string
	m, err := readManifestFile(filepath.Join(dir, manifestName))
	if err == nil {
		return m, nil, nil
	}
	var ve *VersionError
	if errors.As(err, &ve) {
		return nil, nil, err
	}
	if errors.Is(err, os.ErrNotExist) {
		if _, perr := os.Stat(filepath.Join(dir, previousName)); perr != nil {
			return nil, nil, err
		}
	}
	warnings = append(warnings, fmt.Sprintf("manifest unusable (%v); recovering from the previous copy", err))
	prev, perr := readManifestFile(filepath.Join(dir, previousName))
	if perr != nil {
		return nil, warnings, fmt.Errorf("checkpoint manifest in %s is corrupt (%v) and its previous copy too (%v): %w", dir, err, perr, ErrDamaged)
	}
	return prev, warnings, nil
}

func readManifestFile(path string) (*Manifest, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var probe struct {
		Version int `json:"version"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		return nil, fmt.Errorf("%s: not valid JSON: %v", path, err)
	}
	if probe.Version != ManifestVersion {
		return nil, &VersionError{Path: path, Version: probe.Version}
	}
	var m Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	for i, s := range m.Shards {
		if s.Seq != i || (i > 0 && s.FirstWindow != m.Shards[i-1].FirstWindow+m.Shards[i-1].Windows) || (i == 0 && s.FirstWindow != 0) {
			return nil, fmt.Errorf("%s: shard list is not contiguous at entry %d", path, i)
		}
		if want := shardFileName(i); s.File != want {
			return nil, fmt.Errorf("%s: shard %d: file %q is not the name virnucpro gives it (%s)", path, i, s.File, want)
		}
		if s.Size < 0 {
			return nil, fmt.Errorf("%s: shard %d: negative size %d", path, i, s.Size)
		}
	}
	return &m, nil
}

// VersionError refuses a checkpoint written in another manifest format.
type VersionError struct {
	Path    string
	Version int
}

func (e *VersionError) Error() string {
	if e.Version < ManifestVersion {
		return fmt.Sprintf("%s: checkpoint format v%d is older than this tool's v%d and has no shard checksums to verify its data; it cannot be migrated safely (the work will be recomputed)", e.Path, e.Version, ManifestVersion)
	}
	return fmt.Sprintf("%s: checkpoint format v%d is newer than this tool's v%d: use the virnucpro version that wrote it", e.Path, e.Version, ManifestVersion)
}

// Is makes errors.Is(err, ErrDamaged) hold: only starting over helps.
func (e *VersionError) Is(target error) bool { return target == ErrDamaged }

// writeManifest replaces the manifest atomically, keeping the previous one.
func writeManifest(dir string, m *Manifest) error {
	m.Version = ManifestVersion
	m.Updated = time.Now().UTC()
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	cur := filepath.Join(dir, manifestName)
	if old, err := os.ReadFile(cur); err == nil {
		if err := atomicfile.WriteFile(filepath.Join(dir, previousName), old); err != nil {
			return err
		}
	}
	return atomicfile.WriteFile(cur, append(data, '\n'))
}
