package fasta

import (
	"errors"
	"io"
	"sync"
)

// MapOrdered reads every record of r, applies fn on up to threads goroutines, and
// writes the outputs to w in input order, so the result is identical whatever the
// thread count. Memory is bounded: at most a few batches are in flight. fn must not
// keep the record.
func MapOrdered(r *Reader, threads int, fn func(rec *Record) ([]byte, error), w io.Writer) error {
	if threads < 1 {
		threads = 1
	}
	const batchSize = 256
	type job struct {
		recs []*Record
		out  chan result
	}
	jobs := make(chan job, threads)
	order := make(chan chan result, threads*2)
	var wg sync.WaitGroup
	for i := 0; i < threads; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				var res result
				for _, rec := range j.recs {
					b, err := fn(rec)
					if err != nil {
						res.err = err
						break
					}
					res.data = append(res.data, b...)
				}
				j.out <- res
			}
		}()
	}
	var readErr error
	go func() {
		defer close(order)
		defer close(jobs)
		for {
			var batch []*Record
			for len(batch) < batchSize {
				rec, err := r.Next()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					readErr = err
					break
				}
				batch = append(batch, rec)
			}
			if len(batch) > 0 {
				ch := make(chan result, 1)
				order <- ch
				jobs <- job{recs: batch, out: ch}
			}
			if len(batch) < batchSize {
				return
			}
		}
	}()
	var firstErr error
	for ch := range order {
		res := <-ch
		if firstErr != nil {
			continue
		}
		if res.err != nil {
			firstErr = res.err
			continue
		}
		if _, err := w.Write(res.data); err != nil {
			firstErr = err
		}
	}
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	return readErr
}

type result struct {
	data []byte
	err  error
}
