// Package mqc writes MultiQC custom content for a run: virnucpro_mqc.tsv, a bar plot of
// the records per call and tier, and virnucpro_mqc.yaml, a table of records, chunks and
// the share of chunks without an ORF. MultiQC finds files named *_mqc.tsv / *_mqc.yaml by
// itself, so `multiqc OUTDIR...` gives every run a virnucpro section. Both are computed
// from sequences.tsv, so `report` and `merge` rewrite them like the other tables.
package mqc

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/virnucpro/virnucpro/internal/atomicfile"
	"github.com/virnucpro/virnucpro/internal/report"
)

// File names (MultiQC's custom-content search patterns match them).
const (
	TSVFile  = "virnucpro_mqc.tsv"
	YAMLFile = "virnucpro_mqc.yaml"
)

// Summary is what the files report for one run.
type Summary struct {
	Records, Chunks, NoORFChunks, NoORFRecords int
	// Calls counts records by bar category (see Categories).
	Calls map[string]int
	// Confirmation, when it ran (a bf16 run on the CPU), adds the frames re-scored in
	// fp32 and the margin to the table; it is not in sequences.tsv (see Write).
	Confirmation report.Confirmation
}

// Categories are the bar plot's categories, in order: each call with each tier, and
// records without a call.
var Categories = []string{
	"Viral high_confidence", "Viral moderate_confidence", "Viral low_confidence", "Viral review",
	"Ambiguous review",
	"Non-viral high_confidence", "Non-viral moderate_confidence", "Non-viral low_confidence", "Non-viral review",
	"No call (no ORF)",
}

// canonicalTier is viral-ngs' tier name for a row of sequences.tsv (an Ambiguous
// call is review; legacy names are mapped by report.CanonicalTier; others pass as they are).
func canonicalTier(call, tier string) string {
	if call == string(report.CallAmbiguous) {
		return string(report.TierReview)
	}
	if t, ok := report.CanonicalTier(tier); ok {
		return string(t)
	}
	return tier
}

// Summarize reads a run's sequences.tsv.
func Summarize(dir string) (Summary, error) {
	path := filepath.Join(dir, report.SequencesFile)
	f, err := os.Open(path)
	if err != nil {
		return Summary{}, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 1<<16), 1<<24)
	s := Summary{Calls: map[string]int{}}
	var col map[string]int
	for line := 1; sc.Scan(); line++ {
		fields := strings.Split(sc.Text(), "\t")
		if col == nil {
			col = map[string]int{}
			for i, h := range fields {
				col[h] = i
			}
			for _, c := range []string{"chunks", "no_orf_chunks", "call", "tier"} {
				if _, ok := col[c]; !ok {
					return s, fmt.Errorf("%s: no %q column", path, c)
				}
			}
			continue
		}
		if len(fields) < len(col) {
			return s, fmt.Errorf("%s line %d: %d fields, fewer than the header's", path, line, len(fields))
		}
		chunks, err1 := strconv.Atoi(fields[col["chunks"]])
		noORF, err2 := strconv.Atoi(fields[col["no_orf_chunks"]])
		if err1 != nil || err2 != nil {
			return s, fmt.Errorf("%s line %d: chunk counts %q, %q are not whole numbers", path, line, fields[col["chunks"]], fields[col["no_orf_chunks"]])
		}
		s.Records++
		s.Chunks += chunks
		s.NoORFChunks += noORF
		call := fields[col["call"]]
		if call == string(report.CallNone) {
			s.NoORFRecords++
			s.Calls["No call (no ORF)"]++
			continue
		}
		s.Calls[call+" "+canonicalTier(call, fields[col["tier"]])]++
	}
	return s, sc.Err()
}

// Write summarizes dir's sequences.tsv and writes both files there, naming the run
// sample (the MultiQC sample name), with the run's fp32 confirmation (the zero value:
// none).
func Write(dir, sample string, c report.Confirmation) error {
	s, err := Summarize(dir)
	if err != nil {
		return err
	}
	s.Confirmation = c
	if err := atomicfile.WriteFile(filepath.Join(dir, TSVFile), []byte(s.TSV(sample))); err != nil {
		return err
	}
	return atomicfile.WriteFile(filepath.Join(dir, YAMLFile), []byte(s.YAML(sample)))
}

// NoORFShare is the fraction of chunks without a stop-free frame (0 without chunks).
func (s Summary) NoORFShare() float64 {
	if s.Chunks == 0 {
		return 0
	}
	return float64(s.NoORFChunks) / float64(s.Chunks)
}

