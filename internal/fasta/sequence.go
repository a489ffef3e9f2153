package fasta

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
)

// Length is the record's number of bases: len(Seq), or the bases counted or spilled
// when the reader did not keep them in memory (see Reader.CountOnly and
// Reader.SpillLongerThan).
func (rec *Record) Length() int {
	if rec.Seq != nil {
		return len(rec.Seq)
	}
	return rec.length
}

// Spilled reports whether the sequence was written to a spill file instead of Seq.
func (rec *Record) Spilled() bool { return rec.spill != nil }

// Slice returns the bases [start, end): a sub-slice of Seq, or, for a spilled
// sequence, a fresh slice read from its file.
func (rec *Record) Slice(start, end int) ([]byte, error) {
	if start < 0 || end < start || end > rec.Length() {
		return nil, fmt.Errorf("record %q: bases [%d, %d) outside its %d", rec.ID, start, end, rec.Length())
	}
	if rec.spill == nil {
		return rec.Seq[start:end:end], nil
	}
	b := make([]byte, end-start)
	if _, err := rec.spill.ReadAt(b, int64(start)); err != nil {
		return nil, fmt.Errorf("record %q: read its spilled sequence: %w", rec.ID, err)
	}
	return b, nil
}

// Release closes a spilled sequence's file (a no-op otherwise). The record's bases
// cannot be read after it.
func (rec *Record) Release() error {
	if rec.spill == nil {
		return nil
	}
	err := rec.spill.Close()
	if rec.spillPath != "" {
		os.Remove(rec.spillPath)
	}
	rec.spill = nil
	return err
}

// CountOnly makes Next count the bases instead of keeping them: Seq stays nil and
// Length and NonACGT describe the sequence, in constant memory whatever its length.
func (r *Reader) CountOnly() { r.countOnly = true }

// SpillLongerThan makes Next write a sequence longer than n bases to an unlinked file
// in dir ("" for the temporary directory) instead of memory: such a record has a nil
// Seq, and Length, Slice and Release give access to it. Memory stays about n bytes per
// record whatever its length; disk use is the record's length while it is held.
// Callers must Release each spilled record.
func (r *Reader) SpillLongerThan(n int, dir string) { r.spillOver, r.spillDir = n, dir }

var acgt = func() (t [256]bool) {
	for _, c := range "ACGTacgt" {
		t[c] = true
	}
	return t
}()

// nonACGT reports whether seq holds a letter other than ACGTacgt.
func nonACGT(seq []byte) bool {
	for _, c := range seq {
		if !acgt[c] {
			return true
		}
	}
	return false
}

// seqBuilder collects a record's bases in memory, in a spill file or as counts.
type seqBuilder struct {
	r   *Reader
	rec *Record
	seq []byte
	f   *os.File
	w   *bufio.Writer
	n   int
}

func (b *seqBuilder) add(part []byte) error {
	if !b.rec.NonACGT {
		b.rec.NonACGT = nonACGT(part)
	}
	b.n += len(part)
	switch {
	case b.r.countOnly:
		return nil
	case b.w != nil:
		_, err := b.w.Write(part)
		return err
	case b.r.spillOver > 0 && b.n > b.r.spillOver:
		f, err := os.CreateTemp(b.r.spillDir, ".virnucpro-seq-*")
		if err != nil {
			return err
		}
		if os.Remove(f.Name()) != nil {
			b.rec.spillPath = f.Name()
		}
		b.f, b.w = f, bufio.NewWriterSize(f, 1<<20)
		b.rec.spill = f
		b.w.Write(b.seq)
		b.seq = nil
		_, err = b.w.Write(part)
		return err
	}
	b.seq = append(b.seq, part...)
	return nil
}

func (b *seqBuilder) finish() error {
	b.rec.length = b.n
	if b.w != nil {
		return b.w.Flush()
	}
	if !b.r.countOnly {
		b.rec.Seq = b.seq
	}
	return nil
}

