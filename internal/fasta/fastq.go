package fasta

import (
	"bytes"
	"io"
)

// nextFASTQ reads one FASTQ record: "@id description", sequence line(s), a line
// starting with '+', and quality line(s) as long as the sequence. Qualities are
// checked for length only and then dropped.
func (r *Reader) nextFASTQ() (*Record, error) {
	if r.done {
		return nil, io.EOF
	}
	line, err := r.nextNonBlank()
	if err == io.EOF {
		return r.endOfInput()
	}
	if err != nil {
		return nil, r.errf("", r.line+1, "read error: %v (truncated or corrupt file?)", err)
	}
	if line[0] != '@' {
		return nil, r.errf("", r.line, "expected a FASTQ header line starting with '@' (is the previous record's quality longer than its sequence?)")
	}
	r.header, r.hdrLine = append(r.header[:0], line[1:]...), r.line
	rec := &Record{Line: r.hdrLine}
	if err := r.parseHeader(rec); err != nil {
		return nil, err
	}
	var seq []byte
	for {
		line, err := r.readLine()
		if err == io.EOF {
			return nil, r.errf(rec.ID, r.line, "truncated FASTQ record: no '+' line after the sequence")
		}
		if err != nil {
			return nil, r.errf(rec.ID, r.line+1, "read error: %v (truncated or corrupt file?)", err)
		}
		if len(line) > 0 && line[0] == '+' {
			break
		}
		if seq, err = r.appendSeq(seq, line, rec.ID); err != nil {
			return nil, err
		}
	}
	plusLine := r.line
	quals := 0
	for quals < len(seq) {
		line, err := r.readLine()
		if err == io.EOF {
			return nil, r.errf(rec.ID, plusLine, "truncated FASTQ record: %d quality characters for %d bases", quals, len(seq))
		}
		if err != nil {
			return nil, r.errf(rec.ID, r.line+1, "read error: %v (truncated or corrupt file?)", err)
		}
		quals += len(bytes.TrimRight(line, " "))
	}
	if quals != len(seq) {
		return nil, r.errf(rec.ID, r.line, "%d quality characters for %d bases", quals, len(seq))
	}
	rec.Seq = seq
	r.records++
	return rec, nil
}

// nextNonBlank returns the next line that is not blank.
func (r *Reader) nextNonBlank() ([]byte, error) {
	for {
		line, err := r.readLine()
		if err != nil {
			return nil, err
		}
		if len(bytes.TrimSpace(line)) > 0 {
			return line, nil
		}
	}
}

// endOfInput ends a non-FASTA input: io.EOF, or the empty-input error when no record
// was read.
func (r *Reader) endOfInput() (*Record, error) {
	r.done = true
	if r.records == 0 {
		return nil, &Error{File: r.name, Msg: ErrEmpty.Error(), Err: ErrEmpty}
	}
	return nil, io.EOF
}

// appendSeq appends the letters of one sequence line (spaces dropped), checking them
// against the alphabet when one is required.
func (r *Reader) appendSeq(seq, line []byte, id string) ([]byte, error) {
	for i, c := range line {
		if c == ' ' {
			continue
		}
		if c < 0x20 || c >= 0x7f {
			if c == '\t' && r.alphabet == nil {
				seq = append(seq, c)
				continue
			}
			return nil, r.errf(id, r.line, "binary or control byte 0x%02x at column %d", c, i+1)
		}
		if r.alphabet != nil && !r.alphabet[c] {
			return nil, r.letterError(id, r.line, c, i+1)
		}
		seq = append(seq, c)
	}
	return seq, nil
}
