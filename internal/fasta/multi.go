package fasta

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// Options configure OpenAll.
type Options struct {
	// PrefixFileName prefixes every record id (and description) with its file's stem
	// (FileStem) and '|', so that ids stay unique across inputs that share read names.
	PrefixFileName bool
	// OnEmpty, when set, is called with the name of each input that holds no record;
	// the other inputs are read on. The run is empty only when every input is.
	OnEmpty func(name string)
}

// PrefixSeparator joins a file's stem to its record ids under Options.PrefixFileName.
const PrefixSeparator = "|"

// OpenAll reads several inputs ("-" is standard input, at most once) one after
// another as a single stream of records, in the order given; each is opened when the
// previous one ends, and its format is detected on its own. Errors name the file being
// read. With one input and no prefix it is Open.
func OpenAll(paths []string, opts Options) (*Reader, error) {
	if len(paths) == 0 {
		return nil, errors.New("no input given")
	}
	if len(paths) == 1 && !opts.PrefixFileName {
		return Open(paths[0])
	}
	sizes, err := CheckInputs(paths)
	if err != nil {
		return nil, err
	}
	m := &multiSource{paths: paths, opts: opts, sizes: sizes}
	stems := map[string]string{}
	for _, p := range paths {
		stem := FileStem(p)
		if prev, dup := stems[stem]; dup && opts.PrefixFileName {
			return nil, fmt.Errorf("inputs %s and %s would both prefix their ids with %q: rename one", prev, p, stem)
		}
		stems[stem] = p
		m.stems = append(m.stems, stem)
	}
	r := &Reader{name: paths[0], closer: m}
	m.outer = r
	r.alt, r.progress = m.next, m.progress
	return r, nil
}

// CheckInputs checks that every input can be read before anything else is done with
// it: it exists, is not a directory, and "-" (standard input) comes at most once. It
// returns the files' sizes (-1 for standard input).
func CheckInputs(paths []string) ([]int64, error) {
	sizes := make([]int64, len(paths))
	stdin := false
	for i, p := range paths {
		sizes[i] = -1
		if p == "-" {
			if stdin {
				return nil, errors.New("standard input (-) is given more than once")
			}
			stdin = true
			continue
		}
		st, err := os.Stat(p)
		if err != nil {
			return nil, &Error{File: p, Msg: "cannot open: " + pathMessage(err)}
		}
		if st.IsDir() {
			return nil, &Error{File: p, Msg: "is a directory, not a sequence file"}
		}
		sizes[i] = st.Size()
	}
	return sizes, nil
}

// FileStem is a path's file name without directories, compression extension (.gz,
// .bz2, .xz, .zst) and format extension (.fa, .fasta, .fna, .fq, .fastq, .sam, .bam,
// ...); "-" is "stdin".
func FileStem(path string) string {
	if path == "-" {
		return "stdin"
	}
	s := filepath.Base(path)
	for _, exts := range [][]string{{".gz", ".bz2", ".xz", ".zst", ".zstd"},
		{".fa", ".fasta", ".fna", ".fas", ".ffn", ".frn", ".fq", ".fastq", ".sam", ".bam", ".txt"}} {
		for _, e := range exts {
			if t, ok := strings.CutSuffix(s, e); ok && t != "" {
				s = t
				break
			}
		}
	}
	return s
}

// pathMessage is an open error without Go's "open <path>:" prefix.
func pathMessage(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// IsEmpty reports whether err says an input holds no record.
func IsEmpty(err error) bool {
	var fe *Error
	return errors.As(err, &fe) && fe.Msg == ErrEmpty.Error()
}

type multiSource struct {
	paths   []string
	stems   []string
	sizes   []int64
	opts    Options
	outer   *Reader
	i       int
	cur     *Reader
	records int
	done    int64 // stored bytes of the inputs already read
}

func (m *multiSource) next() (*Record, error) {
	for {
		if m.cur == nil {
			if m.i == len(m.paths) {
				return m.end()
			}
			cur, err := Open(m.paths[m.i])
			if IsEmpty(err) {
				m.skipEmpty(m.paths[m.i])
				continue
			}
			if err != nil {
				return nil, err
			}
			m.cur = cur
			m.outer.name, m.outer.format = cur.name, cur.Format()
		}
		o := m.outer // the settings made on the stream apply to each input
		m.cur.alphabet, m.cur.alphaMsg = o.alphabet, o.alphaMsg
		m.cur.countOnly, m.cur.spillOver, m.cur.spillDir = o.countOnly, o.spillOver, o.spillDir
		rec, err := m.cur.Next()
		if errors.Is(err, io.EOF) || IsEmpty(err) {
			if IsEmpty(err) {
				m.skipEmpty(m.cur.name)
			}
			m.closeCurrent()
			continue
		}
		if err != nil {
			return nil, err
		}
		if m.opts.PrefixFileName {
			stem := m.stems[m.i] + PrefixSeparator
			rec.ID, rec.Description = stem+rec.ID, stem+rec.Description
		}
		m.records++
		return rec, nil
	}
}

func (m *multiSource) end() (*Record, error) {
	if m.records == 0 && !m.outer.done {
		m.outer.done = true
		return nil, &Error{File: strings.Join(m.paths, ", "), Msg: ErrEmpty.Error(), Err: ErrEmpty}
	}
	m.outer.done = true
	return nil, io.EOF
}

func (m *multiSource) skipEmpty(name string) {
	if m.opts.OnEmpty != nil {
		m.opts.OnEmpty(name)
	}
	if m.cur == nil {
		m.i++
	}
}

func (m *multiSource) closeCurrent() {
	m.cur.Close()
	if m.sizes[m.i] > 0 {
		m.done += m.sizes[m.i]
	}
	m.cur = nil
	m.i++
}

func (m *multiSource) progress() (read, size int64) {
	size = 0
	for _, s := range m.sizes {
		if s < 0 {
			size = -1
			break
		}
		size += s
	}
	read = m.done
	if m.cur != nil {
		n, _ := m.cur.Progress()
		read += n
	}
	return read, size
}

// Close closes the input being read.
func (m *multiSource) Close() error {
	if m.cur != nil {
		err := m.cur.Close()
		m.cur = nil
		return err
	}
	return nil
}
