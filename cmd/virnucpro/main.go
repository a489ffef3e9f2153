// Command virnucpro identifies viral short sequences (VirNucPro, Li et al. 2025) with
// DNABERT-S and ESM-2 embeddings and an MLP classifier, in one Go binary.
package main

import (
	"os"
)

func main() {
	os.Exit(execute())
}
