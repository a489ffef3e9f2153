package weights

import "syscall"

// adviseDontNeed drops b's pages (page-aligned, inside a read-only file mapping)
// from the resident set.
func adviseDontNeed(b []byte) { _ = syscall.Madvise(b, syscall.MADV_DONTNEED) }
