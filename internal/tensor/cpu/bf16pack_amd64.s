#include "textflag.h"

// ROUND rounds the 16 float32 in z to bfloat16 (nearest, ties to even) in the
// high halves, and ORs the lanes holding Inf or NaN into K2.
#define ROUND(z) \
	VPANDD Z29, z, Z18; \
	VPCMPEQD Z29, Z18, K1; \
	KORW K1, K2, K2; \
	VPSRLD $16, z, Z18; \
	VPANDD Z30, Z18, Z18; \
	VPADDD Z31, Z18, Z18; \
	VPADDD Z18, z, z; \
	VPSRLD $16, z, z

// ROW loads 32 values of the row at BX, rounds them, leaves their 16 pairs in zr
// (whose low half is yr) and moves BX to the next row.
#define ROW(zr, yr) \
	VMOVDQU32 (BX), Z16; \
	VMOVDQU32 64(BX), Z17; \
	ROUND(Z16); \
	ROUND(Z17); \
	VPMOVDW Z16, yr; \
	VPMOVDW Z17, Y18; \
	VINSERTI64X4 $1, Y18, zr, zr; \
	ADDQ R8, BX

// func packBF16x16AVX512(dst *uint32, src *float32, k int, blocks int) int
//
// Rounds and packs 16 rows of a weight (row r at src + r·k floats) into the bf16
// panel layout: for each block b of 32 values (16 pairs) of every row, the pair p
// of row r (values 2p, 2p+1, rounded to bfloat16 to nearest even, the even one in
// the low half) is stored at dst[(16b+p)·32 + r]. It stops before a block holding
// a value whose exponent is all ones (Inf or NaN) and returns how many blocks it
// packed: the Go reference packs the rest.
//
// Per row: two loads, the rounding u + 0x7fff + ((u >> 16) & 1) as integers, the
// high halves narrowed to 16 pairs (VPMOVDW); then a 16×16 transpose of 32-bit
// lanes (dwords, qwords, then two 128-bit lane shuffles) and 16 stores.
TEXT ·packBF16x16AVX512(SB), NOSPLIT, $0-40
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ k+16(FP), R8
	SHLQ $2, R8 // row stride in bytes
	MOVQ blocks+24(FP), CX
	XORQ AX, AX
	MOVL $0x7f800000, R9
	MOVL $1, R10
	MOVL $0x7fff, R11
