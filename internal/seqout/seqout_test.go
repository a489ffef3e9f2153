package seqout

import (
	"bytes"
	"math/rand"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/virnucpro/virnucpro/internal/fasta"
	"github.com/virnucpro/virnucpro/internal/report"
)

// synthRun writes the tables of a run over records of 100 bp chunks whose scores
// follow calls: 'V' a viral chunk, 'n' non-viral, 'a' weakly viral, '-' no ORF. It
// returns the input FASTA.
func synthRun(t *testing.T, dir string, seed int64, recs []struct{ id, calls string }) string {
	t.Helper()
	t.Logf("seed %d", seed)
	rr, err := report.NewRunReport(report.Options{Dir: dir, PlotTop: -1, NoHTML: true})
	if err != nil {
		t.Fatal(err)
	}
	var fa strings.Builder
	for _, r := range recs {
		n := len(r.calls) * 100
		rng := rand.New(rand.NewSource(seed + int64(len(r.id))*7919 + int64(r.id[0]))) // the same per record in any subset
		seq := make([]byte, n)
		for i := range seq {
			seq[i] = "ACGTacgtN"[rng.Intn(9)]
		}
		fa.WriteString(">" + r.id + " some description\n")
		for i := 0; i < n; i += 60 { // wrapped, as input FASTA often is
			fa.Write(seq[i:min(i+60, n)])
			fa.WriteByte('\n')
		}
		if err := rr.BeginRecord(r.id, n); err != nil {
			t.Fatal(err)
		}
		for i, c := range r.calls {
			call := report.ChunkCall{Frames: 1, MaxOthers: 0.05, MaxVirus: 0.95}
			switch c {
			case 'n':
				call.MaxOthers, call.MaxVirus = 0.95, 0.05
			case 'a':
				call.MaxOthers, call.MaxVirus = 0.2, 0.7
			case '-':
				call = report.ChunkCall{}
			}
			if err := rr.AddChunk(report.ChunkRowOf(r.id, i, i*100, i*100+100, call)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := rr.Finish(); err != nil {
		t.Fatal(err)
	}
	return fa.String()
}

var testRecords = []struct{ id, calls string }{
	{"phage|1", "VVVVVVV"},     // Viral, confident, 7 chunks
	{"short_phage", "VV"},      // Viral on few chunks
	{"host", "nnnnnVVnnnnn"},   // Non-viral with a local viral region
	{"mixed", "VnVnVnaVn"},     // in between
	{"noorf", "--"},            // no call
	{"weak_phage", "aaaaaaaa"}, // Viral without a confident chunk
}

type tsvRow map[string]string

func readTSV(t *testing.T, path string) []tsvRow {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	head := strings.Split(lines[0], "\t")
	var rows []tsvRow
	for _, l := range lines[1:] {
		row := tsvRow{}
		for i, f := range strings.Split(l, "\t") {
			row[head[i]] = f
		}
		rows = append(rows, row)
	}
	return rows
}

// parseFASTA returns the records of a FASTA text by id, and the ids in order.
func parseFASTA(t *testing.T, text string) (map[string][]byte, []string, map[string]string) {
	t.Helper()
	r := fasta.NewReader(strings.NewReader(text), "x")
	seqs, descs := map[string][]byte{}, map[string]string{}
	var ids []string
	for {
		rec, err := r.Next()
		if err != nil {
			break
		}
		seqs[rec.ID], descs[rec.ID] = rec.Seq, rec.Description
		ids = append(ids, rec.ID)
	}
	return seqs, ids, descs
}

func TestViralFASTAHoldsExactlyTheViralRecords(t *testing.T) {
	for _, minTier := range []string{"", "low_confidence", "moderate_confidence", "high_confidence"} {
		t.Run("min-tier="+minTier, func(t *testing.T) {
			dir := t.TempDir()
			in := synthRun(t, dir, 18, testRecords)
			n, err := Write(fasta.NewReader(strings.NewReader(in), "in.fa"), Options{Dir: dir, MinTier: minTier})
			if err != nil {
				t.Fatal(err)
			}
			input, _, _ := parseFASTA(t, in)
			minRank, _ := ParseMinTier(minTier)
			var want []string
			for _, row := range readTSV(t, filepath.Join(dir, report.SequencesFile)) {
				if rank, ok := tierRank(row["tier"]); row["call"] == "Viral" && ok && rank >= minRank {
					want = append(want, row["id"])
				}
			}
			out, _ := os.ReadFile(filepath.Join(dir, ViralFile))
			got, ids, descs := parseFASTA(t, string(out))
			if strings.Join(ids, ",") != strings.Join(want, ",") || n.Records != len(want) {
				t.Fatalf("viral.fna holds %v (count %d), want %v", ids, n.Records, want)
			}
			if minTier == "" && len(want) < 3 {
				t.Fatalf("the test run has only %d Viral records", len(want))
			}
			for _, id := range ids {
				if !bytes.Equal(got[id], input[id]) {
					t.Errorf("%s: sequence differs from the input", id)
				}
				if !strings.Contains(descs[id], " call=Viral tier=") || !strings.Contains(descs[id], " weighted_delta=") {
					t.Errorf("%s: header %q", id, descs[id])
				}
			}
			if strings.Count(string(out), "\n") != 2*len(ids) {
				t.Errorf("viral.fna is not one line per sequence")
			}
		})
	}
}

// TestRegionsSliceTheInputAtBEDCoordinates: every region of viral_regions.fna equals
// the input at its regions.bed coordinates, and its name carries 1-based coordinates.
func TestRegionsSliceTheInputAtBEDCoordinates(t *testing.T) {
	dir := t.TempDir()
	in := synthRun(t, dir, 7, testRecords)
	for _, all := range []bool{false, true} {
		n, err := Write(fasta.NewReader(strings.NewReader(in), "in.fa"), Options{Dir: dir, AllRegions: all})
		if err != nil {
			t.Fatal(err)
		}
		input, _, _ := parseFASTA(t, in)
		out, _ := os.ReadFile(filepath.Join(dir, RegionsFile))
		got, ids, descs := parseFASTA(t, string(out))
		bed, _ := os.ReadFile(filepath.Join(dir, report.RegionsBEDFile))
		calls := map[string]string{}
		for _, row := range readTSV(t, filepath.Join(dir, report.SequencesFile)) {
			calls[row["id"]] = row["call"]
		}
		var want []string
		for _, line := range strings.Split(strings.TrimSpace(string(bed)), "\n") {
			f := strings.Split(line, "\t")
			start, _ := strconv.Atoi(f[1])
			end, _ := strconv.Atoi(f[2])
			if !strings.HasSuffix(f[3], "|"+calls[f[0]]+"|"+strings.Split(f[3], "|")[len(strings.Split(f[3], "|"))-1]) {
				t.Errorf("BED name %q lacks the record's call %s", f[3], calls[f[0]])
			}
			if !all && calls[f[0]] != "Viral" {
				continue
			}
			name := f[0] + "|region_" + strconv.Itoa(start+1) + "-" + strconv.Itoa(end)
			want = append(want, name)
			if !bytes.Equal(got[name], input[f[0]][start:end]) {
				t.Errorf("%s: %q, want the input slice", name, got[name])
			}
			if !strings.Contains(descs[name], "record_call="+calls[f[0]]) {
				t.Errorf("%s: header %q", name, descs[name])
			}
		}
		if strings.Join(ids, ",") != strings.Join(want, ",") || n.Regions != len(want) {
			t.Fatalf("all=%v: regions %v, want %v", all, ids, want)
		}
		if all && !strings.Contains(strings.Join(ids, ","), "host|region_501-700") {
			t.Fatalf("the Non-viral record's region is missing: %v", ids)
		}
	}
}

func TestWriteRefusesAnotherInput(t *testing.T) {
	dir := t.TempDir()
	in := synthRun(t, dir, 1, testRecords[:2])
	for _, tc := range []struct{ in, want string }{
		{strings.Replace(in, ">short_phage", ">other", 1), `record "short_phage" is not in the input`},
		{in + ">extra\nACGT\n", ""},
		{strings.Replace(in, "\n", "\nA", 3), "is this the input of the run?"},
	} {
		_, err := Write(fasta.NewReader(strings.NewReader(tc.in), "in.fa"), Options{Dir: dir})
		if (tc.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("got %v, want %q", err, tc.want)
		}
	}
	if _, err := Write(fasta.NewReader(strings.NewReader(in), "in.fa"), Options{Dir: dir, MinTier: "great"}); err == nil ||
		!strings.Contains(err.Error(), `minimum tier "great": must be one of high_confidence, moderate_confidence, low_confidence, review`) {
		t.Fatalf("bad tier: %v", err)
	}
	if _, err := Write(fasta.NewReader(strings.NewReader(in), "in.fa"), Options{Dir: t.TempDir()}); err == nil ||
		!strings.Contains(err.Error(), "sequences.tsv") {
		t.Fatalf("no run: %v", err)
	}
}

// TestEmptyRun: an empty input gives empty files.
func TestEmptyRun(t *testing.T) {
	dir := t.TempDir()
	synthRun(t, dir, 1, nil)
	if _, err := Write(fasta.NewReader(strings.NewReader(""), "in.fa"), Options{Dir: dir}); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{ViralFile, RegionsFile} {
		if b, err := os.ReadFile(filepath.Join(dir, f)); err != nil || len(b) != 0 {
			t.Fatalf("%s: %q %v", f, b, err)
		}
	}
}

// TestMergeShardsEqualsUnshardedRun: the shards' files interleaved by MergeShards are
// byte for byte those of one run over the whole input.
func TestMergeShardsEqualsUnshardedRun(t *testing.T) {
	root := t.TempDir()
	whole := filepath.Join(root, "whole")
	in := synthRun(t, whole, 3, testRecords)
	if _, err := Write(fasta.NewReader(strings.NewReader(in), "in.fa"), Options{Dir: whole, AllRegions: true}); err != nil {
		t.Fatal(err)
	}
	const n = 3
	var shards []string
	for i := 0; i < n; i++ {
		var sub []struct{ id, calls string }
		for j, r := range testRecords {
			if j%n == i {
				sub = append(sub, r)
			}
		}
		dir := filepath.Join(root, "shard"+strconv.Itoa(i))
		// Each shard reads the whole input; its tables list its own records.
		synthRun(t, dir, 3, sub)
		if _, err := Write(fasta.NewReader(strings.NewReader(in), "in.fa"), Options{Dir: dir, AllRegions: true}); err != nil {
			t.Fatal(err)
		}
		shards = append(shards, dir)
	}
	merged := filepath.Join(root, "merged")
	os.MkdirAll(merged, 0o755)
	seqs, _ := os.ReadFile(filepath.Join(whole, report.SequencesFile))
	os.WriteFile(filepath.Join(merged, report.SequencesFile), seqs, 0o644)
	if err := MergeShards(merged, shards); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{ViralFile, RegionsFile} {
		a, _ := os.ReadFile(filepath.Join(whole, f))
		b, _ := os.ReadFile(filepath.Join(merged, f))
		if !bytes.Equal(a, b) || len(a) == 0 {
			t.Errorf("%s: merged differs from the unsharded run (%d vs %d bytes)", f, len(b), len(a))
		}
	}
	if err := MergeShards(merged, shards[:2]); err == nil {
		t.Error("merging the wrong shard count must fail")
	}
}

// TestSpilledRecordsGiveTheSameFiles: records the reader keeps on disk (long ones)
// are written exactly as records held in memory.
func TestSpilledRecordsGiveTheSameFiles(t *testing.T) {
	dir := t.TempDir()
	in := synthRun(t, dir, 5, testRecords)
	var want [2][]byte
	for pass, spill := range []bool{false, true} {
		r := fasta.NewReader(strings.NewReader(in), "in.fa")
		if spill {
			r.SpillLongerThan(150, t.TempDir())
		}
		if _, err := Write(r, Options{Dir: dir, AllRegions: true}); err != nil {
			t.Fatal(err)
		}
		for k, f := range []string{ViralFile, RegionsFile} {
			b, _ := os.ReadFile(filepath.Join(dir, f))
			if pass == 0 {
				want[k] = b
			} else if !bytes.Equal(b, want[k]) || len(b) == 0 {
				t.Errorf("%s differs when records are spilled", f)
			}
		}
	}
}
