#include "textflag.h"

// Offsets of the constants in geluConsts (32 bytes each).
#define ABS 0(DX)
#define FOUR 32(DX)
#define SQRT2 64(DX)
#define HALF 96(DX)
#define ONE 128(DX)
#define LAST 160(DX)
#define SIGN 192(DX)

// GATHER loads row `off` of erfCols (R8) at the pieces in Y3 into dst.
#define GATHER(off, dst) \
	VPCMPEQD   Y15, Y15, Y15 \
	VGATHERDPS Y15, off(R8)(Y3*4), dst

// GELU8 sets Y9 = geluf(Y0), eight lanes, with geluf's operations in its order:
// z = x*√2/2, a = |z|, piece int(a*4), t = a - centre, Horner from k7 down (no
// fused multiply-adds), 1 for a >= 4, erf = ±r, then 0.5*x*(1 + erf).
#define GELU8 \
	VMULPS     SQRT2, Y0, Y1 \
	VMULPS     HALF, Y1, Y1 \
	VANDPS     ABS, Y1, Y2 \
	VMULPS     FOUR, Y2, Y3 \
	VCVTTPS2DQ Y3, Y3 \
	VPMINUD    LAST, Y3, Y3 \
	GATHER(0, Y4) \
	VSUBPS     Y4, Y2, Y4 \
	GATHER(512, Y5) \
	GATHER(448, Y6) \
	VMULPS     Y4, Y5, Y5 \
	VADDPS     Y6, Y5, Y5 \
	GATHER(384, Y6) \
	VMULPS     Y4, Y5, Y5 \
	VADDPS     Y6, Y5, Y5 \
	GATHER(320, Y6) \
	VMULPS     Y4, Y5, Y5 \
	VADDPS     Y6, Y5, Y5 \
	GATHER(256, Y6) \
	VMULPS     Y4, Y5, Y5 \
	VADDPS     Y6, Y5, Y5 \
	GATHER(192, Y6) \
	VMULPS     Y4, Y5, Y5 \
	VADDPS     Y6, Y5, Y5 \
	GATHER(128, Y6) \
	VMULPS     Y4, Y5, Y5 \
	VADDPS     Y6, Y5, Y5 \
	GATHER(64, Y6) \
	VMULPS     Y4, Y5, Y5 \
	VADDPS     Y6, Y5, Y5 \
	VMOVUPS    FOUR, Y7 \
	VCMPPS     $13, Y7, Y2, Y7 \
	VBLENDVPS  Y7, ONE, Y5, Y5 \
	VANDPS     SIGN, Y1, Y8 \
	VORPS      Y8, Y5, Y5 \
	VMULPS     HALF, Y0, Y9 \
	VADDPS     ONE, Y5, Y5 \
	VMULPS     Y5, Y9, Y9

// func geluAVX2(p *float32, n int, tab *[9][16]float32, c *[7][8]uint32) int
TEXT ·geluAVX2(SB), NOSPLIT, $0-40
	MOVQ p+0(FP), SI
	MOVQ n+8(FP), CX
	MOVQ tab+16(FP), R8
	MOVQ c+24(FP), DX
	XORQ AX, AX

loop:
	CMPQ    AX, CX
	JGE     done
	VMOVUPS (SI), Y0

	// Stop at a group holding a NaN.
	VCMPPS    $3, Y0, Y0, Y1 // unordered
	VMOVMSKPS Y1, BX
	TESTL     BX, BX
	JNZ       done

	GELU8
	VMOVUPS Y9, (SI)

	ADDQ $32, SI
	INCQ AX
	JMP  loop

done:
	VZEROUPPER
	MOVQ AX, ret+32(FP)
	RET

// func gatedGELUAVX2(out, gate, lin *float32, n int, tab *[9][16]float32, c *[7][8]uint32) int
TEXT ·gatedGELUAVX2(SB), NOSPLIT, $0-56
	MOVQ out+0(FP), DI
	MOVQ gate+8(FP), SI
	MOVQ lin+16(FP), R9
	MOVQ n+24(FP), CX
	MOVQ tab+32(FP), R8
	MOVQ c+40(FP), DX
	XORQ AX, AX

gloop:
	CMPQ    AX, CX
	JGE     gdone
	VMOVUPS (SI), Y0

	// Stop at a group holding a NaN.
	VCMPPS    $3, Y0, Y0, Y1 // unordered
	VMOVMSKPS Y1, BX
	TESTL     BX, BX
	JNZ       gdone

	GELU8
	VMULPS  (R9), Y9, Y9 // geluf(gate)*lin
	VMOVUPS Y9, (DI)

	ADDQ $32, SI
	ADDQ $32, DI
	ADDQ $32, R9
	INCQ AX
	JMP  gloop

gdone:
	VZEROUPPER
	MOVQ AX, ret+48(FP)
	RET

