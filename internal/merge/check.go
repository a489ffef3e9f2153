package merge

import (
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"

	"github.com/virnucpro/virnucpro/internal/checkpoint"
	"github.com/virnucpro/virnucpro/internal/predict"
)

// shardDir is one shard result to merge.
type shardDir struct {
	dir string
	res predict.ShardResult
}

// readShards reads every directory's shard.json and checks that together they are
// exactly the shards of one run: same count, same identity, same output options,
// each index once, none missing. It returns them ordered by index.
// ErrIncomplete marks a merge that lacks some of the run's shards.
var ErrIncomplete = errors.New("incomplete")

func readShards(dirs []string) ([]shardDir, error) {
	if len(dirs) == 0 {
		return nil, fmt.Errorf("no shard directory given")
	}
	shards := make([]shardDir, 0, len(dirs))
	for _, d := range dirs {
		res, err := predict.ReadShardResult(d)
		if err != nil {
			return nil, err
		}
		shards = append(shards, shardDir{dir: d, res: res})
	}
	first := shards[0]
	n := first.res.Shard.Count
	byIndex := make([]*shardDir, n)
	for i := range shards {
		s := &shards[i]
		if s.res.Shard.Count != n {
			return nil, fmt.Errorf("mismatched shards: %s is shard %s but %s is shard %s (all shards of a run use the same N)",
				s.dir, s.res.Shard, first.dir, first.res.Shard)
		}
		if diff := describeDifference(first.res, s.res); diff != "" {
			return nil, fmt.Errorf("mismatched shards: %s is not from the same run as %s: %s", s.dir, first.dir, diff)
		}
		if prev := byIndex[s.res.Shard.Index]; prev != nil {
			return nil, fmt.Errorf("duplicate shard %s: %s and %s", s.res.Shard, prev.dir, s.dir)
		}
		byIndex[s.res.Shard.Index] = s
	}
	var missing []string
	for i, s := range byIndex {
		if s == nil {
			missing = append(missing, fmt.Sprintf("%d/%d", i, n))
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%w: shard(s) %s missing (each of the %d shards must be run, then all %d directories merged)",
			ErrIncomplete, strings.Join(missing, ", "), n, n)
	}
	ordered := make([]shardDir, n)
	for i, s := range byIndex {
		ordered[i] = *s
	}
	return ordered, nil
}

// describeDifference says how b's run differs from a's ("" when they are shards of
// the same run).
func describeDifference(a, b predict.ShardResult) string {
	var d []string
	d = append(d, checkpoint.Diff(a.Identity, b.Identity)...)
	// The identity of a bf16 run holds its margin; shard.json's own record of it must
	// agree as well (it heads the merged reports).
	if ma, mb := margin(a), margin(b); len(d) == 0 && ma != mb {
		d = append(d, fmt.Sprintf("fp32 confirmation margin: %s vs %s", ma, mb))
	}
	if a.InputRecords != b.InputRecords {
		d = append(d, fmt.Sprintf("input records: %d vs %d", a.InputRecords, b.InputRecords))
	}
	if a.Compat != b.Compat {
		d = append(d, fmt.Sprintf("result layout (compat): %s vs %s", a.Compat, b.Compat))
	}
	if a.KeepIntermediate != b.KeepIntermediate {
		d = append(d, fmt.Sprintf("intermediate files kept: %v vs %v", a.KeepIntermediate, b.KeepIntermediate))
	}
	if a.FeatureDims != b.FeatureDims {
		d = append(d, fmt.Sprintf("embedding widths: %v vs %v", a.FeatureDims, b.FeatureDims))
	}
	// Titles and parameters name the input and model paths, which may differ between
	// machines; the merged report.html takes shard 0's.
	ra, rb := a.Report, b.Report
	ra.Title, ra.Params, rb.Title, rb.Params = "", nil, "", nil
	if !reflect.DeepEqual(ra, rb) {
		d = append(d, "report options (thresholds, region gap, plots) differ")
	}
	return strings.Join(d, "; ")
}

// sameDir reports whether a and b name the same directory.
func sameDir(a, b string) bool {
	aa, err1 := filepath.Abs(a)
	bb, err2 := filepath.Abs(b)
	return err1 == nil && err2 == nil && aa == bb
}

// margin is r's fp32 confirmation margin in words ("none" when it had none).
func margin(r predict.ShardResult) string {
	if r.Confirmation == nil || !r.Confirmation.Ran() {
		return "none"
	}
	return fmt.Sprint(r.Confirmation.Margin)
}
