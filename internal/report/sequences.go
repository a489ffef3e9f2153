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

// Tier is the confidence tier of a call (viral-ngs' virnucpro_contigs names).
type Tier string

// Confidence tiers, from most to least confident.
const (
	TierHigh     Tier = "high_confidence"
	TierModerate Tier = "moderate_confidence"
	TierLow      Tier = "low_confidence"
	// TierReview is every Ambiguous call, and a low_confidence call of a short record.
	TierReview Tier = "review"
	// TierNone goes with CallNone.
	TierNone Tier = "NA"
)

// Tiers lists the tiers from most to least confident (TierNone last).
var Tiers = []Tier{TierHigh, TierModerate, TierLow, TierReview, TierNone}

// legacyTiers are this tool's tier names before it took viral-ngs' (tables written
// then still carry them).
var legacyTiers = map[string]Tier{"high": TierHigh, "medium": TierModerate, "moderate": TierModerate, "low": TierLow}

// CanonicalTier is viral-ngs' name for a tier read from a table: one of Tiers other
// than TierNone, or a legacy name; ok is false for NA and unknown names.
func CanonicalTier(name string) (Tier, bool) {
	if t, ok := legacyTiers[name]; ok {
		return t, true
	}
	for _, t := range Tiers {
		if t != TierNone && string(t) == name {
			return t, true
		}
	}
	return "", false
}

// demoted is the short-record demotion: high and moderate become low, low becomes
// review; review (and NA) stay.
func (t Tier) demoted() Tier {
	switch t {
	case TierHigh, TierModerate:
		return TierLow
	case TierLow:
		return TierReview
	}
	return t
}

// SequencesHeader is the header line of sequences.tsv. The first eight columns are the
// ones predict has always written; the per-record call follows them, then the
// proportions of contigs.tsv.
const SequencesHeader = "id\tlength\tchunks\tchunks_with_frames\tno_orf_chunks\tviral_chunks\tmax_score2\tstatus" +
	"\tmean_score2\tviral_fraction\tweighted_delta\tconfident_viral_chunks\tconfident_nonviral_chunks\tambiguous_chunks\tcall\ttier" +
	"\tviral_proportion\tnonviral_proportion\tdescription\n"

// RecordSummary aggregates the calls of one input record's chunks as they stream in:
// counts, sums and one float64 per scored chunk (the weighted delta is summed pairwise
// at the end, as viral-ngs' pandas does), never the chunks themselves.
type RecordSummary struct {
	ID     string
	Length int
	// Description is the FASTA header after the id (tabs as spaces), "" if none.
	Description string
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

	th       Thresholds
	sumVirus float64
	acc      contigAccumulator
	call     *ContigCall // cached roll-up, reset by AddChunk
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
	r.call = nil
	r.ChunksWithFrames++
	if c.IsVirus() {
		r.ViralChunks++
	}
	if r.MaxVirus != r.MaxVirus || c.MaxVirus > r.MaxVirus {
		r.MaxVirus = c.MaxVirus
	}
	s0, s1 := score64(c.MaxOthers), score64(c.MaxVirus)
	r.sumVirus += float64(c.MaxVirus)
	r.acc.add(s0, s1, r.th)
	r.ConfidentViral, r.ConfidentNonViral, r.AmbiguousChunks = r.acc.confidentViral, r.acc.confidentNonViral, r.acc.ambigs
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

// WeightedDelta is the ContigCall's weighted delta (NaN with no scored chunk).
func (r *RecordSummary) WeightedDelta() float64 { return r.Contig().WeightedDelta }

// Contig returns the record's roll-up, the row of contigs.tsv (Call CallNone with no
// scored chunk). The rule, with the Thresholds' defaults in brackets:
//
//   - per scored chunk: delta = s2 − s1, confidence = √|delta|; confident viral: s2 >
//     ConfidentHigh [0.8] and s1 < ConfidentLow [0.3]; confident non-viral the mirror;
//     ambiguous: both > AmbiguousBoth [0.7];
//   - weighted delta wd = Σ(delta·confidence)/Σconfidence (mean delta if Σ = 0);
//     viral proportion = confident viral / (chunks − ambiguous), 0 if that is 0;
//   - wd > CallDelta [0.3]: Viral, high_confidence if ≥ 1 confident viral chunk, viral
//     proportion ≥ HighFraction [0.1] and wd > HighDelta [0.6], moderate_confidence if
//     only the first two hold, else low_confidence; wd < −CallDelta: Non-viral, the
//     mirror (NonViralFraction); otherwise Ambiguous, review;
//   - fewer than MinChunks [5] scored chunks: high/moderate → low_confidence, low →
//     review.
func (r *RecordSummary) Contig() ContigCall {
	if r.call == nil {
		c := r.acc.call(r.ID, r.th)
		r.call = &c
	}
	return *r.call
}

// Call returns the record's call and confidence tier (see Contig).
func (r *RecordSummary) Call() (Call, Tier) {
	c := r.Contig()
	return c.Call, c.Tier
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
	c := r.Contig()
	b.WriteByte('\t')
	b.WriteString(string(c.Call))
	b.WriteByte('\t')
	b.WriteString(string(c.Tier))
	for _, v := range []float64{c.ViralProportion, c.NonViralProportion} {
		if c.Call == CallNone {
			v = math.NaN()
		}
		b.WriteByte('\t')
		b.WriteString(formatStat(v))
	}
	b.WriteByte('\t')
	b.WriteString(r.Description)
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
