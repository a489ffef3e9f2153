// Command scalegen writes a seeded synthetic DNA FASTA for the scale benchmarks
// (scripts/scale-bench.sh): many short reads or one long record. The same seed gives
// the same bytes on every machine; the seed is logged to stderr.
//
//	go run ./scripts/scalegen -reads 1000000 -len 150 -seed 1 -o reads.fa
//	go run ./scripts/scalegen -reads 1 -len 200000000 -seed 1 -o chrom.fa
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"strconv"
)

func main() {
	reads := flag.Int("reads", 1000, "number of records")
	length := flag.Int("len", 150, "bases per record")
	width := flag.Int("width", 0, "line width of the sequence (0: one line per record)")
	seed := flag.Uint64("seed", 1, "random seed (logged)")
	out := flag.String("o", "-", "output FASTA (- for stdout)")
	flag.Parse()
	if err := run(*out, *reads, *length, *width, *seed); err != nil {
		fmt.Fprintln(os.Stderr, "scalegen:", err)
		os.Exit(1)
	}
}

func run(out string, reads, length, width int, seed uint64) error {
	fmt.Fprintf(os.Stderr, "scalegen: %d records of %d bp, seed %d\n", reads, length, seed)
	var w io.Writer = os.Stdout
	if out != "-" {
		f, err := os.Create(out)
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	if err := write(bw, reads, length, width, seed); err != nil {
		return err
	}
	return bw.Flush()
}

// write emits the records: ids read_<n> with a description, bases from a PCG stream
// (a few percent of reads carry an N, so the ambiguous-base paths are exercised).
func write(w *bufio.Writer, reads, length, width int, seed uint64) error {
	rng := rand.New(rand.NewPCG(seed, 0x5ca1e))
	const acgt = "ACGT"
	line := make([]byte, 0, 1<<16)
	for i := 0; i < reads; i++ {
		w.WriteString(">read_")
		w.WriteString(strconv.Itoa(i + 1))
		w.WriteString(" synthetic seed=")
		w.WriteString(strconv.FormatUint(seed, 10))
		w.WriteByte('\n')
		withN := rng.IntN(50) == 0
		col := 0
		for left := length; left > 0; {
			n := min(left, cap(line))
			line = line[:n]
			for j := 0; j < n; j += 32 {
				x := rng.Uint64()
				for k := j; k < min(j+32, n); k++ {
					line[k] = acgt[x&3]
					x >>= 2
				}
			}
			if withN && left == length {
				line[rng.IntN(n)] = 'N'
			}
			left -= n
			for _, c := range line {
				if width > 0 && col == width {
					w.WriteByte('\n')
					col = 0
				}
				w.WriteByte(c)
				col++
			}
		}
		if err := w.WriteByte('\n'); err != nil {
			return err
		}
	}
	return nil
}
