package pipeline

import (
	"fmt"
	"log/slog"
	"runtime"

	"github.com/virnucpro/virnucpro/internal/model/dnabert"
	"github.com/virnucpro/virnucpro/internal/model/esm2"
	"github.com/virnucpro/virnucpro/internal/model/mlp"
	"github.com/virnucpro/virnucpro/internal/tensor"
	"github.com/virnucpro/virnucpro/internal/tensor/cpu"
	"github.com/virnucpro/virnucpro/internal/tensor/cuda"
)

// ModelPaths locates the three models of the method.
type ModelPaths struct {
	DNABERT, ESM, Classifier string
}

// BackendOptions choose where the encoders run.
type BackendOptions struct {
	// Device is auto, cpu, cuda or cuda:N.
	Device string
	// BLAS is auto, native, openblas or go (CPU only).
	BLAS string
	// Precision is fp32, fp16 or bf16 (GPU only; the CPU is always fp32).
	Precision string
	Threads   int
	// ReprLayer is ESM-2's representation layer (-1: last).
	ReprLayer int
}

// OpenBackend returns the compute backend the options select.
func OpenBackend(o BackendOptions, log *slog.Logger) (tensor.Backend, error) {
	if log == nil {
		log = slog.Default()
	}
	ords, err := cuda.Ordinals(o.Device)
	if err != nil {
		return nil, err
	}
	if len(ords) > 0 {
		b, err := cuda.Open(ords[0], precisionOr(o.Precision))
		if err != nil {
			return nil, err
		}
		log.Info("compute backend", "device", b.Name(), "precision", precisionOr(o.Precision))
		return b, nil
	}
	if p := o.Precision; p != "" && p != "fp32" {
		return nil, fmt.Errorf("--precision %s needs a GPU; the CPU backend computes in fp32", p)
	}
	return cpu.Open(o.BLAS, o.Threads, log)
}

// MathPath names the arithmetic the encoders will compute with under o (for run
// identities: resumed and merged runs must not mix different math).
func MathPath(o BackendOptions) (string, error) {
	ords, err := cuda.Ordinals(o.Device)
	if err != nil {
		return "", err
	}
	if len(ords) > 0 {
		return "cuda " + precisionOr(o.Precision), nil
	}
	return cpu.MathPath(o.BLAS)
}

func precisionOr(p string) string {
	if p == "" {
		return "fp32"
	}
	return p
}

// LoadModels loads the two encoders onto b and the classifier, checking that the
// classifier's width is the sum of the encoders' widths.
func LoadModels(paths ModelPaths, b tensor.Backend, o BackendOptions) (Models, error) {
	dna, err := dnabert.Load(paths.DNABERT, b)
	if err != nil {
		return Models{}, err
	}
	esm, err := esm2.Load(paths.ESM, b, esm2.Options{ReprLayer: o.ReprLayer})
	if err != nil {
		return Models{}, err
	}
	clf, err := mlp.Load(paths.Classifier)
	if err != nil {
		return Models{}, err
	}
	if clf.InputDim() != dna.Dim()+esm.Dim() {
		return Models{}, fmt.Errorf("classifier %s takes %d features but DNABERT-S (%d) + ESM-2 (%d) give %d: it was trained for other encoders",
			paths.Classifier, clf.InputDim(), dna.Dim(), esm.Dim(), dna.Dim()+esm.Dim())
	}
	return Models{Encoders: [2]Encoder{dna, esm}, Classifier: clf}, nil
}

// LoadWorkers loads the models for the inference workers: one worker per GPU that
// o.Device selects ("cuda" and "auto": every visible device, CUDA_VISIBLE_DEVICES
// respected; "cuda:N,M": those), each with its own copy of the encoders; on the CPU,
// workers (default 1) copies sharing o.Threads between them. workers > 0 on GPUs
// uses only the first that many devices. The classifier and the tokenizers are
// shared.
func LoadWorkers(paths ModelPaths, o BackendOptions, workers int, log *slog.Logger) (Models, error) {
	if log == nil {
		log = slog.Default()
	}
	ords, err := cuda.Ordinals(o.Device)
	if err != nil {
		return Models{}, err
	}
	var backends []tensor.Backend
	if len(ords) > 0 {
		if workers > 0 && workers < len(ords) {
			ords = ords[:workers]
		}
		for _, ord := range ords {
			b, err := cuda.Open(ord, precisionOr(o.Precision))
			if err != nil {
				return Models{}, fmt.Errorf("worker %d: %w", len(backends), err)
			}
			log.Info("compute backend", "worker", len(backends), "device", b.Name(), "precision", precisionOr(o.Precision))
			backends = append(backends, b)
		}
	} else {
		if p := o.Precision; p != "" && p != "fp32" {
			return Models{}, fmt.Errorf("--precision %s needs a GPU; the CPU backend computes in fp32", p)
		}
		workers = max(workers, 1)
		threads := o.Threads
		if threads <= 0 {
			threads = runtime.GOMAXPROCS(0)
		}
		for k := range workers {
			t := threads / workers
			if k < threads%workers {
				t++
			}
			b, err := cpu.Open(o.BLAS, max(t, 1), log)
			if err != nil {
				return Models{}, err
			}
			backends = append(backends, b)
		}
	}
	var m Models
	for k, b := range backends {
		one, err := LoadModels(paths, b, o)
		if err != nil {
			return Models{}, err
		}
		if k == 0 {
			m = one
		}
		m.Workers = append(m.Workers, Worker{Device: b.Name(), Encoders: one.Encoders})
	}
	if len(m.Workers) > 1 {
		log.Info("inference workers", "count", len(m.Workers))
	}
	return m, nil
}
