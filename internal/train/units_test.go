package train

import (
	"math"
	"sort"
	"testing"
)

func TestMetrics(t *testing.T) {
	for _, tc := range []struct {
		name          string
		labels, preds []int
		scores        []float64
		want          Metrics
		wantAUROC     float64
	}{
		{"mixed", []int{1, 1, 1, 0, 0, 0, 1, 0}, []int{1, 0, 1, 0, 1, 0, 1, 0},
			[]float64{0.9, 0.4, 0.8, 0.1, 0.6, 0.3, 0.7, 0.5},
			Metrics{N: 8, Accuracy: 0.75, Precision: 0.75, Recall: 0.75, F1: 0.75, MCC: 0.5, Confusion: Confusion{TP: 3, FN: 1, FP: 1, TN: 3}}, 14.0 / 16},
		{"all-tied-scores", []int{1, 0, 1, 0}, []int{1, 1, 1, 1}, []float64{0.5, 0.5, 0.5, 0.5},
			Metrics{N: 4, Accuracy: 0.5, Precision: 0.5, Recall: 1, F1: 2.0 / 3, MCC: 0, Confusion: Confusion{TP: 2, FP: 2}}, 0.5},
		{"nothing-called-virus", []int{1, 0, 0}, []int{0, 0, 0}, []float64{0.4, 0.2, 0.4},
			Metrics{N: 3, Accuracy: 2.0 / 3, Precision: 0, Recall: 0, F1: 0, MCC: 0, Confusion: Confusion{FN: 1, TN: 2}}, 0.75},
		{"one-class", []int{1, 1}, []int{1, 0}, []float64{0.9, 0.1},
			Metrics{N: 2, Accuracy: 0.5, Precision: 1, Recall: 0.5, F1: 2.0 / 3, MCC: 0, Confusion: Confusion{TP: 1, FN: 1}}, math.NaN()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := ComputeMetrics(tc.labels, tc.preds, tc.scores)
			if err != nil {
				t.Fatal(err)
			}
			near := func(name string, got, want float64) {
				if !(math.Abs(got-want) < 1e-12 || (math.IsNaN(got) && math.IsNaN(want))) {
					t.Errorf("%s = %v, want %v", name, got, want)
				}
			}
			near("accuracy", m.Accuracy, tc.want.Accuracy)
			near("precision", m.Precision, tc.want.Precision)
			near("recall", m.Recall, tc.want.Recall)
			near("F1", m.F1, tc.want.F1)
			near("MCC", m.MCC, tc.want.MCC)
			near("AUROC", m.AUROC, tc.wantAUROC)
			if m.Confusion != tc.want.Confusion || m.N != tc.want.N {
				t.Errorf("confusion %+v n %d, want %+v n %d", m.Confusion, m.N, tc.want.Confusion, tc.want.N)
			}
			if m.Text() == "" || m.JSON()["auroc"] == nil != math.IsNaN(tc.wantAUROC) {
				t.Errorf("text/JSON rendering: %v", m.JSON())
			}
		})
	}
	if _, err := ComputeMetrics([]int{1}, nil, nil); err == nil {
		t.Error("mismatched lengths accepted")
	}
}

func TestPredictTieGoesToOthers(t *testing.T) {
	for _, tc := range []struct {
		p0, p1 float64
		want   int
	}{{0.5, 0.5, ClassOther}, {0.4, 0.6, ClassViral}, {0.6, 0.4, ClassOther}} {
		if got := Predict(tc.p0, tc.p1); got != tc.want {
			t.Errorf("Predict(%v, %v) = %d, want %d", tc.p0, tc.p1, got, tc.want)
		}
	}
}

// TestBatchNormRunningStats: running mean/var move by momentum towards the batch mean
// and the unbiased batch variance; normalisation uses the biased variance (torch).
func TestBatchNormRunningStats(t *testing.T) {
	x := []float64{1, 10, 2, 20, 3, 30, 6, 40} // 4 rows × 2 columns
	n, h := 4, 2
	gamma, beta := []float64{1, 2}, []float64{0, 1}
	rm, rv := []float64{0, 5}, []float64{1, 2}
	y := make([]float64, n*h)
	c := bnCache{xhat: make([]float64, n*h), invstd: make([]float64, h)}
	batchNormTrain(workers{n: 1}, x, n, h, gamma, beta, 1e-5, 0.1, rm, rv, y, &c)
	// column 0: mean 3, biased var (4+1+0+9)/4=3.5, unbiased 14/3
	// column 1: mean 25, biased var (225+25+25+225)/4=125, unbiased 500/3
	want := []struct{ rm, rv float64 }{{0.3, 0.9 + 0.1*14.0/3}, {0.9*5 + 2.5, 0.9*2 + 0.1*500.0/3}}
	for j, w := range want {
		if math.Abs(rm[j]-w.rm) > 1e-12 || math.Abs(rv[j]-w.rv) > 1e-12 {
			t.Errorf("column %d: running mean %v var %v, want %v %v", j, rm[j], rv[j], w.rm, w.rv)
		}
	}
	if got, w := y[0], (1-3)/math.Sqrt(3.5+1e-5); math.Abs(got-w) > 1e-12 {
		t.Errorf("y[0,0] = %v, want %v", got, w)
	}
	if got, w := y[1], 2*(10-25)/math.Sqrt(125+1e-5)+1; math.Abs(got-w) > 1e-12 {
		t.Errorf("y[0,1] = %v, want %v", got, w)
	}
}

