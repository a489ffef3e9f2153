package pipeline

import "container/list"

// cacheEntryOverhead approximates the bytes an entry costs beyond its key and row:
// its list element, the entry, the map's share and the row's slice header.
const cacheEntryOverhead = 128

// embeddingCache keeps the embeddings of recently seen sequences so that repeats
// across windows are embedded once, within a byte budget (keys, rows and
// bookkeeping): with the released models one ESM-2 embedding is 10 KB, so a count of
// entries would not bound the memory. Eviction is least-recently-used by window
// order, so its content depends only on the input, never on timing.
type embeddingCache struct {
	budget int        // bytes; <= 0 disables the cache
	size   int        // bytes held
	order  *list.List // front = most recently used; values are *cacheEntry
	items  map[string]*list.Element
}

type cacheEntry struct {
	key string
	row []float32
}

// cost is the bytes an entry for key and row is accounted.
func (e *cacheEntry) cost() int { return len(e.key) + 4*cap(e.row) + cacheEntryOverhead }

func newEmbeddingCache(budget int) *embeddingCache {
	return &embeddingCache{budget: budget, order: list.New(), items: make(map[string]*list.Element)}
}

// get returns the cached embedding of seq and marks it used.
func (c *embeddingCache) get(seq string) ([]float32, bool) {
	if c == nil || c.budget <= 0 {
		return nil, false
	}
	e, ok := c.items[seq]
	if !ok {
		return nil, false
	}
	c.order.MoveToFront(e)
	return e.Value.(*cacheEntry).row, true
}

// put stores row for seq (the cache keeps row itself: the caller must not change it),
// evicting the least recently used entries beyond the budget. An entry larger than
// the whole budget is not kept.
func (c *embeddingCache) put(seq string, row []float32) {
	if c == nil || c.budget <= 0 {
		return
	}
	if e, ok := c.items[seq]; ok {
		c.order.MoveToFront(e)
		return
	}
	ent := &cacheEntry{key: seq, row: row}
	if ent.cost() > c.budget {
		return
	}
	c.items[seq] = c.order.PushFront(ent)
	c.size += ent.cost()
	for c.size > c.budget {
		last := c.order.Remove(c.order.Back()).(*cacheEntry)
		delete(c.items, last.key)
		c.size -= last.cost()
	}
}

// len is the number of entries.
func (c *embeddingCache) len() int { return c.order.Len() }
