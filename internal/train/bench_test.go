package train

import "testing"

// BenchmarkTrainStep is one SGD step of the original recipe's shape (3328 -> 512 -> 2,
// batch 32): forward, backward and the optimiser update.
func BenchmarkTrainStep(b *testing.B) {
	for _, threads := range []int{1, 2} {
		b.Run(map[int]string{1: "threads=1", 2: "threads=2"}[threads], func(b *testing.B) {
			m, err := NewModel(3328, 512, 2, NewRNG(1, streamInit))
			if err != nil {
				b.Fatal(err)
			}
			s := synthSet(1, 32, 3328, 1)
			rows := make([][]float32, 32)
			for i := range rows {
				rows[i] = s.Row(i)
			}
			wk := workers{n: threads}
			net := newNetwork(m, 32, 0.5, wk)
			opt := &SGD{LR: 2e-4, Momentum: 0.9}
			r := NewRNG(1, streamDropout)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				net.load(rows)
				net.trainStep(32, s.Labels, r)
				opt.Step(wk, m.Params, net.grad.Params)
			}
			b.ReportMetric(float64(32*b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