func TestSGDAndStepLR(t *testing.T) {
	p := []float64{1}
	s := &SGD{LR: 0.1, Momentum: 0.9}
	s.Step(workers{n: 1}, p, []float64{0.5}) // buf = 0.5
	s.Step(workers{n: 1}, p, []float64{0.25})
	if want := 1 - 0.1*0.5 - 0.1*(0.9*0.5+0.25); math.Abs(p[0]-want) > 1e-15 {
		t.Errorf("after two steps p = %v, want %v", p[0], want)
	}
	for _, tc := range []struct {
		epoch int
		want  float64
	}{{0, 2e-4}, {9, 2e-4}, {10, 2e-4 * 0.85}, {25, 2e-4 * 0.85 * 0.85}, {199, 2e-4 * math.Pow(0.85, 19)}} {
		if got := StepLR(2e-4, 10, 0.85, tc.epoch); math.Abs(got-tc.want) > 1e-18 {
			t.Errorf("StepLR epoch %d = %v, want %v", tc.epoch, got, tc.want)
		}
	}
}

func TestXavierInit(t *testing.T) {
	m, err := NewModel(300, 50, 2, NewRNG(1, streamInit))
	if err != nil {
		t.Fatal(err)
	}
	bound := math.Sqrt(6.0 / 350)
	var mx float64
	for _, v := range m.W1() {
		mx = max(mx, math.Abs(v))
	}
	if mx > bound || mx < 0.95*bound {
		t.Errorf("hidden weight max |w| %v, Xavier bound %v", mx, bound)
	}
	for _, v := range m.B1() {
		if math.Abs(v) > 1/math.Sqrt(300) {
			t.Errorf("hidden bias %v outside torch's default bound", v)
		}
	}
	for j := range m.Gamma() {
		if m.Gamma()[j] != 1 || m.Beta()[j] != 0 || m.RunMean[j] != 0 || m.RunVar[j] != 1 {
			t.Fatal("BatchNorm not initialised as torch")
		}
	}
	if _, err := NewModel(0, 5, 2, NewRNG(1, 0)); err == nil {
		t.Error("zero input width accepted")
	}
}

func TestBalance(t *testing.T) {
	// 100 viral rows; other groups of 10, 200 and 300 rows.
	s := &Set{Dim: 1, Groups: []string{"v", "o1", "o2", "o3"}}
	add := func(n, label, group int) {
		for i := 0; i < n; i++ {
			s.X = append(s.X, 0)
			s.Labels = append(s.Labels, label)
			s.IDs = append(s.IDs, "r")
			s.Group = append(s.Group, group)
		}
	}
	add(100, 1, 0)
	add(10, 0, 1)
	add(200, 0, 2)
	add(300, 0, 3)
	idx, rep := Balance(s, NewRNG(42, streamBalance))
	if rep.KeptViral != 100 || rep.KeptOther != 100 || len(idx) != 200 {
		t.Fatalf("kept %d viral, %d other (%d rows)", rep.KeptViral, rep.KeptOther, len(idx))
	}
	if rep.PerGroup[1] != 10 || rep.PerGroup[2] != 34 || rep.PerGroup[3] != 34 {
		t.Errorf("per-group draws %v, want quota ceil(100/3)=34 capped at group size", rep.PerGroup)
	}
	seen := map[int]bool{}
	viral := 0
	for _, i := range idx {
		if seen[i] {
			t.Fatalf("row %d drawn twice", i)
		}
		seen[i] = true
		viral += s.Labels[i]
	}
	if viral != 100 {
		t.Errorf("%d viral rows kept", viral)
	}
	// More viral than other rows: viral is down-sampled.
	s2 := &Set{Dim: 1, Groups: []string{"v", "o"}}
	s = s2
	add(50, 1, 0)
	add(20, 0, 1)
	if _, rep := Balance(s2, NewRNG(1, 0)); rep.KeptViral != 20 || rep.KeptOther != 20 {
		t.Errorf("kept %d/%d, want 20/20", rep.KeptViral, rep.KeptOther)
	}
}

func TestSplit(t *testing.T) {
	idx := make([]int, 105)
	for i := range idx {
		idx[i] = i
	}
	tr, val := Split(idx, 0.1, NewRNG(42, streamSplit))
	if len(val) != 10 || len(tr) != 95 {
		t.Fatalf("split %d/%d, want 95/10 (floor of 10.5)", len(tr), len(val))
	}
	all := append(append([]int(nil), tr...), val...)
	sort.Ints(all)
	for i, v := range all {
		if v != i {
			t.Fatal("split lost or duplicated rows")
		}
	}
	tr2, _ := Split(idx, 0.1, NewRNG(42, streamSplit))
	for i := range tr {
		if tr[i] != tr2[i] {
			t.Fatal("split not reproducible")
		}
	}
}

func TestConfigValidate(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		edit func(*Config)
	}{
		{"hidden", func(c *Config) { c.Hidden = 0 }},
		{"dropout", func(c *Config) { c.Dropout = 1 }},
		{"lr", func(c *Config) { c.LR = 0 }},
		{"lr-nan", func(c *Config) { c.LR = math.NaN() }},
		{"momentum", func(c *Config) { c.Momentum = -1 }},
		{"step", func(c *Config) { c.StepSize = 0 }},
		{"gamma", func(c *Config) { c.Gamma = 0 }},
		{"batch", func(c *Config) { c.BatchSize = 1 }},
		{"epochs", func(c *Config) { c.Epochs = 0 }},
		{"val", func(c *Config) { c.ValFraction = 1 }},
		{"patience", func(c *Config) { c.Patience = -1 }},
		{"threads", func(c *Config) { c.Threads = 0 }},
		{"bn-eps", func(c *Config) { c.BNEps = 0 }},
	} {
		c := DefaultConfig()
		tc.edit(&c)
		if c.Validate() == nil {
			t.Errorf("%s: bad value accepted", tc.name)
		}
	}
}
