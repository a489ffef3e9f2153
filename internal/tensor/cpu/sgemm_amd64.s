#include "textflag.h"

// SGEMM microkernels (see sgemm.go). Both compute one tile of C = A·Bᵀ from packed
// panels: a holds k steps of MR values of A (one per row of the tile), b k steps of
// NR values of B (one per column). Each element of the tile is one accumulator,
// updated once per step with a fused multiply-add in step order: acc = a·b + acc.
// Starting from zero (flags bit 0 clear) or from src (bit 0 set, rows lds floats
// apart); at the end the tile is stored to dst (rows ldd floats apart), added to
// dst's old values first when flags bit 1 is set. The vector width only changes how
// many columns one instruction updates, so both kernels give the same bits.

// AVX-512: 12 rows × 32 columns, row r in Z(2r) (columns 0-15) and Z(2r+1) (16-31).
#define LOAD512(r0, r1) VMOVUPS (R10), r0; VMOVUPS 64(R10), r1; ADDQ DX, R10
#define ZERO512(r0, r1) VPXORD r0, r0, r0; VPXORD r1, r1, r1
#define FMA512(off, t, r0, r1) VBROADCASTSS off(AX), t; VFMADD231PS Z24, t, r0; VFMADD231PS Z25, t, r1
#define STORE512(r0, r1) VMOVUPS r0, (R10); VMOVUPS r1, 64(R10); ADDQ R8, R10
#define ADDSTORE512(r0, r1) VADDPS (R10), r0, r0; VADDPS 64(R10), r1, r1; STORE512(r0, r1)

// func sgemmKernelAVX512(k int, a, b, src *float32, lds int, dst *float32, ldd int, flags int)
TEXT ·sgemmKernelAVX512(SB), NOSPLIT, $0-64
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), AX
	MOVQ b+16(FP), BX
	MOVQ src+24(FP), R10
	MOVQ lds+32(FP), DX
	SHLQ $2, DX
	MOVQ flags+56(FP), R9
	TESTQ $1, R9
	JZ   zero512
	LOAD512(Z0, Z1)
	LOAD512(Z2, Z3)
	LOAD512(Z4, Z5)
	LOAD512(Z6, Z7)
	LOAD512(Z8, Z9)
	LOAD512(Z10, Z11)
	LOAD512(Z12, Z13)
	LOAD512(Z14, Z15)
	LOAD512(Z16, Z17)
	LOAD512(Z18, Z19)
	LOAD512(Z20, Z21)
	LOAD512(Z22, Z23)
	JMP  start512

zero512:
	ZERO512(Z0, Z1)
	ZERO512(Z2, Z3)
	ZERO512(Z4, Z5)
	ZERO512(Z6, Z7)
	ZERO512(Z8, Z9)
	ZERO512(Z10, Z11)
	ZERO512(Z12, Z13)
	ZERO512(Z14, Z15)
	ZERO512(Z16, Z17)
	ZERO512(Z18, Z19)
	ZERO512(Z20, Z21)
	ZERO512(Z22, Z23)

start512:
	TESTQ CX, CX
	JZ    done512

loop512:
	VMOVUPS (BX), Z24
	VMOVUPS 64(BX), Z25
	FMA512(0, Z26, Z0, Z1)
	FMA512(4, Z27, Z2, Z3)
	FMA512(8, Z28, Z4, Z5)
	FMA512(12, Z29, Z6, Z7)
	FMA512(16, Z30, Z8, Z9)
	FMA512(20, Z31, Z10, Z11)
	FMA512(24, Z26, Z12, Z13)
	FMA512(28, Z27, Z14, Z15)
	FMA512(32, Z28, Z16, Z17)
	FMA512(36, Z29, Z18, Z19)
	FMA512(40, Z30, Z20, Z21)
	FMA512(44, Z31, Z22, Z23)
	ADDQ $48, AX
	ADDQ $128, BX
	DECQ CX
	JNZ  loop512

