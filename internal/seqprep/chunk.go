// Package seqprep implements VirNucPro's preprocessing exactly: chunking records with
// the original split_fasta_chunk overlap rule and six-frame translation keeping the
// stop-free frames (identify_seq).
package seqprep

import "strconv"

// Chunk is one window of a record as the original cuts it.
type Chunk struct {
	// ID is <record id>_chunk_<Index+1>.
	ID string
	// Index is the 0-based chunk number; Start and End the 0-based half-open span on
	// the record (End - Start is often shorter than the chunk size for the last chunk).
	Index, Start, End int
	// Seq is the record's bytes in [Start, End), case preserved (it aliases the
	// record's sequence).
	Seq []byte
}

// ChunkSpans returns the [start, end) spans the original cuts a record of length n
// into for chunk size size. A record no longer than size is one chunk; an empty
// record has no chunk (the original divides by zero on it).
//
// The rule (units.py split_fasta_chunk): k = ceil(n/size) chunks; the k*size-n
// surplus bases are taken back as overlaps, floor(surplus/k)+1 for the first
// `need` chunks and floor(surplus/k) after; chunk i starts at i*size minus the
// overlaps taken so far and ends size later, clipped to n, so the last chunk is
// often short (600 -> 500 + 301).
func ChunkSpans(n, size int) [][2]int {
	if n <= 0 || size <= 0 {
		return nil
	}
	k := (n + size - 1) / size
	rep := k*size - n
	lo := rep / k
	up := lo + 1
	need := rep - lo*(k-1)
	shifts := make([]int, 0, k+1)
	for i := 0; i < need && len(shifts) < k; i++ {
		shifts = append(shifts, up)
	}
	for i := 0; i < k-1-need && len(shifts) < k; i++ {
		shifts = append(shifts, lo)
	}
	if len(shifts) < k {
		shifts = append(shifts, 0)
	}
	spans := make([][2]int, k)
	moved := 0
	for i := 0; i < k; i++ {
		start := i * size
		if i > 0 {
			moved += shifts[i-1]
			start -= moved
		}
		spans[i] = [2]int{start, min(start+size, n)}
	}
	return spans
}

// Chunks cuts seq into the original's chunks, naming them after id.
func Chunks(id string, seq []byte, size int) []Chunk {
	spans := ChunkSpans(len(seq), size)
	out := make([]Chunk, len(spans))
	for i, s := range spans {
		out[i] = Chunk{ID: ChunkID(id, i), Index: i, Start: s[0], End: s[1], Seq: seq[s[0]:s[1]]}
	}
	return out
}

// ChunkID is the original's chunk name: <record id>_chunk_<index+1>.
func ChunkID(recordID string, index int) string {
	return recordID + "_chunk_" + strconv.Itoa(index+1)
}

// NumChunks is the number of chunks the original cuts a record of length n into.
func NumChunks(n, size int) int {
	if n <= 0 || size <= 0 {
		return 0
	}
	return (n + size - 1) / size
}

// ChunkSpan returns the [start, end) span of chunk i (0 <= i < NumChunks(n, size)) in
// constant time and memory: ChunkSpans(n, size)[i] without building the list, so a
// chromosome can be cut while it is read from disk.
func ChunkSpan(n, size, i int) (start, end int) {
	k := NumChunks(n, size)
	rep := k*size - n
	lo := rep / k
	up := lo + 1
	need := rep - lo*(k-1)
	// shifts[j] is up for j < min(need, k), then lo up to index k-2, then 0; chunk i
	// moves back by the sum of shifts[0..i-1].
	nUp := min(i, need, k)
	nLo := max(0, min(i, k-1)-need)
	start = i*size - nUp*up - nLo*lo
	return start, min(start+size, n)
}
