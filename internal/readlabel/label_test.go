package readlabel

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/biogo/hts/bam"
	"github.com/biogo/hts/sam"
)

// testContigs is a contigs.tsv in our layout: V viral, N non-viral, A ambiguous;
// contig U is aligned to below but absent.
const testContigs = "ID\tcall\ttier\tweighted_delta\tn_chunks\tn_confident_viral\tn_confident_nonviral\tn_ambiguous\tviral_proportion\tnonviral_proportion\n" +
	"V\tViral\thigh_confidence\t0.707\t6\t5\t0\t0\t0.833\t0.0\n" +
	"N\tNon-viral\tmoderate_confidence\t-0.5\t10\t0\t3\t1\t0.0\t0.333\n" +
	"A\tAmbiguous\treview\t-0.0\t5\t0\t0\t5\t0\t0\n"

const samHeader = "@HD\tVN:1.6\tSO:unsorted\n@SQ\tSN:V\tLN:1000\n@SQ\tSN:N\tLN:2000\n@SQ\tSN:A\tLN:500\n@SQ\tSN:U\tLN:300\n"

// samLine builds a SAM record: 100 bases unless the CIGAR says otherwise.
func samLine(name string, flag int, ref string, mapq int, cigar string, tags string) string {
	seq := strings.Repeat("A", 100)
	if cigar != "*" {
		var c sam.Cigar
		c, _ = sam.ParseCigar([]byte(cigar))
		_, n := c.Lengths()
		seq = strings.Repeat("A", n)
	}
	l := strings.Join([]string{name, strconv.Itoa(flag), ref, "1", strconv.Itoa(mapq), cigar, "*", "0", "0", seq, "*"}, "\t")
	if tags != "" {
		l += "\t" + tags
	}
	return l + "\n"
}

func contigsTable(t *testing.T) ContigTable {
	t.Helper()
	tab, err := ReadContigs(strings.NewReader(testContigs), "contigs.tsv")
	if err != nil {
		t.Fatal(err)
	}
	return tab
}

// label runs Label on an alignment file's bytes.
func label(t *testing.T, data []byte, f Format) (string, Stats, error) {
	t.Helper()
	src, err := OpenSource(bytes.NewReader(data), "in", f)
	if err != nil {
		return "", Stats{}, err
	}
	var out bytes.Buffer
	st, err := Label(src, contigsTable(t), &out, Options{Thresholds: DefaultThresholds(), OrderRunSize: 2})
	return out.String(), st, err
}

