#include "textflag.h"

// Layer norm kernels (see layernorm.go): partial sum l of the lnLanes = 16 holds the
// values l, l+16, l+32, ... of the row; AVX-512 keeps lanes 0-7 in Z0 and 8-15 in Z1,
// AVX2 keeps them four by four in Y0-Y3.

// func lnSumAVX512(p *float32, n int, lanes *[16]float64)
TEXT ·lnSumAVX512(SB), NOSPLIT, $0-24
	MOVQ    p+0(FP), SI
	MOVQ    n+8(FP), CX
	MOVQ    lanes+16(FP), DI
	VMOVUPD (DI), Z0
	VMOVUPD 64(DI), Z1

sumloop512:
	VCVTPS2PD (SI), Z2
	VCVTPS2PD 32(SI), Z3
	VADDPD    Z2, Z0, Z0
	VADDPD    Z3, Z1, Z1
	ADDQ      $64, SI
	DECQ      CX
	JNZ       sumloop512

	VMOVUPD Z0, (DI)
	VMOVUPD Z1, 64(DI)
	VZEROUPPER
	RET

// func lnSumAVX2(p *float32, n int, lanes *[16]float64)
TEXT ·lnSumAVX2(SB), NOSPLIT, $0-24
	MOVQ    p+0(FP), SI
	MOVQ    n+8(FP), CX
	MOVQ    lanes+16(FP), DI
	VMOVUPD (DI), Y0
	VMOVUPD 32(DI), Y1
	VMOVUPD 64(DI), Y2
	VMOVUPD 96(DI), Y3

sumloop2:
	VCVTPS2PD (SI), Y4
	VCVTPS2PD 16(SI), Y5
	VCVTPS2PD 32(SI), Y6
	VCVTPS2PD 48(SI), Y7
	VADDPD    Y4, Y0, Y0
	VADDPD    Y5, Y1, Y1
	VADDPD    Y6, Y2, Y2
	VADDPD    Y7, Y3, Y3
	ADDQ      $64, SI
	DECQ      CX
	JNZ       sumloop2

	VMOVUPD Y0, (DI)
	VMOVUPD Y1, 32(DI)
	VMOVUPD Y2, 64(DI)
	VMOVUPD Y3, 96(DI)
	VZEROUPPER
	RET

// func lnSqDevAVX512(p *float32, n int, mean float64, lanes *[16]float64)
TEXT ·lnSqDevAVX512(SB), NOSPLIT, $0-32
	MOVQ         p+0(FP), SI
	MOVQ         n+8(FP), CX
	VBROADCASTSD mean+16(FP), Z8
	MOVQ         lanes+24(FP), DI
	VMOVUPD      (DI), Z0
	VMOVUPD      64(DI), Z1

sqloop512:
	VCVTPS2PD (SI), Z2
	VCVTPS2PD 32(SI), Z3
	VSUBPD    Z8, Z2, Z2
	VSUBPD    Z8, Z3, Z3
	VMULPD    Z2, Z2, Z2
	VMULPD    Z3, Z3, Z3
	VADDPD    Z2, Z0, Z0
	VADDPD    Z3, Z1, Z1
	ADDQ      $64, SI
	DECQ      CX
	JNZ       sqloop512

	VMOVUPD Z0, (DI)
	VMOVUPD Z1, 64(DI)
	VZEROUPPER
	RET

// func lnSqDevAVX2(p *float32, n int, mean float64, lanes *[16]float64)
TEXT ·lnSqDevAVX2(SB), NOSPLIT, $0-32
	MOVQ         p+0(FP), SI
	MOVQ         n+8(FP), CX
	VBROADCASTSD mean+16(FP), Y8
	MOVQ         lanes+24(FP), DI
	VMOVUPD      (DI), Y0
	VMOVUPD      32(DI), Y1
	VMOVUPD      64(DI), Y2
	VMOVUPD      96(DI), Y3