// TSV is the bar plot file: MultiQC's header comments, then one row for the sample.
func (s Summary) TSV(sample string) string {
	var b strings.Builder
	b.WriteString("# id: 'virnucpro_calls'\n# section_name: 'VirNucPro: calls'\n" +
		"# description: 'Records per call and confidence tier (sequences.tsv of each virnucpro predict run).'\n" +
		"# plot_type: 'bargraph'\n# pconfig:\n#     id: 'virnucpro_calls_plot'\n" +
		"#     title: 'VirNucPro: records per call and tier'\n#     ylab: 'Records'\n")
	b.WriteString("Sample")
	for _, c := range Categories {
		b.WriteString("\t" + c)
	}
	b.WriteString("\n" + tsvSafe(sample))
	for _, c := range Categories {
		b.WriteString("\t" + strconv.Itoa(s.Calls[c]))
	}
	b.WriteString("\n")
	return b.String()
}

// YAML is the table file: records, chunks, no-ORF share and Viral records.
func (s Summary) YAML(sample string) string {
	viral := 0
	for c, n := range s.Calls {
		if strings.HasPrefix(c, "Viral ") {
			viral += n
		}
	}
	return fmt.Sprintf("id: 'virnucpro_summary'\nsection_name: 'VirNucPro: run summary'\n"+
		"description: 'Records and chunks read by virnucpro predict; no-ORF share = chunks without a stop-free frame (not scored).'\n"+
		"plot_type: 'table'\npconfig:\n  id: 'virnucpro_summary_table'\n  title: 'VirNucPro: run summary'\n"+
		"data:\n  %s:\n    records: %d\n    viral_records: %d\n    chunks: %d\n    no_orf_chunks: %d\n    no_orf_share: %.4f\n    no_call_records: %d\n",
		yamlQuote(sample), s.Records, viral, s.Chunks, s.NoORFChunks, s.NoORFShare(), s.NoORFRecords) + s.confirmationYAML()
}

// The table's confirmation fields (ReadConfirmation reads them back).
const (
	confirmedKey = "fp32_confirmed_frames"
	marginKey    = "bf16_confirm_margin"
)

// confirmationYAML is the sample's confirmation fields ("" when none ran: fp32 runs
// show no column).
func (s Summary) confirmationYAML() string {
	if !s.Confirmation.Ran() {
		return ""
	}
	return fmt.Sprintf("    %s: %d\n    %s: %s\n", confirmedKey, s.Confirmation.Frames, marginKey,
		strconv.FormatFloat(s.Confirmation.Margin, 'g', -1, 64))
}

// ReadConfirmation reads the fp32 confirmation back from dir's virnucpro_mqc.yaml (the
// zero value when the file or its fields are absent), so that `virnucpro report`,
// which redoes the tables from sequences.tsv, keeps it.
func ReadConfirmation(dir string) (report.Confirmation, error) {
	path := filepath.Join(dir, YAMLFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return report.Confirmation{}, nil
	}
	if err != nil {
		return report.Confirmation{}, err
	}
	var c report.Confirmation
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), ": ")
		switch {
		case !ok:
		case k == confirmedKey:
			if c.Frames, err = strconv.Atoi(v); err != nil {
				return report.Confirmation{}, fmt.Errorf("%s: %s %q is not a whole number", path, k, v)
			}
		case k == marginKey:
			if c.Margin, err = strconv.ParseFloat(v, 64); err != nil {
				return report.Confirmation{}, fmt.Errorf("%s: %s %q is not a number", path, k, v)
			}
		}
	}
	if err := c.Check(-1); err != nil {
		return report.Confirmation{}, fmt.Errorf("%s: %s/%s: %w", path, confirmedKey, marginKey, err)
	}
	return c, nil
}

func tsvSafe(s string) string { return strings.NewReplacer("\t", " ", "\n", " ", "\r", " ").Replace(s) }

func yamlQuote(s string) string { return "'" + strings.ReplaceAll(tsvSafe(s), "'", "''") + "'" }

// ReadSample is the sample name of dir's virnucpro_mqc.tsv ("" when there is none).
func ReadSample(dir string) string {
	b, err := os.ReadFile(filepath.Join(dir, TSVFile))
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	last := lines[len(lines)-1]
	if strings.HasPrefix(last, "#") || strings.HasPrefix(last, "Sample\t") {
		return ""
	}
	name, _, _ := strings.Cut(last, "\t")
	return name
}
