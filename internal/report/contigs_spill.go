package report

import (
	"bufio"
	"container/heap"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
)

// contigSpill holds the sorted runs of a ContigsTable in a temporary directory.
type contigSpill struct {
	dir  string
	runs []string
}

// write stores sorted rows as a run.
func (s *contigSpill) write(parent string, rows []contigRow) error {
	if s.dir == "" {
		// the pattern atomicfile.RemoveStale clears after a killed run
		d, err := os.MkdirTemp(parent, "."+ContigsFile+".rows-")
		if err != nil {
			return fmt.Errorf("contigs.tsv runs: %w", err)
		}
		s.dir = d
	}
	f, err := os.CreateTemp(s.dir, "run-")
	if err != nil {
		return fmt.Errorf("contigs.tsv runs: %w", err)
	}
	bw := bufio.NewWriterSize(f, 1<<16)
	var buf []byte
	for _, r := range rows {
		buf = appendContigRow(buf[:0], r)
		bw.Write(buf)
	}
	err = bw.Flush()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("contigs.tsv runs: %w", err)
	}
	s.runs = append(s.runs, f.Name())
	return nil
}

// remove deletes the runs and their directory (only the files it wrote).
func (s *contigSpill) remove() {
	for _, r := range s.runs {
		os.Remove(r)
	}
	if s.dir != "" {
		os.Remove(s.dir)
	}
	s.dir, s.runs = "", nil
}

func appendContigRow(b []byte, r contigRow) []byte {
	for _, str := range []string{r.ID, string(r.Call), string(r.Tier)} {
		b = binary.AppendUvarint(b, uint64(len(str)))
		b = append(b, str...)
	}
	for _, n := range []int{r.Chunks, r.ConfidentViral, r.ConfidentNonViral, r.Ambiguous} {
		b = binary.AppendUvarint(b, uint64(n))
	}
	for _, v := range []float64{r.WeightedDelta, r.ViralProportion, r.NonViralProportion} {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
	}
	return binary.AppendUvarint(b, uint64(r.ordinal))
}

// readContigRow reads one row of a run (io.EOF at its end).
func readContigRow(br *bufio.Reader) (contigRow, error) {
	var r contigRow
	var strs [3]string
	for i := range strs {
		n, err := binary.ReadUvarint(br)
		if err != nil {
			if i == 0 && err == io.EOF {
				return r, io.EOF
			}
			return r, fmt.Errorf("contigs.tsv run: %w", err)
		}
		if n > 1<<30 {
			return r, errors.New("contigs.tsv run: corrupt length")
		}
		b := make([]byte, n)
		if _, err := io.ReadFull(br, b); err != nil {
			return r, fmt.Errorf("contigs.tsv run: %w", err)
		}
		strs[i] = string(b)
	}
	r.ID, r.Call, r.Tier = strs[0], Call(strs[1]), Tier(strs[2])
	for _, p := range []*int{&r.Chunks, &r.ConfidentViral, &r.ConfidentNonViral, &r.Ambiguous} {
		n, err := binary.ReadUvarint(br)
		if err != nil {
			return r, fmt.Errorf("contigs.tsv run: %w", err)
		}
		*p = int(n)
	}
	var f [8]byte
	for _, p := range []*float64{&r.WeightedDelta, &r.ViralProportion, &r.NonViralProportion} {
		if _, err := io.ReadFull(br, f[:]); err != nil {
			return r, fmt.Errorf("contigs.tsv run: %w", err)
		}
		*p = math.Float64frombits(binary.LittleEndian.Uint64(f[:]))
	}
	o, err := binary.ReadUvarint(br)
	if err != nil {
		return r, fmt.Errorf("contigs.tsv run: %w", err)
	}
	r.ordinal = int64(o)
	return r, nil
}

// merge calls emit with every row of every run in sorted order.
func (s *contigSpill) merge(emit func(contigRow)) error {
	h := &contigHeap{}
	for _, name := range s.runs {
		f, err := os.Open(name)
		if err != nil {
			return fmt.Errorf("contigs.tsv runs: %w", err)
		}
		defer f.Close()
		it := &contigRun{br: bufio.NewReaderSize(f, 1<<16)}
		if ok, err := it.next(); err != nil {
			return err
		} else if ok {
			heap.Push(h, it)
		}
	}
	for h.Len() > 0 {
		it := (*h)[0]
		emit(it.cur)
		if ok, err := it.next(); err != nil {
			return err
		} else if ok {
			heap.Fix(h, 0)
		} else {
			heap.Pop(h)
		}
	}
	return nil
}

type contigRun struct {
	br  *bufio.Reader
	cur contigRow
}

func (c *contigRun) next() (bool, error) {
	r, err := readContigRow(c.br)
	if err == io.EOF {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	c.cur = r
	return true, nil
}

type contigHeap []*contigRun

func (h contigHeap) Len() int           { return len(h) }
func (h contigHeap) Less(i, j int) bool { return contigLess(h[i].cur, h[j].cur) }
func (h contigHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *contigHeap) Push(x any)        { *h = append(*h, x.(*contigRun)) }
func (h *contigHeap) Pop() any {
	old := *h
	r := old[len(old)-1]
	*h = old[:len(old)-1]
	return r
}
