package fasta

import (
	"bytes"
	"io"
	"strconv"
)

// SAM FLAG bits used to turn alignment records back into reads.
const (
	samReverse       = 0x10
	samRead1         = 0x40
	samRead2         = 0x80
	samSecondary     = 0x100
	samSupplementary = 0x800
)

// nextSAM reads the next read of a SAM file. Header lines ('@') are skipped, and so are
// secondary and supplementary alignments, so each read comes out once, as `samtools
// fasta` writes it: reverse-strand reads are reverse-complemented back, and READ1 and
// READ2 get "/1" and "/2" appended to their names.
func (r *Reader) nextSAM() (*Record, error) {
	for {
		if r.done {
			return nil, io.EOF
		}
		line, err := r.readLine()
		if err == io.EOF {
			return r.endOfInput()
		}
		if err != nil {
			return nil, r.errf("", r.line+1, "read error: %v (truncated or corrupt file?)", err)
		}
		if len(bytes.TrimSpace(line)) == 0 || line[0] == '@' {
			continue
		}
		fields := bytes.SplitN(line, []byte{'\t'}, 12)
		if len(fields) < 11 {
			return nil, r.errf("", r.line, "SAM line with %d tab-separated fields, at least 11 expected", len(fields))
		}
		name := string(fields[0])
		flag, err := strconv.ParseUint(string(fields[1]), 10, 16)
		if err != nil {
			return nil, r.errf(name, r.line, "SAM FLAG %q is not a number from 0 to 65535", fields[1])
		}
		if flag&(samSecondary|samSupplementary) != 0 {
			continue
		}
		seq := fields[9]
		if string(seq) == "*" {
			seq = nil
		}
		rec, err := r.readOf(name, uint16(flag), seq, r.line)
		if err != nil {
			return nil, err
		}
		r.records++
		return rec, nil
	}
}

// readOf builds the record of one primary SAM/BAM alignment record.
func (r *Reader) readOf(name string, flag uint16, seq []byte, line int) (*Record, error) {
	if name == "" || name == "*" {
		return nil, r.errf("", line, "alignment record without a read name")
	}
	switch {
	case flag&samRead1 != 0 && flag&samRead2 == 0:
		name += "/1"
	case flag&samRead2 != 0 && flag&samRead1 == 0:
		name += "/2"
	}
	rec := &Record{ID: name, Description: name, Line: line}
	out, err := r.appendSeq(make([]byte, 0, len(seq)), seq, name)
	if err != nil {
		return nil, err
	}
	if flag&samReverse != 0 {
		reverseComplement(out)
	}
	rec.Seq = out
	return rec, nil
}

// complement maps IUPAC nucleotide codes to their complements, keeping case; other
// bytes map to themselves.
var complement = func() (t [256]byte) {
	for i := range t {
		t[i] = byte(i)
	}
	for _, p := range []string{"AT", "CG", "RY", "KM", "BV", "DH"} {
		for _, c := range []byte{0, 0x20} {
			t[p[0]|c], t[p[1]|c] = p[1]|c, p[0]|c
		}
	}
	t['U'], t['u'] = 'A', 'a'
	return t
}()

func reverseComplement(s []byte) {
	for i, j := 0, len(s)-1; i <= j; i, j = i+1, j-1 {
		s[i], s[j] = complement[s[j]], complement[s[i]]
	}
}
