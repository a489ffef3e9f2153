// Package readlabel labels sequencing reads by the calls of the contigs they align
// to: stage 2 of viral-ngs' VirNucPro post-processing (virnucpro_label_reads_by_contig,
// classify_reads_by_contig), reading BAM, SAM or minimap2 PAF alignments of reads to
// the contigs and the per-contig calls of contigs.tsv.
//
// Alignments are streamed: memory holds the contig table and one read's alignments'
// summary, so the alignments of one read must be adjacent in the input, as aligners
// write them and as name-sorted files have them (samtools sort -n). A read seen again
// after other reads is an error, found at the end of the input (see OrderCheck).
package readlabel

import "fmt"

// Alignment is one retained (primary, mapped) alignment of a read to a contig.
type Alignment struct {
	// Read is the query name; ReadLength its length including clipped bases.
	Read       string
	ReadLength int
	// Contig is the target name and ContigLength its length.
	Contig       string
	ContigLength int
	// Strand is '+' or '-'.
	Strand byte
	// MapQ is the mapping quality.
	MapQ int
	// Identity is 100·matches/block (percent); QueryCov 100·aligned query bases/read
	// length (percent, soft and hard clips excluded from the aligned bases).
	Identity, QueryCov float64
}

// Thresholds define mapped_well: MAPQ >= MinMapQ, identity >= MinIdentity and query
// coverage >= MinQueryCov (percent units). mapped_well is reported, never used to
// filter.
type Thresholds struct {
	MinMapQ                  int
	MinIdentity, MinQueryCov float64
}

// DefaultThresholds are virnucpro_label_reads_by_contig's defaults.
func DefaultThresholds() Thresholds {
	return Thresholds{MinMapQ: 5, MinIdentity: 90, MinQueryCov: 80}
}

// Validate refuses fractions where percents are meant (0 < x < 1), as viral-ngs does,
// and negative or NaN values.
func (t Thresholds) Validate() error {
	for _, p := range []struct {
		name string
		v    float64
	}{{"min-identity", t.MinIdentity}, {"min-query-cov", t.MinQueryCov}} {
		if p.v != p.v || p.v < 0 || p.v > 100 {
			return &OptionError{Option: p.name, Value: fmt.Sprint(p.v), Reason: "want a percentage in [0, 100]"}
		}
		if p.v > 0 && p.v < 1 {
			return &OptionError{Option: p.name, Value: fmt.Sprint(p.v), Reason: "percent units are expected (90, not 0.9)"}
		}
	}
	if t.MinMapQ < 0 {
		return &OptionError{Option: "min-mapq", Value: fmt.Sprint(t.MinMapQ), Reason: "want >= 0"}
	}
	return nil
}

// MappedWell reports whether a passes the thresholds.
func (t Thresholds) MappedWell(a Alignment) bool {
	return a.MapQ >= t.MinMapQ && a.Identity >= t.MinIdentity && a.QueryCov >= t.MinQueryCov
}

// percent is 100·num/den in float64, as Python's 100 * num / den of integers is for
// values below 2^53 (both operands exact, one correctly rounded division).
func percent(num, den int) float64 { return float64(100*num) / float64(den) }

// better reports whether a should replace the current best b of a read: a higher
// MAPQ, then a higher identity; a tie keeps the earlier alignment.
func better(a, b Alignment) bool {
	if a.MapQ != b.MapQ {
		return a.MapQ > b.MapQ
	}
	return a.Identity > b.Identity
}
