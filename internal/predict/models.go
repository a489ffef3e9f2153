package predict

import (
	"fmt"
	"log/slog"

	"github.com/virnucpro/virnucpro/internal/model/dnabert"
	"github.com/virnucpro/virnucpro/internal/model/esm2"
	"github.com/virnucpro/virnucpro/internal/model/mlp"
	"github.com/virnucpro/virnucpro/internal/pipeline"
	"github.com/virnucpro/virnucpro/internal/tensor"
)

// ModelPaths locates the three models of the method. An empty Classifier loads the
// encoders only (features extraction).
type ModelPaths struct {
	DNABERT, ESM, Classifier string
}

// ModelOptions are the model settings that change results.
type ModelOptions struct {
	// ESM configures ESM-2 (its representation layer; -1 is the last, as VirNucPro).
	ESM esm2.Options
	// ConfirmMargin is δ of a bf16 run on the CPU with a classifier: every chunk whose
	// call is within δ (pipeline.CloseCall) is re-scored by fp32 encoders, so its
	// labels are the fp32 run's (see pipeline.Confirmation); 0 confirms nothing.
	ConfirmMargin float64
}

// LoadEncoders loads DNABERT-S and ESM-2 onto b.
func LoadEncoders(paths ModelPaths, b tensor.Backend, o ModelOptions) ([2]pipeline.Encoder, error) {
	dna, err := dnabert.Load(paths.DNABERT, b)
	if err != nil {
		return [2]pipeline.Encoder{}, err
	}
	esm, err := esm2.Load(paths.ESM, b, o.ESM)
	if err != nil {
		return [2]pipeline.Encoder{}, err
	}
	return [2]pipeline.Encoder{dna, esm}, nil
}

// LoadWorkers opens the backends spec selects (see tensor.OpenAll: one per GPU, or
// workers CPU backends sharing the threads), loads a copy of the encoders onto each,
// and loads the classifier (shared) unless paths.Classifier is empty. The
// classifier's width must be the sum of the encoders' widths.
func LoadWorkers(paths ModelPaths, spec tensor.Spec, o ModelOptions, workers int) (pipeline.Models, error) {
	backends, err := tensor.OpenAll(spec, workers)
	if err != nil {
		return pipeline.Models{}, err
	}
	var m pipeline.Models
	for k, b := range backends {
		enc, err := LoadEncoders(paths, b, o)
		if err != nil {
			return pipeline.Models{}, err
		}
		if k == 0 {
			m.Encoders = enc
		}
		m.Workers = append(m.Workers, pipeline.Worker{Device: b.Name(), Encoders: enc})
	}
	if paths.Classifier != "" {
		clf, err := mlp.Load(paths.Classifier)
		if err != nil {
			return pipeline.Models{}, err
		}
		m.Classifier = clf
		if err := m.CheckWidth(); err != nil {
			return pipeline.Models{}, fmt.Errorf("classifier %s: %w", paths.Classifier, err)
		}
		if m.Confirm, err = loadConfirmation(paths, spec, o); err != nil {
			return pipeline.Models{}, err
		}
	}
	if len(m.Workers) > 1 {
		slog.Info("inference workers", "count", len(m.Workers))
	}
	return m, nil
}
