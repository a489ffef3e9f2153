package merge

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/virnucpro/virnucpro/internal/backends"
	"github.com/virnucpro/virnucpro/internal/checkpoint"
	"github.com/virnucpro/virnucpro/internal/embedfile"
	"github.com/virnucpro/virnucpro/internal/model/esm2"
	"github.com/virnucpro/virnucpro/internal/mqc"
	"github.com/virnucpro/virnucpro/internal/predict"
	"github.com/virnucpro/virnucpro/internal/report"
	"github.com/virnucpro/virnucpro/internal/tensor"
	"github.com/virnucpro/virnucpro/internal/tensor/cpu"
	"github.com/virnucpro/virnucpro/internal/testutil"
)

var td = filepath.Join("..", "..", "testdata")

// testInput writes the demo records plus an empty record, long multi-chunk records
// and short ones: enough records that every shard count up to 5 gets several.
func testInput(t *testing.T) string {
	t.Helper()
	demo, err := os.ReadFile(filepath.Join("..", "..", "demo", "input.fasta"))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	b.Write(demo)
	rng := rand.New(rand.NewSource(7))
	for i, n := range []int{0, 1234, 40, 777, 0, 2100, 310} {
		fmt.Fprintf(&b, ">extra_%d some description\n", i)
		for j := 0; j < n; j++ {
			b.WriteByte("ACGTacgtN"[rng.Intn(9)])
			if j%70 == 69 {
				b.WriteByte('\n')
			}
		}
		b.WriteByte('\n')
	}
	path := filepath.Join(t.TempDir(), "input.fa")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func runOpts(input, out string, compat report.Compat, keep bool, shard predict.ShardSpec) predict.PredictOptions {
	id := checkpoint.Identity{Tool: "test", Options: map[string]string{"chunk-size": "300", "shard": shard.String()}}
	return predict.PredictOptions{Input: input, ChunkSize: 300,
		Models: predict.ModelPaths{
			DNABERT:    filepath.Join(td, "dnabert_tiny"),
			ESM:        filepath.Join(td, "esm2_tiny", "esm2_t3_tiny_UR50D.pt"),
			Classifier: filepath.Join(td, "virnucpro_e2e_tiny", "mlp", "model.pth"),
		},
		Backend:      tensor.Spec{Device: "cpu", BLAS: "auto", Threads: 2},
		ModelOptions: predict.ModelOptions{ESM: esm2.Options{ReprLayer: -1}},
		WindowFrames: 9, MaxTokens: [2]int{512, 512}, CacheBytes: 1 << 20,
		Shard: shard, ShardIdentity: &id, Progress: "none",
		Output: predict.OutputOptions{Dir: out, Compat: compat, KeepIntermediate: keep,
			Report: report.Options{Title: "merge test", PlotTop: 3, Params: []report.Param{{Name: "input", Value: "x"}}}},
	}
}

// onPath is o on the CPU math path the determinism tests were asked for
// (testutil.MathPathSpec; CI runs them on every path it has).
func onPath(t *testing.T, o predict.PredictOptions) predict.PredictOptions {
	o.Backend = testutil.MathPathSpec(t, o.Backend.Threads)
	return o
}

func runPredict(t *testing.T, o predict.PredictOptions) {
	t.Helper()
	if _, err := predict.Predict(context.Background(), o); err != nil {
		t.Fatalf("predict %s: %v", o.Shard, err)
	}
}

// shardRuns runs every shard of an N-way split into dir/shard<i>.
func shardRuns(t *testing.T, input, dir string, n int, compat report.Compat, keep bool) []string {
	t.Helper()
	var dirs []string
	for i := 0; i < n; i++ {
		d := filepath.Join(dir, fmt.Sprintf("shard%d", i))
		runPredict(t, onPath(t, runOpts(input, d, compat, keep, predict.ShardSpec{Index: i, Count: n})))
		dirs = append(dirs, d)
	}
	return dirs
}

func TestMergedShardsEqualTheUnshardedRun(t *testing.T) {
	input := testInput(t)
	for _, tc := range []struct {
		compat report.Compat
		keep   bool
		counts []int
	}{
		{report.CompatBroad, true, []int{1, 2, 3, 4, 5}},
		{report.CompatOriginal, false, []int{2, 3}},
	} {
		t.Run(fmt.Sprintf("%s-keep=%v", tc.compat, tc.keep), func(t *testing.T) {
			ref := filepath.Join(t.TempDir(), "whole")
			runPredict(t, onPath(t, runOpts(input, ref, tc.compat, tc.keep, predict.ShardSpec{})))
			want := testutil.ReadTree(t, ref, ".virnucpro")
			if !strings.HasPrefix(want[report.ContigsFile], report.ContigsHeader) || strings.Count(want[report.ContigsFile], "\n") < 2 {
				t.Fatalf("predict wrote no contigs.tsv rows: %q", want[report.ContigsFile])
			}
			for _, n := range tc.counts {
				dir := t.TempDir()
				dirs := shardRuns(t, input, dir, n, tc.compat, tc.keep)
				// Shards are given in any order.
				rand.New(rand.NewSource(int64(n))).Shuffle(len(dirs), func(i, j int) { dirs[i], dirs[j] = dirs[j], dirs[i] })
				out := filepath.Join(dir, "merged")
				sum, err := Merge(context.Background(), Options{Dirs: dirs, Out: out})
				if err != nil {
					t.Fatalf("N=%d: %v", n, err)
				}
				if sum.Shards != n || sum.Records != 24 || sum.Confirmation != (report.Confirmation{}) {
					t.Errorf("N=%d: summary %+v, want %d shards of 24 records, no fp32 confirmation", n, sum, n)
				}
				testutil.SameTree(t, want, testutil.ReadTree(t, out, ".virnucpro"), fmt.Sprintf("N=%d merged vs unsharded", n))
			}
		})
	}
}

func TestMergeRefusesIncompleteDuplicateAndMismatchedShards(t *testing.T) {
	input := testInput(t)
	dir := t.TempDir()
	three := shardRuns(t, input, dir, 3, report.CompatBroad, false)
	other := shardRuns(t, input, filepath.Join(dir, "two"), 2, report.CompatBroad, false)
	// The same shard 1/3 of a run on another input.
	changed := filepath.Join(dir, "changed.fa")
	b, _ := os.ReadFile(input)
	os.WriteFile(changed, append(b, ">late\nACGTACGTAAACCCGGGTTT\n"...), 0o644)
	otherInput := filepath.Join(dir, "otherinput")
	o := runOpts(changed, otherInput, report.CompatBroad, false, predict.ShardSpec{Index: 1, Count: 3})
	o.ShardIdentity.Inputs = []checkpoint.FileIdentity{{Path: changed, Size: 1, SHA256: "ab"}}
	runPredict(t, o)
	// The same shard 1/3 computed with other math (another BLAS, say).
	otherMath := filepath.Join(dir, "othermath")
	om := runOpts(input, otherMath, report.CompatBroad, false, predict.ShardSpec{Index: 1, Count: 3})
	om.ShardIdentity.Math = "cpu openblas Haswell fp32"
	runPredict(t, om)
	// An unfinished shard: its result files without shard.json.
	unfinished := filepath.Join(dir, "unfinished")
	copyDir(t, three[2], unfinished)
	os.Remove(filepath.Join(unfinished, predict.ShardResultFile))
	// A damaged shard: a prediction row removed.
	damaged := filepath.Join(dir, "damaged")
	copyDir(t, three[2], damaged)
	p := filepath.Join(damaged, predict.PredictionsFile)
	rows, _ := os.ReadFile(p)
	lines := strings.SplitAfter(string(rows), "\n")
	os.WriteFile(p, []byte(strings.Join(append(lines[:3:3], lines[4:]...), "")), 0o644)

	for _, tc := range []struct {
		name string
		dirs []string
		want string
	}{
		{"missing", three[:2], "incomplete: shard(s) 2/3 missing"},
		{"duplicate", []string{three[0], three[1], three[1], three[2]}, "duplicate shard 1/3"},
		{"other N", []string{three[0], other[1], three[2]}, "mismatched shards"},
		{"other input", []string{three[0], otherInput, three[2]}, "not from the same run"},
		{"other math", []string{three[0], otherMath, three[2]}, `math: checkpoint computed with "", now "cpu openblas Haswell fp32"`},
		{"unfinished", []string{three[0], three[1], unfinished}, "not a finished shard"},
		{"damaged", []string{three[0], three[1], damaged}, "prediction_results.txt line"},
		{"no such dir", []string{three[0], three[1], filepath.Join(dir, "nope")}, "no such file"},
		{"into a shard", append([]string{}, three...), "is shard 0/3's directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "merged")
			if tc.name == "into a shard" {
				out = three[0]
			}
			_, err := Merge(context.Background(), Options{Dirs: tc.dirs, Out: out})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want it to contain %q", err, tc.want)
			}
			if tc.name != "into a shard" {
				if _, err := os.Stat(filepath.Join(out, predict.PredictionsFile)); err == nil {
					t.Errorf("a refused merge left %s", predict.PredictionsFile)
				}
			}
		})
	}
}

