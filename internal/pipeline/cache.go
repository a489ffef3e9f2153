package pipeline

import "container/list"

// embeddingCache keeps the embeddings of recently seen sequences so that repeats
// across windows are embedded once. Eviction is least-recently-used by window order,
// so its content depends only on the input, never on timing.
type embeddingCache struct {
	capacity int
	order    *list.List // front = most recently used; values are *cacheEntry
	entries  map[string]*list.Element
}

type cacheEntry struct {
	key string
	row []float32
}

func newEmbeddingCache(capacity int) *embeddingCache {
	return &embeddingCache{capacity: capacity, order: list.New(), entries: make(map[string]*list.Element)}
}

// get returns the cached embedding of seq and marks it used.
func (c *embeddingCache) get(seq string) ([]float32, bool) {
	if c == nil || c.capacity <= 0 {
		return nil, false
	}
	e, ok := c.entries[seq]
	if !ok {
		return nil, false
	}
	c.order.MoveToFront(e)
	return e.Value.(*cacheEntry).row, true
}

// put stores row for seq, evicting the least recently used entries beyond capacity.
func (c *embeddingCache) put(seq string, row []float32) {
	if c == nil || c.capacity <= 0 {
		return
	}
	if e, ok := c.entries[seq]; ok {
		c.order.MoveToFront(e)
		return
	}
	c.entries[seq] = c.order.PushFront(&cacheEntry{key: seq, row: row})
	for c.order.Len() > c.capacity {
		last := c.order.Back()
		c.order.Remove(last)
		delete(c.entries, last.Value.(*cacheEntry).key)
	}
}
