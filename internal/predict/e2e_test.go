package predict

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"github.com/virnucpro/virnucpro/internal/model/esm2"
	"github.com/virnucpro/virnucpro/internal/pipeline"
	"github.com/virnucpro/virnucpro/internal/tensor"
	"io"
	"math"
	"math/rand"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/virnucpro/virnucpro/internal/checkpoint"
	"github.com/virnucpro/virnucpro/internal/embedfile"
	"github.com/virnucpro/virnucpro/internal/fasta"
	"github.com/virnucpro/virnucpro/internal/report"
	"github.com/virnucpro/virnucpro/internal/seqprep"
	"github.com/virnucpro/virnucpro/internal/testutil"
)

var td = filepath.Join("..", "..", "testdata")

func tinyModels() ModelPaths {
	return ModelPaths{
		DNABERT:    filepath.Join(td, "dnabert_tiny"),
		ESM:        filepath.Join(td, "esm2_tiny", "esm2_t3_tiny_UR50D.pt"),
		Classifier: filepath.Join(td, "virnucpro_e2e_tiny", "mlp", "model.pth"),
	}
}

func predictOpts(input, out string, size int) PredictOptions {
	return PredictOptions{Input: input, ChunkSize: size, Models: tinyModels(),
		Backend:      tensor.Spec{Device: "cpu", BLAS: "auto", Threads: 2},
		ModelOptions: ModelOptions{ESM: esm2.Options{ReprLayer: -1}},
		Output:       OutputOptions{Dir: out, Compat: report.CompatOriginal}, WindowFrames: 7, MaxTokens: [2]int{512, 512}, CacheBytes: 1 << 20}
}

// determinismOpts is predictOpts on the CPU math path the determinism tests were
// asked to run on (testutil.MathPathSpec: CI runs them on every path it has).
func determinismOpts(t *testing.T, input, out string, size int) PredictOptions {
	o := predictOpts(input, out, size)
	o.Backend = testutil.MathPathSpec(t, o.Backend.Threads)
	return o
}

type predRow struct {
	label         string
	others, virus float64
}

func readPredictions(t *testing.T, path string) ([]string, map[string]predRow) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Scan()
	if sc.Text()+"\n" != report.PredictionsHeader {
		t.Fatalf("%s: header %q", path, sc.Text())
	}
	var ids []string
	rows := map[string]predRow{}
	for sc.Scan() {
		p := strings.Split(sc.Text(), "\t")
		a, _ := strconv.ParseFloat(p[2], 64)
		b, _ := strconv.ParseFloat(p[3], 64)
		ids = append(ids, p[0])
		rows[p[0]] = predRow{p[1], a, b}
	}
	return ids, rows
}

func readNpy(t *testing.T, path string) ([]float32, int) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	hlen := int(binary.LittleEndian.Uint16(data[8:10]))
	header := string(data[10 : 10+hlen])
	shape := header[strings.Index(header, "(")+1 : strings.Index(header, ")")]
	cols, _ := strconv.Atoi(strings.TrimSpace(strings.Split(shape, ",")[1]))
	body := data[10+hlen:]
	out := make([]float32, len(body)/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(body[4*i:]))
	}
	return out, cols
}

