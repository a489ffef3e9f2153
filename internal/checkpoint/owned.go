package checkpoint

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
)

// MarkerName is the file virnucpro writes into a checkpoint directory it creates. Only
// a directory carrying it (or holding nothing but names virnucpro generates, as an
// older version's checkpoint does) is used; files are only ever deleted there, and only
// under names virnucpro generates.
const MarkerName = "created-by-virnucpro"

const markerText = "This directory is a virnucpro checkpoint; virnucpro deletes files here (only under names it generates).\n"

// shardName matches the names CommitShard gives shard files.
var shardName = regexp.MustCompile(`^shard-[0-9]{6}\.safetensors$`)

// generated reports whether name is one virnucpro writes into a checkpoint directory:
// the lock, the marker, the manifests, shards, and the temporaries of atomic writes of
// those (".<name>.tmp-*").
func generated(name string) bool {
	switch name {
	case LockName, MarkerName, manifestName, previousName, CompletionName:
		return true
	}
	if shardName.MatchString(name) {
		return true
	}
	if base, _, ok := strings.Cut(strings.TrimPrefix(name, "."), ".tmp-"); ok && strings.HasPrefix(name, ".") {
		return base == manifestName || base == previousName || base == CompletionName || shardName.MatchString(base)
	}
	return false
}

// ownDir makes sure outDir's checkpoint directory is one virnucpro created, creating it
// (with its marker) when absent. A symlink there, a non-directory, or a directory
// holding files virnucpro does not write is refused, naming it: the tool never deletes
// inside a directory it cannot prove is its own.
func ownDir(outDir string) (string, error) {
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return "", fmt.Errorf("output directory: %w", err)
	}
	dir := filepath.Join(outDir, Dir)
	st, err := os.Lstat(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
			return "", fmt.Errorf("checkpoint directory: %w", err)
		}
		return dir, checkMarker(dir)
	case err != nil:
		return "", fmt.Errorf("checkpoint directory: %w", err)
	case st.Mode()&os.ModeSymlink != 0:
		return "", fmt.Errorf("checkpoint directory %s is a symlink; virnucpro only uses a checkpoint directory it created itself (it deletes files there): remove the link or choose another -o", dir)
	case !st.IsDir():
		return "", fmt.Errorf("checkpoint directory %s is not a directory: remove it or choose another -o", dir)
	}
	return dir, checkMarker(dir)
}

// checkMarker checks (or, for a directory of generated names only, writes) the marker of
// an existing real directory.
func checkMarker(dir string) error {
	if st, err := os.Lstat(filepath.Join(dir, MarkerName)); err == nil {
		if !st.Mode().IsRegular() {
			return fmt.Errorf("checkpoint directory %s: %s is not a regular file; remove the directory or choose another -o", dir, MarkerName)
		}
		return nil
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("checkpoint directory: %w", err)
	}
	for _, e := range entries {
		if !generated(e.Name()) || e.Type()&os.ModeSymlink != 0 {
			return fmt.Errorf("%s was not created by virnucpro (no %s marker, and it holds %q, which virnucpro never writes); refusing to use it, since a checkpoint directory gets files deleted: move it away or choose another -o", dir, MarkerName, e.Name())
		}
	}
	f, err := os.OpenFile(filepath.Join(dir, MarkerName), os.O_WRONLY|os.O_CREATE|os.O_EXCL|syscall.O_NOFOLLOW, 0o644)
	if err != nil {
		return fmt.Errorf("checkpoint directory: %w", err)
	}
	_, err = f.WriteString(markerText)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// removeGenerated deletes the regular files of dir whose names virnucpro generates and
// for which keep is false; symlinks and other entries are never touched.
func removeGenerated(dir string, keep func(name string) bool) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if !generated(e.Name()) || keep(e.Name()) || !e.Type().IsRegular() {
			continue
		}
		if err := os.Remove(filepath.Join(dir, e.Name())); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	return nil
}

// openShard opens a shard file for reading: a plain regular file (no symlink, FIFO or
// device) of exactly size bytes. Reads through it must still be bounded by size.
func openShard(dir, name string, size int64) (*os.File, error) {
	if !shardName.MatchString(name) {
		return nil, fmt.Errorf("shard name %q is not one virnucpro generates", name)
	}
	f, err := os.OpenFile(filepath.Join(dir, name), os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if err != nil {
		if errors.Is(err, syscall.ELOOP) {
			return nil, fmt.Errorf("%s is a symlink, not a shard file", name)
		}
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("%s is not a regular file (%s)", name, st.Mode().Type())
	}
	if st.Size() != size {
		f.Close()
		return nil, fmt.Errorf("%d bytes, manifest says %d (truncated?)", st.Size(), size)
	}
	return f, nil
}

// readBounded reads exactly size bytes from f, failing if it holds more or less.
func readBounded(f *os.File, size int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(f, size+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) != size {
		return nil, fmt.Errorf("%d bytes, manifest says %d (changed while read?)", len(data), size)
	}
	return data, nil
}

// shardFileName is the name of shard seq.
func shardFileName(seq int) string { return fmt.Sprintf("shard-%06d.safetensors", seq) }
