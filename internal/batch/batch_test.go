package batch

import (
	"math/rand"
	"testing"
)

func TestPlanCoversEveryItemOnceWithinBudget(t *testing.T) {
	tests := []struct {
		name      string
		lengths   []int
		maxTokens int
	}{
		{"empty", nil, 100},
		{"single", []int{7}, 100},
		{"oversized item alone", []int{150, 10, 20}, 100},
		{"exact fit", []int{50, 50, 25, 25, 25, 25}, 100},
		{"no packing", []int{3, 9, 4}, 0},
		{"random", randomLengths(500, 1, 170, 1), 2048},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			items := make([]Item, len(tc.lengths))
			for i, n := range tc.lengths {
				items[i] = Item{Index: i, Tokens: n}
			}
			batches := Plan(items, tc.maxTokens)
			seen := make(map[int]bool)
			for _, b := range batches {
				sum := 0
				for _, it := range b.Items {
					if seen[it.Index] {
						t.Fatalf("item %d packed twice", it.Index)
					}
					seen[it.Index] = true
					sum += it.Tokens
				}
				if sum != b.Tokens {
					t.Fatalf("batch tokens %d, items sum to %d", b.Tokens, sum)
				}
				if tc.maxTokens > 0 && b.Tokens > tc.maxTokens && len(b.Items) > 1 {
					t.Fatalf("batch of %d items has %d tokens > budget %d", len(b.Items), b.Tokens, tc.maxTokens)
				}
				if tc.maxTokens <= 0 && len(b.Items) != 1 {
					t.Fatalf("maxTokens %d: batch of %d items, want 1", tc.maxTokens, len(b.Items))
				}
				segs := b.Segments()
				off := 0
				for i, s := range segs {
					if s.Start != off || s.Len != b.Items[i].Tokens {
						t.Fatalf("segment %d = %+v, want start %d len %d", i, s, off, b.Items[i].Tokens)
					}
					off += s.Len
				}
			}
			if len(seen) != len(tc.lengths) {
				t.Fatalf("%d items packed, want %d", len(seen), len(tc.lengths))
			}
		})
	}
}

func TestPlanIsDeterministicAndDense(t *testing.T) {
	lengths := randomLengths(2000, 30, 170, 7)
	items := make([]Item, len(lengths))
	for i, n := range lengths {
		items[i] = Item{Index: i, Tokens: n}
	}
	a := Plan(items, 4096)
	b := Plan(items, 4096)
	if len(a) != len(b) {
		t.Fatalf("plans differ in length: %d vs %d", len(a), len(b))
	}
	for i := range a {
		for j := range a[i].Items {
			if a[i].Items[j] != b[i].Items[j] {
				t.Fatalf("plans differ at batch %d item %d", i, j)
			}
		}
	}
	if eff := Efficiency(a, 4096); eff < 0.97 {
		t.Fatalf("efficiency %.3f, want >= 0.97 for many short items", eff)
	}
}

func randomLengths(n, lo, hi int, seed int64) []int {
	r := rand.New(rand.NewSource(seed))
	out := make([]int, n)
	for i := range out {
		out[i] = lo + r.Intn(hi-lo+1)
	}
	return out
}
