package report

import (
	"fmt"
	"math"
	"math/big"
	"math/rand"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// refParams are virnucpro_contigs' parameters, under their names there.
type refParams struct {
	minWeightedDelta, highConfidenceDelta, minConfidentScore, maxOpposingScore float64
	minAmbiguousScore, minViralProp, minNonviralProp                           float64
	minChunks                                                                  int
}

func (p refParams) thresholds() Thresholds {
	th := DefaultThresholds()
	th.CallDelta, th.HighDelta, th.ConfidentHigh, th.ConfidentLow = p.minWeightedDelta, p.highConfidenceDelta, p.minConfidentScore, p.maxOpposingScore
	th.AmbiguousBoth, th.HighFraction, th.NonViralFraction, th.MinChunks = p.minAmbiguousScore, p.minViralProp, p.minNonviralProp, p.minChunks
	return th
}

var refDefaults = refParams{0.3, 0.6, 0.8, 0.3, 0.7, 0.1, 0.1, 5}

// refContig is the stage-1 rule written out again from its text (issue 22 and
// viral-ngs' VIRNUCPRO.md), independently of contigcall.go: it returns the contigs.tsv
// fields after ID. Sums are plain loops (the cases below have sums that are exact or
// have fewer than 8 terms, where numpy's pairwise sum is the plain loop too).
func refContig(s0, s1 []float64, p refParams) []string {
	n := len(s0)
	var sumDC, sumC, sumD float64
	nv, nnv, namb := 0, 0, 0
	for i := range s0 {
		d := s1[i] - s0[i]
		c := math.Sqrt(math.Abs(d))
		sumDC += d * c
		sumC += c
		sumD += d
		if s1[i] > p.minConfidentScore && s0[i] < p.maxOpposingScore {
			nv++
		}
		if s0[i] > p.minConfidentScore && s1[i] < p.maxOpposingScore {
			nnv++
		}
		if s1[i] > p.minAmbiguousScore && s0[i] > p.minAmbiguousScore {
			namb++
		}
	}
	wd := sumD / float64(n)
	if sumC > 0 {
		wd = sumDC / sumC
	}
	eff := n - namb
	vp, nvp := 0.0, 0.0
	if eff > 0 {
		vp, nvp = float64(nv)/float64(eff), float64(nnv)/float64(eff)
	}
	call, tier := "Ambiguous", "review"
	if wd > p.minWeightedDelta {
		call, tier = "Viral", "low_confidence"
		if nv >= 1 && vp >= p.minViralProp {
			tier = "moderate_confidence"
			if wd > p.highConfidenceDelta {
				tier = "high_confidence"
			}
		}
	} else if wd < -p.minWeightedDelta {
		call, tier = "Non-viral", "low_confidence"
		if nnv >= 1 && nvp >= p.minNonviralProp {
			tier = "moderate_confidence"
			if wd < -p.highConfidenceDelta {
				tier = "high_confidence"
			}
		}
	}
	if n < p.minChunks {
		switch tier {
		case "high_confidence", "moderate_confidence":
			tier = "low_confidence"
		case "low_confidence":
			tier = "review"
		}
	}
	prop := func(v float64) string {
		if eff == 0 {
			return "0.0" // Python int 0 in a column pandas makes float (other rows are floats)
		}
		return refRepr(refPyRound(v))
	}
	return []string{call, tier, refRepr(refNumpyRound(wd)), strconv.Itoa(n), strconv.Itoa(nv), strconv.Itoa(nnv),
		strconv.Itoa(namb), prop(vp), prop(nvp)}
}

// refNumpyRound is np.round(x, 3): rint(x·1000)/1000, rint halving to even and keeping
// the sign of a zero.
func refNumpyRound(x float64) float64 {
	y := x * 1000
	r := math.Floor(y)
	if f := y - r; f > 0.5 || f == 0.5 && math.Mod(r, 2) != 0 {
		r++
	}
	return math.Copysign(r, y) / 1000
}

// refPyRound is Python's round(x, 3): the exact value of x rounded half-even to 3
// decimals, in exact rational arithmetic.
func refPyRound(x float64) float64 {
	r := new(big.Rat).SetFloat64(x)
	r.Mul(r, big.NewRat(1000, 1))
	q, m := new(big.Int).DivMod(r.Num(), r.Denom(), new(big.Int)) // floor for a positive denominator
	twice := new(big.Int).Mul(m, big.NewInt(2))
	if c := twice.Cmp(r.Denom()); c > 0 || c == 0 && q.Bit(0) == 1 {
		q.Add(q, big.NewInt(1))
	}
	v, _ := new(big.Rat).SetFrac(q, big.NewInt(1000)).Float64()
	return math.Copysign(v, x) // round keeps the sign of a zero result
}

// refRepr is Python's repr of a float in [-1000, 1000] with at most 3 decimals.
func refRepr(x float64) string {
	s := fmt.Sprint(x)
	if math.Signbit(x) && x == 0 {
		s = "-0"
	}
	if !strings.ContainsAny(s, ".e") {
		s += ".0"
	}
	return s
}

// refNaturalKeyLess is viral-ngs' _natural_sort_key comparison.
func refNaturalKeyLess(a, b string) bool {
	split := regexp.MustCompile(`(\d+)`)
	key := func(s string) []any {
		var k []any
		last := 0
		for _, m := range split.FindAllStringIndex(s, -1) {
			n, _ := new(big.Int).SetString(s[m[0]:m[1]], 10)
			k = append(k, strings.ToLower(s[last:m[0]]), n)
			last = m[1]
		}
		return append(k, strings.ToLower(s[last:]))
	}
	ka, kb := key(a), key(b)
	for i := 0; i < len(ka) && i < len(kb); i++ {
		var c int
		if i%2 == 0 {
			c = strings.Compare(ka[i].(string), kb[i].(string))
		} else {
			c = ka[i].(*big.Int).Cmp(kb[i].(*big.Int))
		}
		if c != 0 {
			return c < 0
		}
	}
	return len(ka) < len(kb)
}

type contigCase struct {
	name   string
	want   string   // "call tier" the case is built to reach
	chunks []string // "s0/s1" pairs as chunks.tsv prints them
}

func rep(pair string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = pair
	}
	return out
}

