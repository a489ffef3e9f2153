package report

import (
	"bufio"
	"fmt"
	"html"
	"io"
	"math"
	"strconv"
)

// Colours of the score-track plot, after the original drew_fig.py (red for virus, dark
// blue for others).
const (
	ColorViral    = "#d62728"
	ColorNonViral = "#1f3a93"
	ColorNoORF    = "#9e9e9e"
	colorRegion   = "#fde0dd"
	colorAxis     = "#808080"
)

// TrackPlot is the data of one record's score-track plot.
type TrackPlot struct {
	ID     string
	Length int
	Call   Call
	Tier   Tier
	// Chunks are the record's chunks in order; Regions its viral regions (shaded).
	Chunks  []ChunkRow
	Regions []Region
	// Last, when set, gives for each entry of Chunks the index of the last chunk it
	// stands for: a record with more chunks than a plot shows is drawn in segments of
	// consecutive chunks, each at the highest max score2 among them (see trackBuilder).
	Last []int
}

// Plot size in SVG user units.
const (
	plotWidth, plotHeight                            = 960, 240
	marginLeft, marginRight, marginTop, marginBottom = 56, 24, 44, 46
)

// WriteSVG draws the plot as a standalone SVG document: each scored chunk's max score2
// as a horizontal segment over the chunk's span, coloured by the chunk call (unscored
// chunks as a grey tick at 0), viral regions shaded, the 0.5 threshold dashed, axes
// with ticks, and the record id, length and call in the title.
func (p TrackPlot) WriteSVG(w io.Writer) error {
	b := bufio.NewWriter(w)
	x0, x1 := float64(marginLeft), float64(plotWidth-marginRight)
	y0, y1 := float64(plotHeight-marginBottom), float64(marginTop) // score 0 and 1
	length := max(p.Length, 1)
	for _, c := range p.Chunks {
		length = max(length, c.End)
	}
	xs := func(pos int) float64 { return x0 + (x1-x0)*float64(pos)/float64(length) }
	ys := func(s float64) float64 { return y0 + (y1-y0)*s }
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }

	fmt.Fprintf(b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" role="img">`+"\n",
		plotWidth, plotHeight, plotWidth, plotHeight)
	title := fmt.Sprintf("%s — %d bp — %s", p.ID, p.Length, p.Call)
	if p.Tier != TierNone && p.Tier != "" {
		title += " (" + string(p.Tier) + ")"
	}
	fmt.Fprintf(b, "<title>%s</title>\n", html.EscapeString(title))
	fmt.Fprintf(b, `<rect width="%d" height="%d" fill="#ffffff"/>`+"\n", plotWidth, plotHeight)
	fmt.Fprintf(b, `<text x="%s" y="24" font-size="16" font-weight="bold" fill="#000000">%s</text>`+"\n", f(x0), html.EscapeString(title))

	for _, r := range p.Regions {
		fmt.Fprintf(b, `<rect x="%s" y="%s" width="%s" height="%s" fill="%s"/>`+"\n",
			f(xs(r.Start)), f(y1), f(max(xs(r.End)-xs(r.Start), 0.5)), f(y0-y1), colorRegion)
	}
	// Y axis, ticks and grid.
	fmt.Fprintf(b, `<g stroke="%s" stroke-width="1" fill="none">`, colorAxis)
	fmt.Fprintf(b, `<path d="M%s %sV%sH%s"/>`, f(x0), f(y1), f(y0), f(x1))
	for _, s := range []float64{0, 0.25, 0.5, 0.75, 1} {
		fmt.Fprintf(b, `<path d="M%s %sh-5"/>`, f(x0), f(ys(s)))
	}
	for _, t := range axisTicks(length) {
		fmt.Fprintf(b, `<path d="M%s %sv5"/>`, f(xs(t)), f(y0))
	}
	b.WriteString("</g>\n")
	fmt.Fprintf(b, `<g font-size="11" fill="%s">`, colorAxis)
	for _, s := range []float64{0, 0.25, 0.5, 0.75, 1} {
		fmt.Fprintf(b, `<text x="%s" y="%s" text-anchor="end">%s</text>`, f(x0-8), f(ys(s)+4), strconv.FormatFloat(s, 'g', -1, 64))
	}
	for _, t := range axisTicks(length) {
		fmt.Fprintf(b, `<text x="%s" y="%s" text-anchor="middle">%d</text>`, f(xs(t)), f(y0+18), t)
	}
	fmt.Fprintf(b, `<text x="%s" y="%s" text-anchor="middle" font-size="12">position (bp)</text>`, f((x0+x1)/2), f(y0+36))
	fmt.Fprintf(b, `<text x="14" y="%s" text-anchor="middle" font-size="12" transform="rotate(-90 14 %s)">max score2</text>`, f((y0+y1)/2), f((y0+y1)/2))
	b.WriteString("</g>\n")
	// Threshold line.
	fmt.Fprintf(b, `<path d="M%s %sH%s" stroke="#555555" stroke-width="1" stroke-dasharray="6 4"/>`+"\n", f(x0), f(ys(0.5)), f(x1))
	// Chunk segments.
	b.WriteString(`<g stroke-width="3" stroke-linecap="butt">`)
	for i, c := range p.Chunks {
		color, s := ColorNonViral, float64(c.MaxVirus)
		switch {
		case !c.Scored():
			color, s = ColorNoORF, 0
		case c.IsVirus():
			color = ColorViral
		}
		if math.IsNaN(s) {
			s = 0
		}
		s = min(max(s, 0), 1)
		what := fmt.Sprintf("chunk %d", c.Index+1)
		if p.Last != nil && p.Last[i] != c.Index {
			what = fmt.Sprintf("chunks %d-%d (highest)", c.Index+1, p.Last[i]+1)
		}
		fmt.Fprintf(b, `<path d="M%s %sH%s" stroke="%s"><title>%s: %d-%d %s</title></path>`,
			f(xs(c.Start)), f(ys(s)), f(xs(c.End)), color, what, c.Start+1, c.End, c.Call())
	}
	b.WriteString("</g>\n")
	// Legend.
	lx := x1 - 300
	for i, l := range []struct{ color, label string }{{ColorViral, "viral"}, {ColorNonViral, "non-viral"}, {ColorNoORF, "no ORF"}} {
		x := lx + float64(i)*100
		fmt.Fprintf(b, `<path d="M%s 20h18" stroke="%s" stroke-width="3"/><text x="%s" y="24" font-size="11" fill="#333333">%s</text>`,
			f(x), l.color, f(x+22), l.label)
	}
	b.WriteString("\n</svg>\n")
	return b.Flush()
}

// axisTicks returns round positions in [0, length] about 5–10 apart.
func axisTicks(length int) []int {
	if length <= 0 {
		return []int{0}
	}
	step := 1
	for p := 1; ; p *= 10 {
		found := false
		for _, m := range []int{1, 2, 5} {
			if length/(p*m) <= 8 {
				step, found = p*m, true
				break
			}
		}
		if found {
			break
		}
	}
	var out []int
	for t := 0; t <= length; t += step {
		out = append(out, t)
	}
	return out
}
