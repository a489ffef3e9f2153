package report

import (
	"bytes"
	"container/heap"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/virnucpro/virnucpro/internal/atomicfile"
)

// File names RunReport writes inside the output directory.
const (
	SequencesFile   = "sequences.tsv"
	ChunksFile      = "chunks.tsv"
	RegionsBEDFile  = "regions.bed"
	RegionsTSVFile  = "regions.tsv"
	PlotsDir        = "plots"
	HTMLFile        = "report.html"
	defaultHTMLRows = 1000
	defaultHTMLPlot = 20
	// PlotAll as Options.PlotTop draws every record (one file each).
	PlotAll = -1
	// DefaultPlotTop is the number of records drawn in plots/ by default.
	DefaultPlotTop = 100
)

// Options configures a RunReport.
type Options struct {
	// Dir is the output directory (created if missing).
	Dir string
	// Thresholds of the record call and of region merging; the zero value means
	// DefaultThresholds.
	Thresholds *Thresholds
	// PlotTop selects the records drawn in plots/: N > 0 the N records with the
	// strongest viral evidence (see rank), PlotAll (-1) every record (each written when
	// the record ends: one file per record), 0 none.
	PlotTop int
	// HTMLPlots is the number of plots inlined in report.html (the top ones by
	// evidence; default 20); HTMLRows the most records listed in its table (the top
	// ones, most viral first; default 1000). Negative: none. With the defaults
	// report.html stays under 2 MB for any run (plots are bounded, see
	// maxTrackSegments; ids and descriptions are cut in the table).
	HTMLPlots, HTMLRows int
	// NoHTML skips report.html.
	NoHTML bool
	// Title and Params head report.html (e.g. input file, chunk size, models).
	Title  string
	Params []Param
	// Meta, when set, is the run's metadata shown at the top of report.html (date,
	// command line, version, models with their digests, backend, runtime).
	Meta *RunMeta `json:"-"`
	// Confirmation, when it ran, is shown in report.html's run summary (predict sets
	// it at the end of the run with SetConfirmation; merge sums the shards').
	Confirmation Confirmation `json:"-"`
}

// RunReport is the streaming sink of the per-record reports: it receives each record's
// chunks in input order and writes sequences.tsv, contigs.tsv, chunks.tsv, regions.bed,
// regions.tsv, plots/*.svg and report.html. Memory is bounded: one record's plot data
// while it is open (at most maxTrackSegments segments, whatever its length) and one
// float64 per scored chunk of it (the weighted delta is summed pairwise at its end), the
// kept top-N plots and table rows, fixed-size overview histograms, and at most 65536
// contigs.tsv rows (sorted runs of them spill to the output directory; Finish merges).
//
// Call order: (BeginRecord AddChunk* EndRecord?)* then Finish, or Abort at any point.
// BeginRecord ends the previous record if EndRecord was not called. Every file is
// written under a temporary name and appears under its final name only in Finish.
type RunReport struct {
	opts Options
	th   Thresholds

	files   []*atomicfile.File
	seqs    *SequencesWriter
	contigs ContigsTable
	contigF *atomicfile.File
	chunks  *ChunksWriter
	regions *RegionsWriter
	plotTmp string // temporary plots directory ("" when no plots)

	cur      *RecordSummary
	track    trackBuilder
	nRegions int // of the open record
	merger   *RegionMerger
	// heldRegions are the open record's regions, written when its call is known.
	heldRegions []Region
	ordinal     int

	summary RunSummary
	plots   topK // candidates kept for plots (plots/ with PlotTop > 0, HTML otherwise)
	rows    topK // candidates kept for the HTML table
	failed  error
}

