// Command virnucpro identifies viral short sequences (VirNucPro, Li et al. 2025) with
// DNABERT-S and ESM-2 embeddings and an MLP classifier, in one Go binary.
package main

import (
	"os"

	// The compute drivers (CPU, CUDA) register themselves with tensor.Open.
	_ "github.com/virnucpro/virnucpro/internal/backends"
)

func main() {
	os.Exit(execute(os.Args[1:]))
}
