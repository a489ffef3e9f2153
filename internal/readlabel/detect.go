package readlabel

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Format is an alignment file format.
type Format string

// Alignment formats; FormatAuto tells them apart by content.
const (
	FormatAuto Format = "auto"
	FormatBAM  Format = "bam"
	FormatSAM  Format = "sam"
	FormatPAF  Format = "paf"
)

// ParseFormat validates a --format value.
func ParseFormat(s string) (Format, error) {
	switch f := Format(strings.ToLower(s)); f {
	case FormatAuto, FormatBAM, FormatSAM, FormatPAF:
		return f, nil
	}
	return "", fmt.Errorf("format %q: want auto, bam, sam or paf", s)
}

// emptySource has no alignments.
type emptySource struct{}

func (emptySource) Next() (Alignment, error) { return Alignment{}, io.EOF }
func (emptySource) Stats() SourceStats       { return SourceStats{} }

// OpenSource reads alignments from r in format f (name is used in errors). With
// FormatAuto: BAM by its magic number; otherwise text, gzip-compressed or not, SAM
// when it starts with a header line or has 11+ columns without PAF's strand column,
// PAF when its fifth column is + or -. Empty input has no alignments.
func OpenSource(r io.Reader, name string, f Format) (src Source, err error) {
	defer func() { // the header decoders panic on some malformed input
		if p := recover(); p != nil {
			src, err = nil, fmt.Errorf("%s: malformed header: %v", name, p)
		}
	}()
	br := bufio.NewReaderSize(r, 1<<17)
	head, err := br.Peek(2)
	if len(head) == 0 {
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		return emptySource{}, nil
	}
	if len(head) == 2 && head[0] == 0x1f && head[1] == 0x8b {
		if f == FormatBAM || f == FormatAuto && isBAM(br) {
			return newBAMSource(br, name)
		}
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		return openText(bufio.NewReaderSize(zr, 1<<17), name, f)
	}
	if f == FormatBAM {
		return nil, fmt.Errorf("%s: not a BAM file (no BGZF magic)", name)
	}
	return openText(br, name, f)
}

// isBAM inflates the start of the first gzip member and looks for "BAM\1".
func isBAM(br *bufio.Reader) bool {
	b, _ := br.Peek(1 << 16)
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return false
	}
	var magic [4]byte
	if _, err := io.ReadFull(zr, magic[:]); err != nil {
		return false
	}
	return string(magic[:]) == "BAM\x01"
}

func openText(br *bufio.Reader, name string, f Format) (Source, error) {
	if f == FormatAuto {
		var err error
		if f, err = sniffText(br, name); err != nil || f == "" {
			if err == nil {
				return emptySource{}, nil
			}
			return nil, err
		}
	}
	if f == FormatSAM {
		return newSAMSource(br, name)
	}
	return newPAFSource(br, name), nil
}

// sniffText tells SAM from PAF by the first line ("" for empty input).
func sniffText(br *bufio.Reader, name string) (Format, error) {
	b, _ := br.Peek(1 << 16)
	if len(b) == 0 {
		return "", nil
	}
	if b[0] == '@' {
		return FormatSAM, nil
	}
	line, _, _ := bytes.Cut(b, []byte{'\n'})
	fields := strings.Split(strings.TrimRight(string(line), "\r"), "\t")
	switch {
	case len(fields) >= 12 && (fields[4] == "+" || fields[4] == "-"):
		return FormatPAF, nil
	case len(fields) >= 11:
		return FormatSAM, nil
	}
	return "", fmt.Errorf("%s: %w: neither BAM, SAM nor PAF (first line has %d tab-separated columns)", name, ErrUnknownFormat, len(fields))
}
