package report

import (
	"bufio"
	"fmt"
	"math"
	"sort"
)

// Overview bins, fixed so report.html stays the same size for any run.
const (
	deltaBins  = 40 // weighted delta over [-1, 1]
	lengthBins = 20 // record length, log10 over [1, 10^10) in half decades
)

// Overview holds the fixed-size histograms behind report.html's charts.
type Overview struct {
	// Delta counts scored records by weighted delta; LengthDelta by length (rows,
	// half decades from 1 bp) and weighted delta (columns, 10 bins over [-1, 1]).
	Delta       [deltaBins]int
	LengthDelta [lengthBins][10]int
}

func binOf(v, lo, hi float64, n int) int {
	i := int(math.Floor((v - lo) / (hi - lo) * float64(n)))
	return min(max(i, 0), n-1)
}

func (o *Overview) add(r *RecordSummary) {
	d := r.WeightedDelta()
	if math.IsNaN(d) {
		return
	}
	o.Delta[binOf(d, -1, 1, deltaBins)]++
	l := binOf(math.Log10(float64(max(r.Length, 1))), 0, 10, lengthBins)
	o.LengthDelta[l][binOf(d, -1, 1, 10)]++
}

// deltaColor colours a weighted delta like the calls.
func deltaColor(d, call float64) string {
	switch {
	case d > call:
		return ColorViral
	case d < -call:
		return ColorNonViral
	}
	return "#a0522d"
}

// writeDeltaHistogram draws the histogram of the records' weighted delta with the
// call thresholds dashed.
func writeDeltaHistogram(b *bufio.Writer, o *Overview, th Thresholds) {
	const w, h, x0, y0, bw = 520, 220, 50, 180, 11
	top := 1
	for _, n := range o.Delta {
		top = max(top, n)
	}
	fmt.Fprintf(b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="11" role="img"><title>records by weighted delta</title>`, w, h, w, h)
	for i, n := range o.Delta {
		if n == 0 {
			continue
		}
		center := -1 + (float64(i)+0.5)*2/deltaBins
		bh := float64(n) / float64(top) * 160
		fmt.Fprintf(b, `<rect x="%d" y="%.1f" width="%d" height="%.1f" fill="%s"><title>%.2f to %.2f: %d records</title></rect>`,
			x0+i*bw, y0-bh, bw-1, bh, deltaColor(center, th.CallDelta), center-1.0/deltaBins, center+1.0/deltaBins, n)
	}
	xs := func(d float64) float64 { return x0 + (d+1)/2*deltaBins*bw }
	fmt.Fprintf(b, `<path d="M%d %dH%.0f" stroke="#808080"/>`, x0, y0, xs(1))
	for _, d := range []float64{-1, -0.5, 0, 0.5, 1} {
		fmt.Fprintf(b, `<text x="%.1f" y="%d" text-anchor="middle" fill="#555">%g</text>`, xs(d), y0+15, d)
	}
	for _, d := range []float64{-th.CallDelta, th.CallDelta} {
		fmt.Fprintf(b, `<path d="M%.1f 14V%d" stroke="#555" stroke-dasharray="4 3"/>`, xs(d), y0)
	}
	fmt.Fprintf(b, `<text x="%d" y="12" fill="#555">%d</text><text x="%.0f" y="%d" text-anchor="middle" fill="#333">weighted delta (records)</text></svg>`+"\n",
		x0-30, top, xs(0), y0+32)
}

// callTiers lists the (call, tier) pairs present, calls in their usual order and
// tiers most confident first within a call (unknown tiers after, by name).
func callTiers(s RunSummary) [][2]string {
	order := map[Call]int{CallViral: 0, CallNonViral: 1, CallAmbiguous: 2, CallNone: 4}
	var out [][2]string
	for c, tiers := range s.Calls {
		for t, n := range tiers {
			if n > 0 {
				out = append(out, [2]string{string(c), string(t)})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		oi, oj := order[Call(out[i][0])], order[Call(out[j][0])]
		if oi != oj {
			return oi < oj
		}
		if out[i][0] != out[j][0] {
			return out[i][0] < out[j][0]
		}
		ri, rj := tierRank(Tier(out[i][1])), tierRank(Tier(out[j][1]))
		if ri != rj {
			return ri < rj
		}
		return out[i][1] < out[j][1]
	})
	return out
}

// tierRank is a tier's position in Tiers (len(Tiers) for an unknown one).
func tierRank(t Tier) int {
	for i, x := range Tiers {
		if x == t {
			return i
		}
	}
	return len(Tiers)
}

// writeCallsChart draws the records per call and tier as horizontal bars.
func writeCallsChart(b *bufio.Writer, s RunSummary) {
	pairs := callTiers(s)
	const w, x0, bar = 520, 190, 300
	h := 20 + 22*max(len(pairs), 1)
	top := 1
	for _, p := range pairs {
		top = max(top, s.Calls[Call(p[0])][Tier(p[1])])
	}
	fmt.Fprintf(b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12" role="img"><title>records by call and tier</title>`, w, h, w, h)
	color := map[Call]string{CallViral: ColorViral, CallNonViral: ColorNonViral, CallAmbiguous: "#a0522d"}
	for i, p := range pairs {
		n := s.Calls[Call(p[0])][Tier(p[1])]
		y := 10 + 22*i
		c, ok := color[Call(p[0])]
		if !ok {
			c = ColorNoORF
		}
		label := p[0] + " · " + p[1]
		if Call(p[0]) == CallNone {
			label = "not called (no ORF)"
		}
		fmt.Fprintf(b, `<text x="%d" y="%d" text-anchor="end" fill="#333">%s</text><rect x="%d" y="%d" width="%.1f" height="16" fill="%s"/><text x="%.1f" y="%d" fill="#333">%d</text>`,
			x0-8, y+12, htmlText(label), x0, y, max(float64(n)/float64(top)*bar, 1), c, float64(x0)+max(float64(n)/float64(top)*bar, 1)+5, y+12, n)
	}
	b.WriteString("</svg>\n")
}

