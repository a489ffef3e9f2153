#include "textflag.h"

// func scaleRowAVX2(dst, src *float32, n int, s float32)
TEXT ·scaleRowAVX2(SB), NOSPLIT, $0-28
	MOVQ         dst+0(FP), DI
	MOVQ         src+8(FP), SI
	MOVQ         n+16(FP), CX
	VBROADCASTSS s+24(FP), Y1

scaleloop:
	VMULPS  (SI), Y1, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	DECQ    CX
	JNZ     scaleloop

	VZEROUPPER
	RET

// func rotateHeadsAVX2(x *float32, heads, hd int, cos, sin *float32)
//
// Each head's halves x1 = x[0:hd/2], x2 = x[hd/2:hd] become x1·c - x2·s and
// x2·c + x1·s, eight then four values at a time (hd/2 a multiple of 4).
TEXT ·rotateHeadsAVX2(SB), NOSPLIT, $0-40
	MOVQ x+0(FP), DI
	MOVQ heads+8(FP), CX
	MOVQ hd+16(FP), DX
	MOVQ cos+24(FP), R8
	MOVQ sin+32(FP), R9
	MOVQ DX, R10
	SHRQ $1, R10 // half

headloop:
	XORQ AX, AX
	LEAQ (DI)(R10*4), R11 // x2

chunk8:
	MOVQ    R10, BX
	SUBQ    AX, BX
	CMPQ    BX, $8
	JL      chunk4
	VMOVUPS (DI)(AX*4), Y0  // x1
	VMOVUPS (R11)(AX*4), Y1 // x2
	VMOVUPS (R8)(AX*4), Y2  // c
	VMOVUPS (R9)(AX*4), Y3  // s
	VMULPS  Y2, Y0, Y4      // x1·c
	VMULPS  Y3, Y1, Y5      // x2·s
	VSUBPS  Y5, Y4, Y4      // x1·c - x2·s
	VMULPS  Y2, Y1, Y6      // x2·c
	VMULPS  Y3, Y0, Y7      // x1·s
	VADDPS  Y7, Y6, Y6      // x2·c + x1·s
	VMOVUPS Y4, (DI)(AX*4)
	VMOVUPS Y6, (R11)(AX*4)
	ADDQ    $8, AX
	JMP     chunk8

chunk4:
	CMPQ    BX, $4
	JL      nexthead
	VMOVUPS (DI)(AX*4), X0
	VMOVUPS (R11)(AX*4), X1
	VMOVUPS (R8)(AX*4), X2
	VMOVUPS (R9)(AX*4), X3
	VMULPS  X2, X0, X4
	VMULPS  X3, X1, X5
	VSUBPS  X5, X4, X4
	VMULPS  X2, X1, X6
	VMULPS  X3, X0, X7
	VADDPS  X7, X6, X6
	VMOVUPS X4, (DI)(AX*4)
	VMOVUPS X6, (R11)(AX*4)

nexthead:
	LEAQ (DI)(DX*4), DI
	DECQ CX
	JNZ  headloop

	VZEROUPPER
	RET
