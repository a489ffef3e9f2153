// Package tensor defines the compute backend the transformer models run on.
//
// A Backend owns the memory of its Tensors (host slices for the CPU backends, device
// buffers for a GPU backend), so model code never touches Tensor data directly: it
// uploads inputs and weights with FromHost, chains the fused operations below, and
// downloads the pooled result with ToHost. The operations are chosen at the granularity
// a transformer layer needs (linear with bias/residual, layer norm, varlen attention over
// packed sequences, mean pooling), so that a GPU backend can implement each one as a
// kernel and the models need no change.
//
// All matrices are 2-D, row-major, float32 at the interface (a backend may store
// weights in a narrower type internally).
package tensor

// Tensor is a 2-D row-major float32 matrix owned by one Backend.
type Tensor interface {
	// Rows is the number of rows (tokens for activations, output features for weights).
	Rows() int
	// Cols is the number of columns.
	Cols() int
}

// Segment is one sequence inside a packed batch: rows [Start, Start+Len) of the
// activation matrices. Attention never crosses segments and positions restart at 0.
type Segment struct {
	Start int
	Len   int
}

// Span is a half-open row range [Start, End) that MeanPool averages into one row.
type Span struct {
	Start int
	End   int
}

// AttentionSpec describes a multi-head self-attention over packed sequences.
type AttentionSpec struct {
	// Heads is the number of heads; HeadDim*Heads is the model width D.
	Heads   int
	HeadDim int
	// Scale multiplies q before the rotary embedding and the dot product
	// (fair-esm scales q by HeadDim^-0.5 before rotary; BERT uses 1/sqrt(HeadDim)).
	Scale float32
	// RotaryInvFreq, when non-nil (length HeadDim/2), applies the half-split rotary
	// embedding (rotate_half) to q and k with positions 0..Len-1 inside each segment:
	// angle = pos * inv_freq[i] computed in float32, emb = cat(freqs, freqs).
	RotaryInvFreq []float32
	// ALiBiSlopes, when non-nil (length Heads), adds -slope[h]*|i-j| to the scores.
	ALiBiSlopes []float32
}

// Backend is a compute engine. Implementations must be safe for use by one goroutine
// at a time per model worker; they may parallelise internally.
type Backend interface {
	// Name identifies the backend in logs ("go", "openblas", "cuda:0").
	Name() string

	// New returns a zeroed rows×cols tensor.
	New(rows, cols int) Tensor
	// FromHost returns a tensor holding data (len rows*cols). CPU backends may alias
	// data without copying, so callers must not modify it afterwards.
	FromHost(data []float32, rows, cols int) Tensor
	// ToHost copies t into dst (len Rows*Cols).
	ToHost(dst []float32, t Tensor)
	// Free releases t's memory early; using t afterwards is an error.
	Free(t Tensor)

	// Embed writes table row ids[i], multiplied by scale, into dst row i
	// (dst is len(ids)×Cols(table)).
	Embed(dst, table Tensor, ids []int32, scale float32)
	// Linear computes dst = x·wᵀ + bias (accumulate=false) or dst += x·wᵀ + bias
	// (accumulate=true, the residual connection). x is m×k, w is n×k (PyTorch
	// nn.Linear layout), bias is 1×n or nil, dst is m×n.
	Linear(dst, x, w, bias Tensor, accumulate bool)
	// LayerNorm normalises each row of x with (x-mean)/sqrt(var+eps)*gamma+beta
	// (biased variance, as torch.nn.LayerNorm). dst may be x.
	LayerNorm(dst, x, gamma, beta Tensor, eps float32)
	// GELU applies the exact erf GELU x*0.5*(1+erf(x/sqrt2)) in place.
	GELU(x Tensor)
	// GatedGELU computes dst[:, j] = GELU(x[:, j]) * x[:, I+j] for x of width 2I and
	// dst of width I (the MosaicBERT gated-linear-unit MLP).
	GatedGELU(dst, x Tensor)
	// Copy copies src into dst (same shape).
	Copy(dst, src Tensor)
	// Attention computes multi-head self-attention. qkv is T×3D with q in columns
	// [0,D), k in [D,2D), v in [2D,3D); head h uses columns h*HeadDim..(h+1)*HeadDim
	// of each. dst is T×D (heads concatenated). Attention is restricted to each
	// segment; softmax is in float32.
	Attention(dst, qkv Tensor, segs []Segment, spec AttentionSpec)
	// MeanPool writes the mean of src rows [Start, End) of spans[i] into dst row i.
	// dst is len(spans)×Cols(src). An empty span yields NaN (as torch's mean of nothing).
	MeanPool(dst, src Tensor, spans []Span)
}
