package report

import (
	"bufio"
	"container/heap"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// writeContigRun writes one row of a spilled run: the id Go-quoted (any byte is
// safe), then the fields, floats as their exact bits.
func writeContigRun(bw *bufio.Writer, c ContigCall) {
	bw.WriteString(strconv.Quote(c.ID))
	for _, s := range []string{string(c.Call), string(c.Tier), strconv.FormatUint(math.Float64bits(c.WeightedDelta), 16),
		strconv.Itoa(c.Chunks), strconv.Itoa(c.ConfidentViral), strconv.Itoa(c.ConfidentNonViral), strconv.Itoa(c.Ambiguous),
		strconv.FormatUint(math.Float64bits(c.ViralProportion), 16), strconv.FormatUint(math.Float64bits(c.NonViralProportion), 16)} {
		bw.WriteByte('\t')
		bw.WriteString(s)
	}
	bw.WriteByte('\n')
}

// readContigRun reads back a row written by writeContigRun.
func readContigRun(br *bufio.Reader) (ContigCall, error) {
	line, err := br.ReadString('\n')
	if err != nil {
		if errors.Is(err, io.EOF) && line == "" {
			return ContigCall{}, io.EOF
		}
		return ContigCall{}, fmt.Errorf("contigs.tsv run: %w", err)
	}
	f := strings.Split(strings.TrimSuffix(line, "\n"), "\t")
	if len(f) != 10 {
		return ContigCall{}, fmt.Errorf("contigs.tsv run: %d fields", len(f))
	}
	var c ContigCall
	var errs [9]error
	c.ID, errs[0] = strconv.Unquote(f[0])
	c.Call, c.Tier = Call(f[1]), Tier(f[2])
	bits := func(s string, i int) float64 {
		var u uint64
		u, errs[i] = strconv.ParseUint(s, 16, 64)
		return math.Float64frombits(u)
	}
	c.WeightedDelta = bits(f[3], 1)
	c.Chunks, errs[2] = strconv.Atoi(f[4])
	c.ConfidentViral, errs[3] = strconv.Atoi(f[5])
	c.ConfidentNonViral, errs[4] = strconv.Atoi(f[6])
	c.Ambiguous, errs[5] = strconv.Atoi(f[7])
	c.ViralProportion = bits(f[8], 6)
	c.NonViralProportion = bits(f[9], 7)
	if err := errors.Join(errs[:]...); err != nil {
		return ContigCall{}, fmt.Errorf("contigs.tsv run: %w", err)
	}
	return c, nil
}

// runHeap orders the current rows of the runs: by NaturalLess of their IDs, then by
// run (earlier first), which keeps input order as the runs are cut in input order.
type runHeap struct {
	rows []ContigCall
	run  []int
}

func (h *runHeap) Len() int { return len(h.run) }
func (h *runHeap) Less(i, j int) bool {
	a, b := h.rows[h.run[i]].ID, h.rows[h.run[j]].ID
	if NaturalLess(a, b) {
		return true
	}
	return !NaturalLess(b, a) && h.run[i] < h.run[j]
}
func (h *runHeap) Swap(i, j int) { h.run[i], h.run[j] = h.run[j], h.run[i] }
func (h *runHeap) Push(x any)    { h.run = append(h.run, x.(int)) }
func (h *runHeap) Pop() any {
	x := h.run[len(h.run)-1]
	h.run = h.run[:len(h.run)-1]
	return x
}

// mergeRuns calls emit with every row in order: the spilled runs and the rows in
// memory (the last run), merged as runHeap orders them.
func (t *ContigsTable) mergeRuns(emit func(ContigCall)) error {
	n := len(t.runs) + 1
	readers := make([]*bufio.Reader, len(t.runs))
	h := &runHeap{rows: make([]ContigCall, n)}
	mem := 0
	// advance loads run i's next row, reporting whether there was one.
	advance := func(i int) (bool, error) {
		if i == len(t.runs) {
			if mem == len(t.rows) {
				return false, nil
			}
			h.rows[i] = t.rows[mem]
			mem++
			return true, nil
		}
		c, err := readContigRun(readers[i])
		if errors.Is(err, io.EOF) {
			return false, nil
		}
		h.rows[i] = c
		return err == nil, err
	}
	for i, f := range t.runs {
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return fmt.Errorf("contigs.tsv run: %w", err)
		}
		readers[i] = bufio.NewReaderSize(f, 32<<10)
	}
	for i := 0; i < n; i++ {
		ok, err := advance(i)
		if err != nil {
			return err
		}
		if ok {
			h.run = append(h.run, i)
		}
	}
	heap.Init(h)
	for h.Len() > 0 {
		i := h.run[0]
		emit(h.rows[i])
		ok, err := advance(i)
		if err != nil {
			return err
		}
		if ok {
			heap.Fix(h, 0)
		} else {
			heap.Pop(h)
		}
	}
	return nil
}

// close releases the spilled runs.
func (t *ContigsTable) close() {
	for _, f := range t.runs {
		f.Close()
	}
	t.runs = nil
}