// NewRunReport opens the output files in opts.Dir.
func NewRunReport(opts Options) (*RunReport, error) {
	th := DefaultThresholds()
	if opts.Thresholds != nil {
		th = *opts.Thresholds
	}
	if err := th.Validate(); err != nil {
		return nil, err
	}
	if opts.HTMLPlots == 0 {
		opts.HTMLPlots = defaultHTMLPlot
	}
	if opts.HTMLRows == 0 {
		opts.HTMLRows = defaultHTMLRows
	}
	if err := os.MkdirAll(opts.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("output directory: %w", err)
	}
	rr := &RunReport{opts: opts, th: th, merger: NewRegionMerger(th.RegionGap)}
	rr.contigs.Dir = opts.Dir
	open := func(name string) (*atomicfile.File, error) {
		f, err := atomicfile.Create(filepath.Join(opts.Dir, name))
		if err != nil {
			return nil, err
		}
		rr.files = append(rr.files, f)
		return f, nil
	}
	fail := func(err error) (*RunReport, error) { rr.Abort(); return nil, err }
	f, err := open(SequencesFile)
	if err != nil {
		return fail(err)
	}
	rr.seqs, _ = NewSequencesWriter(f) // header is buffered: no error here
	if rr.contigF, err = open(ContigsFile); err != nil {
		return fail(err)
	}
	if f, err = open(ChunksFile); err != nil {
		return fail(err)
	}
	rr.chunks, _ = NewChunksWriter(f)
	bed, err := open(RegionsBEDFile)
	if err != nil {
		return fail(err)
	}
	if f, err = open(RegionsTSVFile); err != nil {
		return fail(err)
	}
	rr.regions, _ = NewRegionsWriter(bed, f)
	if opts.PlotTop != 0 {
		if err := checkPlotsDir(opts.Dir); err != nil {
			return fail(err)
		}
		if rr.plotTmp, err = os.MkdirTemp(opts.Dir, "."+PlotsDir+".tmp-"); err != nil {
			return fail(fmt.Errorf("plots directory: %w", err))
		}
		if err = os.Chmod(rr.plotTmp, 0o755); err != nil { // MkdirTemp makes it private
			return fail(fmt.Errorf("plots directory: %w", err))
		}
	}
	plotCap := max(opts.PlotTop, opts.HTMLPlots, 0)
	rr.plots = topK{k: plotCap}
	rr.rows = topK{k: max(opts.HTMLRows, 0)}
	return rr, nil
}

// ChunkRowOf builds the chunks.tsv row of a chunk from its place on the record
// (0-based index, 0-based half-open span) and its consensus call.
func ChunkRowOf(record string, index, start, end int, c ChunkCall) ChunkRow {
	return ChunkRow{Record: record, Index: index, Start: start, End: end, Frames: c.Frames, MaxOthers: c.MaxOthers, MaxVirus: c.MaxVirus}
}

// BeginRecord starts the next input record (ending the open one, if any).
func (rr *RunReport) BeginRecord(id string, length int) error {
	if err := rr.EndRecord(); err != nil {
		return err
	}
	rr.cur = NewRecordSummaryWith(id, length, rr.th)
	rr.cur.Ordinal = rr.ordinal
	rr.ordinal++
	rr.nRegions = 0
	rr.track.reset()
	return nil
}

// SetDescription gives the open record's FASTA description (its header line; the id
// at its start is dropped, tabs become spaces), written in sequences.tsv and shown in
// report.html.
func (rr *RunReport) SetDescription(desc string) {
	if rr.cur == nil {
		return
	}
	desc = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(desc), rr.cur.ID))
	rr.cur.Description = strings.ReplaceAll(desc, "\t", " ")
}

// AddChunk adds the next chunk of the open record; c.Record is set to the record's id.
func (rr *RunReport) AddChunk(c ChunkRow) error {
	if rr.failed != nil {
		return rr.failed
	}
	if rr.cur == nil {
		return fmt.Errorf("report: chunk %d of %q outside a record", c.Index+1, c.Record)
	}
	c.Record = rr.cur.ID
	rr.cur.AddChunk(c.ChunkCall())
	rr.summary.Frames += c.Frames
	if err := rr.chunks.Write(c); err != nil {
		return rr.fail(ChunksFile, err)
	}
	if r, ok := rr.merger.Add(c); ok {
		if err := rr.addRegion(r); err != nil {
			return err
		}
	}
	if rr.opts.PlotTop != 0 || rr.opts.HTMLPlots > 0 {
		rr.track.addChunk(c)
	}
	return nil
}

func (rr *RunReport) addRegion(r Region) error {
	rr.summary.Regions++
	rr.nRegions++
	rr.track.addRegion(r)
	rr.heldRegions = append(rr.heldRegions, r) // written by EndRecord, with the record's call
	return nil
}

