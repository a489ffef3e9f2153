package cpu

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"unsafe"
)

// fakeCBLAS is a row-major cblas_sgemm (NoTrans×Trans only) whose rows at
// positions where odd(i) sum k in reverse: a library whose bits depend on where a row
// sits in the call, as OpenBLAS's Haswell kernels do.
func fakeCBLAS(odd func(i int) bool) func(order, transA, transB, m, n, k int32, alpha float32, a *float32, lda int32, b *float32, ldb int32, beta float32, c *float32, ldc int32) {
	return func(order, transA, transB, m, n, k int32, alpha float32, a *float32, lda int32, b *float32, ldb int32, beta float32, c *float32, ldc int32) {
		as := unsafe.Slice(a, int(m-1)*int(lda)+int(k))
		bs := unsafe.Slice(b, int(n-1)*int(ldb)+int(k))
		cs := unsafe.Slice(c, int(m-1)*int(ldc)+int(n))
		for i := 0; i < int(m); i++ {
			for j := 0; j < int(n); j++ {
				var s float32
				for q := 0; q < int(k); q++ {
					p := q
					if odd(i) {
						p = int(k) - 1 - q
					}
					s += float32(as[i*int(lda)+p] * bs[j*int(ldb)+p])
				}
				cs[i*int(ldc)+j] = beta*cs[i*int(ldc)+j] + s
			}
		}
	}
}

func TestCanary(t *testing.T) {
	for _, tc := range []struct {
		name      string
		odd       func(int) bool
		invariant bool
	}{
		{"invariant", func(int) bool { return false }, true},
		{"position-dependent", func(i int) bool { return i%8 == 5 }, false},
		{"block-tail-dependent", func(i int) bool { return i >= 192 }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lib := &OpenBLAS{path: "fake", core: "Fake", threads: 2, sgemm: fakeCBLAS(tc.odd)}
			err := checkRowInvariance(lib)
			if (err == nil) != tc.invariant {
				t.Fatalf("canary: %v, want invariant=%v", err, tc.invariant)
			}
			var logs bytes.Buffer
			b, err := openBLASBackend(lib, 2, slog.New(slog.NewTextHandler(&logs, nil)))
			if err != nil {
				t.Fatal(err)
			}
			want := "openblas"
			if !tc.invariant {
				want = "go"
				if NativeSupported() {
					want = "native"
				}
				if !strings.Contains(logs.String(), "level=WARN") || !strings.Contains(logs.String(), "canary=") {
					t.Fatalf("fallback not logged with its reason:\n%s", logs.String())
				}
			}
			if b.Name() != want {
				t.Fatalf("backend %s, want %s\n%s", b.Name(), want, logs.String())
			}
		})
	}
}
