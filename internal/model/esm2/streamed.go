package esm2

import (
	"fmt"
	"slices"
	"sync"

	"github.com/virnucpro/virnucpro/internal/tensor"
	"github.com/virnucpro/virnucpro/internal/weights"
)

// LoadStreamed loads ESM-2 like Load but keeps its transformer layers' Linear weights
// (q, k, v, out_proj, fc1, fc2: all but a few MB of the model) in the mapped
// checkpoint: EmbedBatch widens layer l's into one reused float32 scratch just before
// running layer l, and hands the mapped pages back after it. The model then holds one
// layer's weights in float32 (12·D² values: 315 MB for the 3B) instead of all of them
// (11.4 GB), for the price of converting the checkpoint once per batch (about a
// second for the 3B's 5.7 GB of float16, against minutes of computing a batch on the
// CPU). It computes exactly what Load's model computes on the same backend (the same
// values in the same products; TestStreamedMatchesLoaded). Every weight is checked
// to be finite here, once. Its EmbedBatch calls run one at a time (one scratch).
func LoadStreamed(path string, b tensor.Backend, opts Options) (*Model, error) {
	var s *streamer
	m, err := build(path, b, opts, func(names map[string]*weights.Tensor, l int, cfg Config) (layerWeights, error) {
		if s == nil {
			s = &streamer{dim: cfg.Dim, scratch: make([]float32, 12*cfg.Dim*cfg.Dim)}
		}
		lw, big, err := streamLayer(names, path, l, cfg, b)
		s.layers = append(s.layers, big)
		return lw, err
	})
	if err != nil {
		return nil, err
	}
	for l := range s.layers { // refuse a non-finite weight now, not mid-run
		if _, err := s.widen(l); err != nil {
			return nil, err
		}
	}
	m.stream = s
	return m, nil
}

// streamedLinears are one layer's Linear weights, left in the mapped checkpoint.
type streamedLinears struct {
	q, k, v, wo, w1, w2 *weights.Tensor
}

// streamLayer is loadLayer for a streamed model: the layer norms, biases and rotary
// frequencies are uploaded (and checked) as Load does; the Linear weights' shapes
// are checked and the tensors kept lazy.
func streamLayer(names map[string]*weights.Tensor, path string, l int, cfg Config, b tensor.Backend) (layerWeights, streamedLinears, error) {
	w, err := loadLayerSmall(names, path, l, cfg, b)
	if err != nil {
		return layerWeights{}, streamedLinears{}, err
	}
	D := cfg.Dim
	pre := fmt.Sprintf("layers.%d.", l)
	big := func(name string, rows, cols int) *weights.Tensor {
		var t *weights.Tensor
		if err == nil {
			t, err = shaped(names, path, pre+name, rows, cols)
		}
		return t
	}
	var s streamedLinears
	s.q, s.k, s.v = big("self_attn.q_proj.weight", D, D), big("self_attn.k_proj.weight", D, D), big("self_attn.v_proj.weight", D, D)
	s.wo, s.w1, s.w2 = big("self_attn.out_proj.weight", D, D), big("fc1.weight", 4*D, D), big("fc2.weight", D, 4*D)
	if err != nil {
		return layerWeights{}, streamedLinears{}, err
	}
	return w, s, nil
}

// streamer widens a streamed model's layers into its scratch, one at a time.
type streamer struct {
	mu      sync.Mutex // held for a whole EmbedBatch: one scratch
	dim     int
	layers  []streamedLinears
	scratch []float32 // q, k, v, out_proj (D² each), fc1, fc2 (4·D² each)
	// held are the uploaded weights kept for refilling (see up), by slot.
	held [7]tensor.Tensor
}

// widen converts layer l's Linear weights into the scratch (refusing non-finite
// values) and hands their mapped pages back; it returns the six matrices' values.
func (s *streamer) widen(l int) ([6][]float32, error) {
	var out [6][]float32
	D2 := s.dim * s.dim
	off := 0
	for i, t := range []*weights.Tensor{s.layers[l].q, s.layers[l].k, s.layers[l].v, s.layers[l].wo, s.layers[l].w1, s.layers[l].w2} {
		n := t.Numel()
		if n != D2 && n != 4*D2 {
			return out, fmt.Errorf("internal error: layer %d weight %d has %d values", l, i, n)
		}
		v, err := t.MaterializeInto(s.scratch[off : off+n : off+n])
		if err != nil {
			return out, err
		}
		t.Release()
		out[i] = v
		off += n
	}
	return out, nil
}

// fill uploads layer l's Linear weights from the scratch into w, as Load's loadLayer
// uploads them (q, k and v stacked where the backend can). A backend that holds its
// own copy of a weight and can refill it (tensor.WeightRefiller: the CPU's packed
// panels) gets the previous layer's weights refilled in place, not new ones.
func (s *streamer) fill(b tensor.Backend, l int, w *layerWeights) error {
	v, err := s.widen(l)
	if err != nil {
		return err
	}
	D := s.dim
	if c, ok := b.(tensor.RowConcatenator); ok {
		w.wqkv = c.ConcatRows(s.up(b, 0, v[0], D, D), s.up(b, 1, v[1], D, D), s.up(b, 2, v[2], D, D))
	} else {
		w.wqkv = s.up(b, 6, s.scratch[:3*D*D], 3*D, D) // q, k and v lie one after another
	}
	w.wo, w.w1, w.w2 = s.up(b, 3, v[3], D, D), s.up(b, 4, v[4], 4*D, D), s.up(b, 5, v[5], D, 4*D)
	return nil
}

// up uploads data as the Linear weight of slot i (q, k, v, out_proj, fc1, fc2, or
// q, k and v stacked), refilling the one held from the previous layer if any, and
// keeps it for the next layer when the backend holds a copy it can refill.
func (s *streamer) up(b tensor.Backend, i int, data []float32, rows, cols int) tensor.Tensor {
	if t := s.held[i]; t != nil {
		b.(tensor.WeightRefiller).RefillWeight(t, data)
		return t
	}
	t, copied := tensor.FromHostWeight(b, data, rows, cols)
	if _, ok := b.(tensor.WeightRefiller); ok && copied {
		s.held[i] = t
	}
	return t
}

// drop releases the Linear weights fill uploaded (the scratch is reused), except
// those held for refilling.
func (s *streamer) drop(b tensor.Backend, w *layerWeights) {
	for _, t := range []*tensor.Tensor{&w.wqkv, &w.wo, &w.w1, &w.w2} {
		if *t != nil && !slices.Contains(s.held[:], *t) {
			b.Free(*t)
		}
		*t = nil
	}
}
