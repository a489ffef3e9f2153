package readlabel

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Header is the header line of the reads table.
const Header = "read_id\tread_length\tcontig_id\tcontig_length\tstrand\tmapping_quality\tpct_identity\tpct_query_cov\tmapped_well" +
	"\tcall\ttier\tweighted_delta\tn_chunks\tn_confident_viral\tn_confident_nonviral\tn_ambiguous\tviral_proportion\tnonviral_proportion\n"

// CallMultiMapped is the call of a read whose alignments touch contigs with more than
// one distinct call (Unclassified counting as one); its tier is TierReview.
const (
	CallMultiMapped = "Multi-mapped"
	TierReview      = "review"
)

// Options configure Label.
type Options struct {
	Thresholds Thresholds
	// OrderDir and OrderRunSize configure the read order check (OrderCheck).
	OrderDir     string
	OrderRunSize int
	// Reopen, when set, reads the alignments again from the start to name the read
	// of an order error (without it the error gives the reads' positions only).
	Reopen func() (Source, io.Closer, error)
}

// Stats counts what Label read and wrote.
type Stats struct {
	SourceStats
	// Reads is the number of rows; MappedWell, MultiMapped and Unclassified count them.
	Reads, MappedWell, MultiMapped, Unclassified int64
}

// readGroup is the open read: its best alignment and the distinct calls it touches.
type readGroup struct {
	best  Alignment
	row   *ContigRow
	calls []string
}

func (g *readGroup) add(a Alignment, row *ContigRow) {
	if g.row == nil || better(a, g.best) {
		g.best, g.row = a, row
	}
	for _, c := range g.calls {
		if c == row.Call {
			return
		}
	}
	g.calls = append(g.calls, row.Call)
}

// Label writes one row per read with a retained alignment, in the order of the
// reads' first alignments: the read's best alignment (highest MAPQ, then identity,
// then earliest), its contig's call, tier and metrics (Unclassified, empty tier and 0
// for a contig absent from contigs), Multi-mapped/review when the read's alignments
// touch more than one distinct call. A read's alignments must be adjacent in src; a
// read seen again after other reads is an error (found after the last alignment).
func Label(src Source, contigs ContigTable, w io.Writer, opts Options) (Stats, error) {
	bw := bufio.NewWriterSize(w, 1<<16)
	bw.WriteString(Header)
	order := &OrderCheck{Dir: opts.OrderDir, RunSize: opts.OrderRunSize}
	defer order.Close()
	var st Stats
	var cur readGroup
	flush := func() error {
		if cur.row == nil {
			return nil
		}
		st.count(cur, opts.Thresholds)
		writeRow(bw, cur, opts.Thresholds)
		err := order.Add(cur.best.Read, st.Reads-1)
		cur = readGroup{calls: cur.calls[:0]}
		return err
	}
	for {
		a, err := src.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return st, err
		}
		if cur.row != nil && a.Read != cur.best.Read {
			if err := flush(); err != nil {
				return st, err
			}
		}
		cur.add(a, contigs.Lookup(a.Contig))
	}
	if err := flush(); err != nil {
		return st, err
	}
	st.SourceStats = src.Stats()
	if rep, found, err := order.Find(); err != nil {
		return st, err
	} else if found {
		return st, orderError(rep, opts.Reopen)
	}
	return st, bw.Flush()
}

func (st *Stats) count(g readGroup, th Thresholds) {
	st.Reads++
	if th.MappedWell(g.best) {
		st.MappedWell++
	}
	switch {
	case len(g.calls) > 1:
		st.MultiMapped++
	case g.row.Call == CallUnclassified:
		st.Unclassified++
	}
}

// writeRow writes a read's row (bufio errors surface at Flush).
func writeRow(bw *bufio.Writer, g readGroup, th Thresholds) {
	a := g.best
	call, tier := g.row.Call, g.row.Tier
	if len(g.calls) > 1 {
		call, tier = CallMultiMapped, TierReview
	}
	var num [24]byte
	bw.WriteString(csvField(a.Read))
	bw.WriteByte('\t')
	bw.Write(strconv.AppendInt(num[:0], int64(a.ReadLength), 10))
	bw.WriteByte('\t')
	bw.WriteString(csvField(a.Contig))
	bw.WriteByte('\t')
	bw.Write(strconv.AppendInt(num[:0], int64(a.ContigLength), 10))
	bw.WriteByte('\t')
	bw.WriteByte(a.Strand)
	bw.WriteByte('\t')
	bw.Write(strconv.AppendInt(num[:0], int64(a.MapQ), 10))
	for _, s := range []string{formatDouble(a.Identity), formatDouble(a.QueryCov), strconv.FormatBool(th.MappedWell(a)), csvField(call), csvField(tier)} {
		bw.WriteByte('\t')
		bw.WriteString(s)
	}
	for _, m := range g.row.Metrics {
		bw.WriteByte('\t')
		bw.WriteString(m)
	}
	bw.WriteByte('\n')
}

// csvField writes a text value as DuckDB's CSV writer does (viral-ngs writes the
// table with it): quoted when empty (an empty string is told from NULL) or holding a
// tab, quote or line break, quotes doubled.
func csvField(s string) string {
	if s != "" && !strings.ContainsAny(s, "\t\"\n\r") {
		return s
	}
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// orderError explains a read seen again after other reads, naming it when the input
// can be read again.
func orderError(rep Repeat, reopen func() (Source, io.Closer, error)) error {
	name := ""
	if reopen != nil {
		if src, c, err := reopen(); err == nil {
			name, _ = readNameAt(src, rep.Again)
			c.Close()
		}
	}
	what := fmt.Sprintf("read %d", rep.Again+1)
	if name != "" {
		what = fmt.Sprintf("read %q", name)
	}
	return fmt.Errorf("alignments are not grouped by read: %s (read %d of the input) appears again after other reads (first as read %d); "+
		"the alignments of one read must be adjacent: give the aligner's output as written, or sort by name (samtools sort -n, or samtools collate)",
		what, rep.Again+1, rep.First+1)
}

// readNameAt returns the name of the read group with the given 0-based ordinal.
func readNameAt(src Source, ordinal int64) (string, error) {
	var n int64 = -1
	prev := ""
	for {
		a, err := src.Next()
		if err != nil {
			return "", err
		}
		if n < 0 || a.Read != prev {
			n++
			prev = a.Read
		}
		if n == ordinal {
			return a.Read, nil
		}
	}
}
