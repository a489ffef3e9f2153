// Package pipeline is the streaming engine of the method: it drives Windows of frames
// through two encoders and an optional classifier, and knows nothing of where the
// windows come from or where the results go (internal/predict supplies the FASTA
// source and the result files; internal/train a features sink).
//
//	Source.Next                 (read stage, one goroutine)
//	-> window-level dedup + tokens  (prepare stage, one goroutine, tokenizing in parallel)
//	-> packed batches -> encoders on every worker -> merged features -> classifier
//	                            (infer stage)
//	-> Sink.Write in input order    (write stage, its own goroutine)
//
// Work moves in Windows: runs of consecutive frames cut at chunk boundaries. The stages
// overlap (reading and tokenizing window k+1 while window k is embedded) through
// bounded channels, so memory is bounded by the window size and queue depth, not by the
// input. Windows are cut from the input alone and every stage processes them in order,
// so results do not depend on the thread count or the number of workers.
package pipeline
