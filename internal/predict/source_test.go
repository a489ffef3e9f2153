package predict

import (
	"errors"
	"fmt"
	"github.com/virnucpro/virnucpro/internal/pipeline"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/virnucpro/virnucpro/internal/fasta"
	"github.com/virnucpro/virnucpro/internal/seqprep"
)

func collectWindows(t *testing.T, src pipeline.Source) []*pipeline.Window {
	t.Helper()
	var ws []*pipeline.Window
	for {
		w, err := src.Next()
		if errors.Is(err, io.EOF) {
			return ws
		}
		if err != nil {
			t.Fatal(err)
		}
		ws = append(ws, w)
	}
}

func TestFASTASourceWindowsCoverEveryFrameOnce(t *testing.T) {
	path := filepath.Join("..", "..", "testdata", "virnucpro_e2e_tiny", "input_sequence.fasta")
	var reference []string
	for _, window := range []int{1, 3, 7, 1000} {
		r, err := fasta.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		r.RequireDNA()
		ws := collectWindows(t, NewFASTASource(r, SourceOptions{ChunkSize: 300, WindowFrames: window}))
		r.Close()
		var got []string
		records := map[string]int{}
		for i, w := range ws {
			if w.Index != i {
				t.Fatalf("window %d has index %d", i, w.Index)
			}
			if len(w.Frames) > window && window > 0 {
				// a window may exceed only by the frames of its last chunk (<= 6)
				if len(w.Frames) > window+6 {
					t.Fatalf("window of %d frames for a limit of %d", len(w.Frames), window)
				}
			}
			for _, r := range w.Records {
				if r.First {
					records[r.ID]++
				}
			}
			for _, c := range w.Chunks {
				for _, f := range w.Frames[c.FirstFrame : c.FirstFrame+c.NumFrames] {
					got = append(got, fmt.Sprintf("%s %s %d-%d %s %s", w.Records[c.Record].ID, c.ID, c.Start, c.End, f.ID, f.Protein))
				}
				if c.NumFrames == 0 {
					got = append(got, fmt.Sprintf("%s %s %d-%d none", w.Records[c.Record].ID, c.ID, c.Start, c.End))
				}
			}
		}
		if len(records) != 17 {
			t.Fatalf("window %d: %d records started", window, len(records))
		}
		if reference == nil {
			reference = got
		} else if strings.Join(got, "\n") != strings.Join(reference, "\n") {
			t.Fatalf("window size %d changed the content", window)
		}
	}
	// Compare with seqprep directly.
	r, _ := fasta.Open(path)
	defer r.Close()
	var want []string
	for {
		rec, err := r.Next()
		if err == io.EOF {
			break
		}
		for _, c := range seqprep.Chunks(rec.ID, rec.Seq, 300) {
			frames := seqprep.Translate(c.ID, c.Seq)
			for _, f := range frames {
				want = append(want, fmt.Sprintf("%s %s %d-%d %s %s", rec.ID, c.ID, c.Start, c.End, f.ID, f.Protein))
			}
			if len(frames) == 0 {
				want = append(want, fmt.Sprintf("%s %s %d-%d none", rec.ID, c.ID, c.Start, c.End))
			}
		}
	}
	if strings.Join(want, "\n") != strings.Join(reference, "\n") {
		t.Fatal("source differs from seqprep")
	}
}

func TestFASTASourceShardsAndDuplicates(t *testing.T) {
	in := ">a\nACGTACGTAA\n>b\nATGAAACCC\n>c\nATGGGG\n>d\n\n>e\nATG\n"
	owned := map[string]bool{}
	for i := 0; i < 2; i++ {
		src := NewFASTASource(fasta.NewReader(strings.NewReader(in), "in.fa"), SourceOptions{ChunkSize: 300, Shard: ShardSpec{i, 2}})
		for _, w := range collectWindows(t, src) {
			for _, r := range w.Records {
				if owned[r.ID] {
					t.Fatalf("record %s in two shards", r.ID)
				}
				owned[r.ID] = true
				if r.Ordinal%2 != i {
					t.Fatalf("record %s (ordinal %d) in shard %d", r.ID, r.Ordinal, i)
				}
			}
		}
	}
	if len(owned) != 5 {
		t.Fatalf("%d records owned, want 5", len(owned))
	}
	src := NewFASTASource(fasta.NewReader(strings.NewReader(">a\nACGT\n>b\nAC\n>a\nGG\n"), "in.fa"), SourceOptions{ChunkSize: 300})
	var err error
	for err == nil {
		_, err = src.Next()
	}
	if err == io.EOF || !strings.Contains(err.Error(), `in.fa:5: record "a": duplicate record id (first seen at line 1)`) {
		t.Fatalf("got %v", err)
	}
}

// TestFASTASourceSpilledRecordsSameWindows cuts records the reader spilled to disk
// (read back one chunk at a time) and checks the windows equal those of records held
// in memory, and that no spill file is left behind.
func TestFASTASourceSpilledRecordsSameWindows(t *testing.T) {
	var in strings.Builder
	bases := "ACGTTGCAAGGCTTAACCGGTATGCATTAGCAT"
	for i, n := range []int{3001, 150, 12000, 0, 2999, 501} {
		fmt.Fprintf(&in, ">r%d desc %d\n", i, i)
		for j := 0; j < n; j++ {
			in.WriteByte(bases[(j*5+i)%len(bases)])
			if j%60 == 59 {
				in.WriteByte('\n')
			}
		}
		in.WriteByte('\n')
	}
	dump := func(spill int, dir string) string {
		r := fasta.NewReader(strings.NewReader(in.String()), "in.fa")
		r.RequireDNA()
		if spill > 0 {
			r.SpillLongerThan(spill, dir)
		}
		src := NewFASTASource(r, SourceOptions{ChunkSize: 300, WindowFrames: 40, KeepChunkSeqs: true, SpillDir: dir})
		defer src.Close()
		var b strings.Builder
		for _, w := range collectWindows(t, src) {
			for _, rec := range w.Records {
				fmt.Fprintf(&b, "%d %+v\n", w.Index, rec)
			}
			for _, c := range w.Chunks {
				fmt.Fprintf(&b, "%s %d %d-%d %s\n", c.ID, c.Index, c.Start, c.End, c.Seq)
			}
			for _, f := range w.Frames {
				fmt.Fprintf(&b, "%s %s %s\n", f.ID, f.Nucleotide, f.Protein)
			}
		}
		return b.String()
	}
	dir := t.TempDir()
	want, got := dump(0, dir), dump(1000, dir)
	if got != want || len(want) == 0 {
		t.Fatal("spilled records were cut into other windows than records in memory")
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Fatalf("files left in the spill directory: %v", left)
	}
}
