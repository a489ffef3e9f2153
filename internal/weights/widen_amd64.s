#include "textflag.h"

// Widening kernels: n (a multiple of the vector width) float16 or bfloat16 values
// at src become float32 at dst, vector by vector; each stops before the first vector
// holding a value whose exponent is all ones (Inf or NaN) and returns how many values
// it converted, so that the caller converts that vector with the Go reference (the
// instructions quiet signalling NaNs; the reference keeps every payload bit).

// func widenHalfAVX512(dst *float32, src *uint16, n int) int
TEXT ·widenHalfAVX512(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	XORQ AX, AX
	MOVL $0x7f800000, DX
	VPBROADCASTD DX, Z2
loop16:
	CMPQ AX, CX
	JGE  done16
	VCVTPH2PS (SI)(AX*2), Z0
	VPANDD Z2, Z0, Z1
	VPCMPEQD Z2, Z1, K1
	KORTESTW K1, K1
	JNZ done16
	VMOVUPS Z0, (DI)(AX*4)
	ADDQ $16, AX
	JMP loop16
done16:
	VZEROUPPER
	MOVQ AX, ret+24(FP)
	RET

// func widenBF16AVX512(dst *float32, src *uint16, n int) int
TEXT ·widenBF16AVX512(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	XORQ AX, AX
	MOVL $0x7f800000, DX
	VPBROADCASTD DX, Z2
loopb16:
	CMPQ AX, CX
	JGE  doneb16
	VPMOVZXWD (SI)(AX*2), Z0
	VPSLLD $16, Z0, Z0
	VPANDD Z2, Z0, Z1
	VPCMPEQD Z2, Z1, K1
	KORTESTW K1, K1
	JNZ doneb16
	VMOVUPS Z0, (DI)(AX*4)
	ADDQ $16, AX
	JMP loopb16
doneb16:
	VZEROUPPER
	MOVQ AX, ret+24(FP)
	RET

// func finiteAVX512(src *float32, n int) int
// returns how many leading values (in vectors of 16) are finite.
TEXT ·finiteAVX512(SB), NOSPLIT, $0-24
	MOVQ src+0(FP), SI
	MOVQ n+8(FP), CX
	XORQ AX, AX
	MOVL $0x7f800000, DX
	VPBROADCASTD DX, Z2
loopf16:
	CMPQ AX, CX
	JGE  donef16
	VPANDD (SI)(AX*4), Z2, Z1
	VPCMPEQD Z2, Z1, K1
	KORTESTW K1, K1
	JNZ donef16
	ADDQ $16, AX
	JMP loopf16
donef16:
	VZEROUPPER
	MOVQ AX, ret+16(FP)
	RET

// func widenHalfAVX2(dst *float32, src *uint16, n int) int (F16C)
TEXT ·widenHalfAVX2(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	XORQ AX, AX
	MOVL $0x7f800000, DX
	MOVQ DX, X2
	VPBROADCASTD X2, Y2
loop8:
	CMPQ AX, CX
	JGE  done8
	VCVTPH2PS (SI)(AX*2), Y0
	VPAND Y2, Y0, Y1
	VPCMPEQD Y2, Y1, Y1
	VPTEST Y1, Y1
	JNZ done8
	VMOVUPS Y0, (DI)(AX*4)
	ADDQ $8, AX
	JMP loop8
done8:
	VZEROUPPER
	MOVQ AX, ret+24(FP)
	RET

// func widenBF16AVX2(dst *float32, src *uint16, n int) int
TEXT ·widenBF16AVX2(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	XORQ AX, AX
	MOVL $0x7f800000, DX
	MOVQ DX, X2
	VPBROADCASTD X2, Y2
loopb8:
	CMPQ AX, CX
	JGE  doneb8
	VPMOVZXWD (SI)(AX*2), Y0
	VPSLLD $16, Y0, Y0
	VPAND Y2, Y0, Y1
	VPCMPEQD Y2, Y1, Y1
	VPTEST Y1, Y1
	JNZ doneb8
	VMOVUPS Y0, (DI)(AX*4)
	ADDQ $8, AX
	JMP loopb8
doneb8:
	VZEROUPPER
	MOVQ AX, ret+24(FP)
	RET

// func finiteAVX2(src *float32, n int) int
TEXT ·finiteAVX2(SB), NOSPLIT, $0-24
	MOVQ src+0(FP), SI
	MOVQ n+8(FP), CX
	XORQ AX, AX
	MOVL $0x7f800000, DX
	MOVQ DX, X2
	VPBROADCASTD X2, Y2
loopf8:
	CMPQ AX, CX
	JGE  donef8
	VPAND (SI)(AX*4), Y2, Y1
	VPCMPEQD Y2, Y1, Y1
	VPTEST Y1, Y1
	JNZ donef8
	ADDQ $8, AX
	JMP loopf8
donef8:
	VZEROUPPER
	MOVQ AX, ret+16(FP)
	RET

// func cpuidF16C() bool: CPUID leaf 1, ECX bit 29.
TEXT ·cpuidF16C(SB), NOSPLIT, $0-1
	MOVL $1, AX
	XORL CX, CX
	CPUID
	SHRL $29, CX
	ANDL $1, CX
	MOVB CX, ret+0(FP)
	RET
