package cpu

// packBF16x16AVX512 rounds and packs blocks of 32 values of 16 rows into panel
// lanes (see bf16pack_amd64.s); it returns how many blocks it packed before one
// holding Inf or NaN.
//
//go:noescape
func packBF16x16AVX512(dst *uint32, src *float32, k int, blocks int) int

// packRows16 packs rows [j0, j0+16) of the panel at dst (its first lane) from w0,
// the first of those rows (row stride k), with the AVX-512 kernel where the
// processor has it, and returns how many leading pairs of each row it packed
// (a multiple of 16; the caller packs the rest).
func packRows16(dst []uint32, w0 []float32, k int) int {
	blocks := k / 32
	if simdLevel < simdAVX512 || blocks == 0 {
		return 0
	}
	_, _ = dst[(16*blocks-1)*sbgemmNR+15], w0[15*k+32*blocks-1]
	return 16 * packBF16x16AVX512(&dst[0], &w0[0], k, blocks)
}
