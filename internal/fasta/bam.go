package fasta

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/biogo/hts/bam"
)

// openBAM reads a BAM file (BGZF-compressed, as stored) with biogo/hts; the records
// are turned into reads as nextSAM does.
func openBAM(raw io.Reader, name string) (*Reader, error) {
	br, err := bam.NewReader(raw, 1)
	if err != nil {
		return nil, &Error{File: name, Msg: "not a readable BAM file: " + bamMessage(err)}
	}
	r := &Reader{name: name, format: FormatBAM}
	n := 0
	r.alt = func() (*Record, error) {
		for {
			if r.done {
				return nil, io.EOF
			}
			rec, err := br.Read()
			if errors.Is(err, io.EOF) {
				return r.endOfInput()
			}
			n++
			if err != nil {
				return nil, &Error{File: name, Msg: fmt.Sprintf("BAM record %d: %s (truncated or damaged file?)", n, bamMessage(err))}
			}
			flag := uint16(rec.Flags)
			if flag&(samSecondary|samSupplementary) != 0 {
				continue
			}
			out, err := r.readOf(rec.Name, flag, rec.Seq.Expand(), 0)
			if err != nil {
				var fe *Error
				if errors.As(err, &fe) {
					fe.Msg = fmt.Sprintf("BAM record %d: %s", n, fe.Msg)
				}
				return nil, err
			}
			r.records++
			return out, nil
		}
	}
	r.closer = br
	return r, nil
}

// bamMessage strips the library's package prefix from its errors.
func bamMessage(err error) string {
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return "unexpected end of data"
	}
	s := err.Error()
	for _, p := range []string{"bam: ", "sam: ", "bgzf: "} {
		s = strings.TrimPrefix(s, p)
	}
	return s
}
