package fasta

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/biogo/hts/bgzf"
)

// maxBAMRecord bounds one BAM record (a read of ~100 Mbp with its qualities): a larger
// claimed size is damage, refused before anything is allocated.
const maxBAMRecord = 1 << 28

// bamBases decodes BAM's 4-bit bases.
const bamBases = "=ACMGRSVTWYHKDBN"

// openBAM reads a BAM file: biogo/hts decompresses the BGZF blocks; the header is
// skipped (reads need none of it) and each record is decoded with every size checked
// against the record's bounds, so damaged data is an error, never a large allocation
// or a crash. Records are turned into reads as nextSAM does.
func openBAM(raw io.Reader, name string) (*Reader, error) {
	bg, err := bgzf.NewReader(raw, 1)
	if err != nil {
		return nil, &Error{File: name, Msg: "not a readable BAM file: " + bamMessage(err)}
	}
	if err := skipBAMHeader(bg); err != nil {
		bg.Close()
		return nil, &Error{File: name, Msg: "BAM header: " + bamMessage(err)}
	}
	r := &Reader{name: name, format: FormatBAM, closer: bg}
	var buf []byte
	n := 0
	r.alt = func() (*Record, error) {
		for {
			if r.done {
				return nil, io.EOF
			}
			var size [4]byte
			if _, err := io.ReadFull(bg, size[:]); err == io.EOF {
				return r.endOfInput()
			} else if err != nil {
				return nil, &Error{File: name, Msg: fmt.Sprintf("BAM record %d: %s (truncated or damaged file?)", n+1, bamMessage(err))}
			}
			n++
			bs := int(int32(binary.LittleEndian.Uint32(size[:])))
			if bs < 32 || bs > maxBAMRecord {
				return nil, &Error{File: name, Msg: fmt.Sprintf("BAM record %d claims %d bytes (32 to %d expected): damaged file", n, bs, maxBAMRecord)}
			}
			if cap(buf) < bs {
				buf = make([]byte, bs)
			}
			buf = buf[:bs]
			if _, err := io.ReadFull(bg, buf); err != nil {
				return nil, &Error{File: name, Msg: fmt.Sprintf("BAM record %d: %s (truncated file?)", n, bamMessage(err))}
			}
			rec, skip, err := r.bamRecord(buf)
			if err != nil {
				var fe *Error
				if errors.As(err, &fe) {
					fe.Msg = fmt.Sprintf("BAM record %d: %s", n, fe.Msg)
					return nil, fe
				}
				return nil, &Error{File: name, Msg: fmt.Sprintf("BAM record %d: %v", n, err)}
			}
			if skip {
				continue
			}
			r.records++
			return rec, nil
		}
	}
	return r, nil
}

// skipBAMHeader reads past the magic, the header text and the reference list without
// keeping them.
func skipBAMHeader(r io.Reader) error {
	var b [4]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return err
	}
	if string(b[:]) != "BAM\x01" {
		return errors.New("no BAM magic")
	}
	skip := func() error {
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return err
		}
		n := int64(int32(binary.LittleEndian.Uint32(b[:])))
		if n < 0 {
			return fmt.Errorf("negative length %d", n)
		}
		if m, err := io.CopyN(io.Discard, r, n); err != nil || m != n {
			return io.ErrUnexpectedEOF
		}
		return nil
	}
	if err := skip(); err != nil { // text
		return err
	}
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return err
	}
	refs := int32(binary.LittleEndian.Uint32(b[:]))
	if refs < 0 {
		return fmt.Errorf("negative reference count %d", refs)
	}
	for i := int32(0); i < refs; i++ {
		if err := skip(); err != nil { // name
			return err
		}
		if _, err := io.ReadFull(r, b[:]); err != nil { // length
			return err
		}
	}
	return nil
}

// bamRecord decodes one record's name, flag and bases (skip: not a primary record).
func (r *Reader) bamRecord(b []byte) (rec *Record, skip bool, err error) {
	le := binary.LittleEndian
	nameLen := int(b[8])
	nCigar := int(le.Uint16(b[12:]))
	flag := le.Uint16(b[14:])
	lSeq := int(int32(le.Uint32(b[16:])))
	if flag&(samSecondary|samSupplementary) != 0 {
		return nil, true, nil
	}
	off := 32
	end := off + nameLen + 4*nCigar
	if nameLen < 1 || lSeq < 0 || lSeq > maxBAMRecord || end+(lSeq+1)/2+lSeq > len(b) {
		return nil, false, fmt.Errorf("fields overrun the record (name %d, cigar %d, sequence %d bytes in %d): damaged file", nameLen, nCigar, lSeq, len(b))
	}
	name := string(b[off : off+nameLen-1]) // NUL-terminated
	packed := b[end : end+(lSeq+1)/2]
	seq := make([]byte, lSeq)
	for i := range seq {
		c := packed[i/2]
		if i%2 == 0 {
			c >>= 4
		}
		seq[i] = bamBases[c&0xf]
	}
	rec, err = r.readOf(name, flag, seq, 0)
	return rec, false, err
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
