package weights

// allocFloat32 allocates the float32 destination of a conversion (a widened float16
// or bfloat16 tensor, a lazy tensor's scratch): every conversion allocates through
// it, so how that memory is obtained is decided in one place.
func allocFloat32(n int) []float32 { return make([]float32, n) }
