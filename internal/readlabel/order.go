package readlabel

import (
	"bufio"
	"container/heap"
	"encoding/binary"
	"fmt"
	"hash/maphash"
	"io"
	"os"
	"slices"
)

// OrderCheck finds a read whose alignments are not adjacent (its id seen again after
// other reads) in bounded memory: it records two 64-bit hashes of each finished read
// with the read's ordinal, sorts them in runs of at most RunSize spilled to a
// temporary directory, and merges the runs at the end looking for a repeated hash.
// Memory is RunSize·24 bytes; disk 24 bytes per read beyond the first run.
type OrderCheck struct {
	// Dir is where runs are spilled ("" = os.TempDir()); RunSize the keys per run.
	Dir     string
	RunSize int

	keys  []orderKey
	seeds [2]maphash.Seed
	tmp   string
	runs  []string
}

type orderKey struct {
	h1, h2  uint64
	ordinal int64
}

func (a orderKey) cmp(b orderKey) int {
	switch {
	case a.h1 != b.h1:
		return cmpU(a.h1, b.h1)
	case a.h2 != b.h2:
		return cmpU(a.h2, b.h2)
	}
	return cmpI(a.ordinal, b.ordinal)
}

func cmpU(a, b uint64) int {
	if a < b {
		return -1
	}
	return 1
}

func cmpI(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Repeat names the two read groups (0-based ordinals in input order) with one id.
type Repeat struct{ First, Again int64 }

// Add records the read with the given ordinal.
func (c *OrderCheck) Add(read string, ordinal int64) error {
	if c.keys == nil {
		c.seeds = [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()}
	}
	c.keys = append(c.keys, orderKey{maphash.String(c.seeds[0], read), maphash.String(c.seeds[1], read), ordinal})
	if c.RunSize <= 0 {
		c.RunSize = 1 << 20
	}
	if len(c.keys) >= c.RunSize {
		return c.spill()
	}
	return nil
}

// spill sorts the buffered keys and writes them as a run.
func (c *OrderCheck) spill() error {
	slices.SortFunc(c.keys, orderKey.cmp)
	if c.tmp == "" {
		d, err := os.MkdirTemp(c.Dir, "virnucpro-reads-order-")
		if err != nil {
			return fmt.Errorf("read order check: %w", err)
		}
		c.tmp = d
	}
	f, err := os.CreateTemp(c.tmp, "run-")
	if err != nil {
		return fmt.Errorf("read order check: %w", err)
	}
	bw := bufio.NewWriterSize(f, 1<<16)
	var b [24]byte
	for _, k := range c.keys {
		binary.LittleEndian.PutUint64(b[:], k.h1)
		binary.LittleEndian.PutUint64(b[8:], k.h2)
		binary.LittleEndian.PutUint64(b[16:], uint64(k.ordinal))
		bw.Write(b[:])
	}
	err = bw.Flush()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("read order check: %w", err)
	}
	c.runs = append(c.runs, f.Name())
	c.keys = c.keys[:0]
	return nil
}

// Close removes the spilled runs.
func (c *OrderCheck) Close() {
	if c.tmp != "" {
		for _, r := range c.runs {
			os.Remove(r)
		}
		os.Remove(c.tmp)
		c.tmp, c.runs = "", nil
	}
}

// Find returns the first repeat in hash order, if any (ok false when every read id
// came in one run of adjacent alignments).
func (c *OrderCheck) Find() (r Repeat, ok bool, err error) {
	defer c.Close()
	if len(c.runs) == 0 {
		slices.SortFunc(c.keys, orderKey.cmp)
		for i := 1; i < len(c.keys); i++ {
			if a, b := c.keys[i-1], c.keys[i]; a.h1 == b.h1 && a.h2 == b.h2 {
				return Repeat{a.ordinal, b.ordinal}, true, nil
			}
		}
		return Repeat{}, false, nil
	}
	if len(c.keys) > 0 {
		if err := c.spill(); err != nil {
			return Repeat{}, false, err
		}
	}
	return c.merge()
}

// merge walks the sorted runs in hash order.
func (c *OrderCheck) merge() (Repeat, bool, error) {
	h := &runHeap{}
	for _, name := range c.runs {
		f, err := os.Open(name)
		if err != nil {
			return Repeat{}, false, fmt.Errorf("read order check: %w", err)
		}
		defer f.Close()
		r := &runReader{br: bufio.NewReaderSize(f, 1<<16)}
		if ok, err := r.next(); err != nil {
			return Repeat{}, false, err
		} else if ok {
			heap.Push(h, r)
		}
	}
	var prev *orderKey
	for h.Len() > 0 {
		r := (*h)[0]
		k := r.cur
		if prev != nil && prev.h1 == k.h1 && prev.h2 == k.h2 {
			return Repeat{min(prev.ordinal, k.ordinal), max(prev.ordinal, k.ordinal)}, true, nil
		}
		prev = &orderKey{k.h1, k.h2, k.ordinal}
		if ok, err := r.next(); err != nil {
			return Repeat{}, false, err
		} else if ok {
			heap.Fix(h, 0)
		} else {
			heap.Pop(h)
		}
	}
	return Repeat{}, false, nil
}

type runReader struct {
	br  *bufio.Reader
	cur orderKey
}

func (r *runReader) next() (bool, error) {
	var b [24]byte
	if _, err := io.ReadFull(r.br, b[:]); err != nil {
		if err == io.EOF {
			return false, nil
		}
		return false, fmt.Errorf("read order check: %w", err)
	}
	r.cur = orderKey{binary.LittleEndian.Uint64(b[:]), binary.LittleEndian.Uint64(b[8:]), int64(binary.LittleEndian.Uint64(b[16:]))}
	return true, nil
}

type runHeap []*runReader

func (h runHeap) Len() int           { return len(h) }
func (h runHeap) Less(i, j int) bool { return h[i].cur.cmp(h[j].cur) < 0 }
func (h runHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *runHeap) Push(x any)        { *h = append(*h, x.(*runReader)) }
func (h *runHeap) Pop() any {
	old := *h
	r := old[len(old)-1]
	*h = old[:len(old)-1]
	return r
}
