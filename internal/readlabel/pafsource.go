package readlabel

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
)

// pafSource reads minimap2 PAF: 12 tab-separated columns (query name, length, start,
// end, strand, target name, length, start, end, matching bases, block length, MAPQ)
// and optional SAM-style tags. Alignments tagged tp:A:S (secondary) or tp:A:I
// (inversion) are dropped; identity = 100·matches/block, query coverage =
// 100·(query end − query start)/query length.
type pafSource struct {
	name  string
	br    *bufio.Reader
	line  int
	stats SourceStats
	long  []byte // a line longer than the reader's buffer
	// lastRead and contigs reuse name strings: one allocation per read, none per
	// alignment of a known contig.
	lastRead string
	contigs  map[string]string
}

func newPAFSource(r io.Reader, name string) *pafSource {
	return &pafSource{name: name, br: bufio.NewReaderSize(r, 1<<16), contigs: map[string]string{}}
}

func (p *pafSource) Stats() SourceStats { return p.stats }

// Next returns the next primary alignment.
func (p *pafSource) Next() (Alignment, error) {
	for {
		l, err := p.readLine()
		if l == nil {
			if err == io.EOF {
				return Alignment{}, io.EOF
			}
			return Alignment{}, fmt.Errorf("%s line %d: %w", p.name, p.line+1, err)
		}
		p.line++
		l = bytes.TrimRight(l, "\r\n")
		if len(l) == 0 {
			continue
		}
		p.stats.Records++
		a, keep, err := p.parse(l)
		if err != nil {
			return Alignment{}, fmt.Errorf("%s line %d: %w", p.name, p.line, err)
		}
		if !keep {
			p.stats.Secondary++
			continue
		}
		p.stats.Retained++
		return a, nil
	}
}

// readLine returns the next line (valid until the next call), nil at the end.
func (p *pafSource) readLine() ([]byte, error) { return readLine(p.br, &p.long) }

// maxLine bounds a text line of an alignment file (a hostile file cannot make the
// reader hold more).
const maxLine = 256 << 20

// readLine returns br's next line, with its end of line (valid until the next call;
// a line longer than br's buffer is gathered in *long), nil at the end.
func readLine(br *bufio.Reader, long *[]byte) ([]byte, error) {
	l, err := br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		*long = append((*long)[:0], l...)
		for err == bufio.ErrBufferFull {
			if len(*long) > maxLine {
				return nil, fmt.Errorf("line longer than %d MiB", maxLine>>20)
			}
			l, err = br.ReadSlice('\n')
			*long = append(*long, l...)
		}
		l = *long
	}
	if len(l) == 0 {
		if err == nil {
			err = io.EOF
		}
		return nil, err
	}
	return l, nil
}

var pafColumns = [12]string{"query name", "query length", "query start", "query end", "strand", "target name",
	"target length", "target start", "target end", "matching bases", "block length", "mapping quality"}

var (
	tagSecondary = []byte("tp:A:S")
	tagInversion = []byte("tp:A:I")
)

// parse parses one PAF line; keep is false for tp:A:S and tp:A:I.
func (p *pafSource) parse(l []byte) (a Alignment, keep bool, err error) {
	var f [12][]byte
	rest := l
	for i := range f {
		var ok bool
		f[i], rest, ok = bytes.Cut(rest, []byte{'\t'})
		if !ok && i < 11 {
			return a, false, fmt.Errorf("%d columns, want at least 12 (PAF)", i+1)
		}
	}
	for len(rest) > 0 {
		var tag []byte
		tag, rest, _ = bytes.Cut(rest, []byte{'\t'})
		if bytes.Equal(tag, tagSecondary) || bytes.Equal(tag, tagInversion) {
			return a, false, nil
		}
	}
	var n [12]int
	for _, i := range []int{1, 2, 3, 6, 7, 8, 9, 10, 11} {
		v, ok := parseCount(f[i])
		if !ok {
			return a, false, fmt.Errorf("column %d (%s): %q is not a non-negative integer", i+1, pafColumns[i], f[i])
		}
		n[i] = v
	}
	q := p.lastRead
	if string(f[0]) != q { // compared without allocating: one string per read
		q = string(f[0])
	}
	switch {
	case len(f[0]) == 0 || len(f[5]) == 0:
		return a, false, fmt.Errorf("empty query or target name")
	case len(f[4]) != 1 || f[4][0] != '+' && f[4][0] != '-':
		return a, false, fmt.Errorf("column 5 (strand): %q, want + or -", f[4])
	case n[1] == 0:
		return a, false, fmt.Errorf("query %q has length 0", q)
	case n[10] == 0:
		return a, false, fmt.Errorf("query %q: alignment block length is 0", q)
	case n[2] > n[3] || n[3] > n[1]:
		return a, false, fmt.Errorf("query %q: span %d..%d outside its length %d", q, n[2], n[3], n[1])
	case n[9] > n[10]:
		return a, false, fmt.Errorf("query %q: %d matching bases exceed the block length %d", q, n[9], n[10])
	}
	p.lastRead = q
	contig, ok := p.contigs[string(f[5])]
	if !ok {
		contig = string(f[5])
		p.contigs[contig] = contig
	}
	return Alignment{Read: q, ReadLength: n[1], Contig: contig, ContigLength: n[6], Strand: f[4][0], MapQ: n[11],
		Identity: percent(n[9], n[10]), QueryCov: percent(n[3]-n[2], n[1])}, true, nil
}

// parseCount parses a non-negative decimal integer of at most 18 digits.
func parseCount(b []byte) (int, bool) {
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	v := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	return v, true
}
