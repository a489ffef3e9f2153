package predict

import (
	"context"
	"fmt"
	"github.com/virnucpro/virnucpro/internal/pipeline"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/virnucpro/virnucpro/internal/randmodel"
)

// BenchmarkPredictTiny runs the whole pipeline with the tiny test models on a
// generated input (200 records of 300–3000 bp of stop-free codons, seed 3) and reports frames/s and the
// share of wall time spent in each stage (stages overlap, so shares can exceed 1).
func BenchmarkPredictTiny(b *testing.B) {
	benchPredict(b, tinyModels(), 200)
}

// BenchmarkPredictRealShape runs the pipeline with random weights at realistic shapes:
// DNABERT-S (12 × 768, GLU 3072), a 35M-class ESM-2 (12 × 480) and a 1248→512→2
// classifier, on 40 records, reporting the same metrics.
func BenchmarkPredictRealShape(b *testing.B) {
	dir := b.TempDir()
	m := ModelPaths{DNABERT: filepath.Join(dir, "dnabert"), ESM: filepath.Join(dir, "esm"), Classifier: filepath.Join(dir, "clf.safetensors")}
	os.MkdirAll(m.DNABERT, 0o755)
	os.MkdirAll(m.ESM, 0o755)
	if err := randmodel.DNABERT(m.DNABERT, 12, 768, 12, 3072, filepath.Join(td, "dnabert_tiny", "tokenizer.json")); err != nil {
		b.Fatal(err)
	}
	if err := randmodel.ESM2(m.ESM, 12, 480, 20); err != nil {
		b.Fatal(err)
	}
	if err := randmodel.Classifier(m.Classifier, 768+480, 512); err != nil {
		b.Fatal(err)
	}
	benchPredict(b, m, 40)
}

func benchPredict(b *testing.B, models ModelPaths, records int) {
	r := rand.New(rand.NewSource(3))
	var sb strings.Builder
	for i := 0; i < records; i++ {
		n := 300 + r.Intn(2700)
		fmt.Fprintf(&sb, ">r%d\n", i)
		// Random codons without stops: every chunk keeps at least one forward frame.
		for j := 0; j < n; j += 3 {
			c := ""
			for c == "" || c == "TAA" || c == "TAG" || c == "TGA" {
				c = string([]byte{"ACGT"[r.Intn(4)], "ACGT"[r.Intn(4)], "ACGT"[r.Intn(4)]})
			}
			sb.WriteString(c)
		}
		sb.WriteByte('\n')
	}
	in := filepath.Join(b.TempDir(), "in.fa")
	os.WriteFile(in, []byte(sb.String()), 0o644)
	for i := 0; i < b.N; i++ {
		o := predictOpts(in, filepath.Join(b.TempDir(), fmt.Sprint(i)), 500)
		o.WindowFrames, o.MaxTokens, o.Models = 512, [2]int{4096, 4096}, models
		st, err := Predict(context.Background(), o)
		if err != nil {
			b.Fatal(err)
		}
		w := st.Wall.Seconds()
		b.ReportMetric(float64(st.Frames)/w, "frames/s")
		b.ReportMetric(st.Encoders[pipeline.DNABERT].Embed.Seconds()/w, "share_dnabert")
		b.ReportMetric(st.Encoders[pipeline.ESM].Embed.Seconds()/w, "share_esm")
		b.ReportMetric((st.Encoders[pipeline.DNABERT].Tokenize+st.Encoders[pipeline.ESM].Tokenize).Seconds()/w, "share_tokenize")
		b.ReportMetric(st.Read.Seconds()/w, "share_read")
		b.ReportMetric(st.Classify.Seconds()/w, "share_classify")
	}
}
