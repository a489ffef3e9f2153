package cuda

import (
	"fmt"
	"unsafe"
)

// cuBLAS / cuBLASLt enums (cublas_api.h, cublasLt.h, library_types.h).
const (
	cudaR32F  = 0
	cudaR16F  = 2
	cudaR16BF = 14

	cublasCompute32F = 68

	cublasOpN = 0
	cublasOpT = 1

	ltDescTransA      = 3
	ltDescTransB      = 4
	ltDescEpilogue    = 7
	ltDescBiasPointer = 8

	ltEpilogueDefault = 1
	ltEpilogueBias    = 4

	ltPrefMaxWorkspace = 1
)

// ltAPI holds the cuBLASLt entry points.
type ltAPI struct {
	create, destroy, getVersion                         uintptr
	descCreate, descDestroy, descSet                    uintptr
	layoutCreate, layoutDestroy                         uintptr
	prefCreate, prefDestroy, prefSet, heuristic, matmul uintptr
}

func (a *ltAPI) load(l *library) error {
	var err error
	a.create = l.sym("cublasLtCreate", &err)
	a.destroy = l.sym("cublasLtDestroy", &err)
	a.getVersion = l.sym("cublasLtGetVersion", &err)
	a.descCreate = l.sym("cublasLtMatmulDescCreate", &err)
	a.descDestroy = l.sym("cublasLtMatmulDescDestroy", &err)
	a.descSet = l.sym("cublasLtMatmulDescSetAttribute", &err)
	a.layoutCreate = l.sym("cublasLtMatrixLayoutCreate", &err)
	a.layoutDestroy = l.sym("cublasLtMatrixLayoutDestroy", &err)
	a.prefCreate = l.sym("cublasLtMatmulPreferenceCreate", &err)
	a.prefDestroy = l.sym("cublasLtMatmulPreferenceDestroy", &err)
	a.prefSet = l.sym("cublasLtMatmulPreferenceSetAttribute", &err)
	a.heuristic = l.sym("cublasLtMatmulAlgoGetHeuristic", &err)
	a.matmul = l.sym("cublasLtMatmul", &err)
	return err
}

func ltCheck(op string, r int32) error {
	if r == 0 {
		return nil
	}
	return fmt.Errorf("%s: cuBLAS status %d", op, r)
}

// heuristicResult mirrors cublasLtMatmulHeuristicResult_t (96 bytes).
type heuristicResult struct {
	algo          [8]uint64
	workspaceSize uint64
	state         int32
	wavesCount    float32
	reserved      [4]int32
}

// gemmPlan is a cached cuBLASLt setup for one Linear shape.
type gemmPlan struct {
	desc, a, b, c uintptr
	algo          *heuristicResult
}

// gemmKey identifies a Linear shape: dst m×n = x m×k · wᵀ.
type gemmKey struct {
	m, n, k     int
	bias, accum bool
}

// gemm is one cuBLASLt handle with its workspace and plans.
type gemm struct {
	api       *ltAPI
	handle    uintptr
	dtype     int
	workspace uint64
	wsSize    uint64
	plans     map[gemmKey]*gemmPlan
	one, zero *float32
}

func newGemm(api *ltAPI, dtype int, workspace, wsSize uint64) (*gemm, error) {
	h := new(uintptr)
	if err := ltCheck("cublasLtCreate", call(api.create, uintptr(unsafe.Pointer(h)))); err != nil {
		return nil, err
	}
	one, zero := new(float32), new(float32)
	*one = 1
	return &gemm{api: api, handle: *h, dtype: dtype, workspace: workspace, wsSize: wsSize,
		plans: map[gemmKey]*gemmPlan{}, one: one, zero: zero}, nil
}

