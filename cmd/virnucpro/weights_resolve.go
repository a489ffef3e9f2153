package main

import (
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/virnucpro/virnucpro/internal/config"
	"github.com/virnucpro/virnucpro/internal/weights/store"
)

// modelOption is a model path option (--esm, --dnabert, --classifier, --weights) that,
// left empty, is filled from the weight store.
type modelOption struct {
	// flag is the option's name as the user types it (--esm).
	flag string
	// val is the option's value, replaced by the path found.
	val *string
	// model is the catalog model to look for when val is empty ("" with err set: no
	// catalog model fits, e.g. a classifier for an unusual chunk size).
	model string
	err   error
}

// classifierOption is the --classifier option, resolved to the released classifier of
// the chunk size.
func classifierOption(val *string, chunkSize int) modelOption {
	m, err := store.ClassifierFor(chunkSize)
	if err != nil {
		err = fmt.Errorf("--chunk-size %d: %w", chunkSize, err)
	}
	return modelOption{flag: "--classifier", val: val, model: m.Name, err: err}
}

// resolveModelOptions fills every empty model option through the weight store's
// resolution order ($VIRNUCPRO_MODELS_DIR, torch hub, Hugging Face cache, virnucpro's
// cache) and logs the file chosen; an option that is set (by its flag, VIRNUCPRO_*
// variable or --config entry) must name an existing path. When models are missing, the
// error lists every place looked and the `virnucpro weights download` command that
// fetches them.
func resolveModelOptions(opts ...modelOption) error {
	var loc *store.Locations
	var missing []string
	var report strings.Builder
	for _, o := range opts {
		if *o.val != "" {
			if _, err := os.Stat(*o.val); err != nil {
				return fmt.Errorf("%s: %w", o.flag, err)
			}
			continue
		}
		if o.err != nil {
			return fmt.Errorf("%s is required: %w", o.flag, o.err)
		}
		if loc == nil {
			l, err := store.DefaultLocations()
			if err != nil {
				return fmt.Errorf("%s is required: %w", o.flag, err)
			}
			loc = &l
		}
		m, err := store.Lookup(o.model)
		if err != nil {
			return err
		}
		r := loc.Resolve(m)
		if r.Found() {
			*o.val = r.Path
			slog.Info("model weights", "option", o.flag, "model", m.Name, "path", r.Path, "found_in", r.Where)
			continue
		}
		missing = append(missing, m.Name)
		opt := strings.TrimPrefix(o.flag, "--")
		given := store.Place{Where: fmt.Sprintf("%s, %s or %q in --config", o.flag, config.EnvName(opt), opt), Note: "not set"}
		fmt.Fprintf(&report, "\n  %s (%s), looked in:", m.Title, m.Name)
		for _, p := range append([]store.Place{given}, r.Looked...) {
			fmt.Fprintf(&report, "\n    - %s", p)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	return fmt.Errorf("model weights not found:%s\nfetch them with:\n  virnucpro weights download %s\n(or give the paths; see virnucpro weights list and README: Getting the weights)",
		report.String(), strings.Join(missing, " "))
}