done512:
	MOVQ  dst+40(FP), R10
	MOVQ  ldd+48(FP), R8
	SHLQ  $2, R8
	TESTQ $2, R9
	JZ    store512
	ADDSTORE512(Z0, Z1)
	ADDSTORE512(Z2, Z3)
	ADDSTORE512(Z4, Z5)
	ADDSTORE512(Z6, Z7)
	ADDSTORE512(Z8, Z9)
	ADDSTORE512(Z10, Z11)
	ADDSTORE512(Z12, Z13)
	ADDSTORE512(Z14, Z15)
	ADDSTORE512(Z16, Z17)
	ADDSTORE512(Z18, Z19)
	ADDSTORE512(Z20, Z21)
	ADDSTORE512(Z22, Z23)
	VZEROUPPER
	RET

store512:
	STORE512(Z0, Z1)
	STORE512(Z2, Z3)
	STORE512(Z4, Z5)
	STORE512(Z6, Z7)
	STORE512(Z8, Z9)
	STORE512(Z10, Z11)
	STORE512(Z12, Z13)
	STORE512(Z14, Z15)
	STORE512(Z16, Z17)
	STORE512(Z18, Z19)
	STORE512(Z20, Z21)
	STORE512(Z22, Z23)
	VZEROUPPER
	RET

// AVX2 + FMA: 6 rows × 16 columns, row r in Y(2r) (columns 0-7) and Y(2r+1) (8-15).
#define LOAD256(r0, r1) VMOVUPS (R10), r0; VMOVUPS 32(R10), r1; ADDQ DX, R10
#define ZERO256(r0, r1) VXORPS r0, r0, r0; VXORPS r1, r1, r1
#define FMA256(off, t, r0, r1) VBROADCASTSS off(AX), t; VFMADD231PS Y12, t, r0; VFMADD231PS Y13, t, r1
#define STORE256(r0, r1) VMOVUPS r0, (R10); VMOVUPS r1, 32(R10); ADDQ R8, R10
#define ADDSTORE256(r0, r1) VADDPS (R10), r0, r0; VADDPS 32(R10), r1, r1; STORE256(r0, r1)

// func sgemmKernelAVX2(k int, a, b, src *float32, lds int, dst *float32, ldd int, flags int)
TEXT ·sgemmKernelAVX2(SB), NOSPLIT, $0-64
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), AX
	MOVQ b+16(FP), BX
	MOVQ src+24(FP), R10
	MOVQ lds+32(FP), DX
	SHLQ $2, DX
	MOVQ flags+56(FP), R9
	TESTQ $1, R9
	JZ   zero256
	LOAD256(Y0, Y1)
	LOAD256(Y2, Y3)
	LOAD256(Y4, Y5)
	LOAD256(Y6, Y7)
	LOAD256(Y8, Y9)
	LOAD256(Y10, Y11)
	JMP  start256

zero256:
	ZERO256(Y0, Y1)
	ZERO256(Y2, Y3)
	ZERO256(Y4, Y5)
	ZERO256(Y6, Y7)
	ZERO256(Y8, Y9)
	ZERO256(Y10, Y11)

start256:
	TESTQ CX, CX
	JZ    done256

loop256:
	VMOVUPS (BX), Y12
	VMOVUPS 32(BX), Y13
	FMA256(0, Y14, Y0, Y1)
	FMA256(4, Y15, Y2, Y3)
	FMA256(8, Y14, Y4, Y5)
	FMA256(12, Y15, Y6, Y7)
	FMA256(16, Y14, Y8, Y9)
	FMA256(20, Y15, Y10, Y11)
	ADDQ $24, AX
	ADDQ $64, BX
	DECQ CX
	JNZ  loop256

done256:
	MOVQ  dst+40(FP), R10
	MOVQ  ldd+48(FP), R8
	SHLQ  $2, R8
	TESTQ $2, R9
	JZ    store256
	ADDSTORE256(Y0, Y1)
	ADDSTORE256(Y2, Y3)
	ADDSTORE256(Y4, Y5)
	ADDSTORE256(Y6, Y7)
	ADDSTORE256(Y8, Y9)
	ADDSTORE256(Y10, Y11)
	VZEROUPPER
	RET

store256:
	STORE256(Y0, Y1)
	STORE256(Y2, Y3)
	STORE256(Y4, Y5)
	STORE256(Y6, Y7)
	STORE256(Y8, Y9)
	STORE256(Y10, Y11)
	VZEROUPPER
	RET
