// Package fasta reads sequence files as a stream of records with memory bounded by the
// longest record (never by the file): FASTA, FASTQ (qualities checked for length and
// dropped), SAM and BAM (primary records turned back into reads, as `samtools fasta`
// does), the format detected from the content. Plain, gzip, xz, zstd and bzip2 input
// are read transparently, "-" is standard input, and OpenAll chains several inputs.
// Every error names the file, the record and the line (the record number in BAM).
package fasta

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/shenwei356/xopen"
)

// Record is one FASTA entry.
type Record struct {
	// ID is the first whitespace-separated token of the header, as Biopython's
	// record.id; Description is the whole header line after '>'.
	ID, Description string
	// Seq holds the sequence lines concatenated, with spaces and line endings removed
	// and case preserved.
	Seq []byte
	// Line is the 1-based line number of the header.
	Line int
	// NonACGT is set when the sequence holds a letter other than ACGTacgt.
	NonACGT bool

	length    int
	spill     *os.File
	spillPath string
}

// Error is a problem in the input, located by file, record and line.
type Error struct {
	File   string
	Record string // "" before the first record
	Line   int
	Msg    string
	// Err is the sentinel the problem is an instance of (ErrEmpty), or nil.
	Err error
}

// Unwrap returns the sentinel the problem is an instance of, so that
// errors.Is(err, fasta.ErrEmpty) holds for an empty input.
func (e *Error) Unwrap() error { return e.Err }

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	if e.Record != "" {
		fmt.Fprintf(&b, ": record %q", e.Record)
	}
	b.WriteString(": ")
	b.WriteString(e.Msg)
	return b.String()
}

// ErrEmpty is returned (wrapped in *Error) when the input holds no record at all.
var ErrEmpty = errors.New("no FASTA records (empty input)")

// Reader streams records.
type Reader struct {
	name    string
	br      *bufio.Reader
	closer  io.Closer
	line    int
	header  []byte // the pending header line (without '>'), nil at start
	hdrLine int
	records int
	done    bool
	// alphabet, when set, lists the allowed sequence letters.
	alphabet *[256]bool
	alphaMsg string
	// bytesRead counts input bytes consumed (uncompressed).
	bytesRead int64
	raw       *countingReader
	size      int64
	// countOnly, spillOver and spillDir: see CountOnly and SpillLongerThan.
	countOnly bool
	spillOver int
	spillDir  string
	// format and alt: the detected format and, for any but FASTA, its parser
	// (format.go); alt also chains several inputs (multi.go).
	format   Format
	alt      func() (*Record, error)
	progress func() (read, size int64)
}

// Open opens path ("-" for standard input) for reading. Compression (gzip, xz, zstd,
// bzip2) is detected from the content. Only files are opened: no URLs or commands.
func Open(path string) (*Reader, error) {
	var (
		f    *os.File
		name       = path
		size int64 = -1
	)
	if path == "-" {
		f, name = os.Stdin, "<stdin>"
	} else {
		var err error
		if f, err = os.Open(path); err != nil {
			return nil, &Error{File: path, Msg: "cannot open: " + pathMessage(err)}
		}
		st, err := f.Stat()
		if err != nil || st.IsDir() {
			f.Close()
			return nil, &Error{File: path, Msg: "cannot open: is a directory or unreadable"}
		}
		size = st.Size()
	}
	cr := &countingReader{r: f}
	braw := bufio.NewReaderSize(cr, 1<<17)
	switch kind, err := sniffRaw(braw, name); {
	case err != nil:
		f.Close()
		return nil, err
	case kind == rawCRAM:
		f.Close()
		return nil, cramError(name)
	case kind == rawBAM:
		br, err := openBAM(braw, name)
		if err != nil {
			f.Close()
			return nil, err
		}
		br.closer = closers{br.closer, f}
		br.raw, br.size = cr, size
		return br, nil
	}
	xr, err := xopen.Buf(braw)
	if err != nil && strings.Contains(err.Error(), "no content") {
		f.Close()
		return nil, &Error{File: name, Msg: ErrEmpty.Error(), Err: ErrEmpty}
	}
	if err != nil {
		f.Close()
		return nil, &Error{File: name, Msg: fmt.Sprintf("cannot read: %v (truncated or corrupt compressed file?)", err)}
	}
	fr := NewReader(xr, name)
	fr.closer = closers{xr, f}
	fr.raw, fr.size = cr, size
	return fr, nil
}

type countingReader struct {
	r io.Reader
	n atomic.Int64
	// mu guards the digest of the raw bytes read (a decompressor may read from
	// another goroutine) and whether the input's end was reached.
	mu  sync.Mutex
	sum hash.Hash
	eof bool
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	c.mu.Lock()
	if c.sum == nil {
		c.sum = sha256.New()
	}
	c.sum.Write(p[:n])
	c.eof = c.eof || err == io.EOF
	c.mu.Unlock()
	return n, err
}

// InputSHA256 is the sha256 (hex) of the raw bytes of the input file as the reader
// read them (before any decompression), and whether the reader reached the file's
// end, so that the digest is that of the whole file. A run compares it with the hash
// its checkpoint identity took before reading: a file changed in place meanwhile is
// detected. It is "", false for standard input read by OpenAll with several inputs.
func (r *Reader) InputSHA256() (string, bool) {
	if r.raw == nil {
		return "", false
	}
	r.raw.mu.Lock()
	defer r.raw.mu.Unlock()
	if r.raw.sum == nil {
		r.raw.sum = sha256.New()
	}
	return hex.EncodeToString(r.raw.sum.Sum(nil)), r.raw.eof
}

