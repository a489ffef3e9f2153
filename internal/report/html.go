package report

import (
	"bufio"
	"fmt"
	"html"
	"io"
	"strconv"
	"time"
	"unicode/utf8"
)

// RecordRow is a record's line in report.html: the numbers of sequences.tsv, small
// enough to hold many of them.
type RecordRow struct {
	Ordinal                    int
	ID                         string
	Length                     int
	Chunks, Scored, Viral      int
	ViralFraction, Mean, Delta float64
	Max                        float32
	Call                       Call
	Tier                       Tier
	Regions                    int
	// Description is the record's FASTA header after the id ("" when none).
	Description string
	// Plot is the index of the record's plot in HTMLReport.Plots, -1 if none.
	Plot int
}

// rowOf summarises a record for the HTML table.
func rowOf(r *RecordSummary, regions int) RecordRow {
	call, tier := r.Call()
	return RecordRow{Ordinal: r.Ordinal, ID: r.ID, Length: r.Length, Chunks: r.Chunks, Scored: r.ChunksWithFrames,
		Viral: r.ViralChunks, ViralFraction: r.ViralFraction(), Mean: r.MeanVirus(), Delta: r.WeightedDelta(),
		Max: r.MaxVirus, Call: call, Tier: tier, Regions: regions, Plot: -1}
}

// Param is a named run parameter shown in the summary.
type Param struct{ Name, Value string }

// RunSummary holds the run-wide counts of report.html.
type RunSummary struct {
	Records, NoORFRecords      int
	Bases                      int64
	Chunks, Scored, ViralChunk int
	Regions                    int
	// Frames is the number of kept frames scored (the sum of chunks.tsv's frames).
	Frames int
	// Calls counts records by call and tier.
	Calls map[Call]map[Tier]int
	// Overview holds the histograms of the charts.
	Overview Overview
}

func (s *RunSummary) add(r *RecordSummary) {
	s.Records++
	s.Bases += int64(r.Length)
	s.Chunks += r.Chunks
	s.Scored += r.ChunksWithFrames
	s.ViralChunk += r.ViralChunks
	if r.ChunksWithFrames == 0 {
		s.NoORFRecords++
	}
	call, tier := r.Call()
	if s.Calls == nil {
		s.Calls = map[Call]map[Tier]int{}
	}
	if s.Calls[call] == nil {
		s.Calls[call] = map[Tier]int{}
	}
	s.Calls[call][tier]++
	s.Overview.add(r)
}

// HTMLReport is the content of report.html.
type HTMLReport struct {
	// Meta, when set, adds the run's metadata (and a banner when its models are not
	// the released ones).
	Meta       *RunMeta
	Title      string
	Params     []Param
	Thresholds Thresholds
	Summary    RunSummary
	// Confirmation, when it ran, is a row of the run summary (see Confirmation).
	Confirmation Confirmation
	// Rows are the table rows (most viral first); OmittedRows counts records left out
	// of the table (sequences.tsv has them all).
	Rows        []RecordRow
	OmittedRows int
	// Plots are inline SVG documents; OmittedPlots counts records not drawn inline.
	Plots        [][]byte
	OmittedPlots int
}

const htmlStyle = `body{font-family:sans-serif;margin:24px;color:#222;max-width:1400px}
h1{font-size:22px}h2{font-size:18px;margin-top:28px}
table{border-collapse:collapse;font-size:13px}th,td{border:1px solid #ccc;padding:3px 7px;text-align:right}
td.id,th.id{text-align:left;max-width:420px;overflow-wrap:anywhere}th{background:#eee;cursor:pointer;user-select:none}
th.asc::after{content:" \25B2"}th.desc::after{content:" \25BC"}
tr.Viral td.call{color:#d62728;font-weight:bold}tr.Non-viral td.call{color:#1f3a93}tr.Ambiguous td.call{color:#a0522d}
.summary td{text-align:left}.note{color:#666;font-size:13px}figure{margin:12px 0}svg{max-width:100%;height:auto}
td.pre{white-space:pre-wrap;font-family:monospace;font-size:12px}.banner{background:#fff3cd;border:2px solid #d9a400;padding:10px 14px;margin:12px 0}
.charts{display:flex;flex-wrap:wrap;gap:16px}.charts figure{margin:0}#filter{font-size:14px;padding:4px;width:320px;margin:6px 0}`