// mustRead reads a file the test needs, failing the test when it cannot.
func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestEndToEndMatchesOriginal runs the whole method on the e2e case and compares with
// what the original VirNucPro wrote.
func TestEndToEndMatchesOriginal(t *testing.T) {
	for _, size := range []int{500, 300} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			out := t.TempDir()
			o := predictOpts(filepath.Join(td, "virnucpro_e2e_tiny", "input_sequence.fasta"), out, size)
			o.Output.KeepIntermediate = true
			if _, err := Predict(context.Background(), o); err != nil {
				t.Fatal(err)
			}
			orig := filepath.Join(td, "virnucpro_e2e_tiny", fmt.Sprintf("L%d", size))
			wantIDs, want := readPredictions(t, filepath.Join(orig, "input_sequence_merged", PredictionsFile))
			gotIDs, got := readPredictions(t, filepath.Join(out, PredictionsFile))
			if strings.Join(gotIDs, ",") != strings.Join(wantIDs, ",") {
				t.Fatalf("frame ids differ:\n%v\n%v", gotIDs, wantIDs)
			}
			worst := 0.0
			for id, w := range want {
				g := got[id]
				if g.label != w.label {
					t.Errorf("%s: %s, original %s", id, g.label, w.label)
				}
				worst = math.Max(worst, math.Max(math.Abs(g.others-w.others), math.Abs(g.virus-w.virus)))
			}
			if worst > 1e-5 {
				t.Errorf("scores differ by up to %.3g > 1e-5", worst)
			}
			t.Logf("chunk size %d: %d frames, worst score difference %.3g", size, len(gotIDs), worst)
			hs := mustRead(t, filepath.Join(out, HighestScoreFile))
			wantHS := mustRead(t, filepath.Join(orig, "input_sequence_merged", HighestScoreFile))
			if string(hs) != string(wantHS) {
				t.Errorf("highestscore differs:\n%s\nwant:\n%s", hs, wantHS)
			}
			for _, f := range []struct{ ours, theirs string }{
				{ChunkedFile, fmt.Sprintf("input_sequence_chunked%d.fa", size)},
				{NucleotideFile, "input_sequence_identified_nucleotide.fa"},
				{ProteinFile, "input_sequence_identified_protein.faa"},
			} {
				a := mustRead(t, filepath.Join(out, f.ours))
				b := mustRead(t, filepath.Join(orig, f.theirs))
				if len(b) == 0 || string(a) != string(b) {
					t.Errorf("%s differs from the original's %s", f.ours, f.theirs)
				}
			}
			// Intermediate embeddings against the original's feature files.
			var exp struct{ DNABERT, ESM []string }
			if err := json.Unmarshal(mustRead(t, filepath.Join(orig, "export", "ids.json")), &exp); err != nil {
				t.Fatalf("ids.json: %v", err)
			}
			if len(exp.DNABERT) == 0 || len(exp.ESM) == 0 {
				t.Fatalf("ids.json lists no DNABERT or ESM ids: %+v", exp)
			}
			for _, e := range []struct {
				file, npy string
				ids       []string
			}{{DNABERTEmbedFile, "dnabert_mean.npy", exp.DNABERT}, {ESMEmbedFile, "esm_mean.npy", exp.ESM}} {
				ids, vals, dim, err := embedfile.Read(filepath.Join(out, e.file))
				if err != nil {
					t.Fatal(err)
				}
				ref, cols := readNpy(t, filepath.Join(orig, "export", e.npy))
				if cols != dim {
					t.Fatalf("%s: width %d, original %d", e.file, dim, cols)
				}
				row := map[string]int{}
				for i, id := range ids {
					row[id] = i
				}
				worst := 0.0
				for r, id := range e.ids {
					i, ok := row[id]
					if !ok {
						t.Fatalf("%s: no row for %s", e.file, id)
					}
					for j := 0; j < dim; j++ {
						worst = math.Max(worst, math.Abs(float64(vals[i*dim+j]-ref[r*dim+j])))
					}
				}
				if worst > 1e-5 {
					t.Errorf("%s: embeddings differ by %.3g > 1e-5", e.file, worst)
				}
			}
		})
	}
}

