package train

import (
	"bytes"
	"context"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/virnucpro/virnucpro/internal/model/mlp"
)

// gauss returns a standard normal draw (Box-Muller).
func gauss(r *RNG) float64 {
	u := 1 - r.Float64()
	return math.Sqrt(-2*math.Log(u)) * math.Cos(2*math.Pi*r.Float64())
}

// synthSet makes n rows of width dim: per-column offsets and scales, plus sep along
// a fixed random unit direction for the viral class (Bayes error Phi(-sep/2)).
func synthSet(seed uint64, n, dim int, sep float64) *Set {
	r := NewRNG(seed, 99)
	dirR := NewRNG(1234, 98) // same direction for every seed
	u := make([]float64, dim)
	var norm float64
	for i := range u {
		u[i] = gauss(dirR)
		norm += u[i] * u[i]
	}
	offset, scale := make([]float64, dim), make([]float64, dim)
	for i := range u {
		u[i] /= math.Sqrt(norm)
		offset[i], scale[i] = dirR.Uniform(-1, 1), dirR.Uniform(0.5, 1.5)
	}
	s := &Set{Dim: dim, Groups: []string{"viral", "other"}}
	for i := 0; i < n; i++ {
		y := i % 2
		for k := 0; k < dim; k++ {
			v := gauss(r) + float64(y)*sep*u[k]
			s.X = append(s.X, float32(offset[k]+scale[k]*v))
		}
		s.Labels = append(s.Labels, y)
		s.IDs = append(s.IDs, "row")
		s.Group = append(s.Group, 1-y)
	}
	return s
}

func quickConfig() Config {
	c := DefaultConfig()
	c.Hidden, c.Epochs = 32, 40
	return c
}

func TestTrainSeparableHeldOut(t *testing.T) {
	if testing.Short() {
		t.Skip("training run")
	}
	s := synthSet(1, 3000, 96, 7)
	c := quickConfig()
	plan, err := MakePlan(s, c)
	if err != nil {
		t.Fatal(err)
	}
	var lines int
	res, err := Train(context.Background(), s, plan, c, func(e EpochStats) {
		lines++
		t.Logf("epoch %d lr %.3g train loss %.4f val loss %.4f acc %.4f F1 %.4f AUROC %.4f",
			e.Epoch, e.LR, e.TrainLoss, e.Val.Loss, e.Val.Accuracy, e.Val.F1, e.Val.AUROC)
	})
	if err != nil {
		t.Fatal(err)
	}
	if lines != len(res.Epochs) || lines == 0 {
		t.Fatalf("%d progress lines for %d epochs", lines, len(res.Epochs))
	}
	// Fresh rows from the same distribution, through the saved float32 classifier.
	path := filepath.Join(t.TempDir(), "model.safetensors")
	if err := res.Model.Save(path); err != nil {
		t.Fatal(err)
	}
	cl, err := mlp.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	test := synthSet(2, 2000, 96, 7)
	m, err := EvaluateClassifier(context.Background(), cl, test, 256)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("held-out: %s", m.Text())
	if m.Accuracy < 0.99 {
		t.Errorf("held-out accuracy %.4f < 0.99", m.Accuracy)
	}
	// The float64 training-side evaluation agrees with the float32 classifier.
	m64, err := Evaluate(context.Background(), res.Model, test, nil, 256, 2)
	if err != nil {
		t.Fatal(err)
	}
	if m64.Confusion != m.Confusion || math.Abs(m64.AUROC-m.AUROC) > 1e-6 {
		t.Errorf("float64 evaluation %+v AUROC %v, float32 classifier %+v AUROC %v", m64.Confusion, m64.AUROC, m.Confusion, m.AUROC)
	}
}

// TestTrainDeterministic: a fixed seed gives bit-identical models across runs and
// thread counts (and the saved files are byte-identical); another seed differs.
func TestTrainDeterministic(t *testing.T) {
	s := synthSet(3, 600, 40, 3)
	run := func(threads int, seed uint64) []byte {
		c := quickConfig()
		c.Epochs, c.Threads, c.Seed, c.Patience = 4, threads, seed, 2
		plan, err := MakePlan(s, c)
		if err != nil {
			t.Fatal(err)
		}
		res, err := Train(context.Background(), s, plan, c, nil)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), "m.safetensors")
		if err := res.Model.Save(path); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	ref := run(1, 7)
	for _, tc := range []struct {
		name    string
		threads int
	}{{"again", 1}, {"threads=2", 2}, {"threads=5", 5}, {"threads=16", 16}} {
		if got := run(tc.threads, 7); !bytes.Equal(got, ref) {
			t.Errorf("%s: model differs from the first run", tc.name)
		}
	}
	if bytes.Equal(run(1, 8), ref) {
		t.Error("seed 8 gave the same model as seed 7")
	}
}
