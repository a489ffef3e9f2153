package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/virnucpro/virnucpro/internal/checkpoint"
	"github.com/virnucpro/virnucpro/internal/predict"
	"github.com/virnucpro/virnucpro/internal/report"
	"github.com/virnucpro/virnucpro/internal/weights/store"
)

// completedRun handles a rerun in an output directory whose run completed (its
// checkpoint compacted to a completion record): when the run's identity is the same,
// it verifies the outputs against their recorded digests and says the run is
// complete (done = true), or names the files that changed; with --restart, or
// without checkpointing, the run is redone as asked (done = false).
func completedRun(out string, f checkpointFlags, identity func() (checkpoint.Identity, error), w io.Writer) (bool, error) {
	if f.restart || f.off {
		return false, nil
	}
	c, err := checkpoint.ReadCompletion(out)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	id, err := identity()
	if err != nil {
		return false, err
	}
	if d := checkpoint.Diff(c.Identity, id); len(d) > 0 {
		return false, fmt.Errorf("%s holds a completed run of another input, model or options (%s); pass --restart to replace it, or choose another -o",
			out, strings.Join(d, "; "))
	}
	if problems := c.Verify(out); len(problems) > 0 {
		return false, fmt.Errorf("%s holds a completed run, but its outputs changed since: %s; restore them, or pass --restart to recompute the run",
			out, strings.Join(problems, "; "))
	}
	if w != nil {
		fmt.Fprintf(w, "virnucpro: %s already holds this run, completed %s; its %d output files are intact (sha256 verified), nothing to do (--restart recomputes it)\n",
			out, c.Completed.Local().Format("2006-01-02 15:04:05"), len(c.Outputs))
		keys := make([]string, 0, len(c.Counts))
		for k := range c.Counts {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(w, "%-9s %d\n", k, c.Counts[k])
		}
	}
	return true, nil
}

// identityIfKnown returns the run's identity when the run computes it anyway
// (checkpointing or sharding), nil otherwise: hashing the models only for the report
// would cost a minute on the real weights.
func identityIfKnown(f checkpointFlags, shard predict.ShardSpec, identity func() (checkpoint.Identity, error)) *checkpoint.Identity {
	if f.off && shard.Count == 0 {
		return nil
	}
	id, err := identity()
	if err != nil {
		return nil
	}
	return &id
}

// runMeta is report.html's run metadata: date, command line, version, precision and
// the model files with their digests (when id is known) and whether each is a
// released model.
func runMeta(started time.Time, precision string, id *checkpoint.Identity, models map[string]string) *report.RunMeta {
	m := &report.RunMeta{Started: started, Command: strings.Join(os.Args, " "), Version: version, Precision: precision}
	kinds := map[string]store.Kind{"dnabert": store.KindDNABERT, "esm": store.KindESM, "classifier": store.KindClassifier}
	for _, role := range []string{"dnabert", "esm", "classifier"} {
		if id == nil {
			m.Models = append(m.Models, report.ModelFile{Role: role, Path: models[role], Status: report.ModelUnverified,
				Note: "not hashed (--no-checkpoint)"})
			continue
		}
		for _, f := range id.Models[role] {
			st, why := store.Recognize(kinds[role], f.Path, f.SHA256)
			mf := report.ModelFile{Role: role, Path: filepath.Clean(f.Path), SHA256: f.SHA256, Note: why}
			switch st {
			case store.Released:
				mf.Status = report.ModelReleased
			case store.NotReleased:
				mf.Status = report.ModelNotReleased
			default:
				mf.Status = report.ModelUnverified
			}
			m.Models = append(m.Models, mf)
		}
	}
	return m
}