func TestPredictEdgeCases(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(text), 0o644)
		return p
	}
	t.Run("no stop-free frame anywhere", func(t *testing.T) {
		// TAA in every frame of both strands: the original crashes (UnboundLocalError).
		in := write("noorf.fa", ">stops\n"+noORFSequence(t, 33)+"\n>empty\n\n")
		out := filepath.Join(dir, "noorf")
		if _, err := Predict(context.Background(), predictOpts(in, out, 500)); err != nil {
			t.Fatal(err)
		}
		seqs := mustRead(t, filepath.Join(out, SequencesFile))
		if !strings.Contains(string(seqs), "stops\t33\t1\t0\t1\t0\tNA\tno_orf") || !strings.Contains(string(seqs), "empty\t0\t0\t0\t0\t0\tNA\tno_orf") {
			t.Fatalf("sequences.tsv:\n%s", seqs)
		}
		pred := mustRead(t, filepath.Join(out, PredictionsFile))
		if string(pred) != report.PredictionsHeader {
			t.Fatalf("predictions: %q", pred)
		}
	})
	t.Run("bad letter", func(t *testing.T) {
		in := write("bad.fa", ">ok\nACGT\n>bad\nACGZ\n")
		_, err := Predict(context.Background(), predictOpts(in, filepath.Join(dir, "badout"), 500))
		if err == nil || !strings.Contains(err.Error(), `bad.fa:4: record "bad": letter 'Z'`) {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("classifier width", func(t *testing.T) {
		o := predictOpts(filepath.Join(td, "virnucpro_e2e_tiny", "input_sequence.fasta"), filepath.Join(dir, "w"), 500)
		o.Models.Classifier = filepath.Join(td, "mlp", "model.pth") // 3328 wide
		_, err := Predict(context.Background(), o)
		if err == nil || !strings.Contains(err.Error(), "takes 3328 features") {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("missing weights", func(t *testing.T) {
		o := predictOpts(filepath.Join(td, "virnucpro_e2e_tiny", "input_sequence.fasta"), filepath.Join(dir, "m"), 500)
		o.Models.ESM = filepath.Join(dir, "nope.pt")
		_, err := Predict(context.Background(), o)
		if err == nil || !strings.Contains(err.Error(), "nope.pt") {
			t.Fatalf("got %v", err)
		}
	})
}

// resumeInterrupted runs o, whose checkpoint holds an interrupted run (from
// cancelAfterThreeWindows), checks that it replayed the committed windows and
// returns its statistics.
func resumeInterrupted(t *testing.T, o PredictOptions) pipeline.Stats {
	t.Helper()
	if o.Checkpoint.next == 0 {
		t.Fatal("nothing was committed before the interruption")
	}
	st, err := Predict(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if st.ReplayedWindows == 0 {
		t.Fatal("resume recomputed everything")
	}
	return st
}

// cancelAfterThreeWindows runs o (whose Checkpoint is set) and cancels it once its
// third window is written; the run must not report success.
func cancelAfterThreeWindows(t *testing.T, o PredictOptions) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	o.Checkpoint.afterWrite = func(w *pipeline.Window) {
		if w.Index == 2 {
			cancel()
		}
	}
	if _, err := Predict(ctx, o); err == nil {
		t.Fatal("the cancelled run reported success")
	}
}

// checkpointOpener returns a function that opens (resuming) out's checkpoint for a
// test run, committing every 7 frames.
func checkpointOpener(t *testing.T, out string) func() *Checkpointer {
	id := checkpoint.Identity{Tool: "test", Options: map[string]string{"chunk-size": "300"}}
	return func() *Checkpointer {
		os.MkdirAll(out, 0o755)
		st, err := checkpoint.Open(out, id, checkpoint.OpenOptions{Resume: true})
		if err != nil {
			t.Fatal(err)
		}
		return NewCheckpointer(st, 7, 1<<40)
	}
}

// TestResumeIsByteIdentical interrupts a checkpointed run after some windows and
// resumes it; the outputs must equal an uninterrupted run's byte for byte.
func TestResumeIsByteIdentical(t *testing.T) {
	in := filepath.Join(td, "virnucpro_e2e_tiny", "input_sequence.fasta")
	ref := filepath.Join(t.TempDir(), "ref")
	if _, err := Predict(context.Background(), determinismOpts(t, in, ref, 300)); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "run")
	open := checkpointOpener(t, out)
	// First run: cancelled after three windows are written.
	o := determinismOpts(t, in, out, 300)
	o.Checkpoint = open()
	cancelAfterThreeWindows(t, o)
	if _, err := os.Stat(filepath.Join(out, PredictionsFile)); !os.IsNotExist(err) {
		t.Fatal("an interrupted run left final results")
	}
	// Resume.
	o = determinismOpts(t, in, out, 300)
	o.Checkpoint = open()
	resumeInterrupted(t, o)
	testutil.SameTree(t, testutil.ReadTree(t, ref, ".virnucpro"), testutil.ReadTree(t, out, ".virnucpro"), "after resume")
}

// TestReportsRebuildFromResults checks that predict's streamed reports (sequences.tsv,
// chunks.tsv, regions, plots, report.html) equal what report.Rebuild makes from the
// chunks.tsv the run wrote, and that chunks.tsv's coordinates follow the chunking rule.
func TestReportsRebuildFromResults(t *testing.T) {
	in := filepath.Join(td, "virnucpro_e2e_tiny", "input_sequence.fasta")
	out := t.TempDir()
	o := predictOpts(in, out, 300)
	o.Output.Report = report.Options{Title: "t", PlotTop: 0}
	if _, err := Predict(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	streamed := testutil.ReadTree(t, out, ".virnucpro")
	for _, f := range []string{report.ChunksFile, report.RegionsBEDFile, report.RegionsTSVFile, report.HTMLFile} {
		if _, ok := streamed[f]; !ok {
			t.Fatalf("predict wrote no %s", f)
		}
	}
	ro := o.Output.Report
	ro.Dir = out
	if err := report.Rebuild(out, ro); err != nil {
		t.Fatal(err)
	}
	testutil.SameTree(t, streamed, testutil.ReadTree(t, out, ".virnucpro"), "rebuilt reports")

	// chunks.tsv coordinates: each span of the input must be the chunk the original
	// pipeline cut (its chunked FASTA, made by split_fasta_chunk).
	seqs := readFASTA(t, in)
	orig := readFASTA(t, filepath.Join(td, "virnucpro_e2e_tiny", "L300", "input_sequence_chunked300.fa"))
	rows := strings.Split(strings.TrimSuffix(streamed[report.ChunksFile], "\n"), "\n")[1:]
	if len(rows) != len(orig) {
		t.Fatalf("chunks.tsv has %d chunks, the original cut %d", len(rows), len(orig))
	}
	for _, row := range rows {
		f := strings.Split(row, "\t")
		start, _ := strconv.Atoi(f[2])
		end, _ := strconv.Atoi(f[3])
		id := f[0] + "_chunk_" + f[1]
		if got := seqs[f[0]][start-1 : end]; got != orig[id] {
			t.Errorf("%s: %d..%d is %.20q..., the original's chunk is %.20q...", id, start, end, got, orig[id])
		}
	}
}

// readFASTA reads a small FASTA file into id -> sequence.
func readFASTA(t *testing.T, path string) map[string]string {
	t.Helper()
	r, err := fasta.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	m := map[string]string{}
	for {
		rec, err := r.Next()
		if err == io.EOF {
			return m
		}
		if err != nil {
			t.Fatal(err)
		}
		m[rec.ID] = string(rec.Seq)
	}
}

// noORFSequence finds (deterministically) a sequence with a stop codon in all six frames.
func noORFSequence(t *testing.T, n int) string {
	r := rand.New(rand.NewSource(7))
	for tries := 0; tries < 100000; tries++ {
		b := make([]byte, n)
		for i := range b {
			b[i] = "ACGT"[r.Intn(4)]
		}
		if len(seqprep.Translate("x", b)) == 0 {
			return string(b)
		}
	}
	t.Fatal("no sequence without a stop-free frame found")
	return ""
}