// The AVX-512 kernels keep erfCols' nine rows in Z16-Z24 (a row of sixteen floats
// is one register, so VPERMPS looks all sixteen lanes' pieces up at once) and the
// constants, broadcast, in Z25-Z30.
#define LOAD512 \
	VMOVUPS      0(R8), Z16 \
	VMOVUPS      64(R8), Z17 \
	VMOVUPS      128(R8), Z18 \
	VMOVUPS      192(R8), Z19 \
	VMOVUPS      256(R8), Z20 \
	VMOVUPS      320(R8), Z21 \
	VMOVUPS      384(R8), Z22 \
	VMOVUPS      448(R8), Z23 \
	VMOVUPS      512(R8), Z24 \
	VPBROADCASTD ABS, Z25 \
	VBROADCASTSS FOUR, Z26 \
	VBROADCASTSS SQRT2, Z27 \
	VBROADCASTSS HALF, Z28 \
	VBROADCASTSS ONE, Z29 \
	VPBROADCASTD SIGN, Z30

// GELU16 sets Z9 = geluf(Z0), sixteen lanes, with GELU8's operations. The piece
// index needs no clamp: VPERMPS reads its low four bits, and lanes with a >= 4 (or
// too large to convert) take r = 1 anyway. NaN lanes come out NaN, as in geluf.
#define GELU16 \
	VMULPS     Z27, Z0, Z1 \
	VMULPS     Z28, Z1, Z1 \
	VPANDD     Z25, Z1, Z2 \
	VMULPS     Z26, Z2, Z3 \
	VCVTTPS2DQ Z3, Z3 \
	VPERMPS    Z16, Z3, Z4 \
	VSUBPS     Z4, Z2, Z4 \
	VPERMPS    Z24, Z3, Z5 \
	VPERMPS    Z23, Z3, Z6 \
	VMULPS     Z4, Z5, Z5 \
	VADDPS     Z6, Z5, Z5 \
	VPERMPS    Z22, Z3, Z6 \
	VMULPS     Z4, Z5, Z5 \
	VADDPS     Z6, Z5, Z5 \
	VPERMPS    Z21, Z3, Z6 \
	VMULPS     Z4, Z5, Z5 \
	VADDPS     Z6, Z5, Z5 \
	VPERMPS    Z20, Z3, Z6 \
	VMULPS     Z4, Z5, Z5 \
	VADDPS     Z6, Z5, Z5 \
	VPERMPS    Z19, Z3, Z6 \
	VMULPS     Z4, Z5, Z5 \
	VADDPS     Z6, Z5, Z5 \
	VPERMPS    Z18, Z3, Z6 \
	VMULPS     Z4, Z5, Z5 \
	VADDPS     Z6, Z5, Z5 \
	VPERMPS    Z17, Z3, Z6 \
	VMULPS     Z4, Z5, Z5 \
	VADDPS     Z6, Z5, Z5 \
	VCMPPS     $13, Z26, Z2, K2 \
	VMOVAPS    Z29, K2, Z5 \
	VPANDD     Z30, Z1, Z8 \
	VPORD      Z8, Z5, Z5 \
	VMULPS     Z28, Z0, Z9 \
	VADDPS     Z29, Z5, Z5 \
	VMULPS     Z5, Z9, Z9

// TAILMASK sets K1 to the low CX bits (CX < 16).
#define TAILMASK \
	MOVL  $1, BX \
	SHLL  CX, BX \
	DECL  BX \
	KMOVW BX, K1

// func geluAVX512(p *float32, n int, tab *[9][16]float32, c *[7][8]uint32)
TEXT ·geluAVX512(SB), NOSPLIT, $0-32
	MOVQ p+0(FP), SI
	MOVQ n+8(FP), CX
	MOVQ tab+16(FP), R8
	MOVQ c+24(FP), DX
	LOAD512

zloop:
	CMPQ    CX, $16
	JLT     ztail
	VMOVUPS (SI), Z0
	GELU16
	VMOVUPS Z9, (SI)
	ADDQ    $64, SI
	SUBQ    $16, CX
	JMP     zloop

ztail:
	TESTQ     CX, CX
	JZ        zdone
	TAILMASK
	VMOVUPS.Z (SI), K1, Z0
	GELU16
	VMOVUPS   Z9, K1, (SI)

zdone:
	VZEROUPPER
	RET

// func gatedGELUAVX512(out, gate, lin *float32, n int, tab *[9][16]float32, c *[7][8]uint32)
TEXT ·gatedGELUAVX512(SB), NOSPLIT, $0-48
	MOVQ out+0(FP), DI
	MOVQ gate+8(FP), SI
	MOVQ lin+16(FP), R9
	MOVQ n+24(FP), CX
	MOVQ tab+32(FP), R8
	MOVQ c+40(FP), DX
	LOAD512

gzloop:
	CMPQ    CX, $16
	JLT     gztail
	VMOVUPS (SI), Z0
	GELU16
	VMULPS  (R9), Z9, Z9 // geluf(gate)*lin
	VMOVUPS Z9, (DI)
	ADDQ    $64, SI
	ADDQ    $64, DI
	ADDQ    $64, R9
	SUBQ    $16, CX
	JMP     gzloop

gztail:
	TESTQ     CX, CX
	JZ        gzdone
	TAILMASK
	VMOVUPS.Z (SI), K1, Z0
	GELU16
	VMOVUPS.Z (R9), K1, Z10
	VMULPS    Z10, Z9, Z9
	VMOVUPS   Z9, K1, (DI)

gzdone:
	VZEROUPPER
	RET
