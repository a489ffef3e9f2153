// Package mlp is VirNucPro's classifier: Linear -> BatchNorm1d (eval, running
// statistics) -> ReLU -> Dropout (identity at inference) -> Linear -> softmax over
// (others, virus).
package mlp

import (
	"fmt"
	"math"
	"os"
	"strconv"

	"github.com/virnucpro/virnucpro/internal/weights"
)

// Tensor names, as in the original MLPClassifier's state_dict.
const (
	HiddenWeight = "hidden_layer.weight"
	HiddenBias   = "hidden_layer.bias"
	BNWeight     = "bn1.weight"
	BNBias       = "bn1.bias"
	BNMean       = "bn1.running_mean"
	BNVar        = "bn1.running_var"
	OutWeight    = "output_layer.weight"
	OutBias      = "output_layer.bias"
	// EpsMetadata is the safetensors metadata key holding BatchNorm's eps.
	EpsMetadata = "bn_eps"
)

// Classifier holds the weights (float32, as torch) of a VirNucPro MLP.
type Classifier struct {
	In, Hidden, Classes int
	W1, B1              []float32 // Hidden×In, Hidden
	Gamma, Beta         []float32 // BatchNorm affine
	Mean, Var           []float32 // BatchNorm running statistics
	Eps                 float64
	W2, B2              []float32 // Classes×Hidden, Classes
}

// Load reads a classifier from the released whole-module pickle (300_model.pth /
// 500_model.pth), a state_dict .pt, or .safetensors. Dimensions come from the weights.
func Load(path string) (*Classifier, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("classifier: %w", err)
	}
	if p, perr := weights.LoadPyTorch(path); perr == nil {
		return fromPickle(p)
	}
	sd, err := weights.Load(path)
	if err != nil {
		return nil, fmt.Errorf("classifier: %w", err)
	}
	return fromSafetensors(sd)
}

// Parse reads a classifier from the bytes of a .pth/.pt or .safetensors file (name is
// used in errors).
func Parse(data []byte, name string) (*Classifier, error) {
	p, perr := weights.ParsePyTorch(data, name)
	if perr == nil {
		return fromPickle(p)
	}
	if len(data) < 10 || data[8] != '{' {
		return nil, fmt.Errorf("classifier: %w", perr)
	}
	sd, err := weights.ParseSafetensors(data, name)
	if err != nil {
		return nil, fmt.Errorf("classifier: %w", err)
	}
	return fromSafetensors(sd)
}

// fromPickle builds a classifier from a state dict or a whole pickled MLPClassifier,
// whose bn1 carries BatchNorm's eps.
func fromPickle(p *weights.Pickle) (*Classifier, error) {
	eps := 1e-5
	if o, ok := p.Root.(*weights.Object); ok {
		if bn, ok := findModule(o, "bn1"); ok {
			if e, ok := bn.Dict["eps"].(float64); ok {
				eps = e
			}
		}
	}
	sd, err := p.Weights()
	if err != nil {
		return nil, fmt.Errorf("classifier: %w", err)
	}
	return FromStateDict(sd, eps)
}

// fromSafetensors builds a classifier from safetensors, eps from its metadata.
func fromSafetensors(sd *weights.StateDict) (*Classifier, error) {
	eps := 1e-5
	if s, ok := sd.Metadata[EpsMetadata]; ok {
		var err error
		if eps, err = strconv.ParseFloat(s, 64); err != nil {
			return nil, fmt.Errorf("classifier %s: metadata %s=%q: %v", sd.File, EpsMetadata, s, err)
		}
	}
	return FromStateDict(sd, eps)
}

func findModule(o *weights.Object, name string) (*weights.Object, bool) {
	mods, ok := o.Dict["_modules"]
	if !ok {
		return nil, false
	}
	v, ok := weights.Lookup(mods, name)
	if !ok {
		return nil, false
	}
	m, ok := v.(*weights.Object)
	return m, ok
}