// plan builds (or returns the cached) descriptors and algorithm for key. In
// cuBLAS's column-major view the row-major dst (m×n) is Dᵀ = W·Xᵀ: A = w
// (k×n column-major, transposed), B = x (k×m column-major), D n×m with ld n,
// and the bias runs along D's rows, as the BIAS epilogue expects.
func (g *gemm) plan(key gemmKey) (*gemmPlan, error) {
	if p, ok := g.plans[key]; ok {
		return p, nil
	}
	if len(g.plans) >= maxPlans {
		// Token counts vary per batch; keep the cache bounded.
		g.dropPlans()
	}
	a := g.api
	p := &gemmPlan{}
	desc := new(uintptr)
	if err := ltCheck("cublasLtMatmulDescCreate", call(a.descCreate, uintptr(unsafe.Pointer(desc)), cublasCompute32F, cudaR32F)); err != nil {
		return nil, err
	}
	p.desc = *desc
	ta, tb := new(int32), new(int32)
	*ta, *tb = cublasOpT, cublasOpN
	epi := new(uint32)
	*epi = ltEpilogueDefault
	if key.bias {
		*epi = ltEpilogueBias
	}
	for _, at := range []struct {
		attr int
		ptr  unsafe.Pointer
		size uintptr
	}{{ltDescTransA, unsafe.Pointer(ta), 4}, {ltDescTransB, unsafe.Pointer(tb), 4}, {ltDescEpilogue, unsafe.Pointer(epi), 4}} {
		if err := ltCheck("cublasLtMatmulDescSetAttribute", call(a.descSet, p.desc, uintptr(at.attr), uintptr(at.ptr), at.size)); err != nil {
			return nil, err
		}
	}
	mk := func(rows, cols, ld int) (uintptr, error) {
		l := new(uintptr)
		err := ltCheck("cublasLtMatrixLayoutCreate", call(a.layoutCreate, uintptr(unsafe.Pointer(l)), uintptr(g.dtype), uintptr(rows), uintptr(cols), uintptr(ld)))
		return *l, err
	}
	var err error
	if p.a, err = mk(key.k, key.n, key.k); err != nil {
		return nil, err
	}
	if p.b, err = mk(key.k, key.m, key.k); err != nil {
		return nil, err
	}
	if p.c, err = mk(key.n, key.m, key.n); err != nil {
		return nil, err
	}
	pref := new(uintptr)
	if err := ltCheck("cublasLtMatmulPreferenceCreate", call(a.prefCreate, uintptr(unsafe.Pointer(pref)))); err != nil {
		return nil, err
	}
	defer call(a.prefDestroy, *pref)
	ws := new(uint64)
	*ws = g.wsSize
	if err := ltCheck("cublasLtMatmulPreferenceSetAttribute", call(a.prefSet, *pref, ltPrefMaxWorkspace, uintptr(unsafe.Pointer(ws)), 8)); err != nil {
		return nil, err
	}
	res := new(heuristicResult)
	cnt := new(int32)
	if err := ltCheck("cublasLtMatmulAlgoGetHeuristic", call(a.heuristic, g.handle, p.desc, p.a, p.b, p.c, p.c, *pref, 1,
		uintptr(unsafe.Pointer(res)), uintptr(unsafe.Pointer(cnt)))); err != nil {
		return nil, fmt.Errorf("m=%d n=%d k=%d: %w", key.m, key.n, key.k, err)
	}
	if *cnt < 1 {
		return nil, fmt.Errorf("cuBLASLt has no algorithm for m=%d n=%d k=%d", key.m, key.n, key.k)
	}
	p.algo = res
	g.plans[key] = p
	return p, nil
}

// linear runs dst = x·wᵀ (+bias) (+dst when accum) on stream.
func (g *gemm) linear(dst, x, w, bias uint64, m, n, k int, accum bool, stream uintptr) error {
	p, err := g.plan(gemmKey{m: m, n: n, k: k, bias: bias != 0, accum: accum})
	if err != nil {
		return err
	}
	if bias != 0 {
		bp := new(uint64)
		*bp = bias
		if err := ltCheck("cublasLtMatmulDescSetAttribute(bias)", call(g.api.descSet, p.desc, ltDescBiasPointer, uintptr(unsafe.Pointer(bp)), 8)); err != nil {
			return err
		}
	}
	beta := g.zero
	if accum {
		beta = g.one
	}
	r, err := callLong(g.api.matmul, g.handle, p.desc, uintptr(unsafe.Pointer(g.one)),
		uintptr(w), p.a, uintptr(x), p.b, uintptr(unsafe.Pointer(beta)), uintptr(dst), p.c, uintptr(dst), p.c,
		uintptr(unsafe.Pointer(p.algo)), uintptr(g.workspace), uintptr(g.wsSize), stream)
	keep(g.one, beta, p.algo)
	if err != nil {
		return err
	}
	return ltCheck(fmt.Sprintf("cublasLtMatmul m=%d n=%d k=%d", m, n, k), r)
}

// maxPlans bounds the number of cached GEMM shapes.
const maxPlans = 512

// dropPlans destroys every cached plan.
func (g *gemm) dropPlans() {
	for k, p := range g.plans {
		call(g.api.layoutDestroy, p.a)
		call(g.api.layoutDestroy, p.b)
		call(g.api.layoutDestroy, p.c)
		call(g.api.descDestroy, p.desc)
		delete(g.plans, k)
	}
}

func (g *gemm) close() {
	g.dropPlans()
	call(g.api.destroy, g.handle)
}
