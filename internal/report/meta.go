package report

import (
	"fmt"
	"html"
	"io"
	"time"
)

// MetaBegin and MetaEnd enclose the run metadata in report.html: the only part that
// differs between two runs with the same results (date, command line, runtime), so
// comparisons of output directories (merge against an unsharded run, resumed against
// uninterrupted) leave it out.
const (
	MetaBegin = "<!--run-meta-->"
	MetaEnd   = "<!--/run-meta-->"
)

// RunMeta describes a run at the top of report.html.
type RunMeta struct {
	// Started is when the run began; Runtime its duration (when zero, the time from
	// Started to the writing of report.html).
	Started time.Time
	Runtime time.Duration
	// Command is the command line; Version the tool's version.
	Command, Version string
	// Models are the model files used, with their digests.
	Models []ModelFile
	// Backend (e.g. "cpu, OpenBLAS core=SkylakeX, 2 threads") and Precision.
	Backend, Precision string
}

// ModelStatus says whether a model file is a released model.
type ModelStatus int

// Model statuses (see weights/store.Recognize).
const (
	// ModelUnverified: the file has a released model's name but upstream publishes no
	// digest to check it against.
	ModelUnverified ModelStatus = iota
	// ModelReleased: the digest matches the catalog's pinned one.
	ModelReleased
	// ModelNotReleased: not a released model (another digest or name), e.g. the
	// bundled test models: the calls mean nothing about biology.
	ModelNotReleased
)

// ModelFile is one model file of a run.
type ModelFile struct {
	Role, Path, SHA256 string
	Status             ModelStatus
	// Note explains the status.
	Note string
}

// writeMeta writes the banner (when a model is not a released one) and the metadata
// table.
func (m *RunMeta) writeMeta(b io.Writer, now time.Time) {
	io.WriteString(b, MetaBegin+"\n")
	defer io.WriteString(b, MetaEnd+"\n")
	e := html.EscapeString
	var bad []string
	for _, f := range m.Models {
		if f.Status == ModelNotReleased {
			bad = append(bad, f.Role)
		}
	}
	if len(bad) > 0 {
		fmt.Fprintf(b, "<div class=\"banner\"><b>These results do not come from the released models.</b> %s: %s. "+
			"Test or retrained models give calls that say nothing about the biology of the input unless you know what they were trained on.</div>\n",
			e(fmt.Sprint(len(bad), " model file(s) are not the released VirNucPro/DNABERT-S/ESM-2 weights")), e(joinComma(bad)))
	}
	b.Write([]byte("<h2>Run</h2>\n<table class=\"summary\">\n"))
	row := func(k, v string) { fmt.Fprintf(b, "<tr><th>%s</th><td>%s</td></tr>\n", e(k), e(v)) }
	if !m.Started.IsZero() {
		row("date", m.Started.UTC().Format("2006-01-02 15:04:05 UTC"))
	}
	if m.Command != "" {
		row("command", m.Command)
	}
	if m.Version != "" {
		row("virnucpro version", m.Version)
	}
	for _, f := range m.Models {
		status := map[ModelStatus]string{ModelReleased: "released", ModelUnverified: "unverified", ModelNotReleased: "NOT a released model"}[f.Status]
		v := fmt.Sprintf("%s\nsha256 %s\n%s", f.Path, f.SHA256, status)
		if f.Note != "" {
			v += ": " + f.Note
		}
		fmt.Fprintf(b, "<tr><th>%s</th><td class=\"pre\">%s</td></tr>\n", e("model: "+f.Role), e(v))
	}
	if m.Backend != "" {
		row("math backend", m.Backend)
	}
	if m.Precision != "" {
		row("precision", m.Precision)
	}
	rt := m.Runtime
	if rt == 0 && !m.Started.IsZero() {
		rt = now.Sub(m.Started)
	}
	if rt > 0 {
		row("runtime", rt.Round(time.Second).String())
	}
	b.Write([]byte("</table>\n"))
}

func joinComma(s []string) string {
	out := ""
	for i, x := range s {
		if i > 0 {
			out += ", "
		}
		out += x
	}
	return out
}