// writeLengthDelta draws record length against weighted delta as a binned heat map.
func writeLengthDelta(b *bufio.Writer, o *Overview) {
	const w, h, x0, y0, cw, ch = 520, 230, 60, 200, 40, 9
	top := 0
	rows := []int{}
	for l := range o.LengthDelta {
		for _, n := range o.LengthDelta[l] {
			top = max(top, n)
		}
	}
	for l := range lengthBins {
		rows = append(rows, l)
	}
	fmt.Fprintf(b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="11" role="img"><title>record length against weighted delta</title>`, w, h, w, h)
	for _, l := range rows {
		for d, n := range o.LengthDelta[l] {
			if n == 0 {
				continue
			}
			a := 0.15 + 0.85*math.Log1p(float64(n))/math.Log1p(float64(top))
			lo := math.Pow(10, float64(l)/2)
			fmt.Fprintf(b, `<rect x="%d" y="%d" width="%d" height="%d" fill="%s" fill-opacity="%.2f"><title>length %.0f-%.0f bp, delta %.1f to %.1f: %d records</title></rect>`,
				x0+d*cw, y0-(l+1)*ch, cw-1, ch-1, deltaColor(-0.9+0.2*float64(d), 0.3), a, lo, lo*math.Sqrt(10), -1+0.2*float64(d), -0.8+0.2*float64(d), n)
		}
	}
	fmt.Fprintf(b, `<path d="M%d %dV%dH%d" stroke="#808080" fill="none"/>`, x0, y0-lengthBins*ch, y0, x0+10*cw)
	for i, d := range []float64{-1, -0.5, 0, 0.5, 1} {
		fmt.Fprintf(b, `<text x="%d" y="%d" text-anchor="middle" fill="#555">%g</text>`, x0+i*100, y0+14, d)
	}
	for _, e := range []int{0, 2, 4, 6, 8, 10} {
		fmt.Fprintf(b, `<text x="%d" y="%d" text-anchor="end" fill="#555">1e%d</text>`, x0-4, y0-e*2*ch+4, e)
	}
	fmt.Fprintf(b, `<text x="%d" y="%d" text-anchor="middle" fill="#333">weighted delta</text><text x="12" y="%d" fill="#333" transform="rotate(-90 12 %d)" text-anchor="middle">length (bp)</text></svg>`+"\n",
		x0+5*cw, y0+28, y0-lengthBins*ch/2, y0-lengthBins*ch/2)
}
