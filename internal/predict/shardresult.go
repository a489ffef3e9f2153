package predict

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/virnucpro/virnucpro/internal/atomicfile"
	"github.com/virnucpro/virnucpro/internal/checkpoint"
	"github.com/virnucpro/virnucpro/internal/report"
)

// ShardResultFile marks a finished `predict --shard i/N` output directory and
// describes it for `virnucpro merge`. It is written last, after every result file
// is in place, so its presence means the shard is complete.
const ShardResultFile = "shard.json"

// ShardResultFormat and ShardResultVersion identify the layout of shard.json.
const (
	ShardResultFormat  = "virnucpro-shard-result"
	ShardResultVersion = 1
)

// ShardResult is the content of shard.json: which share of which run a directory
// holds, and everything a merge needs to check that shards belong together and to
// write the outputs of the whole run.
type ShardResult struct {
	Format  string `json:"format"`
	Version int    `json:"version"`
	// Shard is the share this directory holds: records i, i+N, ... of the input.
	Shard ShardCoord `json:"shard"`
	// InputRecords is the number of records in the whole input; Records, Chunks and
	// Frames count this shard's share.
	InputRecords int `json:"input_records"`
	Records      int `json:"records"`
	Chunks       int `json:"chunks"`
	Frames       int `json:"frames"`
	// Confirmation is the shard's fp32 confirmation of near ties (a bf16 run on the
	// CPU): the frames it re-scored in fp32 and the margin; absent when none ran.
	Confirmation *report.Confirmation `json:"confirmation,omitempty"`
	// Identity is the run's identity without the shard option: equal for every shard
	// of one run.
	Identity checkpoint.Identity `json:"identity"`
	// Compat, KeepIntermediate and FeatureDims describe the result files.
	Compat           report.Compat `json:"compat"`
	KeepIntermediate bool          `json:"keep_intermediate"`
	FeatureDims      [2]int        `json:"feature_dims"`
	// Report holds the report options of the run (its Dir is not recorded and its
	// Params lack the shard), so the merged reports are those of an unsharded run.
	Report report.Options `json:"report"`
	// Sample is the run's MultiQC sample name (virnucpro_mqc.tsv/.yaml).
	Sample string `json:"sample"`
}

// ShardCoord is a shard's position, i of N.
type ShardCoord struct {
	Index int `json:"index"`
	Count int `json:"count"`
}

// String is "i/N".
func (c ShardCoord) String() string { return fmt.Sprintf("%d/%d", c.Index, c.Count) }

// Owned is the number of records of an input of total records that shard c holds.
func (c ShardCoord) Owned(total int) int {
	if c.Count <= 0 || total <= c.Index {
		return 0
	}
	return (total-c.Index-1)/c.Count + 1
}

// shardIdentity returns id without the shard option.
func shardIdentity(id checkpoint.Identity) checkpoint.Identity {
	opts := make(map[string]string, len(id.Options))
	for k, v := range id.Options {
		if k != "shard" {
			opts[k] = v
		}
	}
	id.Options = opts
	return id
}

// shardReportOptions returns the report options to record: no directory, no shard
// parameter.
func shardReportOptions(o report.Options) report.Options {
	o.Dir = ""
	params := make([]report.Param, 0, len(o.Params))
	for _, p := range o.Params {
		if p.Name != "shard" {
			params = append(params, p)
		}
	}
	o.Params = params
	return o
}

// writeShardResult writes dir/shard.json atomically.
func writeShardResult(dir string, r ShardResult) error {
	r.Format, r.Version = ShardResultFormat, ShardResultVersion
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(filepath.Join(dir, ShardResultFile), append(b, '\n'))
}

// ErrNoShardResult is returned by ReadShardResult for a directory without shard.json.
var ErrNoShardResult = errors.New("no " + ShardResultFile)

// ReadShardResult reads dir/shard.json, refusing other formats and versions.
func ReadShardResult(dir string) (ShardResult, error) {
	path := filepath.Join(dir, ShardResultFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		if _, serr := os.Stat(dir); serr != nil {
			return ShardResult{}, fmt.Errorf("shard directory: %w", serr)
		}
		return ShardResult{}, fmt.Errorf("%s: %w: not a finished shard", dir, ErrNoShardResult)
	}
	if err != nil {
		return ShardResult{}, err
	}
	var r ShardResult
	if err := json.Unmarshal(b, &r); err != nil {
		return ShardResult{}, fmt.Errorf("%s: damaged: %w", path, err)
	}
	if r.Format != ShardResultFormat {
		return ShardResult{}, fmt.Errorf("%s: format %q, want %q", path, r.Format, ShardResultFormat)
	}
	if r.Version != ShardResultVersion {
		return ShardResult{}, fmt.Errorf("%s: version %d, this virnucpro reads version %d (merge with the virnucpro that made the shards)", path, r.Version, ShardResultVersion)
	}
	if r.Shard.Count < 1 || r.Shard.Index < 0 || r.Shard.Index >= r.Shard.Count {
		return ShardResult{}, fmt.Errorf("%s: invalid shard %s", path, r.Shard)
	}
	if c := r.Confirmation; c != nil {
		if err := c.Check(r.Frames); err != nil {
			return ShardResult{}, fmt.Errorf("%s: confirmation: %w", path, err)
		}
	}
	if want := r.Shard.Owned(r.InputRecords); r.Records != want {
		return ShardResult{}, fmt.Errorf("%s: holds %d records, but shard %s of %d input records is %d", path, r.Records, r.Shard, r.InputRecords, want)
	}
	return r, nil
}
