package train

import (
	"fmt"
	"math"
	"sort"
	"strings"
)

// Class indices of the classifier's outputs (score1 = others, score2 = virus).
const (
	ClassOther = 0
	ClassViral = 1
)

// Confusion is the binary confusion matrix with virus as the positive class.
type Confusion struct {
	TP int // virus called virus
	FN int // virus called other
	FP int // other called virus
	TN int // other called other
}

// Metrics are the classification measures of the original train.py (accuracy,
// precision, recall, F1, AUROC, as sklearn computes them with virus as the positive
// class) plus MCC and the confusion matrix.
type Metrics struct {
	N         int
	Loss      float64 // mean cross-entropy (NaN when not computed)
	Accuracy  float64
	Precision float64 // 0 when nothing is called virus (sklearn's zero_division)
	Recall    float64
	F1        float64
	MCC       float64 // 0 when a margin of the matrix is empty (sklearn)
	AUROC     float64 // NaN when only one class is present
	Confusion Confusion
}

// Predict is the call train.py makes from a row's probabilities: the argmax, with an
// exact tie going to the first class (others), as torch.max.
func Predict(pOther, pViral float64) int {
	if pViral > pOther {
		return ClassViral
	}
	return ClassOther
}

// ComputeMetrics scores predictions against labels; scores are the virus
// probabilities (for AUROC). The slices must have equal length.
func ComputeMetrics(labels, preds []int, scores []float64) (Metrics, error) {
	if len(labels) != len(preds) || len(labels) != len(scores) {
		return Metrics{}, fmt.Errorf("metrics: %d labels, %d predictions, %d scores", len(labels), len(preds), len(scores))
	}
	m := Metrics{N: len(labels), Loss: math.NaN()}
	c := &m.Confusion
	for i, y := range labels {
		switch {
		case y == ClassViral && preds[i] == ClassViral:
			c.TP++
		case y == ClassViral:
			c.FN++
		case preds[i] == ClassViral:
			c.FP++
		default:
			c.TN++
		}
	}
	tp, fn, fp, tn := float64(c.TP), float64(c.FN), float64(c.FP), float64(c.TN)
	div := func(a, b float64) float64 {
		if b == 0 {
			return 0
		}
		return a / b
	}
	m.Accuracy = div(tp+tn, tp+tn+fp+fn)
	m.Precision = div(tp, tp+fp)
	m.Recall = div(tp, tp+fn)
	m.F1 = div(2*tp, 2*tp+fp+fn)
	m.MCC = div(tp*tn-fp*fn, math.Sqrt((tp+fp)*(tp+fn)*(tn+fp)*(tn+fn)))
	m.AUROC = AUROC(labels, scores)
	return m, nil
}

// AUROC is the area under the ROC curve of scores for the virus class, with tied
// scores counted half (the Mann-Whitney statistic, equal to sklearn's
// roc_auc_score). It is NaN unless both classes are present.
func AUROC(labels []int, scores []float64) float64 {
	idx := make([]int, len(scores))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return scores[idx[a]] < scores[idx[b]] })
	var pos, neg int
	var rankSum float64
	for i := 0; i < len(idx); {
		j := i
		for j < len(idx) && scores[idx[j]] == scores[idx[i]] {
			j++
		}
		avg := float64(i+j+1) / 2 // mean of ranks i+1..j
		for k := i; k < j; k++ {
			if labels[idx[k]] == ClassViral {
				pos++
				rankSum += avg
			} else {
				neg++
			}
		}
		i = j
	}
	if pos == 0 || neg == 0 {
		return math.NaN()
	}
	return (rankSum - float64(pos)*float64(pos+1)/2) / (float64(pos) * float64(neg))
}

// JSON returns the metrics as a map for JSON output (AUROC and loss null when
// undefined).
func (m Metrics) JSON() map[string]any {
	num := func(v float64) any {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil
		}
		return v
	}
	return map[string]any{
		"n": m.N, "loss": num(m.Loss), "accuracy": m.Accuracy, "precision": m.Precision, "recall": m.Recall,
		"f1": m.F1, "mcc": m.MCC, "auroc": num(m.AUROC),
		"confusion": map[string]int{"tp": m.Confusion.TP, "fn": m.Confusion.FN, "fp": m.Confusion.FP, "tn": m.Confusion.TN},
	}
}

// Text renders the metrics and the confusion matrix for people.
func (m Metrics) Text() string {
	var b strings.Builder
	f := func(v float64) string {
		if math.IsNaN(v) {
			return "n/a"
		}
		return fmt.Sprintf("%.4f", v)
	}
	fmt.Fprintf(&b, "rows       %d\n", m.N)
	if !math.IsNaN(m.Loss) {
		fmt.Fprintf(&b, "loss       %s\n", f(m.Loss))
	}
	fmt.Fprintf(&b, "accuracy   %s\nprecision  %s\nrecall     %s\nF1         %s\nMCC        %s\nAUROC      %s\n",
		f(m.Accuracy), f(m.Precision), f(m.Recall), f(m.F1), f(m.MCC), f(m.AUROC))
	c := m.Confusion
	w := len(fmt.Sprint(max(c.TP, c.FN, c.FP, c.TN, 1)))
	w = max(w, len("virus"))
	fmt.Fprintf(&b, "\nconfusion matrix (rows: true class, columns: predicted)\n")
	fmt.Fprintf(&b, "%-8s %*s %*s\n", "", w, "virus", w, "other")
	fmt.Fprintf(&b, "%-8s %*d %*d\n", "virus", w, c.TP, w, c.FN)
	fmt.Fprintf(&b, "%-8s %*d %*d\n", "other", w, c.FP, w, c.TN)
	return b.String()
}