// The table sorter: click a header to sort by it; cells carry data-v for numbers.
const htmlScript = `(function(){var t=document.getElementById("records");if(!t)return;var hs=t.tHead.rows[0].cells;
for(var i=0;i<hs.length;i++)(function(i){hs[i].addEventListener("click",function(){var b=t.tBodies[0],rs=[].slice.call(b.rows),
d=hs[i].classList.contains("asc")?-1:1,num=hs[i].hasAttribute("data-num");for(var j=0;j<hs.length;j++)hs[j].classList.remove("asc","desc");
hs[i].classList.add(d>0?"asc":"desc");rs.sort(function(x,y){var a=x.cells[i].getAttribute("data-v"),c=y.cells[i].getAttribute("data-v");
if(num){a=parseFloat(a);c=parseFloat(c);if(isNaN(a))a=-Infinity;if(isNaN(c))c=-Infinity;return d*(a-c)}return d*(a<c?-1:a>c?1:0)});
rs.forEach(function(r){b.appendChild(r)})})})(i);
var f=document.getElementById("filter");if(f)f.addEventListener("input",function(){var q=f.value.toLowerCase(),rs=t.tBodies[0].rows;
for(var k=0;k<rs.length;k++)rs[k].style.display=rs[k].textContent.toLowerCase().indexOf(q)<0?"none":""})})();`

// htmlText escapes text for HTML.
func htmlText(s string) string { return html.EscapeString(s) }

