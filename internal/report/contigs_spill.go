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

// maxMergeFan is the most runs of one tier a contigSpill keeps before merging them
// into one run of the next tier.
const maxMergeFan = 64

// contigSpill holds the sorted runs of a ContigsTable in a temporary directory. Runs
// are merged in tiers, fan at a time (maxMergeFan by default), so the runs kept, and
// the files and buffers open in the final merge, grow with the logarithm of the rows,
// not with the rows; each row is rewritten once per tier.
type contigSpill struct {
	dir  string
	runs []spillRun // oldest first; tiers never increase from oldest to newest
	fan  int
}

type spillRun struct {
	name string
	tier int
}

// write stores sorted rows as a run.
func (s *contigSpill) write(parent string, rows []contigRow) error {
	name, err := s.newRun(parent, func(put func(contigRow)) error {
		for _, r := range rows {
			put(r)
		}
		return nil
	})
	if err != nil {
		return err
	}
	s.runs = append(s.runs, spillRun{name: name})
	return s.mergeTiers()
}

// newRun writes the rows fill puts, in the order put, as a new run file.
func (s *contigSpill) newRun(parent string, fill func(put func(contigRow)) error) (string, error) {
	if s.dir == "" {
		// the pattern atomicfile.RemoveStale clears after a killed run
		d, err := os.MkdirTemp(parent, "."+ContigsFile+".rows-")
		if err != nil {
			return "", fmt.Errorf("contigs.tsv runs: %w", err)
		}
		s.dir = d
	}
	f, err := os.CreateTemp(s.dir, "run-")
	if err != nil {
		return "", fmt.Errorf("contigs.tsv runs: %w", err)
	}
	bw := bufio.NewWriterSize(f, 1<<16)
	var buf []byte
	err = fill(func(r contigRow) {
		buf = appendContigRow(buf[:0], r)
		bw.Write(buf)
	})
	if ferr := bw.Flush(); err == nil {
		err = ferr
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", fmt.Errorf("contigs.tsv runs: %w", err)
	}
	return f.Name(), nil
}

// mergeTiers merges the newest fan runs into one run of the next tier while they
// are all of one tier.
func (s *contigSpill) mergeTiers() error {
	fan := s.fan
	if fan < 2 {
		fan = maxMergeFan
	}
	for len(s.runs) >= fan {
		group := s.runs[len(s.runs)-fan:]
		if group[0].tier != group[fan-1].tier {
			return nil
		}
		names := make([]string, fan)
		for i, r := range group {
			names[i] = r.name
		}
		name, err := s.newRun("", func(put func(contigRow)) error { return mergeRuns(names, put) })
		if err != nil {
			return err
		}
		for _, n := range names {
			os.Remove(n)
		}
		s.runs = append(s.runs[:len(s.runs)-fan], spillRun{name: name, tier: group[0].tier + 1})
	}
	return nil
}

// remove deletes the runs and their directory (only the files it wrote).
func (s *contigSpill) remove() {
	for _, r := range s.runs {
		os.Remove(r.name)
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
	names := make([]string, len(s.runs))
	for i, r := range s.runs {
		names[i] = r.name
	}
	return mergeRuns(names, emit)
}

// mergeRuns calls emit with every row of the named runs in sorted order.
func mergeRuns(names []string, emit func(contigRow)) error {
	h := &contigHeap{}
	for _, name := range names {
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
