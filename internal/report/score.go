// Package report writes VirNucPro's result files: per-frame predictions
// (prediction_results.txt), per-chunk calls (prediction_results_highestscore.csv) and
// the per-record summary (sequences.tsv).
package report

import (
	"math"
	"strconv"
	"strings"
)

// Labels the original prints in prediction_results.txt.
const (
	LabelOthers = "others"
	LabelVirus  = "virus"
)

// FrameScore is the classifier's softmax output for one kept frame.
type FrameScore struct {
	// ID is the frame id, <chunk id>F1..F3 or R1..R3.
	ID string
	// Others is score1 = P(class 0, "others"); Virus is score2 = P(class 1, "virus").
	Others, Virus float32
}

// IsVirus is the frame's label: the argmax of the two probabilities, an exact tie
// going to "others" (torch.max returns the first maximum).
func (f FrameScore) IsVirus() bool { return f.Virus > f.Others }

// Label is "virus" or "others".
func (f FrameScore) Label() string {
	if f.IsVirus() {
		return LabelVirus
	}
	return LabelOthers
}

// ChunkID is the frame id without its two-character frame suffix (the original
// always drops the last two characters).
func (f FrameScore) ChunkID() string {
	if len(f.ID) < 2 {
		return ""
	}
	return f.ID[:len(f.ID)-2]
}

// FormatScore formats a float32 probability as the original prints it: numpy's str()
// of a float32, i.e. the shortest decimal that reads back as the same float32, in
// positional notation unless the exponent is below -4 (then 1e-05 style), with ".0"
// on integral values ("1.0") and "nan"/"inf" for the special values.
func FormatScore(v float32) string {
	switch {
	case v != v:
		return "nan"
	case math.IsInf(float64(v), 1):
		return "inf"
	case math.IsInf(float64(v), -1):
		return "-inf"
	}
	s := strconv.FormatFloat(float64(v), 'g', -1, 32)
	if !strings.ContainsAny(s, ".e") {
		s += ".0"
	}
	return s
}
