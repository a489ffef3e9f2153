#include "textflag.h"

// SGEMM microkernels (see sgemm.go). Both compute one tile of C = A·B: A is read in
// place, MR rows lda floats apart (one broadcast per row and step), B from a packed
// panel of k steps of NR values (one per column of the tile). Each element of the
// tile is one accumulator, updated once per step with a fused multiply-add in step
// order: acc = a·b + acc. Starting from zero (flags bit 0 clear) or from src (bit 0
// set, rows lds floats apart); at the end the tile is stored to dst (rows ldd floats
// apart), added to dst's old values first when flags bit 1 is set. The vector width
// only changes how many columns one instruction updates, so both kernels give the
// same bits.
//
// Both share one frame layout:
// func(k int, a *float32, lda int, b, src *float32, lds int, dst *float32, ldd int, flags int)
// and these registers: CX steps left; AX, R13, SI rows 0, 4 and 8 of A (R11 = lda
// and R12 = 3·lda in bytes reach the three rows after each); BX the panel of B; R10
// src then dst, DX lds and R8 ldd in bytes; R9 flags.

#define PROLOGUE \
	MOVQ k+0(FP), CX; \
	MOVQ a+8(FP), AX; \
	MOVQ lda+16(FP), R11; \
	SHLQ $2, R11; \
	LEAQ (R11)(R11*2), R12; \
	LEAQ (AX)(R11*4), R13; \
	LEAQ (R13)(R11*4), SI; \
	MOVQ b+24(FP), BX; \
	MOVQ src+32(FP), R10; \
	MOVQ lds+40(FP), DX; \
	SHLQ $2, DX; \
	MOVQ flags+64(FP), R9

#define EPILOGUE \
	MOVQ dst+48(FP), R10; \
	MOVQ ldd+56(FP), R8; \
	SHLQ $2, R8; \
	TESTQ $2, R9

// One row of the tile in two registers r0, r1 (columns [0, w/4) and [w/4, w/2) for
// w-byte vectors).
#define ROWLOAD(w, r0, r1) VMOVUPS (R10), r0; VMOVUPS w(R10), r1; ADDQ DX, R10
#define ROWSTORE(w, r0, r1) VMOVUPS r0, (R10); VMOVUPS r1, w(R10); ADDQ R8, R10
#define ROWADDSTORE(w, r0, r1) VADDPS (R10), r0, r0; VADDPS w(R10), r1, r1; ROWSTORE(w, r0, r1)
// One row's step: its value of A (at addr) times the step's values of B (b0, b1).
#define ROWFMA(addr, t, b0, b1, r0, r1) VBROADCASTSS addr, t; VFMADD231PS b0, t, r0; VFMADD231PS b1, t, r1

// AVX-512: 12 rows × 32 columns, row r in Z(2r) (columns 0-15) and Z(2r+1) (16-31).

// func sgemmKernelAVX512(k int, a *float32, lda int, b, src *float32, lds int, dst *float32, ldd int, flags int)
TEXT ·sgemmKernelAVX512(SB), NOSPLIT, $0-72
	PROLOGUE
	TESTQ $1, R9
	JZ    zero512
	ROWLOAD(64, Z0, Z1); ROWLOAD(64, Z2, Z3); ROWLOAD(64, Z4, Z5); ROWLOAD(64, Z6, Z7)
	ROWLOAD(64, Z8, Z9); ROWLOAD(64, Z10, Z11); ROWLOAD(64, Z12, Z13); ROWLOAD(64, Z14, Z15)
	ROWLOAD(64, Z16, Z17); ROWLOAD(64, Z18, Z19); ROWLOAD(64, Z20, Z21); ROWLOAD(64, Z22, Z23)
	JMP   start512

zero512:
	VPXORD Z0, Z0, Z0; VPXORD Z1, Z1, Z1; VPXORD Z2, Z2, Z2; VPXORD Z3, Z3, Z3
	VPXORD Z4, Z4, Z4; VPXORD Z5, Z5, Z5; VPXORD Z6, Z6, Z6; VPXORD Z7, Z7, Z7
	VPXORD Z8, Z8, Z8; VPXORD Z9, Z9, Z9; VPXORD Z10, Z10, Z10; VPXORD Z11, Z11, Z11
	VPXORD Z12, Z12, Z12; VPXORD Z13, Z13, Z13; VPXORD Z14, Z14, Z14; VPXORD Z15, Z15, Z15
	VPXORD Z16, Z16, Z16; VPXORD Z17, Z17, Z17; VPXORD Z18, Z18, Z18; VPXORD Z19, Z19, Z19
	VPXORD Z20, Z20, Z20; VPXORD Z21, Z21, Z21; VPXORD Z22, Z22, Z22; VPXORD Z23, Z23, Z23

start512:
	TESTQ CX, CX
	JZ    done512

loop512:
	VMOVUPS (BX), Z24
	VMOVUPS 64(BX), Z25
	PREFETCHT0 1024(BX) // B eight steps ahead
	PREFETCHT0 1088(BX)
	ROWFMA((AX), Z26, Z24, Z25, Z0, Z1)
	ROWFMA((AX)(R11*1), Z27, Z24, Z25, Z2, Z3)
	ROWFMA((AX)(R11*2), Z28, Z24, Z25, Z4, Z5)
	ROWFMA((AX)(R12*1), Z29, Z24, Z25, Z6, Z7)
	ROWFMA((R13), Z30, Z24, Z25, Z8, Z9)
	ROWFMA((R13)(R11*1), Z31, Z24, Z25, Z10, Z11)
	ROWFMA((R13)(R11*2), Z26, Z24, Z25, Z12, Z13)
	ROWFMA((R13)(R12*1), Z27, Z24, Z25, Z14, Z15)
	ROWFMA((SI), Z28, Z24, Z25, Z16, Z17)
	ROWFMA((SI)(R11*1), Z29, Z24, Z25, Z18, Z19)
	ROWFMA((SI)(R11*2), Z30, Z24, Z25, Z20, Z21)
	ROWFMA((SI)(R12*1), Z31, Z24, Z25, Z22, Z23)
	ADDQ $4, AX
	ADDQ $4, R13
	ADDQ $4, SI
	ADDQ $128, BX
	DECQ CX
	JNZ  loop512

