package main

import (
	"context"
	"errors"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/virnucpro/virnucpro/internal/checkpoint"
	"github.com/virnucpro/virnucpro/internal/merge"
	"github.com/virnucpro/virnucpro/internal/report"
)

func newMergeCmd() *cobra.Command {
	var mergeOut string
	cmd := &cobra.Command{
		Use:   "merge SHARD_DIR... -o OUTDIR",
		Short: "Combine the outputs of predict --shard i/N runs into the outputs of the whole run",
		Long: `Combine the output directories of the N shards of one run (predict --shard 0/N ...
--shard N-1/N, in any order) into OUTDIR: the same files, byte for byte, as one unsharded
predict run with the same options. Every shard must be finished (its shard.json is written
last) and all must come from the same input, models and options; incomplete, duplicate and
mismatched shards are refused with the reason. The merged files appear only when complete.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if mergeOut == "" {
				return errors.New("--output/-o is required")
			}
			intr := checkpoint.NotifyInterrupt(context.Background())
			defer intr.Stop()
			lock, err := checkpoint.LockOutput(mergeOut)
			if err != nil {
				return err
			}
			defer lock.Unlock()
			meta := &report.RunMeta{Started: time.Now(), Command: strings.Join(os.Args, " "), Version: version}
			metaModels := func(id checkpoint.Identity) []report.ModelFile {
				return runMeta(meta.Started, id.Options["precision"], &id, map[string]string{}).Models
			}
			_, err = merge.Merge(intr.Context(), merge.Options{Dirs: args, Out: mergeOut, Meta: meta, MetaModels: metaModels})
			if code := intr.ExitCode(); code != 0 {
				return &exitError{code: code, err: errors.New("interrupted: nothing was written; run merge again")}
			}
			return err
		},
	}
	addOutputFlag(cmd.Flags(), &mergeOut, "output directory of the merged run")
	return cmd
}
