package cpu

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"

	"github.com/virnucpro/virnucpro/internal/tensor"
)

// OpenBLAS is a Gemm calling cblas_sgemm from libopenblas loaded at run time (no cgo).
type OpenBLAS struct {
	path    string
	core    string // kernels in use (openblas_get_corename), "" when the library does not say
	forced  bool   // we asked for core through OPENBLAS_CORETYPE
	threads int
	verdict *canaryResult // the row-invariance canary's, once run
	sgemm   func(order, transA, transB, m, n, k int32, alpha float32, a *float32, lda int32, b *float32, ldb int32, beta float32, c *float32, ldc int32)
}

// Library names tried, most specific first (Debian: libopenblas0-pthread/-openmp).
var openBLASNames = []string{
	"libopenblas.so.0", "libopenblas.so", "libopenblasp.so.0",
	"/usr/lib/x86_64-linux-gnu/libopenblas.so.0", "/usr/lib/aarch64-linux-gnu/libopenblas.so.0",
	"/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so.0",
	"libopenblas.dylib", "/opt/homebrew/opt/openblas/lib/libopenblas.dylib",
}

var (
	openBLASOnce sync.Once
	openBLASLib  *OpenBLAS
	openBLASErr  error
)

// LoadOpenBLAS opens OpenBLAS once per process and sets its thread count.
// errNoNative is why the native kernels cannot run on this processor.
var errNoNative = errors.New("needs an amd64 processor with AVX2 and FMA (the go kernels run anywhere)")

// noNative says why the native kernels do not run: the processor, or KernelsEnv
// capping them below AVX2.
func noNative() error {
	if nativeGemmSupported() && bestSIMDLevel() >= simdAVX2 {
		return capped()
	}
	return errNoNative
}

func LoadOpenBLAS(threads int) (*OpenBLAS, error) {
	if staticBuild {
		return nil, ErrStaticBuild
	}
	openBLASOnce.Do(func() {
		// OpenBLAS starts its worker threads when it loads unless told it has one: they
		// would never get work (every call here is single-threaded) but still spin
		// between calls, taking CPU from the goroutines that do the work.
		prev, had := os.LookupEnv("OPENBLAS_NUM_THREADS")
		os.Setenv("OPENBLAS_NUM_THREADS", "1")
		defer func() {
			if had {
				os.Setenv("OPENBLAS_NUM_THREADS", prev)
			} else {
				os.Unsetenv("OPENBLAS_NUM_THREADS")
			}
		}()
		// Kernels chosen from the CPU's features unless the user chose (see
		// openBLASCoreFor): a library older than the CPU would run generic ones.
		forced := ""
		if _, set := os.LookupEnv(openBLASCoreEnv); !set {
			if forced = hostOpenBLASCore(); forced != "" {
				os.Setenv(openBLASCoreEnv, forced)
				defer os.Unsetenv(openBLASCoreEnv)
			}
		}
		var errs []string
		for _, name := range openBLASNames {
			lib, err := openOpenBLAS(name, forced)
			if err != nil {
				errs = append(errs, err.Error())
				continue
			}
			openBLASLib = lib
			return
		}
		openBLASErr = fmt.Errorf("OpenBLAS not found (install Debian's libopenblas0): %s", strings.Join(errs[:min(2, len(errs))], "; "))
	})
	if openBLASErr != nil {
		return nil, openBLASErr
	}
	lib := *openBLASLib
	lib.threads = max(threads, 1)
	return &lib, nil
}

// Name implements Gemm.
func (o *OpenBLAS) Name() string { return "openblas" }

// Path is the library that was loaded.
func (o *OpenBLAS) Path() string { return o.path }

// Core is the name of the kernels OpenBLAS runs ("SkylakeX", "Haswell", ...; "" when
// the library does not say).
func (o *OpenBLAS) Core() string { return o.core }

// CoreFromFeatures reports whether Core was chosen from the CPU's features through
// OPENBLAS_CORETYPE rather than by OpenBLAS's own model-number detection.
func (o *OpenBLAS) CoreFromFeatures() bool { return o.forced }

// GenericCore reports whether OpenBLAS runs its generic fallback kernels although the
// CPU has AVX2 or AVX-512 (for instance an OPENBLAS_CORETYPE set by the user).
func (o *OpenBLAS) GenericCore() bool {
	return genericOpenBLASCores[strings.ToLower(o.core)] && hostOpenBLASCore() != ""
}

const (
	cblasRowMajor = 101
	cblasNoTrans  = 111
	cblasTrans    = 112
)

// invariantRows is the fixed row count of every cblas_sgemm call. OpenBLAS picks
// kernels (and tail handling) by shape, so a row's result would otherwise depend on
// how many rows it is batched with; calling it on fixed blocks of rows, one thread
// per call, makes every row's result independent of the batch (packed == alone,
// bit for bit), which resumed and sharded runs rely on.
//
// Each call packs the whole weight matrix again, so the block must be tall enough for
// the product to outweigh the packing: with OpenBLAS's AVX-512 kernels 256 rows made
// the encoders 14–22% faster than 64 (raw products 1.3× faster); the price is the
// zero padding of a batch's last block, ~1.5% of the default 8192-token batches.
const invariantRows = 256

// SgemmNT implements Gemm: blocks of invariantRows rows (the last one zero-padded)
// spread over the backend's goroutines, each a single-threaded OpenBLAS call.
func (o *OpenBLAS) SgemmNT(m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, accumulate bool) {
	blocks := (m + invariantRows - 1) / invariantRows
	parallelRanges(blocks, o.threads, func(lo, hi int) {
		ws := wsPool.Get().(*workspace)
		defer wsPool.Put(ws)
		for blk := lo; blk < hi; blk++ {
			r0 := blk * invariantRows
			o.rowBlock(min(invariantRows, m-r0), n, k, a[r0*lda:], lda, b, ldb, c[r0*ldc:], ldc, accumulate, ws)
		}
	})
}