type closers []io.Closer

func (cs closers) Close() error {
	var first error
	for _, c := range cs {
		if err := c.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// Progress returns how many bytes of the file (as stored, i.e. compressed) were read
// and the file size (-1 when unknown, as for standard input). Safe to call from any
// goroutine.
func (r *Reader) Progress() (read, size int64) {
	if r.progress != nil {
		return r.progress()
	}
	if r.raw == nil {
		return 0, -1
	}
	return r.raw.n.Load(), r.size
}

// NewReader reads FASTA, FASTQ or SAM text (detected from the content) from r; name
// is used in error messages.
func NewReader(r io.Reader, name string) *Reader { return newReaderSize(r, name, 1<<16) }

func newReaderSize(r io.Reader, name string, size int) *Reader {
	fr := &Reader{name: name, br: bufio.NewReaderSize(r, size)}
	fr.detectText()
	return fr
}

// Name is the input's name as used in errors.
func (r *Reader) Name() string { return r.name }

// BytesRead is the number of (decompressed) input bytes consumed so far.
func (r *Reader) BytesRead() int64 { return r.bytesRead }

// RequireDNA makes Next reject sequence letters outside IUPAC nucleotide codes
// (ACGTURYSWKMBDHVN, either case, and '-' for gaps), naming the letter and its line.
func (r *Reader) RequireDNA() {
	r.alphabet = &dnaAlphabet
	r.alphaMsg = "IUPAC nucleotide codes (ACGTU RYSWKM BDHV N, '-')"
}

// Close releases the underlying file.
func (r *Reader) Close() error {
	if r.closer != nil {
		return r.closer.Close()
	}
	return nil
}

var dnaAlphabet = func() (t [256]bool) {
	for _, c := range "ACGTURYSWKMBDHVN-" {
		t[c] = true
		t[c|0x20] = true // lower case
	}
	return t
}()

// readLine returns the next line without its line ending; io.EOF at the end.
func (r *Reader) readLine() ([]byte, error) {
	line, err := r.br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		// A long line (a whole chromosome on one line): gather it.
		buf := append([]byte(nil), line...)
		for errors.Is(err, bufio.ErrBufferFull) {
			line, err = r.br.ReadSlice('\n')
			buf = append(buf, line...)
		}
		line = buf
	}
	if len(line) == 0 && err != nil {
		return nil, err
	}
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	r.line++
	r.bytesRead += int64(len(line))
	line = bytes.TrimSuffix(line, []byte{'\n'})
	line = bytes.TrimSuffix(line, []byte{'\r'})
	return line, nil
}

func (r *Reader) errf(record string, line int, format string, a ...any) error {
	return &Error{File: r.name, Record: record, Line: line, Msg: fmt.Sprintf(format, a...)}
}

// Next returns the next record, or io.EOF after the last one. An input with no record
// at all yields an *Error wrapping ErrEmpty instead of io.EOF. A record with no
// sequence is returned with an empty Seq (callers decide; see the README).
func (r *Reader) Next() (*Record, error) {
	if r.alt != nil {
		rec, err := r.alt()
		if rec != nil {
			rec.NonACGT = nonACGT(rec.Seq)
		}
		return rec, err
	}
	if r.done {
		return nil, io.EOF
	}
	if r.header == nil {
		// Find the first header: only blank lines may precede it.
		for {
			line, err := r.readLine()
			if err == io.EOF {
				r.done = true
				return nil, &Error{File: r.name, Msg: ErrEmpty.Error(), Err: ErrEmpty, Line: 0, Record: ""}
			}
			if err != nil {
				return nil, r.errf("", r.line+1, "read error: %v", err)
			}
			if len(bytes.TrimSpace(line)) == 0 {
				continue
			}
			if line[0] != '>' {
				if bad := firstBinary(line); bad >= 0 {
					return nil, r.errf("", r.line, "binary data (byte 0x%02x at column %d): not a FASTA file", line[bad], bad+1)
				}
				return nil, r.errf("", r.line, "text before the first '>' header: not a FASTA file")
			}
			r.header, r.hdrLine = append([]byte(nil), line[1:]...), r.line
			break
		}
	}
	rec := &Record{Line: r.hdrLine}
	if err := r.parseHeader(rec); err != nil {
		return nil, err
	}
	if err := r.readSequence(rec); err != nil {
		rec.Release()
		return nil, err
	}
	r.records++
	return rec, nil
}

func (r *Reader) parseHeader(rec *Record) error {
	h := r.header
	if bad := firstBinary(h); bad >= 0 {
		return r.errf("", r.hdrLine, "binary or control byte 0x%02x in the header", h[bad])
	}
	rec.Description = strings.TrimSpace(string(h))
	fields := strings.Fields(rec.Description)
	if len(fields) == 0 {
		return r.errf("", r.hdrLine, "header with an empty id ('>' alone)")
	}
	rec.ID = fields[0]
	return nil
}

// firstBinary returns the index of the first NUL/control byte (other than tab), or -1.
func firstBinary(b []byte) int {
	for i, c := range b {
		if (c < 0x20 && c != '\t') || c == 0x7f {
			return i
		}
	}
	return -1
}
