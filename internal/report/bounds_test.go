package report

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/virnucpro/virnucpro/internal/testutil"
)

// TestTrackBuilderBounded streams records of many lengths through the plot builder:
// the segments stay under maxTrackSegments, cover the record in order without gaps,
// and keep the record's highest max score2 and its first and last chunk.
func TestTrackBuilderBounded(t *testing.T) {
	seed := uint64(5)
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 9))
	var tb trackBuilder
	for _, n := range []int{1, 2, maxTrackSegments, maxTrackSegments + 1, 3*maxTrackSegments + 7, 100_000} {
		tb.reset()
		best := float32(-1)
		for i := 0; i < n; i++ {
			c := ChunkRow{Index: i, Start: 300 * i, End: 300*i + 500, Frames: rng.IntN(3)}
			c.MaxVirus = rng.Float32()
			c.MaxOthers = 1 - c.MaxVirus
			if c.Scored() {
				best = max(best, c.MaxVirus)
			}
			tb.addChunk(c)
			if i%50 == 0 {
				tb.addRegion(Region{Start: c.Start, End: c.End, FirstChunk: i, LastChunk: i})
			}
		}
		p := tb.plot("r", 300*n+200, CallViral, TierHigh, true)
		if len(p.Chunks) > maxTrackSegments || len(p.Regions) > maxTrackSegments {
			t.Fatalf("n=%d: %d segments, %d regions", n, len(p.Chunks), len(p.Regions))
		}
		if (n > maxTrackSegments) != (p.Last != nil) {
			t.Fatalf("n=%d: Last set %v", n, p.Last != nil)
		}
		got := float32(-1)
		for i, c := range p.Chunks {
			last := c.Index
			if p.Last != nil {
				last = p.Last[i]
			}
			if i > 0 {
				prevLast := p.Chunks[i-1].Index
				if p.Last != nil {
					prevLast = p.Last[i-1]
				}
				if c.Index != prevLast+1 {
					t.Fatalf("n=%d: segment %d starts at chunk %d after %d", n, i, c.Index, prevLast)
				}
			}
			if c.Start != 300*c.Index || c.End != 300*last+500 {
				t.Fatalf("n=%d: segment %d spans %d-%d for chunks %d-%d", n, i, c.Start, c.End, c.Index, last)
			}
			if c.Scored() {
				got = max(got, c.MaxVirus)
			}
		}
		if p.Chunks[0].Index != 0 || (p.Last == nil && p.Chunks[len(p.Chunks)-1].Index != n-1) || (p.Last != nil && p.Last[len(p.Last)-1] != n-1) || got != best {
			t.Fatalf("n=%d: first/last chunk or best score lost (best %v, got %v)", n, best, got)
		}
	}
}

// TestReportBoundedForManyRecords writes the reports of 30,000 short records and one
// record of 200,000 chunks with the default options: report.html stays under 2 MB,
// plots/ holds the default top 100 and the long record's plot stays small.
func TestReportBoundedForManyRecords(t *testing.T) {
	if testing.Short() {
		t.Skip("many records")
	}
	dir := t.TempDir()
	rr, err := NewRunReport(Options{Dir: dir, PlotTop: DefaultPlotTop})
	if err != nil {
		t.Fatal(err)
	}
	seed := uint64(11)
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 3))
	chunk := func(rec string, i int) ChunkRow {
		v := rng.Float32()
		return ChunkRow{Record: rec, Index: i, Start: 300 * i, End: 300*i + 500, Frames: 1 + rng.IntN(2), MaxVirus: v, MaxOthers: 1 - v}
	}
	for r := 0; r < 30000; r++ {
		id := fmt.Sprintf("read_%d/%s", r, strings.Repeat("x", r%200))
		rr.BeginRecord(id, 150)
		rr.SetDescription(id + " " + strings.Repeat("description ", 30))
		rr.AddChunk(chunk(id, 0))
	}
	rr.BeginRecord("chromosome", 300*200000+200)
	for i := 0; i < 200000; i++ {
		rr.AddChunk(chunk("chromosome", i))
	}
	if err := rr.Finish(); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(filepath.Join(dir, HTMLFile))
	if err != nil || st.Size() > 2<<20 {
		t.Fatalf("report.html: %v, %d bytes (want <= 2 MB)", err, st.Size())
	}
	plots, _ := os.ReadDir(filepath.Join(dir, PlotsDir))
	if len(plots) != DefaultPlotTop {
		t.Fatalf("%d plots, want %d", len(plots), DefaultPlotTop)
	}
	t.Logf("report.html %d bytes, %d plots", st.Size(), len(plots))
	page, _ := os.ReadFile(filepath.Join(dir, HTMLFile))
	if n := strings.Count(string(page), "<tr class="); n != defaultHTMLRows {
		t.Fatalf("%d table rows, want %d", n, defaultHTMLRows)
	}
	if !strings.Contains(string(page), "description description") {
		t.Fatal("descriptions are not shown")
	}
}

