package readlabel

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/biogo/hts/bam"
	"github.com/biogo/hts/sam"
)

// SourceStats counts the records a Source read.
type SourceStats struct {
	// Records is every alignment record; Unmapped, Secondary (secondary and
	// supplementary; PAF tp:A:S and tp:A:I) those dropped; Retained the rest.
	Records, Unmapped, Secondary, Retained int64
}

// Source yields the retained alignments of an alignment file in input order.
type Source interface {
	// Next returns the next retained alignment, or io.EOF after the last.
	Next() (Alignment, error)
	// Stats returns the counts so far.
	Stats() SourceStats
}

// recordReader reads one SAM/BAM record.
type recordReader func() (*sam.Record, error)

// samSource turns SAM/BAM records into Alignments.
type samSource struct {
	name  string
	read  recordReader
	stats SourceStats
}

// newBAMSource reads BAM from r (name is used in errors).
func newBAMSource(r io.Reader, name string) (*samSource, error) {
	br, err := bam.NewReader(r, 1)
	if err != nil {
		return nil, fmt.Errorf("%s: BAM header: %w", name, err)
	}
	return &samSource{name: name, read: br.Read}, nil
}

// newSAMSource reads SAM text from r, header first.
func newSAMSource(r io.Reader, name string) (*samSource, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	var head, long []byte
	line := 0
	for {
		p, err := br.Peek(1)
		if err != nil || p[0] != '@' {
			break
		}
		l, err := readLine(br, &long)
		line++
		if len(head)+len(l) > maxLine {
			return nil, fmt.Errorf("%s: SAM header longer than %d MiB", name, maxLine>>20)
		}
		head = append(head, l...)
		if err != nil {
			break
		}
	}
	h, _ := sam.NewHeader(nil, nil)
	if len(head) > 0 {
		if head[len(head)-1] != '\n' {
			head = append(head, '\n')
		}
		if err := h.UnmarshalText(head); err != nil {
			return nil, fmt.Errorf("%s: SAM header: %w", name, err)
		}
	}
	read := func() (*sam.Record, error) {
		for {
			l, err := readLine(br, &long)
			if l == nil {
				if err != io.EOF {
					err = fmt.Errorf("line %d: %w", line+1, err)
				}
				return nil, err
			}
			line++
			l = bytes.TrimRight(l, "\r\n")
			if len(l) == 0 {
				continue
			}
			var rec sam.Record
			if err := rec.UnmarshalSAM(h, l); err != nil {
				return nil, fmt.Errorf("line %d: %w", line, err)
			}
			return &rec, nil
		}
	}
	return &samSource{name: name, read: read}, nil
}

func (s *samSource) Stats() SourceStats { return s.stats }

// Next returns the next primary mapped alignment.
func (s *samSource) Next() (Alignment, error) {
	for {
		rec, err := s.readRecord()
		if err != nil {
			return Alignment{}, err
		}
		s.stats.Records++
		switch {
		case rec.Flags&sam.Unmapped != 0:
			s.stats.Unmapped++
			continue
		case rec.Flags&(sam.Secondary|sam.Supplementary) != 0:
			s.stats.Secondary++
			continue
		}
		a, err := alignmentOf(rec)
		if err != nil {
			return Alignment{}, fmt.Errorf("%s: record %d (read %q): %w", s.name, s.stats.Records, rec.Name, err)
		}
		s.stats.Retained++
		return a, nil
	}
}

// readRecord reads a record, turning a panic of the decoder on a malformed record
// into an error.
func (s *samSource) readRecord() (rec *sam.Record, err error) {
	defer func() {
		if p := recover(); p != nil {
			rec, err = nil, fmt.Errorf("%s: record %d: malformed: %v", s.name, s.stats.Records+1, p)
		}
	}()
	rec, err = s.read()
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: record %d: %w", s.name, s.stats.Records+1, err)
	}
	if err == nil && rec == nil {
		return nil, io.EOF
	}
	return rec, err
}

// alignmentOf derives a primary mapped record's Alignment as viral-ngs does with
// pysam: read length from the CIGAR with hard clips (the stored sequence without a
// CIGAR), aligned query bases = M/I/=/X (soft clips excluded), block = M/I/D/=/X,
// identity = 100·(block − NM)/block.
func alignmentOf(rec *sam.Record) (Alignment, error) {
	if rec.Ref == nil {
		return Alignment{}, fmt.Errorf("mapped but has no reference")
	}
	var readLen, aligned, block int
	for _, op := range rec.Cigar {
		n := op.Len()
		switch op.Type() {
		case sam.CigarMatch, sam.CigarEqual, sam.CigarMismatch:
			readLen, aligned, block = readLen+n, aligned+n, block+n
		case sam.CigarInsertion:
			readLen, aligned, block = readLen+n, aligned+n, block+n
		case sam.CigarDeletion:
			block += n
		case sam.CigarSoftClipped, sam.CigarHardClipped:
			readLen += n
		}
	}
	if len(rec.Cigar) == 0 {
		readLen = rec.Seq.Length
	}
	switch {
	case readLen <= 0:
		return Alignment{}, fmt.Errorf("read length cannot be inferred (no CIGAR and no sequence)")
	case block == 0:
		return Alignment{}, fmt.Errorf("alignment block length is 0 (CIGAR %q)", rec.Cigar.String())
	}
	nm, err := editDistance(rec)
	if err != nil {
		return Alignment{}, err
	}
	if nm > block {
		return Alignment{}, fmt.Errorf("NM %d exceeds the alignment block length %d", nm, block)
	}
	a := Alignment{Read: rec.Name, ReadLength: readLen, Contig: rec.Ref.Name(), ContigLength: rec.Ref.Len(),
		Strand: '+', MapQ: int(rec.MapQ), Identity: percent(block-nm, block), QueryCov: percent(aligned, readLen)}
	if rec.Flags&sam.Reverse != 0 {
		a.Strand = '-'
	}
	return a, nil
}

var nmTag = sam.NewTag("NM")

// editDistance returns the NM tag, an error when absent or not a non-negative integer.
func editDistance(rec *sam.Record) (int, error) {
	aux, ok := rec.Tag(nmTag[:])
	if !ok {
		return 0, fmt.Errorf("no NM tag: identity needs the edit distance (align with an aligner that writes NM, e.g. minimap2 -a, bwa mem)")
	}
	var v int64
	switch x := aux.Value().(type) {
	case int8:
		v = int64(x)
	case uint8:
		v = int64(x)
	case int16:
		v = int64(x)
	case uint16:
		v = int64(x)
	case int32:
		v = int64(x)
	case uint32:
		v = int64(x)
	default:
		return 0, fmt.Errorf("NM tag %v is not an integer", aux)
	}
	if v < 0 {
		return 0, fmt.Errorf("NM tag %d is negative", v)
	}
	return int(v), nil
}
