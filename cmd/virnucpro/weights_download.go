package main

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/virnucpro/virnucpro/internal/progress"
	"github.com/virnucpro/virnucpro/internal/weights/store"
)

// downloadFlags are weights download's options.
type downloadFlags struct {
	esm, hf, classifier, mirror string
	revision                    string
	retries                     int
	noProgress                  bool
	idleTimeout, deadline       time.Duration
	maxSize                     int64
}

func newWeightsDownloadCmd(g *globalOptions) *cobra.Command {
	wf := &downloadFlags{}
	cmd := &cobra.Command{
		Use:   "download NAME...|all",
		Short: "Download models into the cache, resumably, checking their sha256",
		Long: `Download models into virnucpro's cache (` + "`virnucpro weights list`" + ` shows where it is).
Names: ` + strings.Join(store.Names(), ", ") + `, or all.

Files come from fair-esm's bucket, the Hugging Face hub (DNABERT-S at a pinned revision)
and the original VirNucPro repository, or from --mirror (a web server or directory
holding the cache layout). An interrupted download resumes where it stopped (also
when the command is run again). Each file is checked against its pinned sha256, or the
sha256 Hugging Face announces for LFS files, or (the classifiers) the git blob id of
the upstream repository, before it is placed in the cache; where
upstream publishes no digest, the one downloaded is recorded for "weights verify".
HF_TOKEN is sent to the Hugging Face host (only) when set; HTTPS_PROXY/HTTP_PROXY/
NO_PROXY are honoured.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return runWeightsDownload(cmd, g, wf, args) },
	}
	f := cmd.Flags()
	f.StringVar(&wf.esm, "base-url-esm", "", "base URL of the fair-esm files (default "+store.DefaultESMBaseURL+")")
	f.StringVar(&wf.hf, "base-url-hf", "", "Hugging Face endpoint (default $HF_ENDPOINT or "+store.DefaultHFBaseURL+")")
	f.StringVar(&wf.classifier, "base-url-classifier", "", "base URL of the VirNucPro classifier files (default "+store.DefaultClassifierBaseURL+")")
	f.StringVar(&wf.mirror, "mirror", "", "one web server (URL) or directory holding the cache layout, used for every model instead of the upstreams")
	f.StringVar(&wf.revision, "dnabert-revision", "", "DNABERT-S commit to download instead of the pinned "+store.DNABERTSRevision[:12]+" (its pinned digest then no longer applies)")
	f.IntVar(&wf.retries, "retries", 5, "times an interrupted transfer is resumed before giving up")
	f.DurationVar(&wf.idleTimeout, "idle-timeout", 2*time.Minute, "cut (and resume) a transfer that receives less than 1 KiB in this long")
	f.DurationVar(&wf.deadline, "deadline", 24*time.Hour, "give up on a model whose download, retries included, takes longer than this")
	f.Int64Var(&wf.maxSize, "max-size", 0, "refuse a file larger than this many bytes (default: the catalog's cap for the file, its known size plus a margin)")
	addNoProgressFlag(f, &wf.noProgress)
	return cmd
}

func runWeightsDownload(cmd *cobra.Command, g *globalOptions, wf *downloadFlags, args []string) error {
	models, err := store.Select(args)
	if err != nil {
		return err
	}
	loc, err := store.DefaultLocations()
	if err != nil {
		return err
	}
	token := os.Getenv("HF_TOKEN")
	if token == "" {
		token = os.Getenv("HUGGING_FACE_HUB_TOKEN")
	}
	show := newTransferDisplay(progress.IsTerminal(os.Stderr) && !wf.noProgress && !g.quiet, os.Stderr, slog.Default())
	lvl, _ := g.level() // validated by setupLogging
	log := show.logger(slog.Default(), lvl)
	d := &store.Downloader{
		Cache:        loc.Cache,
		Bases:        store.BaseURLs{ESM: wf.esm, HF: wf.hf, Classifier: wf.classifier, Mirror: wf.mirror, Revision: wf.revision},
		Token:        token,
		Retries:      wf.retries,
		RetryWait:    2 * time.Second,
		StallTimeout: wf.idleTimeout,
		Deadline:     wf.deadline,
		MaxSize:      wf.maxSize,
		Log:          log,
		Progress:     show.report,
	}
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var failed []string
	var errs []error
	for _, m := range models {
		log.Info("downloading", "model", m.Name, "into", loc.Cache)
		_, err := d.Download(ctx, m)
		if err != nil {
			failed = append(failed, m.Name)
			errs = append(errs, err)
			if ctx.Err() != nil {
				break
			}
			continue
		}
		fmt.Fprintf(cmd.OutOrStdout(), "%s\t%s\n", m.Name, filepath.Join(loc.Cache, m.CacheName))
	}
	show.wait()
	if ctx.Err() != nil {
		return fmt.Errorf("interrupted: partial files are kept in %s; run the same command again to resume", loc.Cache)
	}
	if len(errs) > 0 {
		return fmt.Errorf("could not download %s:\n%w", strings.Join(failed, ", "), errors.Join(errs...))
	}
	return nil
}