// cut shortens s to at most n bytes (on a rune boundary), marking the cut with "…".
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// WriteHTML writes report.html: one self-contained file (inline CSS, JS and SVG, no
// external assets) of bounded size: run metadata, summary, overview charts, the top
// records most viral first with a filter box, and the top plots. Every id is
// HTML-escaped.
func (h *HTMLReport) WriteHTML(w io.Writer) error {
	b := bufio.NewWriterSize(w, 1<<16)
	e := html.EscapeString
	title := h.Title
	if title == "" {
		title = "virnucpro report"
	}
	fmt.Fprintf(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>%s</title>\n<style>%s</style></head><body>\n", e(title), htmlStyle)
	fmt.Fprintf(b, "<h1>%s</h1>\n", e(title))
	if h.Meta != nil {
		h.Meta.writeMeta(b, time.Now())
	}
	h.writeSummary(b)
	b.WriteString("<h2>Overview</h2>\n<div class=\"charts\"><figure>")
	writeDeltaHistogram(b, &h.Summary.Overview, h.Thresholds)
	b.WriteString("</figure><figure>")
	writeCallsChart(b, h.Summary)
	b.WriteString("</figure><figure>")
	writeLengthDelta(b, &h.Summary.Overview)
	b.WriteString("</figure></div>\n")
	h.writeTable(b)
	b.WriteString("<h2>Score tracks</h2>\n")
	if h.OmittedPlots > 0 {
		fmt.Fprintf(b, "<p class=\"note\">%d records are not drawn here (the most viral are); see plots/ and --plot-top.</p>\n", h.OmittedPlots)
	}
	b.WriteString("<p class=\"note\">Each segment is one chunk at its max score2 (red viral, blue non-viral, grey no ORF); shaded: viral regions; dashed: 0.5. A record with many chunks is drawn in segments of consecutive chunks at their highest score.</p>\n")
	for i, svg := range h.Plots {
		fmt.Fprintf(b, "<figure id=\"plot-%d\">\n", i)
		b.Write(svg)
		b.WriteString("</figure>\n")
	}
	fmt.Fprintf(b, "<script>%s</script>\n</body></html>\n", htmlScript)
	return b.Flush()
}

// writeSummary writes the run-wide counts.
func (h *HTMLReport) writeSummary(b *bufio.Writer) {
	e := html.EscapeString
	b.WriteString("<h2>Run summary</h2>\n<table class=\"summary\">\n")
	s := h.Summary
	row := func(k, v string) { fmt.Fprintf(b, "<tr><th>%s</th><td>%s</td></tr>\n", e(k), e(v)) }
	for _, p := range h.Params {
		row(p.Name, p.Value)
	}
	row("records", fmt.Sprintf("%d (%d with no scored chunk)", s.Records, s.NoORFRecords))
	row("bases", strconv.FormatInt(s.Bases, 10))
	row("chunks", fmt.Sprintf("%d (%d scored, %d viral)", s.Chunks, s.Scored, s.ViralChunk))
	if h.Confirmation.Ran() {
		row("fp32 confirmation", h.Confirmation.Describe(s.Frames))
	}
	row("viral regions", strconv.Itoa(s.Regions))
	for _, c := range []Call{CallViral, CallNonViral, CallAmbiguous, CallNone} {
		n := 0
		var parts string
		for _, t := range Tiers {
			if k := s.Calls[c][t]; k > 0 {
				n += k
				if t != TierNone {
					parts += fmt.Sprintf(" %s %d", t, k)
				}
			}
		}
		label := "records " + string(c)
		if c == CallNone {
			label = "records not called (no ORF)"
		}
		if parts != "" {
			row(label, fmt.Sprintf("%d (%s)", n, parts[1:]))
		} else {
			row(label, strconv.Itoa(n))
		}
	}
	th := h.Thresholds
	row("thresholds", fmt.Sprintf("call |Δw| > %g; moderate tier needs ≥1 confident chunk (score > %g, other < %g) and viral/non-viral proportion ≥ %g/%g of the non-ambiguous chunks (both > %g), high tier also |Δw| > %g; < %d scored chunks demotes the tier; region gap %d chunks",
		th.CallDelta, th.ConfidentHigh, th.ConfidentLow, th.HighFraction, th.NonViralFraction, th.AmbiguousBoth, th.HighDelta, th.MinChunks, th.RegionGap))
	b.WriteString("</table>\n")
}

// writeTable writes the records table, most viral first.
func (h *HTMLReport) writeTable(b *bufio.Writer) {
	e := html.EscapeString
	fmt.Fprintf(b, "<h2>Records, most viral first</h2>\n")
	if h.OmittedRows > 0 {
		fmt.Fprintf(b, "<p class=\"note\">%d records with less viral evidence are not listed here; sequences.tsv has every record.</p>\n", h.OmittedRows)
	}
	b.WriteString("<p class=\"note\">Ranked by weighted delta, then viral fraction. Click a column header to sort; type to filter.</p>\n")
	b.WriteString("<input id=\"filter\" type=\"search\" placeholder=\"filter: id, description, call...\">\n<table id=\"records\"><thead><tr>")
	for _, c := range []struct{ name, cls string }{{"rank", "n"}, {"#", "n"}, {"id", "id"}, {"description", "id"}, {"length", "n"}, {"chunks", "n"}, {"scored", "n"},
		{"viral", "n"}, {"viral fraction", "n"}, {"mean score2", "n"}, {"max score2", "n"}, {"weighted delta", "n"},
		{"call", ""}, {"tier", ""}, {"regions", "n"}} {
		switch c.cls {
		case "n":
			fmt.Fprintf(b, "<th data-num>%s</th>", e(c.name))
		case "id":
			fmt.Fprintf(b, "<th class=\"id\">%s</th>", e(c.name))
		default:
			fmt.Fprintf(b, "<th>%s</th>", e(c.name))
		}
	}
	b.WriteString("</tr></thead><tbody>\n")
	for rank, r := range h.Rows {
		fmt.Fprintf(b, "<tr class=\"%s\">", e(string(r.Call)))
		num := func(v string) { fmt.Fprintf(b, "<td data-v=\"%s\">%s</td>", v, v) }
		num(strconv.Itoa(rank + 1))
		num(strconv.Itoa(r.Ordinal + 1))
		id := e(cut(r.ID, 80))
		if r.Plot >= 0 {
			fmt.Fprintf(b, "<td class=\"id\" data-v=\"%s\"><a href=\"#plot-%d\">%s</a></td>", id, r.Plot, id)
		} else {
			fmt.Fprintf(b, "<td class=\"id\" data-v=\"%s\">%s</td>", id, id)
		}
		desc := e(cut(r.Description, 120))
		fmt.Fprintf(b, "<td class=\"id\" data-v=\"%s\">%s</td>", desc, desc)
		num(strconv.Itoa(r.Length))
		num(strconv.Itoa(r.Chunks))
		num(strconv.Itoa(r.Scored))
		num(strconv.Itoa(r.Viral))
		num(formatStat(r.ViralFraction))
		num(formatStat(r.Mean))
		if r.Scored > 0 {
			num(FormatScore(r.Max))
		} else {
			num("NA")
		}
		num(formatStat(r.Delta))
		fmt.Fprintf(b, "<td class=\"call\" data-v=\"%s\">%s</td><td data-v=\"%s\">%s</td>", e(string(r.Call)), e(string(r.Call)), e(string(r.Tier)), e(string(r.Tier)))
		num(strconv.Itoa(r.Regions))
		b.WriteString("</tr>\n")
	}
	b.WriteString("</tbody></table>\n")
}