block:
	CMPQ AX, CX
	JGE  done
	VPBROADCASTD R9, Z29
	VPBROADCASTD R10, Z30
	VPBROADCASTD R11, Z31
	KXORW K2, K2, K2
	MOVQ SI, BX
	ROW(Z0, Y0)
	ROW(Z1, Y1)
	ROW(Z2, Y2)
	ROW(Z3, Y3)
	ROW(Z4, Y4)
	ROW(Z5, Y5)
	ROW(Z6, Y6)
	ROW(Z7, Y7)
	ROW(Z8, Y8)
	ROW(Z9, Y9)
	ROW(Z10, Y10)
	ROW(Z11, Y11)
	ROW(Z12, Y12)
	ROW(Z13, Y13)
	ROW(Z14, Y14)
	ROW(Z15, Y15)
	KORTESTW K2, K2
	JNZ done
	// transpose: dwords
	VPUNPCKLDQ Z1, Z0, Z16
	VPUNPCKHDQ Z1, Z0, Z17
	VPUNPCKLDQ Z3, Z2, Z18
	VPUNPCKHDQ Z3, Z2, Z19
	VPUNPCKLDQ Z5, Z4, Z20
	VPUNPCKHDQ Z5, Z4, Z21
	VPUNPCKLDQ Z7, Z6, Z22
	VPUNPCKHDQ Z7, Z6, Z23
	VPUNPCKLDQ Z9, Z8, Z24
	VPUNPCKHDQ Z9, Z8, Z25
	VPUNPCKLDQ Z11, Z10, Z26
	VPUNPCKHDQ Z11, Z10, Z27
	VPUNPCKLDQ Z13, Z12, Z28
	VPUNPCKHDQ Z13, Z12, Z29
	VPUNPCKLDQ Z15, Z14, Z30
	VPUNPCKHDQ Z15, Z14, Z31
	// qwords: Z(4g+m) holds column 4L+m of rows 4g..4g+3 in lane L
	VPUNPCKLQDQ Z18, Z16, Z0
	VPUNPCKHQDQ Z18, Z16, Z1
	VPUNPCKLQDQ Z19, Z17, Z2
	VPUNPCKHQDQ Z19, Z17, Z3
	VPUNPCKLQDQ Z22, Z20, Z4
	VPUNPCKHQDQ Z22, Z20, Z5
	VPUNPCKLQDQ Z23, Z21, Z6
	VPUNPCKHQDQ Z23, Z21, Z7
	VPUNPCKLQDQ Z26, Z24, Z8
	VPUNPCKHQDQ Z26, Z24, Z9
	VPUNPCKLQDQ Z27, Z25, Z10
	VPUNPCKHQDQ Z27, Z25, Z11
	VPUNPCKLQDQ Z30, Z28, Z12
	VPUNPCKHQDQ Z30, Z28, Z13
	VPUNPCKLQDQ Z31, Z29, Z14
	VPUNPCKHQDQ Z31, Z29, Z15
	// 128-bit lanes: column 4L+m = lane L of Z(m), Z(4+m), Z(8+m), Z(12+m)
	VSHUFI32X4 $0x44, Z4, Z0, Z16
	VSHUFI32X4 $0xEE, Z4, Z0, Z17
	VSHUFI32X4 $0x44, Z12, Z8, Z18
	VSHUFI32X4 $0xEE, Z12, Z8, Z19
	VSHUFI32X4 $0x44, Z5, Z1, Z20
	VSHUFI32X4 $0xEE, Z5, Z1, Z21
	VSHUFI32X4 $0x44, Z13, Z9, Z22
	VSHUFI32X4 $0xEE, Z13, Z9, Z23
	VSHUFI32X4 $0x44, Z6, Z2, Z24
	VSHUFI32X4 $0xEE, Z6, Z2, Z25
	VSHUFI32X4 $0x44, Z14, Z10, Z26
	VSHUFI32X4 $0xEE, Z14, Z10, Z27
	VSHUFI32X4 $0x44, Z7, Z3, Z28
	VSHUFI32X4 $0xEE, Z7, Z3, Z29
	VSHUFI32X4 $0x44, Z15, Z11, Z30
	VSHUFI32X4 $0xEE, Z15, Z11, Z31
	VSHUFI32X4 $0x88, Z18, Z16, Z0
	VMOVDQU32 Z0, 0(DI)
	VSHUFI32X4 $0xdd, Z18, Z16, Z0
	VMOVDQU32 Z0, 512(DI)
	VSHUFI32X4 $0x88, Z19, Z17, Z0
	VMOVDQU32 Z0, 1024(DI)
	VSHUFI32X4 $0xdd, Z19, Z17, Z0
	VMOVDQU32 Z0, 1536(DI)
	VSHUFI32X4 $0x88, Z22, Z20, Z0
	VMOVDQU32 Z0, 128(DI)
	VSHUFI32X4 $0xdd, Z22, Z20, Z0
	VMOVDQU32 Z0, 640(DI)
	VSHUFI32X4 $0x88, Z23, Z21, Z0
	VMOVDQU32 Z0, 1152(DI)
	VSHUFI32X4 $0xdd, Z23, Z21, Z0
	VMOVDQU32 Z0, 1664(DI)
	VSHUFI32X4 $0x88, Z26, Z24, Z0
	VMOVDQU32 Z0, 256(DI)
	VSHUFI32X4 $0xdd, Z26, Z24, Z0
	VMOVDQU32 Z0, 768(DI)
	VSHUFI32X4 $0x88, Z27, Z25, Z0
	VMOVDQU32 Z0, 1280(DI)
	VSHUFI32X4 $0xdd, Z27, Z25, Z0
	VMOVDQU32 Z0, 1792(DI)
	VSHUFI32X4 $0x88, Z30, Z28, Z0
	VMOVDQU32 Z0, 384(DI)
	VSHUFI32X4 $0xdd, Z30, Z28, Z0
	VMOVDQU32 Z0, 896(DI)
	VSHUFI32X4 $0x88, Z31, Z29, Z0
	VMOVDQU32 Z0, 1408(DI)
	VSHUFI32X4 $0xdd, Z31, Z29, Z0
	VMOVDQU32 Z0, 1920(DI)
	ADDQ $128, SI
	ADDQ $2048, DI
	INCQ AX
	JMP  block
done:
	VZEROUPPER
	MOVQ AX, ret+32(FP)
	RET
