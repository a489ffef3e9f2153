package report

import (
	"bufio"
	"io"
	"math"
	"strconv"
)

// Region is a viral region: a run of viral chunks of one record, merged across gaps of
// at most Thresholds.RegionGap non-viral (or unscored) chunks. Chunks overlap (the
// chunking rule shifts later chunks back), so the span runs from the first viral
// chunk's start to the last viral chunk's end.
type Region struct {
	// Record is the input record's id; Number the region's 1-based number on it.
	Record string
	Number int
	// Start and End are 0-based, half-open on the record.
	Start, End int
	// FirstChunk and LastChunk are the 0-based indexes of the first and last viral
	// chunk; Chunks counts every chunk between them (inclusive), ViralChunks the viral ones.
	FirstChunk, LastChunk int
	Chunks, ViralChunks   int
	// MeanScore is the mean max score2 over the region's scored chunks (gap chunks
	// included); MaxScore the highest.
	MeanScore float64
	MaxScore  float32
	// RecordCall and RecordTier are the call and tier of the whole record (set when the
	// record ends). A region of a record that is not Viral is local viral signal in a
	// record the evidence as a whole does not call viral (a candidate provirus, or noise).
	RecordCall Call
	RecordTier Tier
}

// Name is <record>_region_<Number>.
func (r Region) Name() string { return r.Record + "_region_" + strconv.Itoa(r.Number) }

// BEDScore is MeanScore scaled to the BED range 0..1000.
func (r Region) BEDScore() int {
	s := int(math.Round(r.MeanScore * 1000))
	return min(max(s, 0), 1000)
}

// RegionMerger builds the viral regions of one record from its chunks in order,
// holding only the region being built.
type RegionMerger struct {
	gap    int
	number int

	open       bool
	cur        Region
	sum        float64
	scored     int
	gapChunks  int
	gapSum     float64
	gapScored  int
	gapMax     float32
	lastRecord string
}

// NewRegionMerger allows runs of at most gap non-viral chunks inside a region.
func NewRegionMerger(gap int) *RegionMerger { return &RegionMerger{gap: gap} }

// Add folds the next chunk of the current record in. It returns a region that the
// chunk closed (ok true), if any. Chunks of a new record must be preceded by Flush.
func (m *RegionMerger) Add(c ChunkRow) (Region, bool) {
	if c.Record != m.lastRecord {
		m.number = 0
		m.lastRecord = c.Record
	}
	if c.IsVirus() {
		if m.open {
			m.cur.End = c.End
			m.cur.LastChunk = c.Index
			m.cur.Chunks += m.gapChunks + 1
			m.cur.ViralChunks++
			m.sum += m.gapSum + float64(c.MaxVirus)
			m.scored += m.gapScored + 1
			m.cur.MaxScore = max(m.cur.MaxScore, m.gapMax, c.MaxVirus)
		} else {
			m.open = true
			m.number++
			m.cur = Region{Record: c.Record, Number: m.number, Start: c.Start, End: c.End,
				FirstChunk: c.Index, LastChunk: c.Index, Chunks: 1, ViralChunks: 1, MaxScore: c.MaxVirus}
			m.sum, m.scored = float64(c.MaxVirus), 1
		}
		m.gapChunks, m.gapSum, m.gapScored, m.gapMax = 0, 0, 0, 0
		return Region{}, false
	}
	if !m.open {
		return Region{}, false
	}
	m.gapChunks++
	if c.Scored() {
		m.gapSum += float64(c.MaxVirus)
		m.gapScored++
		m.gapMax = max(m.gapMax, c.MaxVirus)
	}
	if m.gapChunks > m.gap {
		return m.close(), true
	}
	return Region{}, false
}

// Flush ends the record: it returns the region still open, if any (trailing non-viral
// chunks are not part of it).
func (m *RegionMerger) Flush() (Region, bool) {
	m.lastRecord = ""
	if !m.open {
		return Region{}, false
	}
	return m.close(), true
}

func (m *RegionMerger) close() Region {
	r := m.cur
	r.MeanScore = m.sum / float64(m.scored)
	m.open = false
	m.gapChunks, m.gapSum, m.gapScored, m.gapMax = 0, 0, 0, 0
	return r
}

// RegionsHeader is the header line of regions.tsv.
const RegionsHeader = "record_id\tregion\tstart\tend\tlength\tfirst_chunk\tlast_chunk\tchunks\tviral_chunks\tmean_score2\tmax_score2" +
	"\trecord_call\trecord_tier\n"

// BEDName is the region's name in regions.bed: <Name>|<record call>|<record tier>, so a
// genome browser shows whether the record as a whole is called viral.
func (r Region) BEDName() string {
	return r.Name() + "|" + string(r.RecordCall) + "|" + string(r.RecordTier)
}

// RegionsWriter writes regions.bed (BED6: record id, 0-based start, end, BEDName,
// score 0..1000, strand ".") and regions.tsv (1-based inclusive coordinates, 1-based chunk
// numbers) side by side.
type RegionsWriter struct {
	bed, tsv *bufio.Writer
}

// NewRegionsWriter writes the regions.tsv header (BED has none).
func NewRegionsWriter(bed, tsv io.Writer) (*RegionsWriter, error) {
	r := &RegionsWriter{bed: bufio.NewWriterSize(bed, 1<<16), tsv: bufio.NewWriterSize(tsv, 1<<16)}
	if _, err := r.tsv.WriteString(RegionsHeader); err != nil {
		return nil, err
	}
	return r, nil
}

// Write appends one region to both files.
func (w *RegionsWriter) Write(r Region) error {
	b := w.bed
	b.WriteString(r.Record)
	b.WriteByte('\t')
	b.WriteString(strconv.Itoa(r.Start))
	b.WriteByte('\t')
	b.WriteString(strconv.Itoa(r.End))
	b.WriteByte('\t')
	b.WriteString(r.BEDName())
	b.WriteByte('\t')
	b.WriteString(strconv.Itoa(r.BEDScore()))
	if _, err := b.WriteString("\t.\n"); err != nil {
		return err
	}
	t := w.tsv
	t.WriteString(r.Record)
	t.WriteByte('\t')
	t.WriteString(r.Name())
	for _, n := range []int{r.Start + 1, r.End, r.End - r.Start, r.FirstChunk + 1, r.LastChunk + 1, r.Chunks, r.ViralChunks} {
		t.WriteByte('\t')
		t.WriteString(strconv.Itoa(n))
	}
	t.WriteByte('\t')
	t.WriteString(formatStat(r.MeanScore))
	t.WriteByte('\t')
	t.WriteString(FormatScore(r.MaxScore))
	t.WriteByte('\t')
	t.WriteString(string(r.RecordCall))
	t.WriteByte('\t')
	t.WriteString(string(r.RecordTier))
	_, err := t.WriteString("\n")
	return err
}

// Flush writes buffered rows of both files.
func (w *RegionsWriter) Flush() error {
	if err := w.bed.Flush(); err != nil {
		return err
	}
	return w.tsv.Flush()
}
