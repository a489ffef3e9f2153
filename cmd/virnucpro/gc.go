package main

import (
	"os"
	"runtime/debug"
)

// engineGCPercent is the garbage collector's target for the commands that run the
// encoders (predict, features), unless GOGC is set. Their heap is mostly large float
// buffers (batches, cached embeddings) that are cheap to collect, and Go's default of
// 100 lets the process grow to twice its live heap: with the test models 20 k reads
// peak at 339 MB with 100, 250 MB with 50, 220 MB with 25, in no more time
// (scripts/scale-bench.sh).
const engineGCPercent = 25

// tuneGC applies engineGCPercent when the user did not choose GOGC.
func tuneGC() {
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(engineGCPercent)
	}
}