// TestReportMetaAndBanner checks the run metadata and the banner shown when a model
// is not a released one (and only then).
func TestReportMetaAndBanner(t *testing.T) {
	for _, released := range []bool{true, false} {
		dir := t.TempDir()
		st := ModelNotReleased
		if released {
			st = ModelReleased
		}
		meta := &RunMeta{Started: time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC), Runtime: 90 * time.Second,
			Command: "virnucpro predict in.fa -o out", Version: "1.2.3", Backend: "cpu (go)", Precision: "fp32",
			Models: []ModelFile{{Role: "dnabert", Path: "/m/DNABERT-S", SHA256: "f3cf", Status: ModelReleased},
				{Role: "classifier", Path: "/m/500_model.pth", SHA256: "abcd", Status: st, Note: "test model"}}}
		rr, err := NewRunReport(Options{Dir: dir, Meta: meta})
		if err != nil {
			t.Fatal(err)
		}
		synthRecords(t, rr)
		if err := rr.Finish(); err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(filepath.Join(dir, HTMLFile))
		page := string(b)
		for _, want := range []string{"2026-12-03 09:00:00 UTC", "virnucpro predict in.fa -o out", "1.2.3", "sha256 f3cf", "cpu (go)", "fp32", "1m30s"} {
			if !strings.Contains(page, want) {
				t.Errorf("report.html lacks %q", want)
			}
		}
		if strings.Contains(page, "class=\"banner\"") == released {
			t.Errorf("released=%v: banner shown %v", released, !released)
		}
	}
}

func TestMetaMarkers(t *testing.T) {
	if testutil.MetaBegin != MetaBegin || testutil.MetaEnd != MetaEnd {
		t.Fatal("testutil's copy of the run-metadata markers differs from report's")
	}
	page := "<h1>t</h1>\n" + MetaBegin + "\n<table>date</table>\n" + MetaEnd + "\n<h2>Run summary</h2>"
	if got := testutil.StripMeta(page); got != "<h1>t</h1>\n<h2>Run summary</h2>" {
		t.Fatalf("StripMeta: %q", got)
	}
}

// TestDescriptionsKept checks a record's FASTA description reaches sequences.tsv (id
// dropped, tabs as spaces) and report.html, and survives Rebuild.
func TestDescriptionsKept(t *testing.T) {
	dir := t.TempDir()
	rr, err := NewRunReport(Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	rr.BeginRecord("r1", 600)
	rr.SetDescription("r1 Escherichia\tphage <T4>")
	rr.AddChunk(ChunkRow{Record: "r1", Index: 0, Start: 0, End: 500, Frames: 1, MaxVirus: 0.9, MaxOthers: 0.1})
	rr.BeginRecord("r2", 40)
	if err := rr.Finish(); err != nil {
		t.Fatal(err)
	}
	check := func(label string) {
		seqs, _ := os.ReadFile(filepath.Join(dir, SequencesFile))
		page, _ := os.ReadFile(filepath.Join(dir, HTMLFile))
		if !strings.Contains(string(seqs), "\tEscherichia phage <T4>\nr2\t") || !strings.Contains(string(page), "Escherichia phage &lt;T4&gt;") {
			t.Fatalf("%s: description lost:\n%s", label, seqs)
		}
	}
	check("predict")
	if err := Rebuild(dir, Options{}); err != nil {
		t.Fatal(err)
	}
	check("rebuild")
}
