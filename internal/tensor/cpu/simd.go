package cpu

// Instruction-set levels of the element-wise kernels (GELU, softmax's exp, max and
// scale, bias and residual additions). Every level computes the same float32
// operations per element in the same order, so all give identical bits; a higher
// level only does more elements per instruction.
const (
	simdScalar = iota // plain Go
	simdAVX2          // 8 lanes (YMM)
	simdAVX512        // 16 lanes (ZMM), masked tails
)

// simdLevel is the level the element-wise kernels use: the best the processor
// supports (the last of simdLevels). Tests lower it to check each path against the
// scalar reference on a machine that has them all.
var simdLevel = bestSIMDLevel()
