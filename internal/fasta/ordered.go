package fasta

import (
	"bytes"
	"errors"
	"io"
	"sync"
)

// MapOrdered reads every record of r, has fn write each record's output on up to
// threads goroutines, and writes the outputs to w in input order, so the result is
// identical whatever the thread count. Memory is bounded: at most a few batches of
// records and their outputs are in flight. A record whose sequence was spilled to disk
// (Reader.SpillLongerThan) is handed to fn on the writing goroutine, in its turn, with
// w itself, so fn can stream its output (reading the bases with Slice) without holding
// it; it is released afterwards. fn must not keep the record.
func MapOrdered(r *Reader, threads int, fn func(rec *Record, w io.Writer) error, w io.Writer) error {
	if threads < 1 {
		threads = 1
	}
	jobs := make(chan orderedJob, threads)
	order := make(chan orderedJob, threads*2)
	var wg sync.WaitGroup
	for i := 0; i < threads; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				var res orderedResult
				for _, rec := range j.recs {
					if res.err = fn(rec, &res.data); res.err != nil {
						break
					}
				}
				j.out <- res
			}
		}()
	}
	var readErr error
	go func() {
		defer close(order)
		defer close(jobs)
		readErr = readBatches(r, func(j orderedJob) {
			order <- j
			if j.long == nil {
				jobs <- j
			}
		})
	}()
	firstErr := writeOrdered(order, fn, w)
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	return readErr
}

type orderedJob struct {
	recs []*Record
	long *Record // a spilled record, processed by the writer
	out  chan orderedResult
}

type orderedResult struct {
	data bytes.Buffer
	err  error
}

// readBatches cuts the input into batches of up to 256 in-memory records; each
// spilled record is a job of its own.
func readBatches(r *Reader, send func(orderedJob)) error {
	const batchSize = 256
	var batch []*Record
	flush := func() {
		if len(batch) > 0 {
			send(orderedJob{recs: batch, out: make(chan orderedResult, 1)})
			batch = nil
		}
	}
	for {
		rec, err := r.Next()
		if errors.Is(err, io.EOF) {
			flush()
			return nil
		}
		if err != nil {
			flush()
			return err
		}
		if rec.Spilled() {
			flush()
			send(orderedJob{long: rec})
			continue
		}
		if batch = append(batch, rec); len(batch) == batchSize {
			flush()
		}
	}
}

// writeOrdered writes the jobs' outputs in order, running fn for spilled records; after
// an error it drains the jobs (releasing spilled records) and returns the first error.
func writeOrdered(order <-chan orderedJob, fn func(*Record, io.Writer) error, w io.Writer) error {
	var firstErr error
	for j := range order {
		if j.long != nil {
			if firstErr == nil {
				firstErr = fn(j.long, w)
			}
			if err := j.long.Release(); err != nil && firstErr == nil {
				firstErr = err
			}
			continue
		}
		res := <-j.out
		if firstErr != nil {
			continue
		}
		if res.err != nil {
			firstErr = res.err
			continue
		}
		if _, err := w.Write(res.data.Bytes()); err != nil {
			firstErr = err
		}
	}
	return firstErr
}
