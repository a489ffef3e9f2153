package report

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/virnucpro/virnucpro/internal/fasta"
	"github.com/virnucpro/virnucpro/internal/seqprep"
	"github.com/virnucpro/virnucpro/internal/testutil"
)

const e2eDir = "../../testdata/virnucpro_e2e_tiny"

// e2eRun writes the reports of one golden run through RunReport, chunking the input
// with the pipeline's seqprep and scoring chunks from the original's
// prediction_results.txt, and returns the output directory and the records.
func e2eRun(t *testing.T, size string, opts Options) (string, []*fasta.Record) {
	t.Helper()
	preds, err := os.ReadFile(filepath.Join(e2eDir, "L"+size, "input_sequence_merged", "prediction_results.txt"))
	if err != nil {
		t.Fatal(err)
	}
	calls := map[string]*ChunkCall{}
	for _, f := range parsePredictions(t, preds) {
		c := calls[f.ChunkID()]
		if c == nil {
			c = &ChunkCall{ChunkID: f.ChunkID()}
			calls[f.ChunkID()] = c
		}
		c.Add(f)
	}
	fr, err := fasta.Open(filepath.Join(e2eDir, "input_sequence.fasta"))
	if err != nil {
		t.Fatal(err)
	}
	defer fr.Close()
	if opts.Dir == "" {
		opts.Dir = t.TempDir()
	}
	rr, err := NewRunReport(opts)
	if err != nil {
		t.Fatal(err)
	}
	cs := map[string]int{"300": 300, "500": 500}[size]
	var recs []*fasta.Record
	for {
		rec, err := fr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, rec)
		if err := rr.BeginRecord(rec.ID, len(rec.Seq)); err != nil {
			t.Fatal(err)
		}
		for _, c := range seqprep.Chunks(rec.ID, rec.Seq, cs) {
			call := ChunkCall{ChunkID: c.ID}
			if p := calls[c.ID]; p != nil {
				call = *p
			}
			if err := rr.AddChunk(ChunkRowOf(rec.ID, c.Index, c.Start, c.End, call)); err != nil {
				t.Fatal(err)
			}
		}
		if err := rr.EndRecord(); err != nil {
			t.Fatal(err)
		}
	}
	if err := rr.Finish(); err != nil {
		t.Fatal(err)
	}
	return opts.Dir, recs
}

func readChunks(t *testing.T, path string) []ChunkRow {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := NewChunksReader(f, path)
	if err != nil {
		t.Fatal(err)
	}
	var out []ChunkRow
	for {
		c, err := r.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, c)
	}
}

// TestChunksTSVGolden checks chunks.tsv coordinates against the independent
// computation, golden.json's spans and the original's chunked FASTA.
func TestChunksTSVGolden(t *testing.T) {
	var golden struct {
		Runs map[string]struct {
			Chunks []struct {
				ID, Record string
				Start, End int
				HasRows    bool `json:"has_rows"`
			}
		}
	}
	readJSON(t, filepath.Join(e2eDir, "golden.json"), &golden)
	for _, size := range []string{"300", "500"} {
		t.Run(size, func(t *testing.T) {
			dir, recs := e2eRun(t, size, Options{PlotTop: -1, NoHTML: true})
			rows := readChunks(t, filepath.Join(dir, ChunksFile))
			cs := map[string]int{"300": 300, "500": 500}[size]
			var want []ChunkRow
			seqOf := map[string][]byte{}
			for _, rec := range recs {
				for i, s := range testutil.OriginalChunkSpans(len(rec.Seq), cs) {
					want = append(want, ChunkRow{Record: rec.ID, Index: i, Start: s[0], End: s[1]})
					seqOf[rec.ID+"_chunk_"+itoa(i+1)] = rec.Seq[s[0]:s[1]]
				}
			}
			g := golden.Runs[size].Chunks
			if len(rows) != len(want) || len(rows) != len(g) {
				t.Fatalf("%d rows, independent computation %d, golden %d", len(rows), len(want), len(g))
			}
			for i, r := range rows {
				w := want[i]
				if r.Record != w.Record || r.Index != w.Index || r.Start != w.Start || r.End != w.End {
					t.Errorf("row %d: %s #%d [%d,%d), independent [%d,%d) for %s #%d", i, r.Record, r.Index, r.Start, r.End, w.Start, w.End, w.Record, w.Index)
				}
				if g[i].Record != r.Record || g[i].Start != r.Start || g[i].End != r.End || g[i].ID != r.ChunkCall().ChunkID {
					t.Errorf("row %d: %s [%d,%d), golden %s [%d,%d)", i, r.ChunkCall().ChunkID, r.Start, r.End, g[i].ID, g[i].Start, g[i].End)
				}
				if g[i].HasRows != r.Scored() {
					t.Errorf("row %d %s: scored %v, golden has_rows %v", i, g[i].ID, r.Scored(), g[i].HasRows)
				}
			}
			// The chunk sequences the original wrote are the record slices at these spans.
			fr, err := fasta.Open(filepath.Join(e2eDir, "L"+size, "input_sequence_chunked"+size+".fa"))
			if err != nil {
				t.Fatal(err)
			}
			defer fr.Close()
			n := 0
			for {
				c, err := fr.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(seqOf[c.ID], c.Seq) {
					t.Errorf("%s: sequence differs from the record slice", c.ID)
				}
				n++
			}
			if n != len(rows) {
				t.Errorf("chunked FASTA has %d chunks, chunks.tsv %d", n, len(rows))
			}
			// The 1-based text: start = Start+1, end = End.
			data, _ := os.ReadFile(filepath.Join(dir, ChunksFile))
			line := map[string]string{"300": "\nfwd_301\t2\t151\t301\t", "500": "\nrev_501\t2\t251\t501\t"}[size]
			if !strings.Contains(string(data), line) {
				t.Errorf("chunks.tsv has no line starting %q", line[1:])
			}
		})
	}
}

func itoa(i int) string { return strconv.Itoa(i) }
