package report

import (
	"bufio"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
)

// ContigsFile is the per-contig table, virnucpro_contigs' output.
const ContigsFile = "contigs.tsv"

// ContigsHeader is the header line of contigs.tsv.
const ContigsHeader = "ID\tcall\ttier\tweighted_delta\tn_chunks\tn_confident_viral\tn_confident_nonviral\tn_ambiguous\tviral_proportion\tnonviral_proportion\n"

// ContigsTable collects the rows of contigs.tsv (one small row per scored record; a
// record without a scored chunk has no row, as it has none in the highest-score table)
// and writes them in natural order of ID at the end, as virnucpro_contigs sorts them.
// Memory is bounded: past RunRows rows it sorts them into a run spilled to a
// temporary directory under Dir, and Write merges the runs (contigs_spill.go).
type ContigsTable struct {
	// Dir holds the spilled runs ("" = os.TempDir()); RunRows is the most rows held
	// in memory (0 = 1<<14, about 2.5 MB).
	Dir     string
	RunRows int

	rows         []contigRow
	n            int64
	anyEffective bool
	spill        contigSpill
}

// contigRow is a row with its input position, the tie-break of equal sort keys.
type contigRow struct {
	ContigCall
	ordinal int64
}

// Add appends a record's roll-up (a call without scored chunks is skipped), spilling a
// sorted run when RunRows rows are held.
func (t *ContigsTable) Add(c ContigCall) error {
	if c.Chunks == 0 {
		return nil
	}
	if c.Effective() > 0 {
		t.anyEffective = true
	}
	t.rows = append(t.rows, contigRow{c, t.n})
	t.n++
	if t.RunRows <= 0 {
		t.RunRows = 1 << 14
	}
	if len(t.rows) >= t.RunRows {
		t.sortRows()
		if err := t.spill.write(t.Dir, t.rows); err != nil {
			return err
		}
		t.rows = t.rows[:0]
	}
	return nil
}

// Len is the number of rows so far.
func (t *ContigsTable) Len() int64 { return t.n }

func (t *ContigsTable) sortRows() {
	sort.Slice(t.rows, func(i, j int) bool { return contigLess(t.rows[i], t.rows[j]) })
}

func contigLess(a, b contigRow) bool {
	if c := naturalCompare(a.ID, b.ID); c != 0 {
		return c < 0
	}
	return a.ordinal < b.ordinal
}

// Close removes the spilled runs (Write does it too).
func (t *ContigsTable) Close() { t.spill.remove() }

// Write writes the header and the rows sorted by NaturalLess of their IDs (equal
// keys keep their input order), formatted as pandas writes virnucpro_contigs' table:
// weighted_delta rounded as numpy rounds a float64 to 3 decimals, the proportions as
// Python's round(x, 3), each printed as Python's repr ("0.5", "1.0", "-0.0"); a
// proportion column whose every value is the integer 0 of an all-ambiguous contig
// prints as integers ("0"), as pandas infers an integer column then.
func (t *ContigsTable) Write(w io.Writer) error {
	defer t.Close()
	t.sortRows()
	bw := bufio.NewWriterSize(w, 1<<16)
	bw.WriteString(ContigsHeader)
	intProps := !t.anyEffective
	if len(t.spill.runs) == 0 {
		for _, r := range t.rows {
			writeContigRow(bw, r.ContigCall, intProps)
		}
		return bw.Flush()
	}
	if len(t.rows) > 0 {
		if err := t.spill.write(t.Dir, t.rows); err != nil {
			return err
		}
		t.rows = t.rows[:0]
	}
	if err := t.spill.merge(func(r contigRow) { writeContigRow(bw, r.ContigCall, intProps) }); err != nil {
		return err
	}
	return bw.Flush()
}

// writeContigRow writes one row (bufio errors surface at Flush).
func writeContigRow(bw *bufio.Writer, c ContigCall, intProps bool) {
	prop := func(v float64) string {
		if intProps {
			return "0"
		}
		return PyRepr(PyRound3(v))
	}
	bw.WriteString(csvQuote(c.ID))
	for _, s := range []string{string(c.Call), string(c.Tier), PyRepr(NumpyRound3(c.WeightedDelta)),
		strconv.Itoa(c.Chunks), strconv.Itoa(c.ConfidentViral), strconv.Itoa(c.ConfidentNonViral), strconv.Itoa(c.Ambiguous),
		prop(c.ViralProportion), prop(c.NonViralProportion)} {
		bw.WriteByte('\t')
		bw.WriteString(s)
	}
	bw.WriteByte('\n')
}

// NumpyRound3 is round(x, 3) of a numpy float64: rint(x·1000)/1000 in float64.
func NumpyRound3(x float64) float64 { return math.RoundToEven(x*1000) / 1000 }

// PyRound3 is Python's round(x, 3) of a float: x rounded correctly (half to even on
// its exact binary value) to 3 decimals, read back.
func PyRound3(x float64) float64 {
	v, err := strconv.ParseFloat(strconv.FormatFloat(x, 'f', 3, 64), 64)
	if err != nil {
		return x
	}
	return v
}

// PyRepr is Python's repr of a float in positional range (|x| in [1e-4, 1e16) or 0):
// the shortest decimal that reads back as x, with ".0" on integral values ("-0.0" for
// negative zero). Outside that range it falls back to the same digits in exponent form
// as Python writes them ("1e-05", "1e+16").
func PyRepr(x float64) string {
	switch {
	case math.IsNaN(x):
		return "nan"
	case math.IsInf(x, 1):
		return "inf"
	case math.IsInf(x, -1):
		return "-inf"
	}
	if a := math.Abs(x); a != 0 && (a < 1e-4 || a >= 1e16) {
		s := strconv.FormatFloat(x, 'e', -1, 64)
		mant, exp, _ := strings.Cut(s, "e")
		sign := exp[0]
		exp = strings.TrimLeft(exp[1:], "0")
		if len(exp) < 2 {
			exp = strings.Repeat("0", 2-len(exp)) + exp
		}
		return mant + "e" + string(sign) + exp
	}
	s := strconv.FormatFloat(x, 'f', -1, 64)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}

// csvQuote quotes a field as Python's csv writer (pandas to_csv) does with a tab
// delimiter: when it holds a tab, a quote or a line break, quotes doubled.
func csvQuote(s string) string {
	if !strings.ContainsAny(s, "\t\"\n\r") {
		return s
	}
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}
