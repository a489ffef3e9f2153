// Package predict is the `virnucpro predict` application on top of the streaming
// engine (internal/pipeline): the FASTA source that chunks and translates records into
// windows (FASTASource, with sharding), loading the models onto the backends tensor.Open
// selects (LoadWorkers), the checkpoint glue that replays and commits windows
// (Checkpointer), the progress display (Drive), and the result files: OutputSink
// (prediction_results.txt, the highest-score table, the per-record reports and the
// intermediate files) and shard.json (ShardResult) for `virnucpro merge`.
package predict