// toBAM converts SAM text to BAM with biogo.
func toBAM(t *testing.T, samText string) []byte {
	t.Helper()
	sr, err := sam.NewReader(strings.NewReader(samText))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	bw, err := bam.NewWriter(&buf, sr.Header(), 1)
	if err != nil {
		t.Fatal(err)
	}
	for {
		rec, err := sr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := bw.Write(rec); err != nil {
			t.Fatal(err)
		}
	}
	if err := bw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestLabelHandMade covers every rule on hand-made SAM, the same records as BAM, and
// PAF lines saying the same.
func TestLabelHandMade(t *testing.T) {
	samText := samHeader +
		// viral, with soft clips: 80 aligned of 100, 2 edits in a block of 80.
		samLine("soft", 0, "V", 60, "10S78M2I10S", "NM:i:2") +
		// hard clips count in the read length: 80 aligned of 100.
		samLine("hard", 16, "N", 3, "20H80M", "NM:i:0") +
		// unclassified contig: empty tier, metrics 0.
		samLine("unclass", 0, "U", 60, "100M", "NM:i:5") +
		// secondary and supplementary alignments to another call are dropped.
		samLine("secsup", 0, "V", 60, "100M", "NM:i:1") +
		samLine("secsup", 256, "N", 0, "100M", "NM:i:0") +
		samLine("secsup", 2048, "A", 60, "50M", "NM:i:0") +
		// two primaries (mates) on contigs with different calls: Multi-mapped, the
		// best alignment (MAPQ 40 over 30) gives the contig and metrics.
		samLine("multi", 65, "N", 30, "100M", "NM:i:0") +
		samLine("multi", 129, "V", 40, "100M", "NM:i:9") +
		// classified + unclassified: Multi-mapped too.
		samLine("multiU", 65, "V", 60, "100M", "NM:i:0") +
		samLine("multiU", 129, "U", 60, "100M", "NM:i:0") +
		// same call twice: not Multi-mapped; MAPQ and identity tie: the first wins.
		samLine("tie", 65, "V", 50, "100M", "NM:i:1") +
		samLine("tie", 129, "V", 50, "100M", "NM:i:1") +
		// same MAPQ, higher identity wins.
		samLine("ident", 65, "A", 50, "100M", "NM:i:4") +
		samLine("ident", 129, "A", 50, "100M", "NM:i:2") +
		samLine("unmapped", 4, "*", 0, "*", "")
	want := Header +
		"soft\t100\tV\t1000\t+\t60\t97.5\t80.0\ttrue\tViral\thigh_confidence\t0.707\t6\t5\t0\t0\t0.833\t0.0\n" +
		"hard\t100\tN\t2000\t-\t3\t100.0\t80.0\tfalse\tNon-viral\tmoderate_confidence\t-0.5\t10\t0\t3\t1\t0.0\t0.333\n" +
		"unclass\t100\tU\t300\t+\t60\t95.0\t100.0\ttrue\tUnclassified\t\"\"\t0.0\t0\t0\t0\t0\t0.0\t0.0\n" +
		"secsup\t100\tV\t1000\t+\t60\t99.0\t100.0\ttrue\tViral\thigh_confidence\t0.707\t6\t5\t0\t0\t0.833\t0.0\n" +
		"multi\t100\tV\t1000\t+\t40\t91.0\t100.0\ttrue\tMulti-mapped\treview\t0.707\t6\t5\t0\t0\t0.833\t0.0\n" +
		"multiU\t100\tV\t1000\t+\t60\t100.0\t100.0\ttrue\tMulti-mapped\treview\t0.707\t6\t5\t0\t0\t0.833\t0.0\n" +
		"tie\t100\tV\t1000\t+\t50\t99.0\t100.0\ttrue\tViral\thigh_confidence\t0.707\t6\t5\t0\t0\t0.833\t0.0\n" +
		"ident\t100\tA\t500\t+\t50\t98.0\t100.0\ttrue\tAmbiguous\treview\t-0.0\t5\t0\t0\t5\t0.0\t0.0\n"
	// Columns after the 12th that are not tags (viral-ngs' augmented PAF appends two
	// percentages) are ignored.
	paf := "soft\t100\t10\t90\t+\tV\t1000\t0\t78\t78\t80\t60\ttp:A:P\tcm:i:10\t97.5\t80.0\n" +
		"hard\t100\t20\t100\t-\tN\t2000\t0\t80\t80\t80\t3\ttp:A:P\n" +
		"unclass\t100\t0\t100\t+\tU\t300\t0\t100\t95\t100\t60\n" +
		"secsup\t100\t0\t100\t+\tV\t1000\t0\t100\t99\t100\t60\ttp:A:P\n" +
		"secsup\t100\t0\t100\t+\tN\t2000\t0\t100\t100\t100\t0\ttp:A:S\n" +
		"secsup\t100\t0\t50\t+\tA\t500\t0\t50\t50\t50\t60\ttp:A:I\n" +
		"multi\t100\t0\t100\t+\tN\t2000\t0\t100\t100\t100\t30\n" +
		"multi\t100\t0\t100\t+\tV\t1000\t0\t100\t91\t100\t40\n" +
		"multiU\t100\t0\t100\t+\tV\t1000\t0\t100\t100\t100\t60\n" +
		"multiU\t100\t0\t100\t+\tU\t300\t0\t100\t100\t100\t60\n" +
		"tie\t100\t0\t100\t+\tV\t1000\t0\t100\t99\t100\t50\n" +
		"tie\t100\t0\t100\t+\tV\t1000\t0\t100\t99\t100\t50\n" +
		"ident\t100\t0\t100\t+\tA\t500\t0\t100\t96\t100\t50\n" +
		"ident\t100\t0\t100\t+\tA\t500\t0\t100\t98\t100\t50\n"
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(paf))
	zw.Close()
	for _, tc := range []struct {
		name string
		data []byte
		f    Format
	}{
		{"sam", []byte(samText), FormatAuto},
		{"bam", toBAM(t, samText), FormatAuto},
		{"paf", []byte(paf), FormatAuto},
		{"paf.gz", gz.Bytes(), FormatAuto},
		{"sam-forced", []byte(samText), FormatSAM},
		{"paf-forced", []byte(paf), FormatPAF},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, st, err := label(t, tc.data, tc.f)
			if err != nil {
				t.Fatal(err)
			}
			if out != want {
				t.Errorf("got\n%s\nwant\n%s", out, want)
			}
			if st.Reads != 8 || st.MultiMapped != 2 || st.Unclassified != 1 || st.MappedWell != 7 || st.Secondary != 2 {
				t.Errorf("stats %+v", st)
			}
		})
	}
}

