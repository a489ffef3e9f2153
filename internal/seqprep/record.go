package seqprep

import "github.com/virnucpro/virnucpro/internal/fasta"

// EachChunk calls fn with each chunk of rec in order (the spans of Chunks). A spilled
// record (fasta.Reader.SpillLongerThan) is read one chunk at a time, so a chromosome
// costs one chunk of memory; an in-memory record's chunks alias its Seq.
func EachChunk(rec *fasta.Record, size int, fn func(Chunk) error) error {
	n := rec.Length()
	for i := range NumChunks(n, size) {
		start, end := ChunkSpan(n, size, i)
		seq, err := rec.Slice(start, end)
		if err != nil {
			return err
		}
		if err := fn(Chunk{ID: ChunkID(rec.ID, i), Index: i, Start: start, End: end, Seq: seq}); err != nil {
			return err
		}
	}
	return nil
}
