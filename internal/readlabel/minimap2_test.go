package readlabel

import (
	"bufio"
	"bytes"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// demoFASTA is the repository's demo input (17 records, 2–2000 bp, ids with |).
const demoFASTA = "../../demo/input.fasta"

// fastaRecord is an id (first word of the header) and its sequence, upper-cased.
type fastaRecord struct{ id, seq string }

func readFASTA(t *testing.T, path string) []fastaRecord {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var recs []fastaRecord
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		l := sc.Text()
		if strings.HasPrefix(l, ">") {
			recs = append(recs, fastaRecord{id: strings.Fields(l[1:])[0]})
		} else if len(recs) > 0 {
			recs[len(recs)-1].seq += strings.ToUpper(strings.TrimSpace(l))
		}
	}
	return recs
}

func revcomp(s string) string {
	b := []byte(s)
	slices.Reverse(b)
	for i, c := range b {
		switch c {
		case 'A':
			b[i] = 'T'
		case 'C':
			b[i] = 'G'
		case 'G':
			b[i] = 'C'
		case 'T':
			b[i] = 'A'
		}
	}
	return string(b)
}

// mutate substitutes about 1% of the bases.
func mutate(rng *rand.Rand, s string) string {
	b := []byte(s)
	for i := range b {
		if rng.Intn(100) == 0 {
			b[i] = "ACGT"[(strings.IndexByte("ACGT", b[i])+1+rng.Intn(3))%4]
		}
	}
	return string(b)
}

// simulatePairs writes 100 bp read pairs (fragments of 200–350 bp, 1% substitutions)
// from every reference of at least 150 bp and from random decoys, named
// s<source>:<n>, and a few chimeric pairs chim<n>, to r1.fa and r2.fa.
func simulatePairs(t *testing.T, dir string, refs []fastaRecord, seed int64) (r1, r2 string) {
	t.Helper()
	rng := rand.New(rand.NewSource(seed))
	var decoys []fastaRecord
	for i := range 3 {
		b := make([]byte, 1000)
		for j := range b {
			b[j] = "ACGT"[rng.Intn(4)]
		}
		decoys = append(decoys, fastaRecord{fmt.Sprintf("decoy%d", i), string(b)})
	}
	var b1, b2 strings.Builder
	for si, src := range append(append([]fastaRecord(nil), refs...), decoys...) {
		for n := range 12 {
			lo, hi := min(len(src.seq), 200), min(len(src.seq), 350)
			frag := lo + rng.Intn(hi-lo+1)
			start := rng.Intn(len(src.seq) - frag + 1)
			f := src.seq[start : start+frag]
			name := fmt.Sprintf("s%d:%d", si, n)
			fmt.Fprintf(&b1, ">%s\n%s\n", name, mutate(rng, f[:100]))
			fmt.Fprintf(&b2, ">%s\n%s\n", name, mutate(rng, revcomp(f[len(f)-100:])))
		}
	}
	// Chimeric pairs: mates from neighbouring contigs, which have different calls.
	for i := 0; i+1 < len(refs) && i < 8; i += 2 {
		a, z := refs[i].seq, refs[i+1].seq
		fmt.Fprintf(&b1, ">chim%d\n%s\n", i, mutate(rng, a[len(a)/2-50:len(a)/2+50]))
		fmt.Fprintf(&b2, ">chim%d\n%s\n", i, mutate(rng, revcomp(z[len(z)/2-50:len(z)/2+50])))
	}
	r1, r2 = filepath.Join(dir, "r1.fa"), filepath.Join(dir, "r2.fa")
	os.WriteFile(r1, []byte(b1.String()), 0o644)
	os.WriteFile(r2, []byte(b2.String()), 0o644)
	return r1, r2
}

func runTool(t *testing.T, stdout string, name string, args ...string) {
	t.Helper()
	cmd := exec.Command(name, args...)
	var errb bytes.Buffer
	cmd.Stderr = &errb
	if stdout != "" {
		f, err := os.Create(stdout)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		cmd.Stdout = f
	}
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, errb.String())
	}
}

