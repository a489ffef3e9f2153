package cuda

import (
	"math"

	"github.com/virnucpro/virnucpro/internal/tensor"
)

// refBackend is a float64 host implementation of tensor.Backend used to check
// the golden-test scaffolding without a GPU.
type refBackend struct{}

type refTensor struct {
	r, c int
	v    []float64
}

func (t *refTensor) Rows() int { return t.r }
func (t *refTensor) Cols() int { return t.c }

func (refBackend) Name() string { return "ref" }
func (refBackend) New(r, c int) tensor.Tensor {
	return &refTensor{r, c, make([]float64, r*c)}
}
func (refBackend) FromHost(d []float32, r, c int) tensor.Tensor {
	v := make([]float64, len(d))
	for i, x := range d {
		v[i] = float64(x)
	}
	return &refTensor{r, c, v}
}
func (refBackend) ToHost(dst []float32, t tensor.Tensor) {
	for i, x := range t.(*refTensor).v {
		dst[i] = float32(x)
	}
}
func (refBackend) Free(tensor.Tensor) {}
func (refBackend) Embed(dst, table tensor.Tensor, ids []int32, scale float32) {
	d, tb := dst.(*refTensor), table.(*refTensor)
	for i, id := range ids {
		for c := 0; c < d.c; c++ {
			d.v[i*d.c+c] = tb.v[int(id)*tb.c+c] * float64(scale)
		}
	}
}
func (refBackend) Linear(dst, x, w, bias tensor.Tensor, acc bool) {
	d, xt, wt := dst.(*refTensor), x.(*refTensor), w.(*refTensor)
	var bv []float64
	if bias != nil {
		bv = bias.(*refTensor).v
	}
	out := refLinear(xt.v, wt.v, bv, d.v, xt.r, wt.r, xt.c, acc)
	copy(d.v, out)
}
func (refBackend) LayerNorm(dst, x, g, b tensor.Tensor, eps float32) {
	d, xt, gt, bt := dst.(*refTensor), x.(*refTensor), g.(*refTensor), b.(*refTensor)
	for i := 0; i < xt.r; i++ {
		row := append([]float64(nil), xt.v[i*xt.c:(i+1)*xt.c]...)
		m, v := 0.0, 0.0
		for _, a := range row {
			m += a
		}
		m /= float64(len(row))
		for _, a := range row {
			v += (a - m) * (a - m)
		}
		v /= float64(len(row))
		for j, a := range row {
			d.v[i*xt.c+j] = (a-m)/math.Sqrt(v+float64(eps))*gt.v[j] + bt.v[j]
		}
	}
}
func refGelu(a float64) float64 { return 0.5 * a * (1 + math.Erf(a/math.Sqrt2)) }
func (refBackend) GELU(x tensor.Tensor) {
	for i, a := range x.(*refTensor).v {
		x.(*refTensor).v[i] = refGelu(a)
	}
}
func (refBackend) GatedGELU(dst, x tensor.Tensor) {
	d, xt := dst.(*refTensor), x.(*refTensor)
	for i := 0; i < d.r; i++ {
		for j := 0; j < d.c; j++ {
			d.v[i*d.c+j] = refGelu(xt.v[i*xt.c+j]) * xt.v[i*xt.c+d.c+j]
		}
	}
}
func (refBackend) Copy(dst, src tensor.Tensor) { copy(dst.(*refTensor).v, src.(*refTensor).v) }
func (refBackend) Attention(dst, qkv tensor.Tensor, segs []tensor.Segment, spec tensor.AttentionSpec) {
	q := qkv.(*refTensor)
	copy(dst.(*refTensor).v, refAttention(q.v, q.r, segs, spec))
}
func (refBackend) MeanPool(dst, src tensor.Tensor, spans []tensor.Span) {
	d, s := dst.(*refTensor), src.(*refTensor)
	for i, sp := range spans {
		for c := 0; c < s.c; c++ {
			a := 0.0
			for r := sp.Start; r < sp.End; r++ {
				a += s.v[r*s.c+c]
			}
			d.v[i*s.c+c] = a / float64(sp.End-sp.Start)
		}
	}
}
