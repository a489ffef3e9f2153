package fasta

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"io"
)

// Format is an input format, detected from the content (never from the file name).
type Format string

// Input formats.
const (
	FormatFASTA Format = "FASTA"
	FormatFASTQ Format = "FASTQ"
	FormatSAM   Format = "SAM"
	FormatBAM   Format = "BAM"
)

// Format is the format of the input being read (FASTA until the content says
// otherwise).
func (r *Reader) Format() Format {
	if r.format == "" {
		return FormatFASTA
	}
	return r.format
}

// maxBAMHeaderText bounds the SAM header text of a BAM file read into memory: real
// headers are a few megabytes even with hundreds of thousands of references.
const maxBAMHeaderText = 256 << 20

// rawKind tells what the stored (still compressed) bytes are.
type rawKind int

const (
	rawOther rawKind = iota
	rawBAM
	rawCRAM
)

// sniffRaw looks at the first bytes of a file as stored: CRAM's magic, or a BGZF block
// whose content starts with BAM's magic. br must buffer at least 64 KiB + 1 block.
func sniffRaw(br *bufio.Reader, name string) (rawKind, error) {
	head, _ := br.Peek(18)
	if len(head) >= 4 && string(head[:4]) == "CRAM" {
		return rawCRAM, nil
	}
	// BGZF: gzip with FEXTRA (flag 4), subfield "BC" of length 2 holding BSIZE-1.
	if len(head) < 18 || head[0] != 0x1f || head[1] != 0x8b || head[3]&4 == 0 || head[12] != 'B' || head[13] != 'C' {
		return rawOther, nil
	}
	bsize := int(binary.LittleEndian.Uint16(head[16:18])) + 1
	block, _ := br.Peek(bsize)
	zr, err := gzip.NewReader(bytes.NewReader(block))
	if err != nil {
		return rawOther, nil // let the decompressor report it
	}
	zr.Multistream(false)
	var magic [8]byte
	n, _ := io.ReadFull(zr, magic[:])
	if n < 4 || string(magic[:4]) != "BAM\x01" {
		return rawOther, nil
	}
	if n == 8 {
		if lText := int32(binary.LittleEndian.Uint32(magic[4:])); lText < 0 || lText > maxBAMHeaderText {
			return rawBAM, &Error{File: name, Msg: fmt.Sprintf("BAM header claims %d bytes of text (at most %d accepted): damaged or not a BAM file", lText, maxBAMHeaderText)}
		}
	}
	return rawBAM, nil
}

// cramError explains why CRAM is refused.
func cramError(name string) error {
	return &Error{File: name, Msg: "CRAM input is not supported: no maintained pure-Go CRAM decoder exists " +
		"(biogo/hts/cram reads containers only); convert it first, e.g. `samtools fastq in.cram | virnucpro predict -`"}
}

// detectText chooses the parser from the first bytes of the (decompressed) text:
// '>' is FASTA, '@' followed by a SAM header tag and a tab is SAM, another '@' is
// FASTQ, and a first line of 11 or more tab-separated fields is headerless SAM.
// Anything else is left to the FASTA parser, which names the problem.
func (r *Reader) detectText() {
	buf, _ := r.br.Peek(16 << 10)
	buf = bytes.TrimLeft(buf, " \t\r\n")
	line := buf
	if i := bytes.IndexByte(line, '\n'); i >= 0 {
		line = line[:i]
	}
	switch {
	case len(buf) == 0 || buf[0] == '>':
		return
	case isSAMHeaderLine(line):
		r.format, r.alt = FormatSAM, r.nextSAM
	case buf[0] == '@':
		r.format, r.alt = FormatFASTQ, r.nextFASTQ
	case bytes.Count(line, []byte{'\t'}) >= 10:
		r.format, r.alt = FormatSAM, r.nextSAM
	}
}

// isSAMHeaderLine reports whether line looks like "@HD\t...", "@SQ\t..." and the like.
func isSAMHeaderLine(line []byte) bool {
	if len(line) < 4 || line[0] != '@' || line[3] != '\t' {
		return false
	}
	for _, tag := range []string{"HD", "SQ", "RG", "PG", "CO"} {
		if string(line[1:3]) == tag {
			return true
		}
	}
	return false
}
