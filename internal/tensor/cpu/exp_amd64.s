#include "textflag.h"

// Offsets of the constants in expConsts (32 bytes each).
#define LOG2E 0(DX)
#define HALF0 32(DX)
#define LN2HI 64(DX)
#define LN2LO 96(DX)
#define C5040 128(DX)
#define C720 160(DX)
#define C120 192(DX)
#define C24 224(DX)
#define C6 256(DX)
#define C2 288(DX)
#define ONE 320(DX)
#define FASTMAX 352(DX)
#define FASTMIN 384(DX)
#define SIGN 416(DX)

// func expShiftedAVX2(p *float32, n int, m float32, c *[14][8]uint32, lanes *[8]float32) int
TEXT ·expShiftedAVX2(SB), NOSPLIT, $0-48
	MOVQ         p+0(FP), SI
	MOVQ         n+8(FP), CX
	VBROADCASTSS m+16(FP), Y7
	MOVQ         c+24(FP), DX
	MOVQ         lanes+32(FP), DI
	VMOVUPS      (DI), Y8
	XORQ         AX, AX

loop:
	CMPQ    AX, CX
	JGE     done
	VMOVUPS (SI), Y0
	VSUBPS  Y7, Y0, Y0 // x = s - m

	// Stop at a group with x > max, x < min or NaN (the unordered predicate is
	// true for NaN).
	VMOVUPS   FASTMAX, Y1
	VCMPPS    $6, Y1, Y0, Y1 // !(x <= max)
	VMOVUPS   FASTMIN, Y2
	VCMPPS    $6, Y0, Y2, Y2 // !(min <= x)
	VORPS     Y1, Y2, Y1
	VMOVMSKPS Y1, BX
	TESTL     BX, BX
	JNZ       done

	VMULPS     LOG2E, Y0, Y1 // z = x*log2e
	VANDPS     SIGN, Y1, Y2  // sign of z
	VORPS      HALF0, Y2, Y2 // ±0.5
	VADDPS     Y2, Y1, Y2    // z ± 0.5
	VCVTTPS2DQ Y2, Y2        // k = trunc(z ± 0.5)
	VCVTDQ2PS  Y2, Y3        // fk

	VMULPS LN2HI, Y3, Y4 // fk*ln2Hi
	VSUBPS Y4, Y0, Y4    // r = x - fk*ln2Hi
	VMULPS LN2LO, Y3, Y5 // fk*ln2Lo
	VSUBPS Y5, Y4, Y4    // r -= fk*ln2Lo

	VMULPS C5040, Y4, Y5 // r*(1/5040)
	VADDPS C720, Y5, Y5  // 1/720 + …
	VMULPS Y5, Y4, Y5
	VADDPS C120, Y5, Y5  // 1/120 + …
	VMULPS Y5, Y4, Y5
	VADDPS C24, Y5, Y5   // 1/24 + …
	VMULPS Y5, Y4, Y5
	VADDPS C6, Y5, Y5    // 1/6 + …
	VMULPS Y5, Y4, Y5
	VADDPS C2, Y5, Y5    // q = 1/2 + …

	VMULPS Y4, Y4, Y6 // r*r
	VMULPS Y5, Y6, Y6 // r*r*q
	VADDPS Y6, Y4, Y6 // r + r*r*q
	VADDPS ONE, Y6, Y6 // p = 1 + (r + r*r*q)

	VPSLLD  $23, Y2, Y2 // k << 23
	VPADDD  ONE, Y2, Y2 // + the bits of 1.0: (k+127) << 23 = 2^k
	VMULPS  Y2, Y6, Y6  // p * 2^k
	VMOVUPS Y6, (SI)
	VADDPS  Y6, Y8, Y8  // lane sums

	ADDQ $32, SI
	INCQ AX
	JMP  loop

done:
	VMOVUPS Y8, (DI)
	VZEROUPPER
	MOVQ    AX, ret+40(FP)
	RET

// func maxAVX2(p *float32, n int, lanes *[8]float32)
// lanes = the lane-wise maxima of p[0:8n] (n >= 1).
TEXT ·maxAVX2(SB), NOSPLIT, $0-24
	MOVQ    p+0(FP), SI
	MOVQ    n+8(FP), CX
	MOVQ    lanes+16(FP), DI
	VMOVUPS (SI), Y0
	ADDQ    $32, SI
	DECQ    CX

maxloop:
	TESTQ  CX, CX
	JZ     maxdone
	VMAXPS (SI), Y0, Y0
	ADDQ   $32, SI
	DECQ   CX
	JMP    maxloop

maxdone:
	VMOVUPS Y0, (DI)
	VZEROUPPER
	RET

// func scaleAVX2(p *float32, n int, s float32)
// p[0:8n] *= s.
TEXT ·scaleAVX2(SB), NOSPLIT, $0-20
	MOVQ         p+0(FP), SI
	MOVQ         n+8(FP), CX
	VBROADCASTSS s+16(FP), Y1

scaleloop:
	TESTQ   CX, CX
	JZ      scaledone
	VMULPS  (SI), Y1, Y0
	VMOVUPS Y0, (SI)
	ADDQ    $32, SI
	DECQ    CX
	JMP     scaleloop

scaledone:
	VZEROUPPER
	RET

// func addAVX2(dst, src *float32, n int)
// dst[0:8n] += src[0:8n].
TEXT ·addAVX2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX

addloop:
	TESTQ   CX, CX
	JZ      adddone
	VMOVUPS (DI), Y0
	VADDPS  (SI), Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, DI
	ADDQ    $32, SI
	DECQ    CX
	JMP     addloop

adddone:
	VZEROUPPER
	RET
