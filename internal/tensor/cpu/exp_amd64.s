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

// MAX8Y0 leaves the maximum of Y0's eight lanes in X0's lowest lane (clobbers X1):
// the one reduction order shared by every max kernel.
#define MAX8Y0 \
	VEXTRACTF128 $1, Y0, X1 \
	VMAXPS       X1, X0, X0 \
	VMOVHLPS     X0, X0, X1 \
	VMAXPS       X1, X0, X0 \
	VMOVSHDUP    X0, X1 \
	VMAXPS       X1, X0, X0

// func expShiftedAVX2(p *float32, n int, m float32, c *[22][8]uint32, lanes *[8]float32) int
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

// func maxAVX2(p *float32, n int) float32
// The maximum of p[0:8n] (n >= 1): lane-wise maxima, then halved down to one lane
// as maxAVX512 does.
TEXT ·maxAVX2(SB), NOSPLIT, $0-20
	MOVQ    p+0(FP), SI
	MOVQ    n+8(FP), CX
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
	MAX8Y0
	VMOVSS       X0, ret+16(FP)
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

// Offsets of the AVX-512 kernel's special-case constants in expConsts.
#define KMIN 448(DX)
#define SUBBIAS 480(DX)
#define K128 512(DX)
#define TWOM64 544(DX)
#define TWO127 576(DX)
#define OVER 608(DX)
#define UNDER 640(DX)
#define INF 672(DX)

// EXP16 sets Z7 = expf(Z0 - Z30) for sixteen lanes with the operations of
// expShiftedAVX2 (x in Z0, k in Z2, p in Z6), and K3 to the lanes whose x is in
// [expFastMin, expFastMax], where that result is final.
#define EXP16 \
	VSUBPS     Z30, Z0, Z0 \
	VMULPS     Z16, Z0, Z1 \
	VPANDD     Z29, Z1, Z2 \
	VPORD      Z17, Z2, Z2 \
	VADDPS     Z2, Z1, Z2 \
	VCVTTPS2DQ Z2, Z2 \
	VCVTDQ2PS  Z2, Z3 \
	VMULPS     Z18, Z3, Z4 \
	VSUBPS     Z4, Z0, Z4 \
	VMULPS     Z19, Z3, Z5 \
	VSUBPS     Z5, Z4, Z4 \
	VMULPS     Z20, Z4, Z5 \
	VADDPS     Z21, Z5, Z5 \
	VMULPS     Z5, Z4, Z5 \
	VADDPS     Z22, Z5, Z5 \
	VMULPS     Z5, Z4, Z5 \
	VADDPS     Z23, Z5, Z5 \
	VMULPS     Z5, Z4, Z5 \
	VADDPS     Z24, Z5, Z5 \
	VMULPS     Z5, Z4, Z5 \
	VADDPS     Z25, Z5, Z5 \
	VMULPS     Z4, Z4, Z6 \
	VMULPS     Z5, Z6, Z6 \
	VADDPS     Z6, Z4, Z6 \
	VADDPS     Z26, Z6, Z6 \
	VPSLLD     $23, Z2, Z7 \
	VPADDD     Z26, Z7, Z7 \
	VMULPS     Z7, Z6, Z7 \
	VCMPPS     $2, Z27, Z0, K3 \
	VCMPPS     $13, Z28, Z0, K3, K3

// EXPSPECIAL redoes the lanes of Z7 that expf's special cases cover, in expf's
// terms: k < -126: (p·2^(k+191))·2^-64; k = 128: (p·2)·2^127; then by x: above
// expOverflow +Inf, below expUnderflow 0, NaN x itself.
#define EXPSPECIAL \
	VPBROADCASTD KMIN, Z10 \
	VPCMPD       $1, Z10, Z2, K4 \
	VPBROADCASTD SUBBIAS, Z11 \
	VPADDD       Z11, Z2, Z11 \
	VPSLLD       $23, Z11, Z11 \
	VMULPS       Z11, Z6, K4, Z7 \
	VBROADCASTSS TWOM64, Z12 \
	VMULPS       Z12, Z7, K4, Z7 \
	VPBROADCASTD K128, Z10 \
	VPCMPEQD     Z10, Z2, K4 \
	VADDPS       Z6, Z6, Z11 \
	VBROADCASTSS TWO127, Z12 \
	VMULPS       Z12, Z11, K4, Z7 \
	VBROADCASTSS OVER, Z10 \
	VCMPPS       $14, Z10, Z0, K4 \
	VBROADCASTSS INF, Z11 \
	VMOVAPS      Z11, K4, Z7 \
	VBROADCASTSS UNDER, Z10 \
	VCMPPS       $1, Z10, Z0, K4 \
	VPXORD       Z11, Z11, Z11 \
	VMOVAPS      Z11, K4, Z7 \
	VCMPPS       $3, Z0, Z0, K4 \
	VMOVAPS      Z0, K4, Z7

