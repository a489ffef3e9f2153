package pipeline

import (
	"context"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// BenchmarkPredictTiny runs the whole pipeline with the tiny test models on a
// generated input (200 records of 300–3000 bp, seed 3) and reports frames/s and the
// share of wall time spent in each stage (stages overlap, so shares can exceed 1).
func BenchmarkPredictTiny(b *testing.B) {
	r := rand.New(rand.NewSource(3))
	var sb strings.Builder
	for i := 0; i < 200; i++ {
		n := 300 + r.Intn(2700)
		fmt.Fprintf(&sb, ">r%d\n", i)
		for j := 0; j < n; j++ {
			sb.WriteByte("ACGT"[r.Intn(4)])
		}
		sb.WriteByte('\n')
	}
	in := filepath.Join(b.TempDir(), "in.fa")
	os.WriteFile(in, []byte(sb.String()), 0o644)
	for i := 0; i < b.N; i++ {
		o := predictOpts(in, filepath.Join(b.TempDir(), fmt.Sprint(i)), 500)
		o.WindowFrames, o.MaxTokens = 512, [2]int{4096, 4096}
		st, err := Predict(context.Background(), o)
		if err != nil {
			b.Fatal(err)
		}
		w := st.Wall.Seconds()
		b.ReportMetric(float64(st.Frames)/w, "frames/s")
		b.ReportMetric(st.Encoders[DNABERT].Embed.Seconds()/w, "share_dnabert")
		b.ReportMetric(st.Encoders[ESM].Embed.Seconds()/w, "share_esm")
		b.ReportMetric((st.Encoders[DNABERT].Tokenize+st.Encoders[ESM].Tokenize).Seconds()/w, "share_tokenize")
		b.ReportMetric(st.Read.Seconds()/w, "share_read")
		b.ReportMetric(st.Classify.Seconds()/w, "share_classify")
	}
}
