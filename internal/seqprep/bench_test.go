package seqprep

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/virnucpro/virnucpro/internal/fasta"
)

// GenerateFASTA writes a deterministic FASTA of about mbp megabases: records of
// 150..20149 bp drawn from a 64-bit LCG (x = x*6364136223846793005 + 1442695040888963407,
// seed 42), bases "ACGT"[x>>62], 1% N, wrapped at 60 columns, ids rec<i>. The same
// generator written in Python gives the same file, for comparing with the original.
func GenerateFASTA(mbp int) []byte {
	var b bytes.Buffer
	x := uint64(42)
	next := func() uint64 { x = x*6364136223846793005 + 1442695040888963407; return x }
	total := 0
	for i := 0; total < mbp*1_000_000; i++ {
		n := 150 + int(next()>>32)%20000
		fmt.Fprintf(&b, ">rec%d\n", i)
		for j := 0; j < n; j++ {
			v := next()
			c := "ACGT"[v>>62]
			if (v>>32)%100 == 0 {
				c = 'N'
			}
			b.WriteByte(c)
			if (j+1)%60 == 0 || j == n-1 {
				b.WriteByte('\n')
			}
		}
		total += n
	}
	return b.Bytes()
}

// BenchmarkChunkTranslate chunks (500 bp) and translates a generated FASTA
// (VIRNUCPRO_BENCH_MBP megabases, default 100) with 1 thread and all threads,
// reporting Mbp/s.
func BenchmarkChunkTranslate(b *testing.B) {
	mbp := 100
	if s := os.Getenv("VIRNUCPRO_BENCH_MBP"); s != "" {
		mbp, _ = strconv.Atoi(s)
	}
	data := GenerateFASTA(mbp)
	for _, threads := range []int{1, runtime.NumCPU()} {
		b.Run(fmt.Sprintf("threads=%d", threads), func(b *testing.B) {
			t0 := time.Now()
			var bases atomic.Int64
			for i := 0; i < b.N; i++ {
				r := fasta.NewReader(bytes.NewReader(data), "bench.fa")
				r.RequireDNA()
				err := fasta.MapOrdered(r, threads, func(rec *fasta.Record, _ io.Writer) error {
					var n int
					for _, c := range Chunks(rec.ID, rec.Seq, 500) {
						for _, f := range Translate(c.ID, c.Seq) {
							n += len(f.Protein)
						}
					}
					bases.Add(int64(len(rec.Seq)))
					return nil
				}, io.Discard)
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(bases.Load())/1e6/time.Since(t0).Seconds(), "Mbp/s")
		})
	}
}
