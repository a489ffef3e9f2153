package merge

import (
	"github.com/virnucpro/virnucpro/internal/mqc"
	"github.com/virnucpro/virnucpro/internal/report"
	"github.com/virnucpro/virnucpro/internal/seqout"
)

// mergeSequenceOutputs writes out's viral.fna and viral_regions.fna from the shards'
// (shards are in index order) and the MultiQC files from the merged sequences.tsv
// with the shards' summed fp32 confirmation.
func mergeSequenceOutputs(out string, shards []shardDir, sample string, conf report.Confirmation) error {
	dirs := make([]string, len(shards))
	for i, s := range shards {
		dirs[i] = s.dir
	}
	if err := seqout.MergeShards(out, dirs); err != nil {
		return err
	}
	return mqc.Write(out, sample, conf)
}