// TestReadsFromMinimap2 labels reads simulated from the demo contigs (those of at
// least 150 bp without ambiguous bases) plus decoys,
// aligned by minimap2 as SAM, BAM (samtools view -b) and PAF (minimap2 -c): the three
// tables are identical; a name-sorted BAM gives the same rows; a coordinate-sorted
// BAM of paired reads is refused (mates not adjacent).
func TestReadsFromMinimap2(t *testing.T) {
	for _, tool := range []string{"minimap2", "samtools"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed (Debian: apt-get install minimap2 samtools): skipping the aligner test", tool)
		}
	}
	const seed = 22
	t.Logf("read simulation seed %d", seed)
	dir := t.TempDir()
	var refs []fastaRecord
	var ref, contigs strings.Builder
	contigs.WriteString(strings.SplitAfter(testContigs, "\n")[0])
	for _, r := range readFASTA(t, demoFASTA) {
		// Records with N or IUPAC codes are left out: minimap2's PAF leaves ambiguous
		// bases out of both matches and block length while SAM's NM counts them as
		// mismatches, so the identities (and best mates) of such reads differ.
		if len(r.seq) < 150 || strings.Trim(r.seq, "ACGT") != "" {
			continue
		}
		fmt.Fprintf(&ref, ">%s\n%s\n", r.id, r.seq)
		switch len(refs) % 4 { // every fourth contig is left out: Unclassified
		case 0:
			fmt.Fprintf(&contigs, "%s\tViral\thigh_confidence\t0.812\t%d\t3\t0\t0\t0.6\t0.0\n", r.id, len(r.seq)/300+1)
		case 1:
			fmt.Fprintf(&contigs, "%s\tNon-viral\tlow_confidence\t-0.41\t%d\t0\t0\t1\t0.0\t0.0\n", r.id, len(r.seq)/300+1)
		case 2:
			fmt.Fprintf(&contigs, "%s\tAmbiguous\treview\t0.003\t%d\t0\t0\t0\t0.0\t0.0\n", r.id, len(r.seq)/300+1)
		}
		refs = append(refs, r)
	}
	// A second copy of the first contig: its reads align equally well to both, one
	// alignment primary (MAPQ 0), the other secondary and dropped.
	fmt.Fprintf(&ref, ">copy_of_first\n%s\n", refs[0].seq)
	refPath := filepath.Join(dir, "contigs.fa")
	os.WriteFile(refPath, []byte(ref.String()), 0o644)
	table, err := ReadContigs(strings.NewReader(contigs.String()), "contigs.tsv")
	if err != nil {
		t.Fatal(err)
	}
	r1, r2 := simulatePairs(t, dir, refs, seed)
	p := func(name string) string { return filepath.Join(dir, name) }
	runTool(t, p("aln.sam"), "minimap2", "-t", "1", "-a", "-x", "sr", "--secondary=yes", refPath, r1, r2)
	runTool(t, p("aln.paf"), "minimap2", "-t", "1", "-c", "-x", "sr", "--secondary=yes", refPath, r1, r2)
	runTool(t, "", "samtools", "view", "-b", "-o", p("aln.bam"), p("aln.sam"))
	runTool(t, "", "samtools", "sort", "-n", "-o", p("name.bam"), p("aln.bam"))
	runTool(t, "", "samtools", "sort", "-o", p("coord.bam"), p("aln.bam"))

	labelFile := func(name string) (string, Stats, error) {
		f, err := os.Open(p(name))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		src, err := OpenSource(f, name, FormatAuto)
		if err != nil {
			return "", Stats{}, err
		}
		var out bytes.Buffer
		st, err := Label(src, table, &out, Options{Thresholds: DefaultThresholds(), OrderDir: dir})
		return out.String(), st, err
	}
	samOut, st, err := labelFile("aln.sam")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("SAM: %+v", st)
	for _, name := range []string{"aln.bam", "aln.paf"} {
		out, _, err := labelFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if out != samOut {
			t.Errorf("%s table differs from the SAM one:\n%s\nSAM:\n%s", name, out, samOut)
		}
	}
	nameOut, _, err := labelFile("name.bam")
	if err != nil {
		t.Fatal(err)
	}
	sortLines := func(s string) string { l := strings.Split(s, "\n"); slices.Sort(l); return strings.Join(l, "\n") }
	if sortLines(nameOut) != sortLines(samOut) {
		t.Errorf("name-sorted BAM gives other rows:\n%s", nameOut)
	}
	if _, _, err := labelFile("coord.bam"); err == nil || !strings.Contains(err.Error(), "not grouped by read") {
		t.Errorf("coordinate-sorted pairs: %v, want an order error", err)
	}
	checkSimulatedRows(t, samOut, refs, st)
}

// checkSimulatedRows checks the labels make sense: most reads from a contig land on
// it, decoy reads hardly map, every call is the contig's.
func checkSimulatedRows(t *testing.T, out string, refs []fastaRecord, st Stats) {
	t.Helper()
	rows := strings.Split(strings.TrimSuffix(out, "\n"), "\n")[1:]
	home, decoys := 0, 0
	calls := map[string]int{}
	for _, l := range rows {
		f := strings.Split(l, "\t")
		if strings.HasPrefix(f[0], "chim") {
			if f[9] != CallMultiMapped || f[10] != TierReview {
				t.Errorf("chimeric pair %s: %s %s, want Multi-mapped review", f[0], f[9], f[10])
			}
			continue
		}
		var si, n int
		fmt.Sscanf(f[0], "s%d:%d", &si, &n)
		if si >= len(refs) {
			decoys++
			continue
		}
		if f[2] == refs[si].id || si == 0 && f[2] == "copy_of_first" {
			home++
		}
		calls[f[9]]++
	}
	if len(rows) < len(refs)*12*8/10 || home < len(rows)*8/10 || decoys > 3 {
		t.Errorf("%d rows for %d simulated contig pairs, %d on their own contig, %d from decoys", len(rows), len(refs)*12, home, decoys)
	}
	for _, c := range []string{"Viral", "Non-viral", "Ambiguous", CallUnclassified} {
		if calls[c] == 0 {
			t.Errorf("no read labelled %s: %v", c, calls)
		}
	}
	if st.Unmapped == 0 || st.MultiMapped == 0 || st.Secondary == 0 {
		t.Errorf("no unmapped decoy read, Multi-mapped chimera or secondary alignment: %+v", st)
	}
}
