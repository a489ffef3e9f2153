package report

import (
	"bufio"
	"io"
	"math"
	"strconv"
)

// Record statuses in sequences.tsv.
const (
	// StatusOK: at least one chunk of the record has a stop-free frame and was scored.
	StatusOK = "ok"
	// StatusNoORF: no chunk of the record has a stop-free frame, so nothing was scored
	// (the original silently drops such records).
	StatusNoORF = "no_orf"
)

// Call is a record's overall call.
type Call string

// Record calls.
const (
	CallViral     Call = "Viral"
	CallNonViral  Call = "Non-viral"
	CallAmbiguous Call = "Ambiguous"
	// CallNone is written for a record with no scored chunk (status no_orf).
	CallNone Call = "NA"
)

// Tier is the confidence tier of a call.
type Tier string

// Confidence tiers, from most to least confident.
const (
	TierHigh   Tier = "high"
	TierMedium Tier = "medium"
	TierLow    Tier = "low"
	// TierNone goes with CallNone.
	TierNone Tier = "NA"
)

// lower returns the tier one step down (low stays low).
func (t Tier) lower() Tier {
	switch t {
	case TierHigh:
		return TierMedium
	case TierMedium:
		return TierLow
	}
	return t
}

// SequencesHeader is the header line of sequences.tsv. The first eight columns are the
// ones predict has always written; the per-record call follows them.
const SequencesHeader = "id\tlength\tchunks\tchunks_with_frames\tno_orf_chunks\tviral_chunks\tmax_score2\tstatus" +
	"\tmean_score2\tviral_fraction\tweighted_delta\tconfident_viral_chunks\tconfident_nonviral_chunks\tambiguous_chunks\tcall\ttier\n"

// RecordSummary aggregates the calls of one input record's chunks, streaming: it holds
// sums and counts only, never the chunks themselves.
type RecordSummary struct {
	ID     string
	Length int
	// Ordinal is the record's 0-based position in the input (tie-breaker when ranking).
	Ordinal int
	// Chunks counts every chunk; ChunksWithFrames those with at least one kept frame
	// (scored chunks); ViralChunks the scored chunks called viral (max score2 >= max score1).
	Chunks, ChunksWithFrames, ViralChunks int
	// MaxVirus is the highest score2 over all kept frames of the record (NaN if none).
	MaxVirus float32
	// ConfidentViral, ConfidentNonViral and AmbiguousChunks count the scored chunks
	// meeting the Thresholds' chunk rules.
	ConfidentViral, ConfidentNonViral, AmbiguousChunks int

	th               Thresholds
	sumVirus         float64
	sumW, sumWDelta  float64
	nonViralByFrames int
}

// NewRecordSummary starts the summary of a record with DefaultThresholds.
func NewRecordSummary(id string, length int) *RecordSummary {
	return NewRecordSummaryWith(id, length, DefaultThresholds())
}

// NewRecordSummaryWith starts the summary of a record with the given thresholds.
func NewRecordSummaryWith(id string, length int, th Thresholds) *RecordSummary {
	return &RecordSummary{ID: id, Length: length, MaxVirus: float32(math.NaN()), th: th}
}

// AddChunk folds one chunk's call into the record (a call with Frames == 0 is a
// chunk with no stop-free frame).
func (r *RecordSummary) AddChunk(c ChunkCall) {
	r.Chunks++
	if c.Frames == 0 {
		return
	}
	r.ChunksWithFrames++
	if c.IsVirus() {
		r.ViralChunks++
	} else {
		r.nonViralByFrames++
	}
	if r.MaxVirus != r.MaxVirus || c.MaxVirus > r.MaxVirus {
		r.MaxVirus = c.MaxVirus
	}
	s0, s1 := float64(c.MaxOthers), float64(c.MaxVirus)
	r.sumVirus += s1
	delta := s1 - s0
	w := math.Sqrt(math.Abs(delta))
	r.sumW += w
	r.sumWDelta += w * delta
	th := r.th
	switch {
	case s1 > th.ConfidentHigh && s0 < th.ConfidentLow:
		r.ConfidentViral++
	case s0 > th.ConfidentHigh && s1 < th.ConfidentLow:
		r.ConfidentNonViral++
	}
	if s0 > th.AmbiguousBoth && s1 > th.AmbiguousBoth {
		r.AmbiguousChunks++
	}
}

// Status is StatusOK or StatusNoORF.
func (r *RecordSummary) Status() string {
	if r.ChunksWithFrames == 0 {
		return StatusNoORF
	}
	return StatusOK
}

