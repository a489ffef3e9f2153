package predict

import (
	"context"
	"log/slog"
	"os"
	"time"

	"github.com/virnucpro/virnucpro/internal/fasta"
	"github.com/virnucpro/virnucpro/internal/pipeline"
	"github.com/virnucpro/virnucpro/internal/progress"
)

// Drive runs src through the models into sink the way the commands do: with an
// optional checkpointer (replaying committed windows, committing new ones, and
// committing what is complete even when the run fails or is interrupted) and a
// progress display ("bar", "log" or "none") fed from r's position in its file.
func Drive(ctx context.Context, r *fasta.Reader, src pipeline.Source, m pipeline.Models, opts pipeline.Options, sink pipeline.Sink,
	ckpt *Checkpointer, display string) (pipeline.Stats, error) {
	if ckpt != nil {
		opts.Replay = ckpt.Replay
		sink = ckpt.Wrap(sink)
	}
	var prog pipeline.Progress
	var rep *progress.Reporter
	if display == "bar" || display == "log" {
		rep = progress.Start(func() progress.Snapshot {
			done, total := r.Progress()
			return progress.Snapshot{Done: done, Total: total, InputRead: prog.InputRead.Load(),
				FramesRead: prog.FramesRead.Load(), Frames: prog.FramesScored.Load(), Resumed: prog.FramesReplayed.Load(),
				Records: prog.Records.Load(), Tokens: prog.Tokens.Load()}
		}, display == "bar", os.Stderr, slog.Default(), 30*time.Second)
	}
	st, err := pipeline.Run(ctx, src, m, opts, sink, &prog)
	if rep != nil {
		rep.Stop(err == nil)
	}
	if ckpt != nil && err == nil {
		err = ckpt.CheckInput(r)
	}
	if ckpt != nil {
		if ferr := ckpt.Flush(err == nil); ferr != nil && err == nil {
			err = ferr
		}
	}
	return st, err
}