// EndRecord ends the open record: writes its sequences.tsv row, its last region and,
// with PlotTop == 0, its plot. Without an open record it does nothing.
func (rr *RunReport) EndRecord() error {
	if rr.failed != nil {
		return rr.failed
	}
	r := rr.cur
	if r == nil {
		return nil
	}
	rr.cur = nil
	if reg, ok := rr.merger.Flush(); ok {
		if err := rr.addRegion(reg); err != nil {
			return err
		}
	}
	if err := rr.seqs.Write(r); err != nil {
		return rr.fail(SequencesFile, err)
	}
	if err := rr.contigs.Add(r.Contig()); err != nil {
		return rr.fail(ContigsFile, err)
	}
	if err := rr.writeHeldRegions(r); err != nil {
		return err
	}
	rr.summary.add(r)
	row := rowOf(r, rr.nRegions)
	row.Description = r.Description
	key := rankKey(r)
	rr.rows.push(candidate{key: key, row: row})
	if rr.opts.PlotTop == 0 && rr.opts.HTMLPlots <= 0 {
		return nil
	}
	call, tier := r.Call()
	if rr.opts.PlotTop == PlotAll {
		if err := rr.writePlot(r.Ordinal, rr.track.plot(r.ID, r.Length, call, tier, false)); err != nil {
			return err
		}
	}
	if rr.plots.wants(key) {
		plot := rr.track.plot(r.ID, r.Length, call, tier, true) // the builder is reused
		rr.plots.push(candidate{key: key, row: row, plot: &plot})
	}
	return nil
}

func (rr *RunReport) writePlot(ordinal int, p TrackPlot) error {
	if rr.plotTmp == "" {
		return nil
	}
	path := filepath.Join(rr.plotTmp, PlotFileName(ordinal, p.ID))
	f, err := os.Create(path)
	if err != nil {
		return rr.fail(PlotsDir, err)
	}
	if err := p.WriteSVG(f); err != nil {
		f.Close()
		return rr.fail(PlotsDir, err)
	}
	if err := f.Close(); err != nil {
		return rr.fail(PlotsDir, err)
	}
	return nil
}

// PlotFileName is the file name of a record's plot in plots/: its 1-based input
// position (6 digits) and its id with characters outside [A-Za-z0-9._-] replaced by
// '_' (cut to 100 bytes), so names are unique and safe on every file system.
func PlotFileName(ordinal int, id string) string {
	b := []byte(id)
	if len(b) > 100 {
		b = b[:100]
	}
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			b[i] = '_'
		}
	}
	return fmt.Sprintf("%06d_%s.svg", ordinal+1, b)
}

func (rr *RunReport) fail(name string, err error) error {
	rr.failed = fmt.Errorf("write %s: %w", filepath.Join(rr.opts.Dir, name), err)
	return rr.failed
}

// SetConfirmation sets the fp32 confirmation report.html shows (call before Finish).
func (rr *RunReport) SetConfirmation(c Confirmation) { rr.opts.Confirmation = c }

// Summary returns the run-wide counts so far.
func (rr *RunReport) Summary() RunSummary { return rr.summary }

// Finish ends the open record, writes the top-N plots and report.html, and moves every
// file to its final name (plots/ is replaced as a whole). On error nothing is left
// under a final name that was not there before.
func (rr *RunReport) Finish() error {
	if err := rr.EndRecord(); err != nil {
		rr.Abort()
		return err
	}
	plots := rr.plots.sorted()
	if rr.opts.PlotTop > 0 {
		for _, c := range plots[:min(len(plots), rr.opts.PlotTop)] {
			if err := rr.writePlot(c.row.Ordinal, *c.plot); err != nil {
				rr.Abort()
				return err
			}
		}
	}
	if !rr.opts.NoHTML {
		if err := rr.writeHTML(plots); err != nil {
			rr.Abort()
			return err
		}
	}
	writeContigs := func() error { return rr.contigs.Write(rr.contigF) }
	for _, fl := range []func() error{rr.seqs.Flush, writeContigs, rr.chunks.Flush, rr.regions.Flush} {
		if err := fl(); err != nil {
			rr.Abort()
			return fmt.Errorf("write reports in %s: %w", rr.opts.Dir, err)
		}
	}
	for _, f := range rr.files {
		if err := f.Commit(); err != nil {
			rr.Abort()
			return err
		}
	}
	if rr.plotTmp != "" {
		final := filepath.Join(rr.opts.Dir, PlotsDir)
		if err := removePlotsDir(rr.opts.Dir); err != nil {
			rr.Abort()
			return fmt.Errorf("replace %s: %w", final, err)
		}
		if err := os.Rename(rr.plotTmp, final); err != nil {
			rr.Abort()
			return fmt.Errorf("replace %s: %w", final, err)
		}
		rr.plotTmp = ""
		atomicfile.SyncDir(rr.opts.Dir)
	}
	return nil
}

