package tensor

// PoolToHost averages the rows of x over each span (MeanPool), waits for the backend,
// and copies row i of the result into out[i] (each of length Cols(x)).
func PoolToHost(b Backend, x Tensor, spans []Span, out [][]float32) error {
	D := x.Cols()
	pooled := b.New(len(spans), D)
	defer b.Free(pooled)
	b.MeanPool(pooled, x, spans)
	if err := Sync(b); err != nil {
		return err
	}
	flat := make([]float32, len(spans)*D)
	b.ToHost(flat, pooled)
	for i := range out {
		copy(out[i], flat[i*D:(i+1)*D])
	}
	return nil
}
