package readlabel

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
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
}

func newPAFSource(r io.Reader, name string) *pafSource {
	return &pafSource{name: name, br: bufio.NewReaderSize(r, 1<<16)}
}

func (p *pafSource) Stats() SourceStats { return p.stats }

// Next returns the next primary alignment.
func (p *pafSource) Next() (Alignment, error) {
	for {
		l, err := p.br.ReadString('\n')
		if l == "" && err != nil {
			if err == io.EOF {
				return Alignment{}, io.EOF
			}
			return Alignment{}, fmt.Errorf("%s line %d: %w", p.name, p.line+1, err)
		}
		p.line++
		l = strings.TrimRight(l, "\r\n")
		if l == "" {
			continue
		}
		p.stats.Records++
		a, keep, err := parsePAF(l)
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

var pafColumns = [12]string{"query name", "query length", "query start", "query end", "strand", "target name",
	"target length", "target start", "target end", "matching bases", "block length", "mapping quality"}

// parsePAF parses one PAF line; keep is false for tp:A:S and tp:A:I.
func parsePAF(l string) (a Alignment, keep bool, err error) {
	f := strings.Split(l, "\t")
	if len(f) < 12 {
		return a, false, fmt.Errorf("%d columns, want at least 12 (PAF)", len(f))
	}
	for _, tag := range f[12:] {
		if tag == "tp:A:S" || tag == "tp:A:I" {
			return a, false, nil
		}
	}
	var n [12]int
	for _, i := range []int{1, 2, 3, 6, 7, 8, 9, 10, 11} {
		v, err := strconv.Atoi(f[i])
		if err != nil || v < 0 {
			return a, false, fmt.Errorf("column %d (%s): %q is not a non-negative integer", i+1, pafColumns[i], f[i])
		}
		n[i] = v
	}
	switch {
	case f[0] == "" || f[5] == "":
		return a, false, fmt.Errorf("empty query or target name")
	case f[4] != "+" && f[4] != "-":
		return a, false, fmt.Errorf("column 5 (strand): %q, want + or -", f[4])
	case n[1] == 0:
		return a, false, fmt.Errorf("query %q has length 0", f[0])
	case n[10] == 0:
		return a, false, fmt.Errorf("query %q: alignment block length is 0", f[0])
	case n[2] > n[3] || n[3] > n[1]:
		return a, false, fmt.Errorf("query %q: span %d..%d outside its length %d", f[0], n[2], n[3], n[1])
	case n[9] > n[10]:
		return a, false, fmt.Errorf("query %q: %d matching bases exceed the block length %d", f[0], n[9], n[10])
	}
	return Alignment{Read: f[0], ReadLength: n[1], Contig: f[5], ContigLength: n[6], Strand: f[4][0], MapQ: n[11],
		Identity: percent(n[9], n[10]), QueryCov: percent(n[3]-n[2], n[1])}, true, nil
}
