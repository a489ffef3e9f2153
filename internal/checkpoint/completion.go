package checkpoint

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/virnucpro/virnucpro/internal/atomicfile"
	"github.com/virnucpro/virnucpro/internal/filehash"
)

// CompletionName is the completion record inside Dir: what remains of the checkpoint
// once a run has finished (the run's identity and the digest of every output file).
const CompletionName = "complete.json"

// CompletionVersion is the completion record's format.
const CompletionVersion = 1

// Completion records a finished run.
type Completion struct {
	Version   int       `json:"version"`
	Identity  Identity  `json:"identity"`
	Completed time.Time `json:"completed"`
	// Outputs are the output files, paths relative to the output directory.
	Outputs []FileIdentity `json:"outputs"`
	// Counts are the run's totals (records, chunks, frames, ...) for the message a
	// rerun prints.
	Counts map[string]int64 `json:"counts,omitempty"`
}

// Compact replaces the checkpoint of a completed run by its completion record: it
// hashes the output files (every regular file under outDir outside the checkpoint
// directory), writes complete.json, and then, unless keep is set, removes the shard
// files and manifests the checkpoint wrote (only the files its manifest names, each
// checked to be a regular file: never a link or anything else). The lock stays.
func (s *Store) Compact(outDir string, counts map[string]int64, keep bool) (*Completion, error) {
	outputs, err := hashOutputs(outDir)
	if err != nil {
		return nil, fmt.Errorf("completion record: %w", err)
	}
	c := &Completion{Version: CompletionVersion, Identity: s.manifest.Identity, Completed: time.Now().UTC(), Outputs: outputs, Counts: counts}
	data, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := atomicfile.WriteFile(filepath.Join(s.dir, CompletionName), append(data, '\n')); err != nil {
		return nil, fmt.Errorf("completion record: %w", err)
	}
	if keep {
		return c, nil
	}
	names := []string{manifestName, previousName}
	for _, sh := range s.manifest.Shards {
		names = append(names, sh.File)
	}
	for _, name := range names {
		if err := removeRegular(filepath.Join(s.dir, name)); err != nil {
			return c, fmt.Errorf("compact checkpoint: %w", err)
		}
	}
	s.manifest.Shards = nil
	return c, nil
}

// removeRegular removes path if it is a regular file (not following links); a missing
// file is fine, anything else is left alone and reported.
func removeRegular(path string) error {
	st, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if !st.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file (%s); left in place", path, st.Mode().Type())
	}
	return os.Remove(path)
}

// hashOutputs hashes every regular file under outDir except the checkpoint directory,
// in path order. Links are not followed (and not recorded).
func hashOutputs(outDir string) ([]FileIdentity, error) {
	var out []FileIdentity
	err := filepath.WalkDir(outDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if d.Name() == Dir && p != outDir {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		id, err := filehash.File(p)
		if err != nil {
			return err
		}
		id.Path, _ = filepath.Rel(outDir, p)
		id.Path = filepath.ToSlash(id.Path)
		out = append(out, id)
		return nil
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, err
}

// ReadCompletion returns outDir's completion record; an error wrapping
// fs.ErrNotExist when the directory holds none.
func ReadCompletion(outDir string) (*Completion, error) {
	path := filepath.Join(outDir, Dir, CompletionName)
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var c Completion
	if err := json.Unmarshal(data, &c); err != nil {
		return nil, fmt.Errorf("%s: not a valid completion record (%v): %w", path, err, ErrDamaged)
	}
	if c.Version != CompletionVersion {
		return nil, fmt.Errorf("%s: completion record format v%d, this tool reads v%d: %w", path, c.Version, CompletionVersion, ErrDamaged)
	}
	return &c, nil
}

// Verify re-hashes the recorded outputs and returns one line per file that is missing
// or differs from what the run wrote (nil when all are intact).
func (c *Completion) Verify(outDir string) []string {
	var problems []string
	for _, o := range c.Outputs {
		path := filepath.Join(outDir, filepath.FromSlash(o.Path))
		got, err := filehash.File(path)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			problems = append(problems, fmt.Sprintf("%s is missing", o.Path))
		case err != nil:
			problems = append(problems, fmt.Sprintf("%s: %v", o.Path, err))
		case !sameContent(got, o):
			problems = append(problems, fmt.Sprintf("%s was modified after the run completed (%s)", o.Path, describe(o, got)))
		}
	}
	return problems
}

// CompleteError refuses to start a run in a directory that holds a completed one.
type CompleteError struct{ Dir string }

func (e *CompleteError) Error() string {
	return fmt.Sprintf("%s holds a completed run (%s)", e.Dir, filepath.Join(e.Dir, Dir, CompletionName))
}

// Is makes errors.Is(err, ErrCompleted) hold.
func (e *CompleteError) Is(target error) bool { return target == ErrCompleted }

// refuseComplete returns a *CompleteError when outDir's checkpoint directory holds a
// completion record.
func refuseComplete(outDir string) error {
	if _, err := os.Lstat(filepath.Join(outDir, Dir, CompletionName)); err == nil {
		return &CompleteError{Dir: outDir}
	}
	return nil
}

// RemoveCompletion removes outDir's completion record, if any (a run redone without
// checkpointing makes it stale).
func RemoveCompletion(outDir string) error {
	return removeRegular(filepath.Join(outDir, Dir, CompletionName))
}
