package report

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// EndOfRun is the summary a finished run prints on standard output.
type EndOfRun struct {
	// Records, Chunks and Frames are the run's totals; Summary its calls and regions.
	Records, Chunks, Frames int
	Summary                 RunSummary
	// Wall is the run's duration; Dir the output directory.
	Wall time.Duration
	Dir  string
	// Note, when set, is printed first (e.g. "already complete: outputs verified").
	Note string
	// Confirmation is a bf16 run's fp32 confirmation, printed when it ran.
	Confirmation Confirmation
}

// mainFiles are the output files listed by the summary, with what they hold, in the
// order a person reads them.
var mainFiles = []struct{ name, what string }{
	{HTMLFile, "summary, charts and the most viral records"},
	{SequencesFile, "one call per input record"},
	{"contigs.tsv", "per-record calls, viral-ngs layout"},
	{RegionsBEDFile, "viral regions (BED6; regions.tsv has details)"},
	{ChunksFile, "one row per chunk"},
	{"prediction_results.txt", "the original's per-frame scores"},
	{"prediction_results_highestscore.csv", "the original's per-chunk calls"},
	{PlotsDir, "score-track plots"},
}

// Write prints the summary: counts, calls per tier, regions, time, and the output
// directory with its main files (those present).
func (e EndOfRun) Write(w io.Writer) error {
	b := bufio.NewWriter(w)
	if e.Note != "" {
		fmt.Fprintf(b, "virnucpro: %s\n", e.Note)
	}
	fmt.Fprintf(b, "records   %d (%d with no scored chunk)\n", e.Records, e.Summary.NoORFRecords)
	fmt.Fprintf(b, "chunks    %d (%d scored, %d viral), %d frames\n", e.Chunks, e.Summary.Scored, e.Summary.ViralChunk, e.Frames)
	fmt.Fprintf(b, "calls     %s\n", callsLine(e.Summary))
	fmt.Fprintf(b, "regions   %d viral\n", e.Summary.Regions)
	if c := e.Confirmation; c.Ran() {
		fmt.Fprintf(b, "confirmed %d frames (%.1f%%) in fp32: chunks whose bf16 call was within %g of flipping\n",
			c.Frames, 100*float64(c.Frames)/float64(max(e.Frames, 1)), c.Margin)
	}
	if e.Wall > 0 {
		fmt.Fprintf(b, "time      %s\n", e.Wall.Round(time.Millisecond*100))
	}
	fmt.Fprintf(b, "output    %s\n", e.Dir)
	for _, f := range mainFiles {
		st, err := os.Stat(filepath.Join(e.Dir, f.name))
		if err != nil {
			continue
		}
		name := f.name
		if st.IsDir() {
			n, _ := os.ReadDir(filepath.Join(e.Dir, f.name))
			name = fmt.Sprintf("%s/ (%d files)", f.name, len(n))
		}
		fmt.Fprintf(b, "  %-42s %s\n", name, f.what)
	}
	return b.Flush()
}

// callsLine is "Viral 3 (high 1, medium 2); Non-viral 5 (...); ..." over the calls and
// tiers present.
func callsLine(s RunSummary) string {
	var parts []string
	var cur string
	var tiers []string
	n := 0
	flush := func() {
		if cur == "" {
			return
		}
		label := cur
		if Call(cur) == CallNone {
			label = "not called (no ORF)"
			tiers = nil
		}
		p := fmt.Sprintf("%s %d", label, n)
		if len(tiers) > 0 {
			p += " (" + strings.Join(tiers, ", ") + ")"
		}
		parts = append(parts, p)
	}
	for _, ct := range callTiers(s) {
		if ct[0] != cur {
			flush()
			cur, tiers, n = ct[0], nil, 0
		}
		k := s.Calls[Call(ct[0])][Tier(ct[1])]
		n += k
		tiers = append(tiers, fmt.Sprintf("%s %d", ct[1], k))
	}
	flush()
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, "; ")
}