// LANESUM adds Z7's low eight lanes, then its high eight, into Y8: value j goes
// into lane j%8 in order of j, as expShiftedSum defines the sum.
#define LANESUM \
	VADDPS        Y7, Y8, Y8 \
	VEXTRACTF64X4 $1, Z7, Y9 \
	VADDPS        Y9, Y8, Y8

// func expShiftedAVX512(p *float32, n int, m float32, c *[22][8]uint32, lanes *[8]float32)
TEXT ·expShiftedAVX512(SB), NOSPLIT, $0-40
	MOVQ         p+0(FP), SI
	MOVQ         n+8(FP), CX
	VBROADCASTSS m+16(FP), Z30
	MOVQ         c+24(FP), DX
	MOVQ         lanes+32(FP), DI
	VMOVUPS      (DI), Y8
	VBROADCASTSS LOG2E, Z16
	VBROADCASTSS HALF0, Z17
	VBROADCASTSS LN2HI, Z18
	VBROADCASTSS LN2LO, Z19
	VBROADCASTSS C5040, Z20
	VBROADCASTSS C720, Z21
	VBROADCASTSS C120, Z22
	VBROADCASTSS C24, Z23
	VBROADCASTSS C6, Z24
	VBROADCASTSS C2, Z25
	VBROADCASTSS ONE, Z26
	VBROADCASTSS FASTMAX, Z27
	VBROADCASTSS FASTMIN, Z28
	VPBROADCASTD SIGN, Z29

zloop:
	CMPQ     CX, $16
	JLT      ztail
	VMOVUPS  (SI), Z0
	EXP16
	KORTESTW K3, K3
	JCS      zstore           // all lanes in the fast range
	EXPSPECIAL

zstore:
	VMOVUPS Z7, (SI)
	LANESUM
	ADDQ    $64, SI
	SUBQ    $16, CX
	JMP     zloop

ztail:
	TESTQ CX, CX
	JZ    zdone

	// The lanes past the end get s = m, x = 0 (in the fast range for finite m),
	// and are zeroed before the sum.
	MOVL     $1, BX
	SHLL     CX, BX
	DECL     BX
	KMOVW    BX, K1
	VMOVAPS  Z30, Z0
	VMOVUPS  (SI), K1, Z0
	EXP16
	KORTESTW K3, K3
	JCS      ztstore
	EXPSPECIAL

ztstore:
	VMOVUPS   Z7, K1, (SI)
	VMOVAPS.Z Z7, K1, Z7
	LANESUM

zdone:
	VMOVUPS Y8, (DI)
	VZEROUPPER
	RET

// func maxAVX512(p *float32, n int) float32
// The maximum of p[0:n] (n >= 1): lane-wise maxima (the lanes past the end of the
// last group hold -Inf), then halved down to one lane.
TEXT ·maxAVX512(SB), NOSPLIT, $0-20
	MOVQ         p+0(FP), SI
	MOVQ         n+8(FP), CX
	MOVL         $0xff800000, AX // -Inf
	VPBROADCASTD AX, Z0

zmaxloop:
	CMPQ   CX, $16
	JLT    zmaxtail
	VMAXPS (SI), Z0, Z0
	ADDQ   $64, SI
	SUBQ   $16, CX
	JMP    zmaxloop

zmaxtail:
	TESTQ        CX, CX
	JZ           zmaxreduce
	MOVL         $1, BX
	SHLL         CX, BX
	DECL         BX
	KMOVW        BX, K1
	VPBROADCASTD AX, Z1
	VMOVUPS      (SI), K1, Z1
	VMAXPS       Z1, Z0, Z0

zmaxreduce:
	VEXTRACTF64X4 $1, Z0, Y1
	VMAXPS        Y1, Y0, Y0
	MAX8Y0
	VMOVSS        X0, ret+16(FP)
	VZEROUPPER
	RET

// func scaleAVX512(p *float32, n int, s float32)
// p[0:n] *= s.
TEXT ·scaleAVX512(SB), NOSPLIT, $0-20
	MOVQ         p+0(FP), SI
	MOVQ         n+8(FP), CX
	VBROADCASTSS s+16(FP), Z1

zscaleloop:
	CMPQ    CX, $16
	JLT     zscaletail
	VMULPS  (SI), Z1, Z0
	VMOVUPS Z0, (SI)
	ADDQ    $64, SI
	SUBQ    $16, CX
	JMP     zscaleloop

zscaletail:
	TESTQ     CX, CX
	JZ        zscaledone
	MOVL      $1, BX
	SHLL      CX, BX
	DECL      BX
	KMOVW     BX, K1
	VMOVUPS.Z (SI), K1, Z0
	VMULPS    Z0, Z1, Z0
	VMOVUPS   Z0, K1, (SI)

zscaledone:
	VZEROUPPER
	RET

