// Package pipeline runs the VirNucPro method as one streaming pipeline:
//
//	FASTA records -> chunks -> kept frames   (Source, one goroutine)
//	-> window-level dedup + tokens            (prepare, one goroutine, tokenizing in parallel)
//	-> packed batches -> both encoders -> merged features -> classifier   (infer)
//	-> ordered results                        (Sink, the caller's goroutine)
//
// Work moves in Windows: runs of consecutive frames cut at chunk boundaries. The stages
// overlap (reading and tokenizing window k+1 while window k is embedded) through
// bounded channels, so memory is bounded by the window size and queue depth, not by the
// input. Windows are cut from the input alone and every stage processes them in order,
// so results do not depend on the thread count.
package pipeline
