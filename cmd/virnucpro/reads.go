package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/virnucpro/virnucpro/internal/atomicfile"
	"github.com/virnucpro/virnucpro/internal/readlabel"
	"github.com/virnucpro/virnucpro/internal/report"
)

// readsFlags are the options of the reads command.
type readsFlags struct {
	results, contigs, output, format, tmpDir string
	th                                       readlabel.Thresholds
}

// newReadsCmd builds the reads command (stage 2 of viral-ngs' VirNucPro
// post-processing).
func newReadsCmd() *cobra.Command {
	o := &readsFlags{th: readlabel.DefaultThresholds()}
	cmd := &cobra.Command{
		Use:   "reads ALIGNMENTS --results OUTDIR -o READS.tsv",
		Short: "Label reads by the calls of the contigs they align to (BAM, SAM or minimap2 PAF)",
		Long: `Label each read by the call of the contig it aligns to best, from alignments of reads to
the predicted contigs (BAM, SAM or minimap2 PAF, plain or gzip-compressed) and the contigs.tsv
of a predict output directory: viral-ngs' virnucpro_label_reads_by_contig. Only primary mapped
alignments count (unmapped, secondary and supplementary records, PAF tp:A:S and tp:A:I, are
dropped); SAM/BAM records need the NM tag. A read's best alignment has the highest MAPQ, then
identity, then comes first; mapped_well (MAPQ, identity and query coverage thresholds) is
reported, not used to filter. A contig missing from contigs.tsv gives Unclassified; a read
touching contigs with different calls is Multi-mapped (tier review).

The alignments of one read must be adjacent, as an aligner writes them or as a name-sorted
file has them (samtools sort -n or samtools collate); a read seen again after other reads is
an error. Memory holds the contig table; rows come out in input order. ALIGNMENTS - reads
stdin; -o - writes to stdout.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return runReads(args[0], o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.results, "results", "", "predict output directory whose contigs.tsv gives the calls")
	f.StringVar(&o.contigs, "contigs", "", "contigs table to use instead of --results (ours or viral-ngs' virnucpro_contigs output)")
	addOutputFlag(f, &o.output, "reads table to write (- for stdout)")
	f.StringVar(&o.format, "format", "auto", "alignment format: auto, bam, sam or paf")
	f.IntVar(&o.th.MinMapQ, "min-mapq", o.th.MinMapQ, "mapped_well: MAPQ at least this")
	f.Float64Var(&o.th.MinIdentity, "min-identity", o.th.MinIdentity, "mapped_well: percent identity at least this")
	f.Float64Var(&o.th.MinQueryCov, "min-query-cov", o.th.MinQueryCov, "mapped_well: percent query coverage at least this")
	f.StringVar(&o.tmpDir, "tmp-dir", "", "directory for the read order check's temporary files (default: the system's)")
	return cmd
}

// runReads labels the reads of one alignment file.
func runReads(alignments string, o *readsFlags) error {
	if o.output == "" {
		return errors.New("--output/-o is required")
	}
	if (o.results == "") == (o.contigs == "") {
		return errors.New("give one of --results OUTDIR and --contigs FILE")
	}
	format, err := readlabel.ParseFormat(o.format)
	if err != nil {
		return err
	}
	if err := o.th.Validate(); err != nil {
		return err
	}
	contigsPath := o.contigs
	if contigsPath == "" {
		contigsPath = filepath.Join(o.results, report.ContigsFile)
	}
	contigs, err := readContigTable(contigsPath)
	if err != nil {
		return err
	}
	open := func() (readlabel.Source, io.Closer, error) {
		if alignments == "-" {
			src, err := readlabel.OpenSource(os.Stdin, "stdin", format)
			return src, io.NopCloser(nil), err
		}
		f, err := os.Open(alignments)
		if err != nil {
			return nil, nil, err
		}
		src, err := readlabel.OpenSource(f, alignments, format)
		if err != nil {
			f.Close()
			return nil, nil, err
		}
		return src, f, nil
	}
	src, closer, err := open()
	if err != nil {
		return err
	}
	defer closer.Close()
	opts := readlabel.Options{Thresholds: o.th, OrderDir: o.tmpDir}
	if alignments != "-" { // a file can be read again to name the read of an order error
		opts.Reopen = open
	}
	st, err := writeReads(o.output, func(w io.Writer) (readlabel.Stats, error) { return readlabel.Label(src, contigs, w, opts) })
	if err != nil {
		return err
	}
	slog.Info("reads labelled", "alignments", alignments, "records", st.Records, "unmapped", st.Unmapped,
		"secondary_or_supplementary", st.Secondary, "primary", st.Retained, "reads", st.Reads, "mapped_well", st.MappedWell,
		"multi_mapped", st.MultiMapped, "unclassified", st.Unclassified, "output", o.output)
	return nil
}

func readContigTable(path string) (readlabel.ContigTable, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) && filepath.Base(path) == report.ContigsFile {
		return nil, fmt.Errorf("contig calls: %w (an output directory of an earlier release: virnucpro report %s writes it)", err, filepath.Dir(path))
	}
	if err != nil {
		return nil, fmt.Errorf("contig calls: %w", err)
	}
	defer f.Close()
	return readlabel.ReadContigs(f, path)
}

// writeReads runs write into the output: stdout for "-", else a file that appears
// only when complete.
func writeReads(path string, write func(io.Writer) (readlabel.Stats, error)) (readlabel.Stats, error) {
	if path == "-" {
		return write(os.Stdout)
	}
	f, err := atomicfile.Create(path)
	if err != nil {
		return readlabel.Stats{}, err
	}
	st, err := write(f)
	if err != nil {
		f.Abort()
		return st, err
	}
	return st, f.Commit()
}
