//go:build linux || darwin || freebsd || netbsd || openbsd

package fasta

import (
	"syscall"
	"unsafe"
)

// allocSlots returns n zeroed slots outside the Go heap (anonymous memory), so the
// table does not raise the garbage collector's heap goal (which would let garbage
// grow to the table's size) and its pages go back to the system at once when freed.
func allocSlots(n int) []uint64 {
	b, err := syscall.Mmap(-1, 0, n*8, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		return make([]uint64, n)
	}
	return unsafe.Slice((*uint64)(unsafe.Pointer(&b[0])), n)
}

// freeSlots releases slots from allocSlots.
func freeSlots(s []uint64) {
	if len(s) == 0 {
		return
	}
	b := unsafe.Slice((*byte)(unsafe.Pointer(&s[0])), len(s)*8)
	if syscall.Munmap(b) != nil {
		return // a slice from make (Mmap failed): the collector frees it
	}
}
