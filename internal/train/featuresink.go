package train

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/virnucpro/virnucpro/internal/atomicfile"
	"github.com/virnucpro/virnucpro/internal/pipeline"
)

// ManifestName is the file a completed features run writes next to its shards.
const ManifestName = "features.json"

// stagePrefix marks shards of a run that has not completed (ListShards skips them).
const stagePrefix = ".partial-"

// FeatureManifest describes a completed features directory.
type FeatureManifest struct {
	Format string            `json:"format"`
	Label  string            `json:"label"`
	Rows   int               `json:"rows"`
	Dim    int               `json:"dim"`
	Shards []ShardEntry      `json:"shards"`
	Info   map[string]string `json:"info,omitempty"`
}

// ShardEntry is one shard of a features directory.
type ShardEntry struct {
	File string `json:"file"`
	Rows int    `json:"rows"`
}

// FeatureSink is a pipeline.Sink that writes every frame's merged features (in input
// order) to shards of ShardRows rows. Shards are staged under hidden names and only
// renamed into place, with the manifest, by Commit: an unfinished directory shows no
// shards.
type FeatureSink struct {
	dir       string
	label     Label
	shardRows int
	info      map[string]string

	ids    []string
	data   []float32
	dim    int
	rows   int
	shards []ShardEntry
}

// NewFeatureSink writes shards of shardRows rows labelled label to dir; info is
// stored in every shard's metadata and in the manifest.
func NewFeatureSink(dir string, label Label, shardRows int, info map[string]string) (*FeatureSink, error) {
	if shardRows < 1 {
		return nil, fmt.Errorf("rows per shard %d: must be >= 1", shardRows)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("features: %w", err)
	}
	// Staged shards of an earlier run killed before it could clean up.
	if old, err := filepath.Glob(filepath.Join(dir, stagePrefix+"features_*"+ShardExt)); err == nil {
		for _, f := range old {
			os.Remove(f)
		}
	}
	return &FeatureSink{dir: dir, label: label, shardRows: shardRows, info: info}, nil
}

// Write takes a scored window whose Features are kept.
func (s *FeatureSink) Write(w *pipeline.Window) error {
	if len(w.Frames) == 0 {
		return nil
	}
	if len(w.Features) != len(w.Frames)*w.FeatureDim || w.FeatureDim < 1 {
		return fmt.Errorf("features: window %d carries %d values for %d frames (features not kept?)", w.Index, len(w.Features), len(w.Frames))
	}
	if s.dim == 0 {
		s.dim = w.FeatureDim
	} else if s.dim != w.FeatureDim {
		return fmt.Errorf("features: width changed from %d to %d", s.dim, w.FeatureDim)
	}
	for i, f := range w.Frames {
		s.ids = append(s.ids, f.ID)
		s.data = append(s.data, w.Features[i*s.dim:(i+1)*s.dim]...)
		if len(s.ids) == s.shardRows {
			if err := s.flush(); err != nil {
				return err
			}
		}
	}
	return nil
}

// flush stages the buffered rows as the next shard.
func (s *FeatureSink) flush() error {
	if len(s.ids) == 0 {
		return nil
	}
	name := ShardName(len(s.shards) + 1)
	if err := WriteShard(filepath.Join(s.dir, stagePrefix+name), s.ids, s.data, s.dim, s.label, s.info); err != nil {
		return err
	}
	s.shards = append(s.shards, ShardEntry{File: name, Rows: len(s.ids)})
	s.rows += len(s.ids)
	s.ids, s.data = s.ids[:0], s.data[:0]
	return nil
}

// Commit stages the last rows, moves every shard into place, removes shards an
// earlier run left beyond this run's count, and writes the manifest. It returns the
// manifest.
func (s *FeatureSink) Commit() (*FeatureManifest, error) {
	if err := s.flush(); err != nil {
		return nil, err
	}
	if s.rows == 0 {
		return nil, fmt.Errorf("features: the input gave no frames (no chunk has a stop-free reading frame)")
	}
	for _, sh := range s.shards {
		if err := os.Rename(filepath.Join(s.dir, stagePrefix+sh.File), filepath.Join(s.dir, sh.File)); err != nil {
			return nil, fmt.Errorf("features: %w", err)
		}
	}
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, fmt.Errorf("features: %w", err)
	}
	for _, e := range entries {
		if n, ok := ShardIndex(e.Name()); ok && n > len(s.shards) {
			if err := os.Remove(filepath.Join(s.dir, e.Name())); err != nil {
				return nil, fmt.Errorf("features: stale shard: %w", err)
			}
		}
	}
	atomicfile.SyncDir(s.dir)
	m := &FeatureManifest{Format: ShardFormat, Label: s.label.String(), Rows: s.rows, Dim: s.dim, Shards: s.shards, Info: s.info}
	data, err := json.MarshalIndent(m, "", " ")
	if err != nil {
		return nil, err
	}
	if err := atomicfile.WriteFile(filepath.Join(s.dir, ManifestName), append(data, '\n')); err != nil {
		return nil, fmt.Errorf("features: %w", err)
	}
	return m, nil
}

// Abort removes the staged shards (committed work stays in the checkpoint).
func (s *FeatureSink) Abort() {
	for _, sh := range s.shards {
		os.Remove(filepath.Join(s.dir, stagePrefix+sh.File))
	}
	s.shards = nil
}
