// Package merge combines the results of a run split with `predict --shard i/N` into
// the outputs of the whole run, byte-identical to an unsharded run: the shards'
// records are interleaved back into input order (record r is in shard r mod N) and
// written through the pipeline's own output writers.
package merge

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/virnucpro/virnucpro/internal/checkpoint"
	"github.com/virnucpro/virnucpro/internal/predict"
	"github.com/virnucpro/virnucpro/internal/report"
)

// Options configure a merge.
type Options struct {
	// Dirs are the shard output directories, in any order.
	Dirs []string
	// Out is the output directory of the merged run.
	Out string
	// Meta, when set, is the run metadata of the merged report.html; Models, when
	// given this function, is filled from the shards' identity.
	Meta       *report.RunMeta
	MetaModels func(checkpoint.Identity) []report.ModelFile
}

// Summary counts what was merged.
type Summary struct {
	Shards, Records, Chunks, Frames int
	// Confirmation is the shards' fp32 confirmation of a bf16 run: their confirmed
	// frames summed, at their common margin (zero when none ran).
	Confirmation report.Confirmation
}

// Merge checks that Dirs are exactly the finished shards of one run (refusing
// incomplete, duplicate and mismatched ones) and writes the whole run's outputs to
// Out. Like predict, the outputs appear only when all of them are complete. Logs go
// to slog.Default().
func Merge(ctx context.Context, o Options) (Summary, error) {
	shards, err := readShards(o.Dirs)
	if err != nil {
		return Summary{}, err
	}
	for _, s := range shards {
		if sameDir(s.dir, o.Out) {
			return Summary{}, fmt.Errorf("output directory %s is shard %s's directory: merge into another directory", o.Out, s.res.Shard)
		}
	}
	first := shards[0].res
	readers := make([]*shardReader, len(shards))
	defer func() {
		for _, r := range readers {
			if r != nil {
				r.close()
			}
		}
	}()
	for i, s := range shards {
		if readers[i], err = openShard(s); err != nil {
			return Summary{}, err
		}
	}
	ropts := first.Report
	if o.Meta != nil {
		meta := *o.Meta
		if o.MetaModels != nil {
			meta.Models = o.MetaModels(first.Identity)
		}
		if meta.Precision == "" {
			meta.Precision = first.Identity.Options["precision"]
		}
		ropts.Meta = &meta
	}
	conf := confirmationOf(shards)
	sink, err := predict.NewOutputSink(predict.OutputOptions{Dir: o.Out, Compat: first.Compat,
		KeepIntermediate: first.KeepIntermediate, FeatureDims: first.FeatureDims, Report: ropts,
		BeforeMark: func() error { return mergeSequenceOutputs(o.Out, shards, first.Sample, conf) }})
	if err != nil {
		return Summary{}, err
	}
	sink.SetConfirmation(conf)
	for ord := 0; ord < first.InputRecords; ord++ {
		if ord%1024 == 0 && ctx.Err() != nil {
			sink.Abort()
			return Summary{}, ctx.Err()
		}
		w, err := readers[ord%len(readers)].next(ord)
		if err == nil {
			err = sink.Write(w)
		}
		if err != nil {
			sink.Abort()
			return Summary{}, err
		}
	}
	for _, r := range readers {
		if err := r.finish(); err != nil {
			sink.Abort()
			return Summary{}, err
		}
	}
	if err := sink.Commit(); err != nil {
		return Summary{}, err
	}
	n := sink.Counts()
	sum := Summary{Shards: len(shards), Records: n.Records, Chunks: n.Chunks, Frames: n.Frames, Confirmation: conf}
	attrs := []any{"shards", sum.Shards, "records", sum.Records, "chunks", sum.Chunks, "frames", sum.Frames}
	if conf.Ran() {
		attrs = append(attrs, "fp32_confirmed_frames", conf.Frames, "bf16_confirm_margin", conf.Margin)
	}
	slog.Info("merged", append(attrs, "output", o.Out)...)
	return sum, nil
}

// confirmationOf sums the shards' fp32 confirmations. Their margins are equal: the
// margin is part of a bf16 run's identity, and readShards compares them too.
func confirmationOf(shards []shardDir) report.Confirmation {
	var c report.Confirmation
	for _, s := range shards {
		if s.res.Confirmation != nil {
			c.Frames += s.res.Confirmation.Frames
			c.Margin = s.res.Confirmation.Margin
		}
	}
	return c
}
