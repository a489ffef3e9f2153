// Package batch plans packed variable-length batches: many sequences concatenated under
// a token budget, with no padding. Attention inside a packed batch is restricted to each
// sequence by the backend (see tensor.Segment), so packing changes throughput, never results.
package batch

import (
	"sort"

	"github.com/virnucpro/virnucpro/internal/tensor"
)

// Item is one sequence to embed: its position in the caller's input order and its
// length in tokens, special tokens included.
type Item struct {
	Index  int
	Tokens int
}

// PackedBatch is a group of items whose token rows are concatenated in Items order.
type PackedBatch struct {
	Items  []Item
	Tokens int
}

// Segments returns each item's row range inside the packed activation matrix.
func (b PackedBatch) Segments() []tensor.Segment {
	segs := make([]tensor.Segment, len(b.Items))
	off := 0
	for i, it := range b.Items {
		segs[i] = tensor.Segment{Start: off, Len: it.Tokens}
		off += it.Tokens
	}
	return segs
}

// Plan packs items into batches of at most maxTokens tokens each. Items are taken
// longest first; each batch starts with the longest remaining item and is topped up
// with the longest items that still fit, then the shortest ones, so batches are
// nearly full. An item longer than maxTokens gets a batch of its own. maxTokens <= 0
// puts every item in a batch of its own (no packing). The result is deterministic:
// ties in length keep input order.
func Plan(items []Item, maxTokens int) []PackedBatch {
	sorted := make([]Item, len(items))
	copy(sorted, items)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Tokens > sorted[j].Tokens })

	var out []PackedBatch
	lo, hi := 0, len(sorted)-1 // sorted[lo] is the longest remaining, sorted[hi] the shortest
	for lo <= hi {
		b := PackedBatch{Items: []Item{sorted[lo]}, Tokens: sorted[lo].Tokens}
		lo++
		if maxTokens > 0 {
			for lo <= hi && b.Tokens+sorted[lo].Tokens <= maxTokens {
				b.Items = append(b.Items, sorted[lo])
				b.Tokens += sorted[lo].Tokens
				lo++
			}
			for lo <= hi && b.Tokens+sorted[hi].Tokens <= maxTokens {
				b.Items = append(b.Items, sorted[hi])
				b.Tokens += sorted[hi].Tokens
				hi--
			}
		}
		out = append(out, b)
	}
	return out
}

// Efficiency is the share of the token budget filled with real tokens over all
// batches (1 = every batch exactly full). It is 1 when maxTokens <= 0 or there are
// no batches.
func Efficiency(batches []PackedBatch, maxTokens int) float64 {
	if maxTokens <= 0 || len(batches) == 0 {
		return 1
	}
	used := 0
	budget := 0
	for _, b := range batches {
		used += b.Tokens
		if b.Tokens > maxTokens {
			budget += b.Tokens
		} else {
			budget += maxTokens
		}
	}
	return float64(used) / float64(budget)
}
