package checkpoint

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/virnucpro/virnucpro/internal/atomicfile"
)

// Store is the checkpoint directory of one run.
type Store struct {
	dir      string
	manifest *Manifest
}

// OpenOptions says what to do with a checkpoint already in the output directory.
type OpenOptions struct {
	// Resume continues a run of the same identity (a missing or empty directory
	// simply starts one). Without it an existing checkpoint is an error.
	Resume bool
	// Restart discards any existing checkpoint.
	Restart bool
}

// Open prepares outDir's checkpoint directory for a run with identity id. On resume it
// verifies every committed shard (size and sha256): the first damaged or missing one
// and all after it are dropped, reported, and will be recomputed.
func Open(outDir string, id Identity, opts OpenOptions) (*Store, error) {
	dir, err := ownDir(outDir)
	if err != nil {
		return nil, err
	}
	s := &Store{dir: dir}
	if opts.Restart {
		// Only the files virnucpro generates go: the lock (held by this run) and the
		// marker stay, anything else is not ours and is never deleted.
		keep := func(name string) bool { return name == LockName || name == MarkerName }
		if err := removeGenerated(dir, keep); err != nil {
			return nil, fmt.Errorf("discard checkpoint %s: %w", dir, err)
		}
	}
	if err := refuseComplete(outDir); err != nil {
		return nil, err
	}
	m, warnings, err := readManifest(dir)
	for _, w := range warnings {
		slog.Warn(w, "dir", dir)
	}
	switch {
	case errors.Is(err, os.ErrNotExist):
		m = &Manifest{Identity: id}
		if err := writeManifest(dir, m); err != nil {
			return nil, err
		}
	case err != nil:
		return nil, err
	default:
		if !opts.Resume {
			return nil, fmt.Errorf("%s already holds a run (%d shards committed): %w", outDir, len(m.Shards), ErrRunExists)
		}
		if d := Diff(m.Identity, id); len(d) > 0 {
			return nil, &MismatchError{Dir: outDir, Differences: d}
		}
		m.Identity = id // same content; refresh paths
	}
	s.manifest = m
	if err := s.verify(); err != nil {
		return nil, err
	}
	s.removeOrphans()
	return s, nil
}

// verify checks each committed shard and truncates the list at the first bad one.
func (s *Store) verify() error {
	for i, sh := range s.manifest.Shards {
		if err := checkFile(s.dir, sh.File, sh.Size, sh.SHA256); err != nil {
			slog.Warn("checkpoint shard damaged; it and the shards after it will be recomputed",
				"shard", sh.File, "problem", err, "dropped_shards", len(s.manifest.Shards)-i)
			s.manifest.Shards = s.manifest.Shards[:i]
			s.manifest.Complete = false
			return writeManifest(s.dir, s.manifest)
		}
	}
	return nil
}

// checkFile verifies shard name of dir: a regular file (never a symlink, FIFO or
// device) of the recorded size and sha256, read no further than that size.
func checkFile(dir, name string, size int64, sum string) error {
	f, err := openShard(dir, name, size)
	if err != nil {
		return err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, io.LimitReader(f, size+1))
	if err != nil {
		return err
	}
	if n != size {
		return fmt.Errorf("%d bytes, manifest says %d (changed while read?)", n, size)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != sum {
		return fmt.Errorf("sha256 %s, manifest says %s", got[:12], sum[:min(12, len(sum))])
	}
	return nil
}

// removeOrphans deletes shard files and temporaries the manifest does not reference
// (left by a crash between writing a shard and updating the manifest): regular files
// under names virnucpro generates only.
func (s *Store) removeOrphans() {
	keep := map[string]bool{manifestName: true, previousName: true, LockName: true, MarkerName: true}
	for _, sh := range s.manifest.Shards {
		keep[sh.File] = true
	}
	removeGenerated(s.dir, func(name string) bool { return keep[name] })
}

// Manifest returns the current manifest (read-only use).
func (s *Store) Manifest() *Manifest { return s.manifest }

// Path returns the path of a file inside the checkpoint directory.
func (s *Store) Path(name string) string { return filepath.Join(s.dir, name) }

// CommitShard writes data as the next shard (fsynced, renamed into place), then
// records it in the manifest. firstWindow must be the manifest's NextWindow.
func (s *Store) CommitShard(data []byte, firstWindow, windows, frames, records int) error {
	return s.CommitShardFrom(func(w io.Writer) error { _, err := w.Write(data); return err }, firstWindow, windows, frames, records)
}

// CommitShardFrom is CommitShard with the shard's bytes written by write, so that
// they need not be held in memory at once.
func (s *Store) CommitShardFrom(write func(io.Writer) error, firstWindow, windows, frames, records int) error {
	if firstWindow != s.manifest.NextWindow() {
		return fmt.Errorf("checkpoint: shard starts at window %d, expected %d", firstWindow, s.manifest.NextWindow())
	}
	seq := len(s.manifest.Shards)
	name := shardFileName(seq)
	f, err := atomicfile.Create(filepath.Join(s.dir, name))
	if err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	h := sha256.New()
	bw := bufio.NewWriterSize(io.MultiWriter(f, h), 1<<20)
	cw := &countingWriter{w: bw}
	err = write(cw)
	if err == nil {
		err = bw.Flush()
	}
	if err != nil {
		f.Abort()
		return fmt.Errorf("checkpoint: %w", err)
	}
	if err := f.Commit(); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	s.manifest.Shards = append(s.manifest.Shards, ShardInfo{
		Seq: seq, FirstWindow: firstWindow, Windows: windows, Frames: frames, Records: records,
		File: name, Size: cw.n, SHA256: hex.EncodeToString(h.Sum(nil)),
	})
	if err := writeManifest(s.dir, s.manifest); err != nil {
		s.manifest.Shards = s.manifest.Shards[:seq]
		return fmt.Errorf("checkpoint: %w", err)
	}
	return nil
}

// MarkComplete records that every window was committed.
func (s *Store) MarkComplete() error {
	s.manifest.Complete = true
	return writeManifest(s.dir, s.manifest)
}

// ReadShard returns the bytes of committed shard i, verified against the manifest.
func (s *Store) ReadShard(i int) ([]byte, error) {
	sh := s.manifest.Shards[i]
	f, err := openShard(s.dir, sh.File, sh.Size)
	if err != nil {
		return nil, fmt.Errorf("checkpoint shard %s: %w", sh.File, err)
	}
	defer f.Close()
	data, err := readBounded(f, sh.Size)
	if err != nil {
		return nil, fmt.Errorf("checkpoint shard %s: %w", sh.File, err)
	}
	sum := sha256.Sum256(data)
	if int64(len(data)) != sh.Size || hex.EncodeToString(sum[:]) != sh.SHA256 {
		return nil, fmt.Errorf("checkpoint shard %s changed since it was verified", sh.File)
	}
	return data, nil
}

// countingWriter counts the bytes written through it.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
