package readlabel

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/virnucpro/virnucpro/internal/report"
)

// contigColumns are the columns of contigs.tsv a read row copies (any order, extra
// columns ignored, as virnucpro_label_reads_by_contig reads viral-ngs' table).
var contigColumns = []string{"ID", "call", "tier", "weighted_delta", "n_chunks", "n_confident_viral",
	"n_confident_nonviral", "n_ambiguous", "viral_proportion", "nonviral_proportion"}

// CallUnclassified is the call of a read whose contig is not in the table; its tier is
// empty and its metrics 0.
const CallUnclassified = "Unclassified"

// ContigRow is a contig's call and metrics, as a read row prints them.
type ContigRow struct {
	Call, Tier string
	// Metrics are weighted_delta … nonviral_proportion, formatted (numbers re-printed
	// as the database of viral-ngs prints them after reading them: doubles shortest,
	// "0.0" for 0; counts as integers).
	Metrics [7]string
}

// unclassified is the row of a contig absent from the table.
var unclassified = ContigRow{Call: CallUnclassified, Metrics: [7]string{"0.0", "0", "0", "0", "0", "0.0", "0.0"}}

// ContigTable maps contig ids to their rows.
type ContigTable map[string]*ContigRow

// Lookup returns a contig's row, the Unclassified row when absent.
func (t ContigTable) Lookup(id string) *ContigRow {
	if r, ok := t[id]; ok {
		return r
	}
	return &unclassified
}

// ReadContigs reads contigs.tsv (ours or viral-ngs'); name is used in errors.
func ReadContigs(r io.Reader, name string) (ContigTable, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	if !sc.Scan() {
		if err := sc.Err(); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		return nil, fmt.Errorf("%s: empty file, want a header with %s", name, strings.Join(contigColumns, ", "))
	}
	col := map[string]int{}
	for i, h := range strings.Split(strings.TrimRight(sc.Text(), "\r"), "\t") {
		col[h] = i
	}
	var idx [10]int
	var missing []string
	for i, c := range contigColumns {
		j, ok := col[c]
		if !ok {
			missing = append(missing, c)
		}
		idx[i] = j
	}
	if missing != nil {
		return nil, fmt.Errorf("%s line 1: missing columns %s", name, strings.Join(missing, ", "))
	}
	t := ContigTable{}
	for line := 2; sc.Scan(); line++ {
		f := strings.Split(strings.TrimRight(sc.Text(), "\r"), "\t")
		if len(f) != len(col) {
			return nil, fmt.Errorf("%s line %d: %d columns, want %d", name, line, len(f), len(col))
		}
		row, err := contigRow(f, idx)
		if err != nil {
			return nil, fmt.Errorf("%s line %d: %w", name, line, err)
		}
		id := csvUnquote(f[idx[0]])
		if _, dup := t[id]; dup {
			return nil, fmt.Errorf("%s line %d: contig %q listed twice", name, line, id)
		}
		t[id] = row
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return t, nil
}

// contigRow parses and re-formats one row's call, tier and metrics.
func contigRow(f []string, idx [10]int) (*ContigRow, error) {
	row := &ContigRow{Call: f[idx[1]], Tier: f[idx[2]]}
	if row.Call == "" {
		return nil, fmt.Errorf("empty call")
	}
	for i := range row.Metrics {
		c := contigColumns[3+i]
		s := f[idx[3+i]]
		if i >= 1 && i <= 4 { // the counts
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil || n < 0 {
				return nil, fmt.Errorf("%s %q is not a non-negative integer", c, s)
			}
			row.Metrics[i] = strconv.FormatInt(n, 10)
			continue
		}
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return nil, fmt.Errorf("%s %q is not a number", c, s)
		}
		row.Metrics[i] = formatDouble(v)
	}
	return row, nil
}

// formatDouble prints a DOUBLE as viral-ngs' DuckDB writes it: the shortest decimal
// that reads back as v, ".0" on integral values.
func formatDouble(v float64) string { return report.PyRepr(v) }

// csvUnquote undoes the quoting of a CSV field ("a""b" is a"b).
func csvUnquote(s string) string {
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		return strings.ReplaceAll(s[1:len(s)-1], `""`, `"`)
	}
	return s
}
