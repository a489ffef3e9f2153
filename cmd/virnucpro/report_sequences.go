package main

import (
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/pflag"

	"github.com/virnucpro/virnucpro/internal/fasta"
	"github.com/virnucpro/virnucpro/internal/mqc"
	"github.com/virnucpro/virnucpro/internal/predict"
	"github.com/virnucpro/virnucpro/internal/report"
	"github.com/virnucpro/virnucpro/internal/seqout"
)

// reportSequenceFlags are report's options for the files that follow the calls:
// viral.fna, viral_regions.fna (they need the run's input) and the MultiQC files.
type reportSequenceFlags struct {
	inputs     []string
	prefix     bool
	minTier    string
	allRegions bool
}

func (s *reportSequenceFlags) register(fs *pflag.FlagSet) {
	fs.StringArrayVar(&s.inputs, "input", nil, "the run's input (repeat for several) to rewrite viral.fna and viral_regions.fna with the new calls")
	fs.BoolVar(&s.prefix, "prefix-file-name", false, "as predict's --prefix-file-name (the run's ids were prefixed)")
	fs.StringVar(&s.minTier, "min-tier", "review", "as predict's --min-tier")
	fs.BoolVar(&s.allRegions, "all-regions", false, "as predict's --all-regions")
}

// refresh rewrites dir's sequence outputs from the inputs (or removes the stale ones
// when no input is given) and its MultiQC files, keeping their sample name, with the
// run's fp32 confirmation conf.
func (s *reportSequenceFlags) refresh(dir string, conf report.Confirmation) error {
	if _, err := seqout.ParseMinTier(s.minTier); err != nil {
		return err
	}
	if len(s.inputs) > 0 {
		r, err := fasta.OpenAll(s.inputs, fasta.Options{PrefixFileName: s.prefix})
		if err != nil && !fasta.IsEmpty(err) {
			return err
		}
		var src seqout.Source = fasta.NewReader(strings.NewReader(""), s.inputs[0])
		if err == nil {
			defer r.Close()
			r.SpillLongerThan(predict.SpillBases, dir)
			src = r
		}
		if _, err := seqout.Write(src, seqout.Options{Dir: dir, MinTier: s.minTier, AllRegions: s.allRegions}); err != nil {
			return err
		}
	} else {
		for _, name := range []string{seqout.ViralFile, seqout.RegionsFile} {
			err := os.Remove(filepath.Join(dir, name))
			if err == nil {
				slog.Warn("removed: it followed the old calls; give the run's input with --input to rewrite it", "file", name)
			} else if !errors.Is(err, os.ErrNotExist) {
				return err
			}
		}
	}
	sample := mqc.ReadSample(dir)
	if sample == "" {
		sample = filepath.Base(filepath.Clean(dir))
	}
	return mqc.Write(dir, sample, conf)
}