// ViralFraction is ViralChunks / ChunksWithFrames (NaN with no scored chunk).
func (r *RecordSummary) ViralFraction() float64 {
	if r.ChunksWithFrames == 0 {
		return math.NaN()
	}
	return float64(r.ViralChunks) / float64(r.ChunksWithFrames)
}

// MeanVirus is the mean over scored chunks of the chunk's max score2 (NaN with none).
func (r *RecordSummary) MeanVirus() float64 {
	if r.ChunksWithFrames == 0 {
		return math.NaN()
	}
	return r.sumVirus / float64(r.ChunksWithFrames)
}

// WeightedDelta is Σ(w·delta)/Σw over scored chunks, delta = max score2 − max score1
// and w = |delta|^0.5. It is 0 when every delta is 0 (Σw = 0) and NaN with no scored
// chunk.
func (r *RecordSummary) WeightedDelta() float64 {
	if r.ChunksWithFrames == 0 {
		return math.NaN()
	}
	if r.sumW == 0 {
		return 0
	}
	return r.sumWDelta / r.sumW
}

// Call returns the record's call and confidence tier:
//
//   - no scored chunk: NA, NA;
//   - weighted delta > CallDelta: Viral; high if also > HighDelta with >= 1 confident
//     viral chunk and viral fraction >= HighFraction, medium otherwise;
//   - weighted delta < −CallDelta: Non-viral; high if also < −HighDelta with >= 1
//     confident non-viral chunk and non-viral fraction >= HighFraction, medium otherwise;
//   - otherwise Ambiguous, low;
//   - then fewer than MinChunks scored chunks lowers the tier one step (high -> medium
//     -> low; low stays low).
func (r *RecordSummary) Call() (Call, Tier) {
	if r.ChunksWithFrames == 0 {
		return CallNone, TierNone
	}
	th := r.th
	wd := r.WeightedDelta()
	n := float64(r.ChunksWithFrames)
	var call Call
	var tier Tier
	switch {
	case wd > th.CallDelta:
		call, tier = CallViral, TierMedium
		if wd > th.HighDelta && r.ConfidentViral >= 1 && float64(r.ViralChunks)/n >= th.HighFraction {
			tier = TierHigh
		}
	case wd < -th.CallDelta:
		call, tier = CallNonViral, TierMedium
		if wd < -th.HighDelta && r.ConfidentNonViral >= 1 && float64(r.nonViralByFrames)/n >= th.HighFraction {
			tier = TierHigh
		}
	default:
		call, tier = CallAmbiguous, TierLow
	}
	if r.ChunksWithFrames < th.MinChunks {
		tier = tier.lower()
	}
	return call, tier
}

// SequencesWriter writes sequences.tsv, one row per input record in input order.
type SequencesWriter struct {
	w *bufio.Writer
}

// NewSequencesWriter writes the header.
func NewSequencesWriter(w io.Writer) (*SequencesWriter, error) {
	bw := bufio.NewWriterSize(w, 1<<16)
	if _, err := bw.WriteString(SequencesHeader); err != nil {
		return nil, err
	}
	return &SequencesWriter{w: bw}, nil
}

// Write appends one record's row; score columns are "NA" when no frame was scored.
func (s *SequencesWriter) Write(r *RecordSummary) error {
	b := s.w
	b.WriteString(r.ID)
	for _, n := range []int{r.Length, r.Chunks, r.ChunksWithFrames, r.Chunks - r.ChunksWithFrames, r.ViralChunks} {
		b.WriteByte('\t')
		b.WriteString(strconv.Itoa(n))
	}
	b.WriteByte('\t')
	if r.ChunksWithFrames == 0 {
		b.WriteString("NA")
	} else {
		b.WriteString(FormatScore(r.MaxVirus))
	}
	b.WriteByte('\t')
	b.WriteString(r.Status())
	for _, v := range []float64{r.MeanVirus(), r.ViralFraction(), r.WeightedDelta()} {
		b.WriteByte('\t')
		b.WriteString(formatStat(v))
	}
	for _, n := range []int{r.ConfidentViral, r.ConfidentNonViral, r.AmbiguousChunks} {
		b.WriteByte('\t')
		b.WriteString(strconv.Itoa(n))
	}
	call, tier := r.Call()
	b.WriteByte('\t')
	b.WriteString(string(call))
	b.WriteByte('\t')
	b.WriteString(string(tier))
	_, err := b.WriteString("\n")
	return err
}

// Flush writes buffered rows.
func (s *SequencesWriter) Flush() error { return s.w.Flush() }

// formatStat writes a derived statistic with 4 decimals ("NA" for NaN).
func formatStat(v float64) string {
	if v != v {
		return "NA"
	}
	s := strconv.FormatFloat(v, 'f', 4, 64)
	if s == "-0.0000" {
		s = "0.0000"
	}
	return s
}
