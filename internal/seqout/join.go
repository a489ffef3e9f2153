package seqout

import (
	"bufio"
	"fmt"
	"path/filepath"

	"github.com/virnucpro/virnucpro/internal/fasta"
	"github.com/virnucpro/virnucpro/internal/report"
)

// join walks sequences.tsv and regions.tsv alongside the input records. Both list
// records in input order (a shard's run lists a subset), so each input record either
// matches the next row or is absent from the tables.
type join struct {
	seqs, regions *table
}

// Columns read from the tables.
const (
	sID, sLength, sCall, sTier, sDelta = 0, 1, 2, 3, 4
	rRecord, rStart, rEnd, rMean       = 0, 1, 2, 3
)

func newJoin(dir string) (*join, error) {
	s, err := openTable(filepath.Join(dir, report.SequencesFile), "id", "length", "call", "tier", "weighted_delta")
	if err != nil {
		return nil, err
	}
	r, err := openTable(filepath.Join(dir, report.RegionsTSVFile), "record_id", "start", "end", "mean_score2")
	if err != nil {
		s.Close()
		return nil, err
	}
	return &join{seqs: s, regions: r}, nil
}

func (j *join) close() {
	j.seqs.Close()
	j.regions.Close()
}

// write handles one input record: its viral.fna entry and its regions, if chosen.
func (j *join) write(rec *fasta.Record, minRank int, allRegions bool, ws [2]*bufio.Writer, n *Counts) error {
	s := j.seqs
	if s.row == nil || s.row[sID] != rec.ID {
		return nil // not in this run's tables (another shard's record)
	}
	length, err := s.int(sLength)
	if err != nil {
		return err
	}
	if length != rec.Length() {
		return fmt.Errorf("%s line %d: record %q has length %d, the input's has %d: is this the input of the run?", s.path, s.line, rec.ID, length, rec.Length())
	}
	call, tier := s.row[sCall], s.row[sTier]
	rank, ok := tierRank(tier)
	chosen := call == string(report.CallViral) && ok && rank >= minRank
	if chosen {
		if err := writeFASTA(ws[0], fmt.Sprintf("%s call=%s tier=%s weighted_delta=%s", rec.ID, call, tier, s.row[sDelta]), rec, 0, length); err != nil {
			return err
		}
		n.Records++
	}
	for r := j.regions; r.row != nil && r.row[rRecord] == rec.ID; {
		start, err := r.int(rStart)
		if err != nil {
			return err
		}
		end, err := r.int(rEnd)
		if err != nil {
			return err
		}
		if start < 1 || end < start || end > length {
			return fmt.Errorf("%s line %d: region %d-%d outside record %q of length %d", r.path, r.line, start, end, rec.ID, length)
		}
		if chosen || allRegions {
			h := fmt.Sprintf("%s record_call=%s record_tier=%s mean_score2=%s", regionName(rec.ID, start, end), call, tier, r.row[rMean])
			if err := writeFASTA(ws[1], h, rec, start-1, end); err != nil {
				return err
			}
			n.Regions++
		}
		if err := r.advance(); err != nil {
			return err
		}
	}
	return s.advance()
}

// finish checks that every row was matched by an input record.
func (j *join) finish() error {
	if j.seqs.row != nil {
		return fmt.Errorf("%s line %d: record %q is not in the input, or not in the same order: is this the input of the run?", j.seqs.path, j.seqs.line, j.seqs.row[sID])
	}
	if j.regions.row != nil {
		return fmt.Errorf("%s line %d: region of record %q does not follow its record's order in sequences.tsv", j.regions.path, j.regions.line, j.regions.row[rRecord])
	}
	return nil
}
