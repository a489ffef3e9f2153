package seqout

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/virnucpro/virnucpro/internal/atomicfile"
	"github.com/virnucpro/virnucpro/internal/report"
)

// MergeShards writes dir's viral.fna and viral_regions.fna from those of the shard
// directories of one run, where shards[i] holds the records whose 0-based input
// position p has p % len(shards) == i. dir's sequences.tsv (the merged one, one row per
// input record in input order) gives the order; the entries are copied as the shards
// wrote them, so the result is the one an unsharded run writes.
func MergeShards(dir string, shards []string) error {
	seqs, err := openTable(filepath.Join(dir, report.SequencesFile), "id")
	if err != nil {
		return err
	}
	defer seqs.Close()
	var ins [2][]*fastaEntries
	for k, name := range []string{ViralFile, RegionsFile} {
		for _, s := range shards {
			e, err := openEntries(filepath.Join(s, name))
			if err != nil {
				return err
			}
			defer e.close()
			ins[k] = append(ins[k], e)
		}
	}
	var files []*atomicfile.File
	defer func() {
		for _, f := range files {
			f.Abort()
		}
	}()
	var ws [2]*bufio.Writer
	for k, name := range []string{ViralFile, RegionsFile} {
		f, err := atomicfile.Create(filepath.Join(dir, name))
		if err != nil {
			return err
		}
		files = append(files, f)
		ws[k] = bufio.NewWriterSize(f, 1<<16)
	}
	for ord := 0; seqs.row != nil; ord++ {
		id := seqs.row[0]
		shard := ord % len(shards)
		if err := ins[0][shard].copyWhile(ws[0], func(name string) bool { return name == id }, 1); err != nil {
			return err
		}
		isRegion := func(name string) bool {
			rest, ok := strings.CutPrefix(name, id+"|region_")
			return ok && !strings.Contains(rest, "|")
		}
		if err := ins[1][shard].copyWhile(ws[1], isRegion, -1); err != nil {
			return err
		}
		if err := seqs.advance(); err != nil {
			return err
		}
	}
	for k := range ins {
		for _, e := range ins[k] {
			if e.pending != nil {
				return fmt.Errorf("%s: entry %q is not a record of the merged run", e.path, e.name())
			}
		}
	}
	for k, f := range files {
		if err := ws[k].Flush(); err != nil {
			return err
		}
		if err := f.Commit(); err != nil {
			return err
		}
	}
	files = nil
	return nil
}

// fastaEntries reads the two-line entries (header, sequence) this package writes.
type fastaEntries struct {
	path    string
	f       *os.File
	br      *bufio.Reader
	pending []byte // the next entry, both lines; nil at the end
}

func openEntries(path string) (*fastaEntries, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("shard output: %w", err)
	}
	e := &fastaEntries{path: path, f: f, br: bufio.NewReaderSize(f, 1<<16)}
	return e, e.advance()
}

func (e *fastaEntries) advance() error {
	head, err := e.br.ReadBytes('\n')
	if errors.Is(err, io.EOF) && len(head) == 0 {
		e.pending = nil
		return nil
	}
	if err != nil || head[0] != '>' {
		return fmt.Errorf("%s: damaged entry (not written by virnucpro?)", e.path)
	}
	seq, err := e.br.ReadBytes('\n')
	if err != nil {
		return fmt.Errorf("%s: entry %q has no sequence line", e.path, head)
	}
	e.pending = append(head, seq...)
	return nil
}

// name is the pending entry's name (its header's first word).
func (e *fastaEntries) name() string {
	h := e.pending[1:bytes.IndexByte(e.pending, '\n')]
	if i := bytes.IndexByte(h, ' '); i >= 0 {
		h = h[:i]
	}
	return string(h)
}

// copyWhile copies up to max entries (all when max < 0) whose name passes ok.
func (e *fastaEntries) copyWhile(w *bufio.Writer, ok func(string) bool, max int) error {
	for n := 0; e.pending != nil && n != max && ok(e.name()); n++ {
		if _, err := w.Write(e.pending); err != nil {
			return err
		}
		if err := e.advance(); err != nil {
			return err
		}
	}
	return nil
}

func (e *fastaEntries) close() { e.f.Close() }
