package predict

import (
	"errors"
	"fmt"
	"log/slog"

	"github.com/virnucpro/virnucpro/internal/model/esm2"
	"github.com/virnucpro/virnucpro/internal/pipeline"
	"github.com/virnucpro/virnucpro/internal/tensor"
)

// ErrConfirmTooBig refuses the fp32 confirmation of a bf16 run whose ESM-2 would need
// a second, whole fp32 copy of its weights larger than maxEagerConfirmBytes.
var ErrConfirmTooBig = errors.New("confirming bf16 near ties in fp32 would hold a second, fp32 copy of this ESM-2")

// maxEagerConfirmBytes bounds the fp32 ESM-2 the confirmation loads whole: ESM-2
// 650M (2.6 GB) passes, the 3B (11.4 GB, twice its bf16 copy) does not.
const maxEagerConfirmBytes = 4 << 30

// esm2FP32Bytes is the size of an ESM-2's weights in float32.
func esm2FP32Bytes(c esm2.Config) int64 {
	D := int64(c.Dim)
	return 4 * (int64(c.Layers)*(12*D*D+13*D) + int64(len(esm2.Alphabet))*D + 2*D)
}

// DefaultBF16ConfirmMargin is the default δ of ModelOptions.ConfirmMargin (predict's
// --bf16-confirm-margin). Measured on every end-to-end case in testdata (the original
// VirNucPro's outputs at 300 and 500 bp; TestBF16ScoreError): bf16's worst score
// error against fp32 is 0.0144, so a frame's margin P(virus) − P(others) moves by
// at most 0.029 and a chunk's max P(virus) − max P(others) likewise. 0.1 leaves a
// safety factor of 3.5 over that for models deeper than the 3-layer test models
// (the 36-layer ESM-2 3B adds bf16 rounding at every layer) and for inputs unlike
// the test cases; a call can only flip when its bf16 margin is under twice the score
// error, so any δ above that confirms every call that could flip.
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
// released model); ESM-2 too, in this version, up to maxEagerConfirmBytes (esm is
// the run's own ESM-2, for its size).
func loadConfirmation(paths ModelPaths, spec tensor.Spec, o ModelOptions, esm pipeline.Encoder) (*pipeline.Confirmation, error) {
	ref, ok, err := confirmSpec(spec, o.ConfirmMargin)
	if !ok || err != nil {
		return nil, err
	}
	if m, ok := esm.(*esm2.Model); ok {
		if n := esm2FP32Bytes(m.Config); n > maxEagerConfirmBytes {
			return nil, fmt.Errorf("%s: %.1f GB in fp32 besides its bf16 copy: %w", paths.ESM, float64(n)/1e9, ErrConfirmTooBig)
		}
	}
	b, err := tensor.Open(ref)
	if err != nil {
		return nil, fmt.Errorf("fp32 confirmation: %w", err)
	}
	enc, err := LoadEncoders(paths, b, o)
	if err != nil {
		return nil, fmt.Errorf("fp32 confirmation: %w", err)
	}
	slog.Info("bf16 near ties are confirmed in fp32", "margin", o.ConfirmMargin, "device", b.Name())
	return &pipeline.Confirmation{Encoders: enc, Device: b.Name() + " fp32", Margin: o.ConfirmMargin}, nil
}