sqloop2:
	VCVTPS2PD (SI), Y4
	VCVTPS2PD 16(SI), Y5
	VCVTPS2PD 32(SI), Y6
	VCVTPS2PD 48(SI), Y7
	VSUBPD    Y8, Y4, Y4
	VSUBPD    Y8, Y5, Y5
	VSUBPD    Y8, Y6, Y6
	VSUBPD    Y8, Y7, Y7
	VMULPD    Y4, Y4, Y4
	VMULPD    Y5, Y5, Y5
	VMULPD    Y6, Y6, Y6
	VMULPD    Y7, Y7, Y7
	VADDPD    Y4, Y0, Y0
	VADDPD    Y5, Y1, Y1
	VADDPD    Y6, Y2, Y2
	VADDPD    Y7, Y3, Y3
	ADDQ      $64, SI
	DECQ      CX
	JNZ       sqloop2

	VMOVUPD Y0, (DI)
	VMOVUPD Y1, 32(DI)
	VMOVUPD Y2, 64(DI)
	VMOVUPD Y3, 96(DI)
	VZEROUPPER
	RET

// func lnNormAVX512(out, src, gamma, beta *float32, n int, mean, inv float64)
TEXT ·lnNormAVX512(SB), NOSPLIT, $0-56
	MOVQ         out+0(FP), DI
	MOVQ         src+8(FP), SI
	MOVQ         gamma+16(FP), DX
	MOVQ         beta+24(FP), BX
	MOVQ         n+32(FP), CX
	VBROADCASTSD mean+40(FP), Z8
	VBROADCASTSD inv+48(FP), Z9

normloop512:
	VCVTPS2PD (SI), Z0
	VCVTPS2PD 32(SI), Z1
	VSUBPD    Z8, Z0, Z0
	VSUBPD    Z8, Z1, Z1
	VMULPD    Z9, Z0, Z0
	VMULPD    Z9, Z1, Z1
	VCVTPD2PS Z0, Y0
	VCVTPD2PS Z1, Y1
	VMULPS    (DX), Y0, Y0
	VMULPS    32(DX), Y1, Y1
	VADDPS    (BX), Y0, Y0
	VADDPS    32(BX), Y1, Y1
	VMOVUPS   Y0, (DI)
	VMOVUPS   Y1, 32(DI)
	ADDQ      $64, SI
	ADDQ      $64, DX
	ADDQ      $64, BX
	ADDQ      $64, DI
	DECQ      CX
	JNZ       normloop512

	VZEROUPPER
	RET

// func lnNormAVX2(out, src, gamma, beta *float32, n int, mean, inv float64)
TEXT ·lnNormAVX2(SB), NOSPLIT, $0-56
	MOVQ         out+0(FP), DI
	MOVQ         src+8(FP), SI
	MOVQ         gamma+16(FP), DX
	MOVQ         beta+24(FP), BX
	MOVQ         n+32(FP), CX
	SHLQ         $1, CX // groups of eight
	VBROADCASTSD mean+40(FP), Y8
	VBROADCASTSD inv+48(FP), Y9

normloop2:
	VCVTPS2PD   (SI), Y0
	VCVTPS2PD   16(SI), Y1
	VSUBPD      Y8, Y0, Y0
	VSUBPD      Y8, Y1, Y1
	VMULPD      Y9, Y0, Y0
	VMULPD      Y9, Y1, Y1
	VCVTPD2PSY  Y0, X0
	VCVTPD2PSY  Y1, X1
	VINSERTF128 $1, X1, Y0, Y0
	VMULPS      (DX), Y0, Y0
	VADDPS      (BX), Y0, Y0
	VMOVUPS     Y0, (DI)
	ADDQ        $32, SI
	ADDQ        $32, DX
	ADDQ        $32, BX
	ADDQ        $32, DI
	DECQ        CX
	JNZ         normloop2

	VZEROUPPER
	RET
