//go:build !(linux || darwin || freebsd || netbsd || openbsd)

package fasta

// allocSlots returns n zeroed slots.
func allocSlots(n int) []uint64 { return make([]uint64, n) }

// freeSlots drops slots from allocSlots (the collector frees them).
func freeSlots([]uint64) {}