func TestShardResultIsWrittenLastAndRemovedAtStart(t *testing.T) {
	input := testInput(t)
	out := filepath.Join(t.TempDir(), "s")
	o := runOpts(input, out, report.CompatBroad, false, predict.ShardSpec{Index: 1, Count: 4})
	runPredict(t, o)
	res, err := predict.ReadShardResult(out)
	if err != nil {
		t.Fatal(err)
	}
	if res.Shard != (predict.ShardCoord{Index: 1, Count: 4}) || res.InputRecords != 24 || res.Records != 6 {
		t.Errorf("shard.json %+v", res)
	}
	if _, ok := res.Identity.Options["shard"]; ok {
		t.Error("the recorded identity keeps the shard option")
	}
	// A run that fails leaves no completion mark behind.
	o.Models.Classifier = filepath.Join(td, "missing.pth")
	if _, err := predict.Predict(context.Background(), o); err == nil {
		t.Fatal("predict with a missing classifier succeeded")
	}
	if _, err := predict.ReadShardResult(out); err == nil {
		t.Error("shard.json of the earlier run survived the start of a new run")
	}
}

func copyDir(t *testing.T, from, to string) {
	t.Helper()
	for name, data := range testutil.ReadTree(t, from) {
		p := filepath.Join(to, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestMergeStreamsKeptEmbeddings: with --keep-intermediate, merge reads the shards'
// embedding files row by row (embedfile.Reader: memory does not grow with the
// shard) and still checks every row against the shard's frames: a file whose ids are
// out of order, or name another frame, is refused naming it.
func TestMergeStreamsKeptEmbeddings(t *testing.T) {
	input := testInput(t)
	dir := t.TempDir()
	two := shardRuns(t, input, dir, 2, report.CompatBroad, true)
	rewrite := func(name string, edit func(ids []string, data []float32, dim int) ([]string, []float32)) string {
		d := filepath.Join(dir, name)
		copyDir(t, two[1], d)
		p := filepath.Join(d, predict.ESMEmbedFile)
		ids, data, dim, err := embedfile.Read(p)
		if err != nil {
			t.Fatal(err)
		}
		ids, data = edit(ids, data, dim)
		if err := embedfile.Write(p, ids, data, dim); err != nil {
			t.Fatal(err)
		}
		return d
	}
	swapped := rewrite("swapped", func(ids []string, data []float32, _ int) ([]string, []float32) {
		ids[3], ids[4] = ids[4], ids[3]
		return ids, data
	})
	// The right number of rows, but the last one is not the shard's last frame.
	short := rewrite("short", func(ids []string, data []float32, _ int) ([]string, []float32) {
		return append(ids[:len(ids)-1:len(ids)-1], "extra_"+ids[0]), data
	})
	for _, tc := range []struct {
		name, dir, want string
	}{
		{"swapped ids", swapped, "row 3 is not frame"},
		{"a row that is no frame", short, "is not frame"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Merge(context.Background(), Options{Dirs: []string{two[0], tc.dir}, Out: filepath.Join(t.TempDir(), "m")})
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), filepath.Join(tc.dir, predict.ESMEmbedFile)) {
				t.Fatalf("error %v, want one naming %s and %q", err, predict.ESMEmbedFile, tc.want)
			}
		})
	}
	if _, err := Merge(context.Background(), Options{Dirs: two, Out: filepath.Join(dir, "merged")}); err != nil {
		t.Fatalf("the undamaged shards: %v", err)
	}
}

