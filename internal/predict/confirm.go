package predict

import (
	"fmt"
	"log/slog"

	"github.com/virnucpro/virnucpro/internal/model/dnabert"
	"github.com/virnucpro/virnucpro/internal/model/esm2"
	"github.com/virnucpro/virnucpro/internal/pipeline"
	"github.com/virnucpro/virnucpro/internal/tensor"
)

// DefaultBF16ConfirmMargin is the default δ of ModelOptions.ConfirmMargin (predict's
// --bf16-confirm-margin). Measured on every end-to-end case in testdata (the original
// VirNucPro's outputs at 300 and 500 bp; TestBF16EndToEnd): bf16's worst score error
// against fp32 is 0.0144, so a frame's margin P(virus) − P(others) moves by at most
// 0.029, and a chunk's max P(virus) − max P(others) likewise; a call can only flip
// when its bf16 margin is under that. 0.1 is 3.5× it. The extra room is for depth:
// at the ESM-2 3B shape (36 layers, random weights; perf.TestStreamedESM3B) bf16's
// embeddings are 1.3× further from fp32 than the 3-layer test model's (relative L2
// error 0.0059 against 0.0045), so a classifier as sensitive would move margins by
// ≈ 0.038, still 2.6× under the default.
const DefaultBF16ConfirmMargin = 0.1

// confirmSpec is the backend of the fp32 confirmation of a bf16 run on the CPU: the
// same device and kernels in fp32, on all the run's threads (it runs between the
// workers' batches, never beside them). ok is false when spec needs no confirmation
// (fp32, or an accelerator: their bf16 and fp16 are not confirmed).
func confirmSpec(spec tensor.Spec, margin float64) (tensor.Spec, bool, error) {
	if spec.Precision != "bf16" || !(margin > 0) {
		return tensor.Spec{}, false, nil
	}
	host, err := tensor.OnHost(spec)
	if err != nil || !host {
		return tensor.Spec{}, false, err
	}
	ref := spec
	ref.Precision = "fp32"
	return ref, true, nil
}

// loadConfirmation loads the fp32 reference encoders that confirm the close calls of
// a bf16 run on the CPU (pipeline.Confirmation), or returns nil when the run needs
// none (see confirmSpec). DNABERT-S is loaded whole in fp32 (≈ 0.5 GB for the
// released model, 117M parameters). ESM-2 is layer-streamed (esm2.LoadStreamed):
// it holds one layer's Linear weights in fp32 (315 MB for the 3B) and widens each
// layer from the mapped checkpoint as it runs, so the bf16 run keeps its memory
// (the 3B's whole fp32 copy would be 11.4 GB more).
func loadConfirmation(paths ModelPaths, spec tensor.Spec, o ModelOptions) (*pipeline.Confirmation, error) {
	ref, ok, err := confirmSpec(spec, o.ConfirmMargin)
	if !ok || err != nil {
		return nil, err
	}
	b, err := tensor.Open(ref)
	if err != nil {
		return nil, fmt.Errorf("fp32 confirmation: %w", err)
	}
	dna, err := dnabert.Load(paths.DNABERT, b)
	if err != nil {
		return nil, fmt.Errorf("fp32 confirmation: %w", err)
	}
	esm, err := esm2.LoadStreamed(paths.ESM, b, o.ESM)
	if err != nil {
		return nil, fmt.Errorf("fp32 confirmation: %w", err)
	}
	slog.Info("bf16 near ties are confirmed in fp32", "margin", o.ConfirmMargin, "device", b.Name())
	return &pipeline.Confirmation{Encoders: [2]pipeline.Encoder{dna, esm}, Device: b.Name() + " fp32", Margin: o.ConfirmMargin}, nil
}