done512:
	EPILOGUE
	JZ    store512
	ROWADDSTORE(64, Z0, Z1); ROWADDSTORE(64, Z2, Z3); ROWADDSTORE(64, Z4, Z5); ROWADDSTORE(64, Z6, Z7)
	ROWADDSTORE(64, Z8, Z9); ROWADDSTORE(64, Z10, Z11); ROWADDSTORE(64, Z12, Z13); ROWADDSTORE(64, Z14, Z15)
	ROWADDSTORE(64, Z16, Z17); ROWADDSTORE(64, Z18, Z19); ROWADDSTORE(64, Z20, Z21); ROWADDSTORE(64, Z22, Z23)
	VZEROUPPER
	RET

store512:
	ROWSTORE(64, Z0, Z1); ROWSTORE(64, Z2, Z3); ROWSTORE(64, Z4, Z5); ROWSTORE(64, Z6, Z7)
	ROWSTORE(64, Z8, Z9); ROWSTORE(64, Z10, Z11); ROWSTORE(64, Z12, Z13); ROWSTORE(64, Z14, Z15)
	ROWSTORE(64, Z16, Z17); ROWSTORE(64, Z18, Z19); ROWSTORE(64, Z20, Z21); ROWSTORE(64, Z22, Z23)
	VZEROUPPER
	RET

// AVX2 + FMA: 6 rows × 16 columns, row r in Y(2r) (columns 0-7) and Y(2r+1) (8-15).

// func sgemmKernelAVX2(k int, a *float32, lda int, b, src *float32, lds int, dst *float32, ldd int, flags int)
TEXT ·sgemmKernelAVX2(SB), NOSPLIT, $0-72
	PROLOGUE
	TESTQ $1, R9
	JZ    zero256
	ROWLOAD(32, Y0, Y1); ROWLOAD(32, Y2, Y3); ROWLOAD(32, Y4, Y5)
	ROWLOAD(32, Y6, Y7); ROWLOAD(32, Y8, Y9); ROWLOAD(32, Y10, Y11)
	JMP   start256

zero256:
	VXORPS Y0, Y0, Y0; VXORPS Y1, Y1, Y1; VXORPS Y2, Y2, Y2; VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4; VXORPS Y5, Y5, Y5; VXORPS Y6, Y6, Y6; VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8; VXORPS Y9, Y9, Y9; VXORPS Y10, Y10, Y10; VXORPS Y11, Y11, Y11

start256:
	TESTQ CX, CX
	JZ    done256

loop256:
	VMOVUPS (BX), Y12
	VMOVUPS 32(BX), Y13
	ROWFMA((AX), Y14, Y12, Y13, Y0, Y1)
	ROWFMA((AX)(R11*1), Y15, Y12, Y13, Y2, Y3)
	ROWFMA((AX)(R11*2), Y14, Y12, Y13, Y4, Y5)
	ROWFMA((AX)(R12*1), Y15, Y12, Y13, Y6, Y7)
	ROWFMA((R13), Y14, Y12, Y13, Y8, Y9)
	ROWFMA((R13)(R11*1), Y15, Y12, Y13, Y10, Y11)
	ADDQ $4, AX
	ADDQ $4, R13
	ADDQ $64, BX
	DECQ CX
	JNZ  loop256

done256:
	EPILOGUE
	JZ    store256
	ROWADDSTORE(32, Y0, Y1); ROWADDSTORE(32, Y2, Y3); ROWADDSTORE(32, Y4, Y5)
	ROWADDSTORE(32, Y6, Y7); ROWADDSTORE(32, Y8, Y9); ROWADDSTORE(32, Y10, Y11)
	VZEROUPPER
	RET

store256:
	ROWSTORE(32, Y0, Y1); ROWSTORE(32, Y2, Y3); ROWSTORE(32, Y4, Y5)
	ROWSTORE(32, Y6, Y7); ROWSTORE(32, Y8, Y9); ROWSTORE(32, Y10, Y11)
	VZEROUPPER
	RET

// func prefetchL2(p *float32, ld, rows, lines int)
// Asks for rows rows of lines 64-byte lines each, the first at p and the others ld
// floats apart, into the second-level cache (PREFETCHT1: a hint, never a fault).
TEXT ·prefetchL2(SB), NOSPLIT, $0-32
	MOVQ p+0(FP), AX
	MOVQ ld+8(FP), DX
	SHLQ $2, DX
	MOVQ rows+16(FP), BX
	MOVQ lines+24(FP), R8
	TESTQ R8, R8
	JLE  pfdone
	TESTQ BX, BX
	JLE  pfdone

pfrow:
	MOVQ AX, SI
	MOVQ R8, CX

pfline:
	PREFETCHT1 (SI)
	ADDQ $64, SI
	DECQ CX
	JNZ  pfline
	ADDQ DX, AX
	DECQ BX
	JNZ  pfrow

pfdone:
	RET
