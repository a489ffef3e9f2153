package report

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Chunk calls in chunks.tsv.
const (
	ChunkViral    = "viral"
	ChunkNonViral = "non_viral"
	// ChunkNoORF: the chunk has no stop-free frame and was not scored.
	ChunkNoORF = "no_orf"
)

// ChunksHeader is the header line of chunks.tsv.
const ChunksHeader = "record_id\tchunk\tstart\tend\tframes\tmax_score1\tmax_score2\tcall\n"

// ChunkRow is one chunk of an input record with its scores: a row of chunks.tsv.
type ChunkRow struct {
	// Record is the input record's id.
	Record string
	// Index is the 0-based chunk number (the chunk id is <record>_chunk_<Index+1>).
	Index int
	// Start and End are the 0-based, half-open span of the chunk on the record.
	Start, End int
	// Frames is the number of kept frames scored (0: no stop-free frame).
	Frames int
	// MaxOthers and MaxVirus are the maxima of score1 and score2 over the kept frames
	// (meaningless when Frames == 0).
	MaxOthers, MaxVirus float32
}

// Scored reports whether the chunk had at least one kept frame.
func (c ChunkRow) Scored() bool { return c.Frames > 0 }

// IsVirus is the chunk call of the original: max score2 >= max score1.
func (c ChunkRow) IsVirus() bool { return c.Frames > 0 && c.MaxVirus >= c.MaxOthers }

// Call is ChunkViral, ChunkNonViral or ChunkNoORF.
func (c ChunkRow) Call() string {
	switch {
	case c.Frames == 0:
		return ChunkNoORF
	case c.IsVirus():
		return ChunkViral
	}
	return ChunkNonViral
}

// ChunkCall returns the row as the consensus call of its chunk.
func (c ChunkRow) ChunkCall() ChunkCall {
	return ChunkCall{ChunkID: c.Record + "_chunk_" + strconv.Itoa(c.Index+1), MaxOthers: c.MaxOthers, MaxVirus: c.MaxVirus, Frames: c.Frames}
}

// ChunksWriter writes chunks.tsv, one row per chunk in input order. Coordinates are
// written 1-based and inclusive (start = Start+1, end = End); scores as
// prediction_results.txt prints them, "NA" for a chunk without kept frames.
type ChunksWriter struct {
	w *bufio.Writer
}

// NewChunksWriter writes the header.
func NewChunksWriter(w io.Writer) (*ChunksWriter, error) {
	bw := bufio.NewWriterSize(w, 1<<16)
	if _, err := bw.WriteString(ChunksHeader); err != nil {
		return nil, err
	}
	return &ChunksWriter{w: bw}, nil
}

// Write appends one chunk's row.
func (c *ChunksWriter) Write(r ChunkRow) error {
	b := c.w
	b.WriteString(r.Record)
	for _, n := range []int{r.Index + 1, r.Start + 1, r.End, r.Frames} {
		b.WriteByte('\t')
		b.WriteString(strconv.Itoa(n))
	}
	if r.Frames == 0 {
		b.WriteString("\tNA\tNA")
	} else {
		b.WriteByte('\t')
		b.WriteString(FormatScore(r.MaxOthers))
		b.WriteByte('\t')
		b.WriteString(FormatScore(r.MaxVirus))
	}
	b.WriteByte('\t')
	b.WriteString(r.Call())
	_, err := b.WriteString("\n")
	return err
}

// Flush writes buffered rows.
func (c *ChunksWriter) Flush() error { return c.w.Flush() }

// ChunksReader reads chunks.tsv row by row.
type ChunksReader struct {
	sc   *bufio.Scanner
	name string
	line int
}

// NewChunksReader checks the header of chunks.tsv; name is used in errors.
func NewChunksReader(r io.Reader, name string) (*ChunksReader, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	cr := &ChunksReader{sc: sc, name: name}
	if !sc.Scan() {
		if err := sc.Err(); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		return nil, fmt.Errorf("%s: empty file, want the header %q", name, strings.TrimSpace(ChunksHeader))
	}
	cr.line = 1
	if sc.Text()+"\n" != ChunksHeader {
		return nil, fmt.Errorf("%s line 1: header %q, want %q", name, sc.Text(), strings.TrimSpace(ChunksHeader))
	}
	return cr, nil
}

// Next returns the next row, or io.EOF after the last one.
func (c *ChunksReader) Next() (ChunkRow, error) {
	if !c.sc.Scan() {
		if err := c.sc.Err(); err != nil {
			return ChunkRow{}, fmt.Errorf("%s line %d: %w", c.name, c.line+1, err)
		}
		return ChunkRow{}, io.EOF
	}
	c.line++
	f := strings.Split(c.sc.Text(), "\t")
	bad := func(format string, a ...any) (ChunkRow, error) {
		return ChunkRow{}, fmt.Errorf("%s line %d: %s", c.name, c.line, fmt.Sprintf(format, a...))
	}
	if len(f) != 8 {
		return bad("%d columns, want 8", len(f))
	}
	if f[0] == "" {
		return bad("empty record id")
	}
	var n [4]int
	for i := range n {
		v, err := strconv.Atoi(f[i+1])
		if err != nil || v < 0 {
			return bad("column %d (%s): %q is not a non-negative integer", i+2, strings.Split(ChunksHeader, "\t")[i+1], f[i+1])
		}
		n[i] = v
	}
	r := ChunkRow{Record: f[0], Index: n[0] - 1, Start: n[1] - 1, End: n[2], Frames: n[3]}
	if n[0] < 1 || n[1] < 1 || r.End < r.Start {
		return bad("chunk %d span %d..%d: want chunk >= 1 and 1 <= start <= end+1", n[0], n[1], n[2])
	}
	if r.Frames == 0 {
		if f[5] != "NA" || f[6] != "NA" || f[7] != ChunkNoORF {
			return bad("a chunk with 0 frames must have NA scores and call %s", ChunkNoORF)
		}
		return r, nil
	}
	for i, p := range []*float32{&r.MaxOthers, &r.MaxVirus} {
		v, err := strconv.ParseFloat(f[5+i], 32)
		if err != nil || v < 0 || v > 1 {
			return bad("score %q is not a probability", f[5+i])
		}
		*p = float32(v)
	}
	if r.Call() != f[7] {
		return bad("call %q disagrees with the scores (want %s)", f[7], r.Call())
	}
	return r, nil
}
