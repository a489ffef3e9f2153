package weights

import "unsafe"

// hugePageSize is the size of a transparent huge page on x86-64 and on arm64 with
// 4 KiB base pages: the unit in which the kernel can fault advised memory in.
const hugePageSize = 2 << 20

// hugeMin is the smallest destination worth advising: below it the whole 2 MiB
// pages inside are few, and every advice splits a memory mapping in the kernel.
const hugeMin = 4 * hugePageSize

// useHugePages reports whether the kernel backs advised memory with transparent
// huge pages (Linux with THP not "never"); tests replace it to force the fallback.
var useHugePages = hugePagesAvailable

// advise gives the advice (adviseHuge); tests replace it to see what is advised.
var advise = adviseHuge

// allocFloat32 allocates the n zeroed float32 values of a conversion's destination (a
// widened float16 or bfloat16 tensor, a lazy tensor's scratch): every conversion
// allocates through it, so how that memory is obtained is decided in one place. It
// is ordinary Go heap memory, freed by the garbage collector like any other. Where
// huge pages pay (hugePagePolicy: Linux with transparent huge pages, not a VM that
// reports free pages to its host), the whole 2 MiB pages inside a large
// destination are advised as huge pages before anything touches them, so that
// writing it faults memory in 2 MiB at a time instead of 4 KiB (one fault instead
// of 512; the 3B model's 11.3 GB of float32 weights otherwise take 2.8 million).
// Only pages wholly inside the destination are advised, and the loaders write
// every value, so the resident size is what it would be with small pages.
// Elsewhere, or for small n, it is make([]float32, n).
func allocFloat32(n int) []float32 {
	v := make([]float32, n)
	if 4*n < hugeMin || !useHugePages() {
		return v
	}
	b := unsafe.Slice((*byte)(unsafe.Pointer(&v[0])), 4*n)
	if lo, hi := alignedInterior(uintptr(unsafe.Pointer(&b[0])), len(b), hugePageSize); hi > lo {
		advise(b[lo:hi])
	}
	return v
}

// alignedInterior returns the byte offsets [lo, hi) of the whole align-aligned
// blocks of align bytes inside the n bytes at addr (align a power of two);
// lo == hi when no whole block fits.
func alignedInterior(addr uintptr, n int, align uintptr) (lo, hi int) {
	if n <= 0 {
		return 0, 0
	}
	start := (addr + align - 1) &^ (align - 1)
	end := (addr + uintptr(n)) &^ (align - 1)
	if start < addr || end <= start { // start wrapped past the top, or no whole block
		return 0, 0
	}
	return int(start - addr), int(end - addr)
}

// HugePages reports whether the loaders advise the kernel to back converted weights
// with transparent huge pages on this system, and why (for benchmarks to print).
func HugePages() (advised bool, why string) { return hugePagePolicy() }
