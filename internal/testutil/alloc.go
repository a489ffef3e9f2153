package testutil

import (
	"runtime"
	"testing"
)

// AllocBounded runs fn and fails t when it allocated more than perByte bytes per
// input byte plus fixed bytes (runtime.MemStats.TotalAlloc, so short-lived garbage
// counts too): the check the parsers' fuzz targets make that nothing a file merely
// claims is allocated.
func AllocBounded(t testing.TB, inputLen int, perByte, fixed uint64, fn func()) {
	t.Helper()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	limit := perByte*uint64(inputLen) + fixed
	if got := after.TotalAlloc - before.TotalAlloc; got > limit {
		t.Fatalf("allocated %d bytes for a %d-byte input (limit %d)", got, inputLen, limit)
	}
}
