package report

import (
	"fmt"
	"math"
)

// Confirmation is the fp32 confirmation of a bf16 run on the CPU: Frames frames were
// re-scored in fp32 because their chunk's bf16 call was within Margin of flipping.
// The zero value (Margin 0) is a run without confirmation (fp32, or bf16 with margin
// 0): the reports show nothing for it.
type Confirmation struct {
	Frames int     `json:"frames"`
	Margin float64 `json:"margin"`
}

// Ran reports whether the run confirmed its near ties (Margin > 0).
func (c Confirmation) Ran() bool { return c.Margin > 0 }

// Check refuses a confirmation no run can have: a negative or non-finite margin, a
// negative count, or more frames than the run's (total < 0: not checked), or a count
// without a margin.
func (c Confirmation) Check(total int) error {
	switch {
	case !(c.Margin >= 0) || math.IsInf(c.Margin, 1):
		return fmt.Errorf("margin %v is not a finite non-negative number", c.Margin)
	case c.Frames < 0 || (total >= 0 && c.Frames > total):
		return fmt.Errorf("%d confirmed frames, the run has %d", c.Frames, total)
	case c.Frames > 0 && c.Margin == 0:
		return fmt.Errorf("%d confirmed frames without a margin", c.Frames)
	}
	return nil
}

// Describe is the confirmation in words for a run of total frames, e.g. "12 of 400
// frames (3.0%) re-scored in fp32: every chunk whose bf16 call was within 0.1 of
// flipping".
func (c Confirmation) Describe(total int) string {
	return fmt.Sprintf("%d of %d frames (%.1f%%) re-scored in fp32: every chunk whose bf16 call was within %g of flipping",
		c.Frames, total, 100*float64(c.Frames)/float64(max(total, 1)), c.Margin)
}
