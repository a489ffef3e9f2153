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

	VMULPS     SQRT2, Y0, Y1 // x*√2
	VMULPS     HALF, Y1, Y1  // z = x*√2/2
	VANDPS     ABS, Y1, Y2   // a = |z|
	VMULPS     FOUR, Y2, Y3
	VCVTTPS2DQ Y3, Y3        // int(a*4) (0x80000000 when too large)
	VPMINUD    LAST, Y3, Y3  // piece, at most 15 (a >= 4 is replaced by 1 below)

	GATHER(0, Y4)
	VSUBPS Y4, Y2, Y4        // t = a - centre
	GATHER(512, Y5)          // k7
	GATHER(448, Y6)
	VMULPS Y4, Y5, Y5
	VADDPS Y6, Y5, Y5        // k6 + t*k7
	GATHER(384, Y6)
	VMULPS Y4, Y5, Y5
	VADDPS Y6, Y5, Y5        // k5 + t*(…)
	GATHER(320, Y6)
	VMULPS Y4, Y5, Y5
	VADDPS Y6, Y5, Y5        // k4
	GATHER(256, Y6)
	VMULPS Y4, Y5, Y5
	VADDPS Y6, Y5, Y5        // k3
	GATHER(192, Y6)
	VMULPS Y4, Y5, Y5
	VADDPS Y6, Y5, Y5        // k2
	GATHER(128, Y6)
	VMULPS Y4, Y5, Y5
	VADDPS Y6, Y5, Y5        // k1
	GATHER(64, Y6)
	VMULPS Y4, Y5, Y5
	VADDPS Y6, Y5, Y5        // r = k0 + t*(…)

	VMOVUPS   FOUR, Y7
	VCMPPS    $13, Y7, Y2, Y7 // a >= 4
	VBLENDVPS Y7, ONE, Y5, Y5 // r = 1 there
	VANDPS    SIGN, Y1, Y8
	VORPS     Y8, Y5, Y5      // erf(z) = ±r

	VMULPS  HALF, Y0, Y9 // 0.5*x
	VADDPS  ONE, Y5, Y5  // 1 + erf
	VMULPS  Y5, Y9, Y9   // 0.5*x*(1 + erf)
	VMOVUPS Y9, (SI)

	ADDQ $32, SI
	INCQ AX
	JMP  loop

done:
	VZEROUPPER
	MOVQ AX, ret+32(FP)
	RET