// readSequence reads the sequence lines after rec's header, up to the next header or
// the end of the input, a buffer's worth at a time (a chromosome on one line is never
// gathered whole).
func (r *Reader) readSequence(rec *Record) error {
	b := &seqBuilder{r: r, rec: rec}
	lineStart, col, heldCR := true, 0, false
	var scratch []byte // spaces removed (never aliases the read buffer)
	for {
		frag, err := r.br.ReadSlice('\n')
		full := errors.Is(err, bufio.ErrBufferFull)
		if err != nil && !full && !errors.Is(err, io.EOF) {
			return r.errf(rec.ID, r.line+1, "read error: %v (truncated or corrupt file?)", err)
		}
		if len(frag) == 0 && !full {
			r.done = true
			break
		}
		r.bytesRead += int64(len(frag))
		if lineStart {
			r.line++
			col = 0
			if frag[0] == '>' {
				return r.nextHeader(frag, full, b)
			}
		}
		body := frag
		if !full {
			body = bytes.TrimSuffix(body, []byte{'\n'})
		}
		if heldCR && !(len(body) == 0 && !full) && !(len(frag) > 0 && frag[0] == '\n') {
			body = append([]byte{'\r'}, body...) // the held '\r' was not a line ending
			col--
		}
		heldCR = false
		if full && len(body) > 0 && body[len(body)-1] == '\r' {
			body, heldCR = body[:len(body)-1], true
		} else if !full {
			body = bytes.TrimSuffix(body, []byte{'\r'})
		}
		part, perr := r.checkBases(rec, body, col, scratch[:0])
		if perr != nil {
			return perr
		}
		if len(part) > 0 && len(body) > 0 && &part[0] != &body[0] {
			scratch = part
		}
		if err := b.add(part); err != nil {
			return r.errf(rec.ID, r.line, "sequence spill file: %v", err)
		}
		col += len(body)
		if heldCR {
			col++
		}
		lineStart = !full
		if errors.Is(err, io.EOF) {
			r.done = true
			break
		}
	}
	if err := b.finish(); err != nil {
		return r.errf(rec.ID, r.line, "sequence spill file: %v", err)
	}
	return nil
}

// nextHeader stores the header line starting with frag as the pending header and
// ends the current record.
func (r *Reader) nextHeader(frag []byte, full bool, b *seqBuilder) error {
	h := append(r.header[:0], frag[1:]...)
	for full {
		var err error
		frag, err = r.br.ReadSlice('\n')
		full = errors.Is(err, bufio.ErrBufferFull)
		if err != nil && !full && !errors.Is(err, io.EOF) {
			return r.errf(b.rec.ID, r.line+1, "read error: %v (truncated or corrupt file?)", err)
		}
		r.bytesRead += int64(len(frag))
		h = append(h, frag...)
	}
	h = bytes.TrimSuffix(h, []byte{'\n'})
	r.header, r.hdrLine = bytes.TrimSuffix(h, []byte{'\r'}), r.line
	if err := b.finish(); err != nil {
		return r.errf(b.rec.ID, r.line, "sequence spill file: %v", err)
	}
	return nil
}

// checkBases validates one piece of a sequence line (col: the columns of the line
// before it) and returns its bases with spaces removed (body itself when it has none).
func (r *Reader) checkBases(rec *Record, body []byte, col int, buf []byte) ([]byte, error) {
	spaces := false
	for i, c := range body {
		if c == ' ' {
			spaces = true
			continue
		}
		if c < 0x20 || c >= 0x7f {
			if c == '\t' && r.alphabet == nil {
				continue
			}
			return nil, r.errf(rec.ID, r.line, "binary or control byte 0x%02x at column %d", c, col+i+1)
		}
		if r.alphabet != nil && !r.alphabet[c] {
			return nil, r.letterError(rec.ID, r.line, c, col+i+1)
		}
	}
	if !spaces {
		return body, nil
	}
	for _, c := range body {
		if c != ' ' {
			buf = append(buf, c)
		}
	}
	return buf, nil
}
