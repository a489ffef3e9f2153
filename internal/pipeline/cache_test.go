package pipeline

import (
	"fmt"
	"testing"
)

// TestEmbeddingCacheBoundedInBytes: the cache holds at most its budget in bytes
// (keys, rows and bookkeeping), evicts the least recently used entry first, and
// does not keep an entry larger than the whole budget.
func TestEmbeddingCacheBoundedInBytes(t *testing.T) {
	row := func(v float32) []float32 { return []float32{v, v, v, v} }
	one := (&cacheEntry{key: "k0", row: row(0)}).cost()
	for _, tc := range []struct {
		name   string
		budget int
		keep   int // entries that fit
	}{
		{"disabled", 0, 0},
		{"smaller than an entry", one - 1, 0},
		{"one entry", one, 1},
		{"three entries", 3*one + one/2, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newEmbeddingCache(tc.budget)
			for i := range 10 {
				c.put(fmt.Sprint("k", i), row(float32(i)))
				if c.size > max(tc.budget, 0) {
					t.Fatalf("after %d puts the cache holds %d bytes over a budget of %d", i+1, c.size, tc.budget)
				}
			}
			if c.len() != tc.keep {
				t.Fatalf("%d entries kept, want %d", c.len(), tc.keep)
			}
			for i := range 10 {
				got, ok := c.get(fmt.Sprint("k", i))
				if want := i >= 10-tc.keep; ok != want || (ok && got[0] != float32(i)) {
					t.Errorf("entry k%d: cached %v (%v), want cached %v", i, ok, got, want)
				}
			}
		})
	}
	t.Run("least recently used first", func(t *testing.T) {
		c := newEmbeddingCache(2 * one)
		c.put("k1", row(1))
		c.put("k2", row(2))
		c.get("k1") // k2 is now the least recently used
		c.put("k3", row(3))
		if _, ok := c.get("k2"); ok {
			t.Error("k2 kept over the more recently used k1")
		}
		if _, ok := c.get("k1"); !ok {
			t.Error("k1 evicted although used after k2")
		}
	})
}