// TestMergedBF16ShardsEqualTheUnshardedRun: with --precision bf16 on the CPU and the
// fp32 confirmation of close calls, shards (N = 2, 3) merged give every file of the
// unsharded bf16 run byte for byte: a chunk's confirmation depends on its own frames
// only, not on which shard or window holds it.
func TestMergedBF16ShardsEqualTheUnshardedRun(t *testing.T) {
	if !cpu.BF16Supported() {
		t.Skip("no AVX512_BF16 on this processor")
	}
	input := testInput(t)
	bf16 := func(o predict.PredictOptions) predict.PredictOptions {
		o.Backend.Precision = "bf16"
		o.ModelOptions.ConfirmMargin = predict.DefaultBF16ConfirmMargin
		return o
	}
	ref := filepath.Join(t.TempDir(), "whole")
	st, err := predict.Predict(context.Background(), bf16(runOpts(input, ref, report.CompatBroad, true, predict.ShardSpec{})))
	if err != nil {
		t.Fatal(err)
	}
	if st.Confirmed == 0 || st.Confirmed == st.Frames {
		t.Fatalf("%d of %d frames confirmed: the test would not tell confirmed from bf16 frames", st.Confirmed, st.Frames)
	}
	want := testutil.ReadTree(t, ref, ".virnucpro")
	for _, n := range []int{2, 3} {
		dir := t.TempDir()
		var dirs []string
		for i := 0; i < n; i++ {
			d := filepath.Join(dir, fmt.Sprintf("shard%d", i))
			runPredict(t, bf16(runOpts(input, d, report.CompatBroad, true, predict.ShardSpec{Index: i, Count: n})))
			dirs = append(dirs, d)
		}
		out := filepath.Join(dir, "merged")
		sum, err := Merge(context.Background(), Options{Dirs: dirs, Out: out})
		if err != nil {
			t.Fatalf("N=%d: %v", n, err)
		}
		// The merged count is the shards' sum, and the unsharded run's.
		shardSum := 0
		for _, d := range dirs {
			res, err := predict.ReadShardResult(d)
			if err != nil || res.Confirmation == nil || res.Confirmation.Margin != predict.DefaultBF16ConfirmMargin {
				t.Fatalf("%s: %+v, %v: no confirmation at the run's margin", d, res.Confirmation, err)
			}
			shardSum += res.Confirmation.Frames
		}
		if wantConf := (report.Confirmation{Frames: st.Confirmed, Margin: predict.DefaultBF16ConfirmMargin}); sum.Confirmation != wantConf || shardSum != st.Confirmed {
			t.Errorf("N=%d: merged confirmation %+v, shards' sum %d, want %+v", n, sum.Confirmation, shardSum, wantConf)
		}
		// Byte for byte, report.html's run summary and the MultiQC table included.
		testutil.SameTree(t, want, testutil.ReadTree(t, out, ".virnucpro"), fmt.Sprintf("bf16, N=%d merged vs unsharded", n))
	}
	for file, line := range map[string]string{
		report.HTMLFile: fmt.Sprintf("<td>%d of %d frames (%.1f%%) re-scored in fp32: every chunk whose bf16 call was within 0.1 of flipping</td>",
			st.Confirmed, st.Frames, 100*float64(st.Confirmed)/float64(st.Frames)),
		mqc.YAMLFile: fmt.Sprintf("    fp32_confirmed_frames: %d\n    bf16_confirm_margin: 0.1\n", st.Confirmed),
	} {
		if !strings.Contains(want[file], line) {
			t.Errorf("%s lacks %q", file, line)
		}
	}
	t.Logf("bf16 with confirmation: %d of %d frames confirmed", st.Confirmed, st.Frames)
}

