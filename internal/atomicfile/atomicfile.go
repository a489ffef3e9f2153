// Package atomicfile writes files so that readers only ever see complete ones: data goes
// to a temporary file in the destination directory, which is synced and renamed over the
// final name on Commit. A file that is never committed is removed by Abort and never
// appears under its final name.
package atomicfile

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// File is a file being written under a temporary name.
type File struct {
	*os.File
	final string
	done  bool
}

// Create starts writing path. The temporary file lives next to it (same directory, so
// the rename is atomic) and is named .<base>.tmp-*.
func Create(path string) (*File, error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", path, err)
	}
	return &File{File: f, final: path}, nil
}

// Path is the final name the file gets on Commit.
func (f *File) Path() string { return f.final }

// Commit syncs the data, closes the file and renames it to its final name, then syncs
// the directory so the rename survives a crash.
func (f *File) Commit() error {
	if f.done {
		return fmt.Errorf("%s: already committed or aborted", f.final)
	}
	f.done = true
	tmp := f.File.Name()
	if err := f.File.Sync(); err != nil {
		f.File.Close()
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", f.final, err)
	}
	if err := f.File.Close(); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", f.final, err)
	}
	if err := os.Chmod(tmp, 0o644); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", f.final, err)
	}
	if err := os.Rename(tmp, f.final); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", f.final, err)
	}
	SyncDir(filepath.Dir(f.final))
	return nil
}

// Abort closes and removes the temporary file; it is a no-op after Commit.
func (f *File) Abort() {
	if f.done {
		return
	}
	f.done = true
	f.File.Close()
	os.Remove(f.File.Name())
}

// WriteFile writes data to path atomically.
func WriteFile(path string, data []byte) error {
	f, err := Create(path)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Abort()
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Commit()
}

// SyncDir fsyncs a directory (best effort: some filesystems refuse it).
func SyncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

// RemoveStale deletes the temporary files (and directories) that Create, or a
// MkdirTemp with the same pattern (".<name>.tmp-*", or ".<name>.rows-*" for row
// spools), left in dir for the given final names when a
// process was killed before committing or aborting them. Call it only while holding
// the directory's lock.
func RemoveStale(dir string, names ...string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		for _, name := range names {
			if strings.HasPrefix(e.Name(), "."+name+".tmp-") || strings.HasPrefix(e.Name(), "."+name+".rows-") {
				os.RemoveAll(filepath.Join(dir, e.Name()))
			}
		}
	}
}