func (rr *RunReport) writeHTML(plots []candidate) error {
	h := &HTMLReport{Title: rr.opts.Title, Params: rr.opts.Params, Thresholds: rr.th, Summary: rr.summary, Meta: rr.opts.Meta,
		Confirmation: rr.opts.Confirmation}
	ord := map[int]int{}
	for i, c := range plots {
		if i >= rr.opts.HTMLPlots {
			break
		}
		var buf bytes.Buffer
		if err := c.plot.WriteSVG(&buf); err != nil {
			return err
		}
		ord[c.row.Ordinal] = len(h.Plots)
		h.Plots = append(h.Plots, buf.Bytes())
	}
	h.OmittedPlots = rr.summary.Records - len(h.Plots)
	for _, c := range rr.rows.sorted() { // most viral first
		r := c.row
		if p, ok := ord[r.Ordinal]; ok {
			r.Plot = p
		}
		h.Rows = append(h.Rows, r)
	}
	h.OmittedRows = rr.summary.Records - len(h.Rows)
	f, err := atomicfile.Create(filepath.Join(rr.opts.Dir, HTMLFile))
	if err != nil {
		return err
	}
	rr.files = append(rr.files, f)
	if err := h.WriteHTML(f); err != nil {
		return fmt.Errorf("write %s: %w", f.Path(), err)
	}
	return nil
}

// Abort removes every temporary file and the temporary plots directory.
func (rr *RunReport) Abort() {
	for _, f := range rr.files {
		f.Abort()
	}
	rr.contigs.Close()
	if rr.plotTmp != "" {
		os.RemoveAll(rr.plotTmp)
		rr.plotTmp = ""
	}
}

// rank orders records by viral evidence for the top-N selections and the table, most
// viral first: weighted delta (the call's measure), then viral fraction, then the best
// chunk's score2, descending (records with no scored chunk last), then input order.
type rank struct {
	delta, frac float64
	max         float32
	ordinal     int
}

func rankKey(r *RecordSummary) rank {
	k := rank{delta: r.WeightedDelta(), frac: r.ViralFraction(), max: r.MaxVirus, ordinal: r.Ordinal}
	if math.IsNaN(k.frac) || math.IsNaN(k.delta) {
		k.frac, k.delta, k.max = -1, math.Inf(-1), -1
	}
	return k
}

// better reports whether a ranks above b.
func (a rank) better(b rank) bool {
	if a.delta != b.delta {
		return a.delta > b.delta
	}
	if a.frac != b.frac {
		return a.frac > b.frac
	}
	if a.max != b.max {
		return a.max > b.max
	}
	return a.ordinal < b.ordinal
}

type candidate struct {
	key  rank
	row  RecordRow
	plot *TrackPlot
}

// topK keeps the k best candidates in a min-heap (worst at the root).
type topK struct {
	k int
	h []candidate
}

func (t *topK) Len() int           { return len(t.h) }
func (t *topK) Less(i, j int) bool { return t.h[j].key.better(t.h[i].key) }
func (t *topK) Swap(i, j int)      { t.h[i], t.h[j] = t.h[j], t.h[i] }
func (t *topK) Push(x any)         { t.h = append(t.h, x.(candidate)) }
func (t *topK) Pop() any {
	c := t.h[len(t.h)-1]
	t.h = t.h[:len(t.h)-1]
	return c
}

// wants reports whether a candidate with this key would be kept.
func (t *topK) wants(k rank) bool {
	return t.k > 0 && (len(t.h) < t.k || k.better(t.h[0].key))
}

func (t *topK) push(c candidate) {
	if !t.wants(c.key) {
		return
	}
	if len(t.h) == t.k {
		heap.Pop(t)
	}
	heap.Push(t, c)
}

// sorted returns the kept candidates, best first.
func (t *topK) sorted() []candidate {
	out := append([]candidate(nil), t.h...)
	sort.Slice(out, func(i, j int) bool { return out[i].key.better(out[j].key) })
	return out
}
