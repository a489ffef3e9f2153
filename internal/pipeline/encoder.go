package pipeline

import (
	"fmt"
	"math"
	"strings"
)

// Encoder is one embedding model as the pipeline drives it (DNABERT-S on nucleotide
// slices, ESM-2 on proteins).
type Encoder interface {
	// Name names the model in logs and errors ("DNABERT-S", "ESM-2").
	Name() string
	// Dim is the embedding width.
	Dim() int
	// Tokenize returns the token ids of one sequence, special tokens included, or an
	// error explaining which letter the model cannot take.
	Tokenize(seq []byte) ([]int32, error)
	// EmbedBatch embeds one packed batch: out[i] (len Dim) receives the pooled
	// embedding of tokens[i].
	EmbedBatch(tokens [][]int32, out [][]float32) error
}

// Classifier scores merged features.
type Classifier interface {
	// InputDim is the feature width the classifier takes.
	InputDim() int
	// Classify returns the softmax probabilities (others, virus) of n feature rows
	// (features is n × InputDim, row-major), as 2n values.
	Classify(features []float32, n int) ([]float32, error)
}

// NumericalError reports non-finite embeddings: the numerical-instability failure.
type NumericalError struct {
	Model string
	IDs   []string
}

func (e *NumericalError) Error() string {
	ids := e.IDs
	more := ""
	if len(ids) > 5 {
		more = fmt.Sprintf(" and %d more", len(ids)-5)
		ids = ids[:5]
	}
	return fmt.Sprintf("%s produced NaN/Inf embeddings (numerical instability) for %s%s", e.Model, strings.Join(ids, ", "), more)
}

// finite reports whether every value of v is a finite number.
func finite(v []float32) bool {
	for _, x := range v {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return false
		}
	}
	return true
}