// func addAVX512(dst, src *float32, n int)
// dst[0:n] += src[0:n], two registers at a time while there are.
TEXT ·addAVX512(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX

zadd2:
	CMPQ    CX, $32
	JLT     zadd1
	VMOVUPS (DI), Z0
	VMOVUPS 64(DI), Z1
	VADDPS  (SI), Z0, Z0
	VADDPS  64(SI), Z1, Z1
	VMOVUPS Z0, (DI)
	VMOVUPS Z1, 64(DI)
	ADDQ    $128, DI
	ADDQ    $128, SI
	SUBQ    $32, CX
	JMP     zadd2

zadd1:
	CMPQ    CX, $16
	JLT     zaddtail
	VMOVUPS (DI), Z0
	VADDPS  (SI), Z0, Z0
	VMOVUPS Z0, (DI)
	ADDQ    $64, DI
	ADDQ    $64, SI
	SUBQ    $16, CX

zaddtail:
	TESTQ     CX, CX
	JZ        zadddone
	MOVL      $1, BX
	SHLL      CX, BX
	DECL      BX
	KMOVW     BX, K1
	VMOVUPS.Z (DI), K1, Z0
	VMOVUPS.Z (SI), K1, Z1
	VADDPS    Z1, Z0, Z0
	VMOVUPS   Z0, K1, (DI)

zadddone:
	VZEROUPPER
	RET

// func alibiMaxAVX512(p *float32, n int, fi, negSlope float32, iota *[16]float32) float32
// p[j] += negSlope·|fi - j| for j < n, as softmaxRow's ALiBi bias (|fi - j| is
// exact, the product rounded, then the sum), and returns the maximum of the new
// values (n >= 1), reduced as maxAVX512 does.
TEXT ·alibiMaxAVX512(SB), NOSPLIT, $0-36
	MOVQ         p+0(FP), SI
	MOVQ         n+8(FP), CX
	VBROADCASTSS fi+16(FP), Z2
	VBROADCASTSS negSlope+20(FP), Z3
	MOVQ         iota+24(FP), DX
	VMOVUPS      (DX), Z4         // j of each lane
	MOVL         $0x41800000, BX  // 16.0
	VPBROADCASTD BX, Z5
	MOVL         $0x7fffffff, BX  // |x| mask
	VPBROADCASTD BX, Z6
	MOVL         $0xff800000, AX  // -Inf
	VPBROADCASTD AX, Z0

zaloop:
	CMPQ    CX, $16
	JLT     zatail
	VSUBPS  Z4, Z2, Z1   // fi - j
	VPANDD  Z6, Z1, Z1   // |i - j|
	VMULPS  Z3, Z1, Z1   // -slope·|i - j|
	VADDPS  (SI), Z1, Z1 // p[j] + bias
	VMOVUPS Z1, (SI)
	VMAXPS  Z1, Z0, Z0
	VADDPS  Z5, Z4, Z4
	ADDQ    $64, SI
	SUBQ    $16, CX
	JMP     zaloop

zatail:
	TESTQ        CX, CX
	JZ           zareduce
	MOVL         $1, BX
	SHLL         CX, BX
	DECL         BX
	KMOVW        BX, K1
	VSUBPS       Z4, Z2, Z1
	VPANDD       Z6, Z1, Z1
	VMULPS       Z3, Z1, Z1
	VMOVUPS      (SI), K1, Z7
	VADDPS       Z7, Z1, Z1
	VMOVUPS      Z1, K1, (SI)
	VPBROADCASTD AX, Z7
	VMOVAPS      Z1, K1, Z7 // -Inf past the end
	VMAXPS       Z7, Z0, Z0

zareduce:
	VEXTRACTF64X4 $1, Z0, Y1
	VMAXPS        Y1, Y0, Y0
	MAX8Y0
	VMOVSS        X0, ret+32(FP)
	VZEROUPPER
	RET

// func alibiMaxAVX2(p *float32, n int, fi, negSlope float32, iota *[16]float32) float32
// alibiMaxAVX512 for p[0:8n], n >= 1, eight at a time.
TEXT ·alibiMaxAVX2(SB), NOSPLIT, $0-36
	MOVQ         p+0(FP), SI
	MOVQ         n+8(FP), CX
	VBROADCASTSS fi+16(FP), Y2
	VBROADCASTSS negSlope+20(FP), Y3
	MOVQ         iota+24(FP), DX
	VMOVUPS      (DX), Y4
	MOVL         $0x41000000, BX // 8.0
	MOVQ         BX, X5
	VBROADCASTSS X5, Y5
	MOVL         $0x7fffffff, BX
	MOVQ         BX, X6
	VBROADCASTSS X6, Y6
	MOVL         $0xff800000, BX
	MOVQ         BX, X0
	VBROADCASTSS X0, Y0

aloop:
	VSUBPS  Y4, Y2, Y1
	VANDPS  Y6, Y1, Y1
	VMULPS  Y3, Y1, Y1
	VADDPS  (SI), Y1, Y1
	VMOVUPS Y1, (SI)
	VMAXPS  Y1, Y0, Y0
	VADDPS  Y5, Y4, Y4
	ADDQ    $32, SI
	DECQ    CX
	JNZ     aloop

	MAX8Y0
	VMOVSS       X0, ret+32(FP)
	VZEROUPPER
	RET
