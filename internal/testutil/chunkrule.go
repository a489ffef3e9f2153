// Package testutil holds helpers shared by tests of several packages: independent
// reference computations and output-tree comparisons. Only tests import it.
package testutil

// OriginalChunkSpans is an independent transcription of split_fasta_chunk
// (method.md §2), written the way the Python reads: build the shifts list by list
// concatenation and truncation, then slice with the running sum of the shifts.
func OriginalChunkSpans(L, cs int) [][2]int {
	if L == 0 {
		return nil
	}
	n := L / cs
	if L%cs != 0 {
		n++
	}
	rep := n*cs - L
	lo := rep / n
	up := lo + 1
	need := rep - lo*(n-1)
	var shifts []int
	for range need {
		shifts = append(shifts, up)
	}
	for range max(0, n-1-need) {
		shifts = append(shifts, lo)
	}
	shifts = append(shifts, 0)
	shifts = shifts[:n]
	var out [][2]int
	for i := range n {
		a := i * cs
		if i == 0 {
			out = append(out, [2]int{0, min(cs, L)})
			continue
		}
		m := 0
		for _, s := range shifts[:i] {
			m += s
		}
		out = append(out, [2]int{a - m, min(a-m+cs, L)})
	}
	return out
}