func TestLabelErrors(t *testing.T) {
	for _, tc := range []struct {
		name, data, want string
		f                Format
	}{
		{"missing NM", samHeader + samLine("r1", 0, "V", 60, "100M", "NM:i:0") + samLine("noNM", 0, "V", 60, "100M", "AS:i:3"), `record 2 (read "noNM"): no NM tag`, FormatAuto},
		{"NM beyond block", samHeader + samLine("big", 0, "V", 60, "10M", "NM:i:11"), `(read "big"): NM 11 exceeds`, FormatAuto},
		{"no CIGAR", samHeader + samLine("nocig", 0, "V", 60, "*", "NM:i:0"), `(read "nocig"): alignment block length is 0`, FormatAuto},
		{"unknown reference", samHeader + samLine("r", 0, "Q", 60, "100M", "NM:i:0"), "line 6", FormatAuto},
		{"read again", samHeader + samLine("r1", 0, "V", 60, "100M", "NM:i:0") + samLine("r2", 0, "V", 60, "100M", "NM:i:0") +
			samLine("r3", 0, "V", 60, "100M", "NM:i:0") + samLine("r1", 0, "N", 60, "100M", "NM:i:0"), "appears again after other reads (first as read 1)", FormatAuto},
		{"paf columns", "r\t100\t0\t100\t+\tV\t1000\n", "line 1: 7 columns", FormatPAF},
		{"paf number", "r\t100\t0\tx\t+\tV\t1000\t0\t100\t99\t100\t60\n", "column 4 (query end)", FormatPAF},
		{"paf strand", "r\t100\t0\t100\t*\tV\t1000\t0\t100\t99\t100\t60\n", "strand", FormatPAF},
		{"paf block", "r\t100\t0\t100\t+\tV\t1000\t0\t100\t0\t0\t60\n", "block length is 0", FormatPAF},
		{"not alignments", "hello world\n", "neither BAM, SAM nor PAF", FormatAuto},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := label(t, []byte(tc.data), tc.f)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

// TestLabelOrderErrorNamesRead: with a way to read the input again, the error names
// the read; the check works across spilled runs (RunSize 2).
func TestLabelOrderErrorNamesRead(t *testing.T) {
	var b strings.Builder
	b.WriteString(samHeader)
	for _, r := range []string{"a", "b", "c", "d", "e", "c", "f"} {
		b.WriteString(samLine(r, 0, "V", 60, "100M", "NM:i:0"))
	}
	data := []byte(b.String())
	open := func() (Source, io.Closer, error) {
		s, err := OpenSource(bytes.NewReader(data), "in.sam", FormatAuto)
		return s, io.NopCloser(nil), err
	}
	src, _, _ := open()
	tmp := t.TempDir()
	_, err := Label(src, contigsTable(t), io.Discard, Options{OrderRunSize: 2, OrderDir: tmp, Reopen: open})
	if err == nil || !strings.Contains(err.Error(), `read "c" (read 6 of the input) appears again after other reads (first as read 3)`) {
		t.Errorf("error %v", err)
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("spilled runs left behind: %v", left)
	}
}

func TestLabelEmpty(t *testing.T) {
	for _, data := range []string{"", samHeader, samHeader + samLine("u", 4, "*", 0, "*", "")} {
		out, _, err := label(t, []byte(data), FormatAuto)
		if err != nil || out != Header {
			t.Errorf("%q: %q, %v", data, out, err)
		}
	}
}

func TestThresholdsValidate(t *testing.T) {
	if err := DefaultThresholds().Validate(); err != nil {
		t.Fatal(err)
	}
	for _, th := range []Thresholds{{5, 0.9, 80}, {5, 90, 0.8}, {-1, 90, 80}, {5, 101, 80}} {
		if th.Validate() == nil {
			t.Errorf("%+v accepted", th)
		}
	}
	for _, th := range []Thresholds{{0, 0, 0}, {5, 1, 100}} {
		if err := th.Validate(); err != nil {
			t.Errorf("%+v: %v", th, err)
		}
	}
}

func TestReadContigsErrors(t *testing.T) {
	for _, tc := range []struct{ data, want string }{
		{"", "empty file"},
		{"ID\tcall\n", "missing columns tier, weighted_delta"},
		{strings.Split(testContigs, "\n")[0] + "\nV\tViral\thigh_confidence\tx\t1\t1\t0\t0\t1.0\t0.0\n", "line 2: weighted_delta \"x\""},
		{strings.Split(testContigs, "\n")[0] + "\nV\tViral\n", "line 2: 2 columns"},
		{testContigs + "V\tViral\thigh_confidence\t0.7\t1\t1\t0\t0\t1.0\t0.0\n", `contig "V" listed twice`},
		{testContigs + "\"N\"\tViral\thigh_confidence\t0.7\t1\t1\t0\t0\t1.0\t0.0\n", `contig "N" listed twice`}, // quoted ids are unquoted
	} {
		if _, err := ReadContigs(strings.NewReader(tc.data), "c.tsv"); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v, want %q", tc.data, err, tc.want)
		}
	}
}