func cat(parts ...[]string) (out []string) {
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// contigBranchCases hit every branch of the rule under defaults.
var contigBranchCases = []contigCase{
	{"viral_high", "Viral high_confidence", rep("0.05/0.95", 5)},
	{"viral_moderate", "Viral moderate_confidence", rep("0.25/0.82", 5)},
	{"viral_low_no_confident_chunk", "Viral low_confidence", rep("0.25/0.75", 5)},
	{"viral_low_proportion", "Viral low_confidence", cat(rep("0/1", 1), rep("0.5/0.4999", 19))},
	{"nonviral_high", "Non-viral high_confidence", rep("0.95/0.05", 5)},
	{"nonviral_moderate", "Non-viral moderate_confidence", rep("0.82/0.25", 5)},
	{"nonviral_low", "Non-viral low_confidence", rep("0.75/0.25", 5)},
	{"ambiguous_review", "Ambiguous review", rep("0.45/0.55", 6)},
	{"mixed_cancels", "Ambiguous review", cat(rep("0.05/0.95", 3), rep("0.95/0.05", 2))},
	{"demote_high_to_low", "Viral low_confidence", rep("0.05/0.95", 4)},
	{"demote_moderate_to_low", "Viral low_confidence", rep("0.25/0.82", 3)},
	{"demote_low_to_review", "Viral review", rep("0.25/0.75", 2)},
	{"demote_nonviral_high", "Non-viral low_confidence", rep("0.95/0.05", 1)},
	{"demote_nonviral_low", "Non-viral review", rep("0.75/0.25", 4)},
	{"demote_review_stays", "Ambiguous review", rep("0.45/0.55", 2)},
	{"zero_confidence_mean", "Ambiguous review", cat(rep("0.5/0.5", 3), rep("0.9/0.9", 2), rep("0/0", 1))},
	{"n_effective_zero", "Ambiguous review", rep("0.75/0.75", 5)},
	{"n_effective_zero_mixed", "Ambiguous review", cat(rep("0.71/0.99", 3), rep("0.99/0.71", 2))},
	// 1 confident of 9 non-ambiguous chunks passes 0.1; of all 18 it would not.
	{"ambiguous_excluded_from_denominator", "Viral moderate_confidence", cat(rep("0.05/0.95", 1), rep("0.72/0.99", 9), rep("0.25/0.75", 8))},
	// Ties: a score equal to its threshold does not count (strict comparisons).
	{"tie_confident_score", "Viral low_confidence", rep("0.05/0.8", 5)},
	{"above_confident_score", "Viral high_confidence", rep("0.05/0.8000001", 5)},
	{"tie_opposing_score", "Viral low_confidence", rep("0.3/0.95", 5)},
	{"tie_ambiguous_score", "Ambiguous review", rep("0.7/0.7", 5)},
	{"tie_nonviral_confident", "Non-viral low_confidence", rep("0.8/0.05", 5)},
	// viral proportion exactly 0.1 (1 of 10) passes >=; 1 of 11 does not.
	{"tie_viral_proportion", "Viral moderate_confidence", cat(rep("0.05/0.95", 1), rep("0.4/0.8", 9))},
	{"below_viral_proportion", "Viral low_confidence", cat(rep("0.05/0.95", 1), rep("0.4/0.8", 10))},
	{"tie_nonviral_proportion", "Non-viral moderate_confidence", cat(rep("0.95/0.05", 1), rep("0.8/0.4", 9))},
	// exactly min_chunks chunks: not demoted.
	{"tie_min_chunks", "Viral high_confidence", rep("0.05/0.95", 5)},
	{"one_chunk", "Ambiguous review", rep("0.1/0.2", 1)},
}

// contigTieCases use thresholds a weighted delta can equal exactly: deltas 0.25 =
// 0.5² and 0.5625 = 0.75² have exact square roots, so every sum is exact.
var contigTieParams = refParams{0.25, 0.5625, 0.8, 0.3, 0.5, 0.1, 0.1, 5}

var contigTieCases = []contigCase{
	{"tie_min_weighted_delta", "Ambiguous review", rep("0.25/0.5", 5)},
	{"tie_neg_min_weighted_delta", "Ambiguous review", rep("0.5/0.25", 5)},
	{"tie_high_confidence_delta", "Viral moderate_confidence", rep("0.25/0.8125", 5)},
	{"tie_neg_high_confidence_delta", "Non-viral moderate_confidence", rep("0.8125/0.25", 5)},
	{"above_high_confidence_delta", "Viral high_confidence", rep("0.1875/0.8125", 5)},
	// Every chunk ambiguous (both > 0.5) yet Viral: n_effective 0, proportion 0.
	{"viral_n_effective_zero", "Viral low_confidence", rep("0.55/0.95", 5)},
	{"nonviral_n_effective_zero", "Non-viral low_confidence", rep("0.95/0.55", 5)},
}

// writeCaseChunks writes chunks.tsv with one record per case and returns the
// reference rows by id.
func writeCaseChunks(t *testing.T, dir string, cases []contigCase, p refParams) map[string][]string {
	t.Helper()
	var b strings.Builder
	b.WriteString(ChunksHeader)
	want := map[string][]string{}
	for _, c := range cases {
		var s0, s1 []float64
		for i, pair := range c.chunks {
			a, z, _ := strings.Cut(pair, "/")
			for _, s := range []string{a, z} {
				v, err := strconv.ParseFloat(s, 32)
				if err != nil || FormatScore(float32(v)) != s && s != "0" && s != "1" {
					t.Fatalf("case %s: score %q does not print back as itself", c.name, s)
				}
			}
			x, _ := strconv.ParseFloat(a, 64)
			y, _ := strconv.ParseFloat(z, 64)
			s0, s1 = append(s0, x), append(s1, y)
			call := "viral"
			if float32(y) < float32(x) {
				call = "non_viral"
			}
			fmt.Fprintf(&b, "%s\t%d\t%d\t%d\t1\t%s\t%s\t%s\n", c.name, i+1, i*300+1, i*300+300, a, z, call)
		}
		want[c.name] = refContig(s0, s1, p)
		if got := want[c.name][0] + " " + want[c.name][1]; got != c.want {
			t.Errorf("case %s reaches %s under the reference, built for %s", c.name, got, c.want)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, ChunksFile), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return want
}

// TestContigsRuleBranches rebuilds contigs.tsv from hand-made chunk tables and checks
// every row against refContig and the rows' natural order.
func TestContigsRuleBranches(t *testing.T) {
	for _, set := range []struct {
		name  string
		p     refParams
		cases []contigCase
	}{
		{"defaults", refDefaults, contigBranchCases},
		{"exact-thresholds", contigTieParams, contigTieCases},
	} {
		t.Run(set.name, func(t *testing.T) {
			dir := t.TempDir()
			want := writeCaseChunks(t, dir, set.cases, set.p)
			th := set.p.thresholds()
			if err := Rebuild(dir, Options{Thresholds: &th, PlotTop: -1, NoHTML: true}); err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(filepath.Join(dir, ContigsFile))
			if err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
			if lines[0]+"\n" != ContigsHeader || len(lines)-1 != len(set.cases) {
				t.Fatalf("header %q, %d rows for %d cases", lines[0], len(lines)-1, len(set.cases))
			}
			var ids []string
			for _, l := range lines[1:] {
				f := strings.Split(l, "\t")
				ids = append(ids, f[0])
				if got, w := strings.Join(f[1:], "\t"), strings.Join(want[f[0]], "\t"); got != w {
					t.Errorf("%s:\n got %s\nwant %s", f[0], got, w)
				}
			}
			if !sort.SliceIsSorted(ids, func(i, j int) bool { return refNaturalKeyLess(ids[i], ids[j]) }) {
				t.Errorf("rows not in natural order: %v", ids)
			}
			checkSequencesAgree(t, dir)
		})
	}
}

// checkSequencesAgree checks sequences.tsv carries the same call, tier and proportions.
func checkSequencesAgree(t *testing.T, dir string) {
	t.Helper()
	contigs, _ := os.ReadFile(filepath.Join(dir, ContigsFile))
	seqs, _ := os.ReadFile(filepath.Join(dir, SequencesFile))
	byID := map[string][]string{}
	for _, l := range strings.Split(strings.TrimSuffix(string(seqs), "\n"), "\n")[1:] {
		f := strings.Split(l, "\t")
		byID[f[0]] = f
	}
	for _, l := range strings.Split(strings.TrimSpace(string(contigs)), "\n")[1:] {
		c := strings.Split(l, "\t")
		s := byID[c[0]]
		if len(s) != 19 || s[14] != c[1] || s[15] != c[2] {
			t.Errorf("%s: sequences.tsv %v disagrees with contigs.tsv %v", c[0], s, c)
		}
	}
}

// TestContigsAllAmbiguousTable: when no contig has a non-ambiguous chunk, pandas
// infers integer proportion columns and prints 0, not 0.0.
func TestContigsAllAmbiguousTable(t *testing.T) {
	var tab ContigsTable
	acc := contigAccumulator{}
	for range 3 {
		acc.add(0.75, 0.75, DefaultThresholds())
	}
	tab.Add(acc.call("x", DefaultThresholds()))
	tab.Add(ContigCall{ID: "unscored"}) // no scored chunk: no row
	var b strings.Builder
	if err := tab.Write(&b); err != nil {
		t.Fatal(err)
	}
	if want := ContigsHeader + "x\tAmbiguous\treview\t0.0\t3\t0\t0\t3\t0\t0\n"; b.String() != want {
		t.Errorf("got %q, want %q", b.String(), want)
	}
	var quoted ContigsTable
	quoted.Add(ContigCall{ID: `a"b`, Call: CallViral, Tier: TierLow, Chunks: 1, ConfidentViral: 1, ViralProportion: 1, WeightedDelta: 0.5})
	b.Reset()
	quoted.Write(&b)
	if want := ContigsHeader + "\"a\"\"b\"\tViral\tlow_confidence\t0.5\t1\t1\t0\t0\t1.0\t0.0\n"; b.String() != want {
		t.Errorf("quoted id: got %q, want %q", b.String(), want)
	}
	var empty ContigsTable
	b.Reset()
	empty.Write(&b)
	if b.String() != ContigsHeader {
		t.Errorf("empty table %q", b.String())
	}
}

func TestRoundingAsPython(t *testing.T) {
	for _, tc := range []struct {
		x            float64
		numpy, float string // np.round(x, 3) of a numpy float64; round(x, 3) of a float
	}{
		{0.0025, "0.002", "0.003"}, // 0.0025 is slightly above 1/400: Python rounds up, numpy's 2.5 halves to 2
		{0.0625, "0.062", "0.062"}, // exact tie: both to even
		{0.5, "0.5", "0.5"},
		{1, "1.0", "1.0"},
		{0, "0.0", "0.0"},
		{-0.0004, "-0.0", "-0.0"},
		{-0.70712, "-0.707", "-0.707"},
		{1.0 / 3, "0.333", "0.333"},
		{2.0 / 3, "0.667", "0.667"},
		{0.1, "0.1", "0.1"},
	} {
		if got := PyRepr(NumpyRound3(tc.x)); got != tc.numpy || got != refRepr(refNumpyRound(tc.x)) {
			t.Errorf("numpy round %v = %s, want %s", tc.x, got, tc.numpy)
		}
		if got := PyRepr(PyRound3(tc.x)); got != tc.float || got != refRepr(refPyRound(tc.x)) {
			t.Errorf("python round %v = %s, want %s", tc.x, got, tc.float)
		}
	}
	for x, want := range map[float64]string{1e-05: "1e-05", 1.5e16: "1.5e+16", -2.5e-7: "-2.5e-07", 0.0001: "0.0001"} {
		if got := PyRepr(x); got != want {
			t.Errorf("repr %v = %s, want %s", x, got, want)
		}
	}
}

// TestPairwiseSumAsNumpy: np.sum([1e16] + [1.0]*7) is 1.0000000000000006e16 (a plain
// loop loses every 1).
func TestPairwiseSumAsNumpy(t *testing.T) {
	a := []float64{1e16, 1, 1, 1, 1, 1, 1, 1}
	if got := pairwiseSum(a); got != 1.0000000000000006e16 {
		t.Errorf("8 values: %v", got)
	}
	// Fewer than 8: a plain loop from 0, every 1 lost at 1e16.
	if got := pairwiseSum(a[:7]); got != 1e16 {
		t.Errorf("7 values: %v", got)
	}
	// 200 values split at 96 (100 rounded down to a multiple of 8): 1e16+84 and
	// 1e16+90 by hand, their sum 2e16+174 halving to even 2e16+176 (ulp 4).
	b := make([]float64, 200)
	for i := range b {
		b[i] = 1
	}
	b[0], b[96] = 1e16, 1e16
	if got := pairwiseSum(b); got != 2e16+176 {
		t.Errorf("200 values: %v, want %v", got, 2e16+176)
	}
}

func TestNaturalLess(t *testing.T) {
	ids := []string{"NODE_10", "node_2", "NODE_2_x", "NODE_1", "a", "", "A1b", "a01", "a1", "x007y", "x7z", "10", "9", "b", "NODE_100000000000000000000", "NODE_99999999999999999999"}
	got := append([]string(nil), ids...)
	sort.SliceStable(got, func(i, j int) bool { return NaturalLess(got[i], got[j]) })
	want := append([]string(nil), ids...)
	sort.SliceStable(want, func(i, j int) bool { return refNaturalKeyLess(want[i], want[j]) })
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	if !NaturalLess("NODE_2", "NODE_10") || NaturalLess("NODE_10", "NODE_2") {
		t.Error("NODE_2 must precede NODE_10")
	}
}

// TestContigsTableSpills: with 7 rows per run, merged in tiers of 3 runs, 100 rows
// in shuffled order come out as the in-memory table writes them, the runs kept stay
// few, and they are removed.
func TestContigsTableSpills(t *testing.T) {
	rng := rand.New(rand.NewSource(22))
	t.Logf("seed 22")
	var calls []ContigCall
	for i := range 100 {
		eff := 1 + rng.Intn(4)
		calls = append(calls, ContigCall{ID: fmt.Sprintf("NODE_%d_x%d", rng.Intn(60), i), Call: CallViral, Tier: TierModerate,
			WeightedDelta: rng.Float64()*2 - 1, Chunks: eff, ConfidentViral: rng.Intn(eff + 1), ViralProportion: rng.Float64()})
	}
	write := func(runRows int, dir string) string {
		tab := ContigsTable{Dir: dir, RunRows: runRows}
		tab.spill.fan = 3
		for _, c := range calls {
			if err := tab.Add(c); err != nil {
				t.Fatal(err)
			}
			// 3 runs of a tier merge into one of the next: at most 2 per tier
			if n := len(tab.spill.runs); n > 2*3 {
				t.Fatalf("%d runs kept after %d rows", n, tab.Len())
			}
		}
		if runRows == 7 && (len(tab.spill.runs) == 0 || tab.spill.runs[0].tier < 2) {
			t.Fatalf("runs %v: no second-tier merge happened", tab.spill.runs)
		}
		var b strings.Builder
		if err := tab.Write(&b); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	dir := t.TempDir()
	want, got := write(1000, dir), write(7, dir)
	if got != want || strings.Count(got, "\n") != 101 {
		t.Errorf("spilled table differs:\n%s\nwant\n%s", got, want)
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("runs left behind: %v", left)
	}
}