// Open returns a CPU backend for kind "auto" (the native kernels where the
// processor runs them, else Go), "native", "openblas" (an error when it does not
// load) or "go", logging the choice.
func Open(kind string, threads int, log *slog.Logger) (tensor.Backend, error) {
	if log == nil {
		log = slog.Default()
	}
	if kernelsErr != nil {
		return nil, &tensor.SpecError{Field: "environment", Value: KernelsEnv, Err: kernelsErr}
	}
	switch kind {
	case "go":
		log.Info("compute backend", "blas", "go", "threads", threads)
		return New(threads, nil), nil
	case "auto", "", "native":
		if !NativeSupported() {
			if kind == "native" {
				return nil, &tensor.SpecError{Field: "blas", Value: "native", Err: noNative()}
			}
			log.Info("compute backend", "blas", "go", "threads", threads, "why", noNative().Error())
			return New(threads, nil), nil
		}
		g := NewNative(threads)
		log.Info("compute backend", "blas", "native", "kernels", g.Level(), "threads", threads)
		return New(threads, g), nil
	case "openblas":
		lib, err := LoadOpenBLAS(threads)
		if err != nil {
			return nil, err
		}
		return openBLASBackend(lib, threads, log)
	}
	return nil, fmt.Errorf("want auto, native, openblas or go: %w", tensor.ErrUnknownBLAS)
}

func nameOf(b tensor.Backend) string {
	if b == nil {
		return ""
	}
	return b.Name()
}

// openBLASBackend returns a backend on lib if lib passes the row-invariance canary,
// else (logging why) the native kernels, or Go where those do not run.
func openBLASBackend(lib *OpenBLAS, threads int, log *slog.Logger) (tensor.Backend, error) {
	if err := lib.canary(); err != nil {
		fallback, ferr := Open("auto", threads, log)
		log.Warn("OpenBLAS gives a row different bits at different positions in a matrix call, so resumed, sharded and multi-worker runs would not match one run; using the native kernels instead",
			"core", lib.Core(), "canary", err.Error(), "backend", nameOf(fallback))
		return fallback, ferr
	}
	log.Info("compute backend", "blas", "openblas", "library", lib.Path(), "core", lib.Core(),
		"core_from_cpu_features", lib.CoreFromFeatures(), "threads", threads)
	if lib.GenericCore() {
		log.Warn("OpenBLAS runs its generic kernels on a CPU with AVX2/AVX-512; unset OPENBLAS_CORETYPE or set it to "+hostOpenBLASCore(),
			"core", lib.Core(), openBLASCoreEnv, os.Getenv(openBLASCoreEnv))
	}
	return New(threads, lib), nil
}

// canaryResult is the canary's verdict on a loaded library, shared by the copies
// LoadOpenBLAS hands out so that it runs once per process.
type canaryResult struct {
	once sync.Once
	err  error
}

// canary runs checkRowInvariance on the library (once per process for a library
// from LoadOpenBLAS).
func (o *OpenBLAS) canary() error {
	if o.verdict == nil {
		return checkRowInvariance(o)
	}
	o.verdict.once.Do(func() { o.verdict.err = checkRowInvariance(o) })
	return o.verdict.err
}

// MathPath names the arithmetic a backend opened with Open(kind) computes with, for
// run identities: "cpu native fma32" (the native kernels; their AVX2 and AVX-512
// levels give the same bits), "cpu go" (products rounded, then added) or "cpu
// openblas <kernels>" (only when they pass the canary; else what Open falls back to).
func MathPath(kind string) (string, error) {
	if kernelsErr != nil {
		return "", &tensor.SpecError{Field: "environment", Value: KernelsEnv, Err: kernelsErr}
	}
	switch kind {
	case "go":
		return "cpu go fp32", nil
	case "auto", "", "native":
		if NativeSupported() {
			return "cpu native fma32 fp32", nil
		}
		if kind == "native" {
			return "", &tensor.SpecError{Field: "blas", Value: "native", Err: noNative()}
		}
		return "cpu go fp32", nil
	case "openblas":
		lib, err := LoadOpenBLAS(1)
		if err != nil {
			return "", err
		}
		if lib.canary() != nil {
			return MathPath("auto")
		}
		return "cpu openblas " + lib.Core() + " fp32", nil
	}
	return "", &tensor.SpecError{Field: "blas", Value: kind, Err: fmt.Errorf("want auto, native, openblas or go: %w", tensor.ErrUnknownBLAS)}
}

// Unblocked returns OpenBLAS called the fastest way, for comparisons only: one call
// per thread on its share of the rows, whatever their count. Its rows' bits may then
// depend on the batch (see invariantRows), so no backend uses it.
func (o *OpenBLAS) Unblocked() Gemm { return openBLASUnblocked{o} }

type openBLASUnblocked struct{ o *OpenBLAS }

// Name implements Gemm.
func (u openBLASUnblocked) Name() string { return "openblas-unblocked" }

// SgemmNT implements Gemm.
func (u openBLASUnblocked) SgemmNT(m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, accumulate bool) {
	beta := float32(0)
	if accumulate {
		beta = 1
	}
	parallelRanges(m, u.o.threads, func(lo, hi int) {
		u.o.sgemm(cblasRowMajor, cblasNoTrans, cblasTrans, int32(hi-lo), int32(n), int32(k), 1,
			&a[lo*lda], int32(lda), &b[0], int32(ldb), beta, &c[lo*ldc], int32(ldc))
	})
}