// asBF16 copies the shards in dirs to dir/bf16-<i> and rewrites their shard.json as a
// bf16 run's: identity margin idMargin, and confirmation frames[i] at margin margins[i].
func asBF16(t *testing.T, dirs []string, dir, idMargin string, frames []int, margins []float64) []string {
	t.Helper()
	out := make([]string, len(dirs))
	for i, d := range dirs {
		out[i] = filepath.Join(dir, fmt.Sprintf("bf16-%d", i))
		copyDir(t, d, out[i])
		res, err := predict.ReadShardResult(d)
		if err != nil {
			t.Fatal(err)
		}
		res.Identity.Options["precision"], res.Identity.Options["bf16-confirm-margin"] = "bf16", idMargin
		res.Confirmation = &report.Confirmation{Frames: frames[i], Margin: margins[i]}
		b, _ := json.MarshalIndent(res, "", "  ")
		if err := os.WriteFile(filepath.Join(out[i], predict.ShardResultFile), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// TestMergeSumsConfirmation: the merged summary, report.html and MultiQC table give
// the sum of the shards' fp32-confirmed frames at their margin; shards whose margins
// differ are refused, by the run identity (which holds a bf16 run's margin) or, where
// only shard.json's record of it differs, by that. Runs on any CPU: the shards are
// fp32 shards relabelled as bf16 ones (TestMergedBF16ShardsEqualTheUnshardedRun merges
// real bf16 shards).
func TestMergeSumsConfirmation(t *testing.T) {
	input := testInput(t)
	dir := t.TempDir()
	three := shardRuns(t, input, dir, 3, report.CompatBroad, false)
	for _, tc := range []struct {
		name     string
		idMargin []string // per shard
		margins  []float64
		frames   []int
		want     string // the error; "" : merged
	}{
		{"bf16", []string{"0.1", "0.1", "0.1"}, []float64{0.1, 0.1, 0.1}, []int{3, 0, 5}, ""},
		{"other margin in the identity", []string{"0.1", "0.2", "0.1"}, []float64{0.1, 0.2, 0.1}, []int{3, 1, 5},
			`option bf16-confirm-margin: checkpoint "0.1", now "0.2"`},
		{"other margin in shard.json only", []string{"0.1", "0.1", "0.1"}, []float64{0.1, 0.1, 0.3}, []int{3, 1, 5},
			"fp32 confirmation margin: 0.1 vs 0.3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := t.TempDir()
			dirs := make([]string, 3)
			for i := range dirs {
				dirs[i] = asBF16(t, three[i:i+1], filepath.Join(d, fmt.Sprint(i)), tc.idMargin[i], tc.frames[i:i+1], tc.margins[i:i+1])[0]
			}
			out := filepath.Join(d, "merged")
			sum, err := Merge(context.Background(), Options{Dirs: dirs, Out: out})
			if tc.want != "" {
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("error %v, want it to contain %q", err, tc.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if want := (report.Confirmation{Frames: 8, Margin: 0.1}); sum.Confirmation != want {
				t.Errorf("merged confirmation %+v, want %+v", sum.Confirmation, want)
			}
			html, _ := os.ReadFile(filepath.Join(out, report.HTMLFile))
			if w := fmt.Sprintf("<td>8 of %d frames (%.1f%%) re-scored in fp32: every chunk whose bf16 call was within 0.1 of flipping</td>",
				sum.Frames, 800/float64(sum.Frames)); !strings.Contains(string(html), w) {
				t.Errorf("merged report.html lacks %q", w)
			}
			yaml, _ := os.ReadFile(filepath.Join(out, mqc.YAMLFile))
			if w := "    fp32_confirmed_frames: 8\n    bf16_confirm_margin: 0.1\n"; !strings.Contains(string(yaml), w) {
				t.Errorf("merged %s lacks %q:\n%s", mqc.YAMLFile, w, yaml)
			}
		})
	}
}