// FromStateDict builds a classifier from its tensors.
func FromStateDict(sd *weights.StateDict, eps float64) (*Classifier, error) {
	if math.IsNaN(eps) || math.IsInf(eps, 0) || eps < 0 {
		return nil, fmt.Errorf("classifier %s: BatchNorm eps is %v; it must be finite and non-negative", sd.File, eps)
	}
	w1, err := sd.GetFinite(HiddenWeight, -1, -1)
	if err != nil {
		return nil, fmt.Errorf("classifier: %w (not a VirNucPro MLPClassifier?)", err)
	}
	c := &Classifier{Hidden: w1.Shape[0], In: w1.Shape[1], W1: w1.Data, Eps: eps}
	w2, err := sd.GetFinite(OutWeight, -1, c.Hidden)
	if err != nil {
		return nil, fmt.Errorf("classifier: %w", err)
	}
	c.Classes, c.W2 = w2.Shape[0], w2.Data
	if c.Classes != 2 {
		return nil, fmt.Errorf("classifier %s: %d output classes, VirNucPro has 2", sd.File, c.Classes)
	}
	for _, v := range []struct {
		name string
		dst  *[]float32
		n    int
	}{{HiddenBias, &c.B1, c.Hidden}, {BNWeight, &c.Gamma, c.Hidden}, {BNBias, &c.Beta, c.Hidden},
		{BNMean, &c.Mean, c.Hidden}, {BNVar, &c.Var, c.Hidden}, {OutBias, &c.B2, c.Classes}} {
		t, err := sd.GetFinite(v.name, v.n)
		if err != nil {
			return nil, fmt.Errorf("classifier: %w", err)
		}
		*v.dst = t.Data
	}
	for j, v := range c.Var {
		if v < 0 || float64(v)+eps <= 0 {
			return nil, fmt.Errorf("classifier %s: tensor %q holds variance %v at element %d; a BatchNorm variance must be non-negative (and variance + eps positive)", sd.File, BNVar, v, j)
		}
	}
	return c, nil
}

// InputDim is the feature width.
func (c *Classifier) InputDim() int { return c.In }

// Classify returns softmax probabilities (others, virus) for n rows of features.
// Sums are taken in float64 and rounded to float32 at the points torch rounds.
func (c *Classifier) Classify(features []float32, n int) ([]float32, error) {
	if len(features) != n*c.In {
		return nil, fmt.Errorf("classifier takes %d features per row; got %d values for %d rows", c.In, len(features), n)
	}
	out := make([]float32, n*c.Classes)
	h := make([]float32, c.Hidden)
	logits := make([]float64, c.Classes)
	for r := 0; r < n; r++ {
		x := features[r*c.In : (r+1)*c.In]
		for j := 0; j < c.Hidden; j++ {
			w := c.W1[j*c.In : (j+1)*c.In]
			s := float64(c.B1[j])
			for k, v := range x {
				s += float64(v) * float64(w[k])
			}
			lin := float32(s)
			inv := float32(1 / math.Sqrt(float64(c.Var[j])+c.Eps))
			bn := (lin-c.Mean[j])*inv*c.Gamma[j] + c.Beta[j]
			h[j] = max(bn, 0)
		}
		mx := math.Inf(-1)
		for k := 0; k < c.Classes; k++ {
			w := c.W2[k*c.Hidden : (k+1)*c.Hidden]
			s := float64(c.B2[k])
			for j, v := range h {
				s += float64(v) * float64(w[j])
			}
			logits[k] = float64(float32(s))
			mx = math.Max(mx, logits[k])
		}
		var sum float64
		for k := range logits {
			logits[k] = math.Exp(logits[k] - mx)
			sum += logits[k]
		}
		for k := range logits {
			out[r*c.Classes+k] = float32(logits[k] / sum)
		}
	}
	return out, nil
}

// Save writes the classifier as safetensors with the original state_dict names (and
// BatchNorm's eps in the metadata), loadable by Load and by predict --classifier.
func (c *Classifier) Save(path string) error {
	t := func(data []float32, shape ...int) *weights.Tensor { return &weights.Tensor{Shape: shape, Data: data} }
	return weights.WriteSafetensors(path, map[string]*weights.Tensor{
		HiddenWeight: t(c.W1, c.Hidden, c.In), HiddenBias: t(c.B1, c.Hidden),
		BNWeight: t(c.Gamma, c.Hidden), BNBias: t(c.Beta, c.Hidden), BNMean: t(c.Mean, c.Hidden), BNVar: t(c.Var, c.Hidden),
		OutWeight: t(c.W2, c.Classes, c.Hidden), OutBias: t(c.B2, c.Classes),
	}, map[string]string{EpsMetadata: strconv.FormatFloat(c.Eps, 'g', -1, 64), "format": "virnucpro-mlp"})
}
