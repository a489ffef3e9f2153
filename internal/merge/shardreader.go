package merge

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/virnucpro/virnucpro/internal/embedfile"
	"github.com/virnucpro/virnucpro/internal/pipeline"
	"github.com/virnucpro/virnucpro/internal/predict"
	"github.com/virnucpro/virnucpro/internal/report"
)

// shardReader reads a shard's result files back, one record at a time, as the
// window the pipeline wrote them from.
type shardReader struct {
	shardDir
	files  []*os.File
	seqs   *report.SequencesReader
	chunks *report.ChunksReader
	preds  *lineReader
	fastas [3]*fastaReader      // chunked, nucleotide, protein (KeepIntermediate)
	embeds [2]*embedfile.Reader // streamed: memory does not grow with the shard
	frames int                  // frames read so far (the row of the next embedding)
}

func openShard(s shardDir) (*shardReader, error) {
	r := &shardReader{shardDir: s}
	open := func(name string) (*os.File, string, error) {
		path := filepath.Join(s.dir, name)
		f, err := os.Open(path)
		if err != nil {
			return nil, path, fmt.Errorf("shard %s: %w", s.res.Shard, err)
		}
		r.files = append(r.files, f)
		return f, path, nil
	}
	fail := func(err error) (*shardReader, error) { r.close(); return nil, err }
	f, path, err := open(predict.SequencesFile)
	if err != nil {
		return fail(err)
	}
	if r.seqs, err = report.NewSequencesReader(f, path); err != nil {
		return fail(err)
	}
	if f, path, err = open(report.ChunksFile); err != nil {
		return fail(err)
	}
	if r.chunks, err = report.NewChunksReader(f, path); err != nil {
		return fail(err)
	}
	if f, path, err = open(predict.PredictionsFile); err != nil {
		return fail(err)
	}
	r.preds = newLineReader(f, path)
	if h, err := r.preds.next(); err != nil || h+"\n" != report.PredictionsHeader {
		return fail(fmt.Errorf("%s line 1: not a prediction_results.txt header", path))
	}
	if !s.res.KeepIntermediate {
		return r, nil
	}
	for i, name := range []string{predict.ChunkedFile, predict.NucleotideFile, predict.ProteinFile} {
		if f, path, err = open(name); err != nil {
			return fail(err)
		}
		r.fastas[i] = &fastaReader{lineReader: newLineReader(f, path)}
	}
	for e, name := range []string{predict.DNABERTEmbedFile, predict.ESMEmbedFile} {
		path := filepath.Join(s.dir, name)
		em, err := embedfile.Open(path)
		if err != nil {
			return fail(fmt.Errorf("shard %s: %w", s.res.Shard, err))
		}
		r.embeds[e] = em
		if em.Dim() != s.res.FeatureDims[e] || em.Len() != s.res.Frames {
			return fail(fmt.Errorf("%s: %d rows of %d values, but %s records %d frames of %d", path, em.Len(), em.Dim(),
				predict.ShardResultFile, s.res.Frames, s.res.FeatureDims[e]))
		}
	}
	return r, nil
}

// next reads the next record of the shard (the record at input ordinal) as a
// window of its own.
func (r *shardReader) next(ordinal int) (*pipeline.Window, error) {
	ref, err := r.seqs.Next()
	if err == io.EOF {
		return nil, fmt.Errorf("shard %s (%s): %s ends before input record %d", r.res.Shard, r.dir, predict.SequencesFile, ordinal+1)
	}
	if err != nil {
		return nil, err
	}
	keep := r.res.KeepIntermediate
	w := &pipeline.Window{Index: ordinal, Records: []pipeline.RecordEntry{{ID: ref.ID, Length: ref.Length, Description: ref.Description,
		Ordinal: ordinal, First: true, Last: true}}}
	if keep {
		w.FeatureDim = r.res.FeatureDims[0] + r.res.FeatureDims[1]
	}
	for i := 0; i < ref.Chunks; i++ {
		c, err := r.chunks.Next()
		if err == io.EOF {
			return nil, fmt.Errorf("shard %s (%s): %s ends before chunk %d of record %q", r.res.Shard, r.dir, report.ChunksFile, i+1, ref.ID)
		}
		if err != nil {
			return nil, err
		}
		if c.Record != ref.ID || c.Index != i {
			return nil, fmt.Errorf("shard %s (%s): %s has chunk %d of %q where chunk %d of %q was due", r.res.Shard, r.dir,
				report.ChunksFile, c.Index+1, c.Record, i+1, ref.ID)
		}
		chunkID := c.Record + "_chunk_" + strconv.Itoa(i+1)
		entry := pipeline.ChunkEntry{ID: chunkID, Index: i, Start: c.Start, End: c.End, FirstFrame: len(w.Frames), NumFrames: c.Frames}
		if keep {
			id, seq, err := r.fastas[0].next()
			if err != nil {
				return nil, err
			}
			if id != chunkID {
				return nil, r.fastas[0].errorf("record %q where chunk %q was due", id, chunkID)
			}
			entry.Seq = seq
		}
		w.Chunks = append(w.Chunks, entry)
		for f := 0; f < c.Frames; f++ {
			if err := r.addFrame(w, chunkID); err != nil {
				return nil, err
			}
		}
	}
	return w, nil
}

// addFrame reads the next frame's score (and, when kept, its sequences and
// embeddings) into w; the frame must belong to chunk chunkID.
func (r *shardReader) addFrame(w *pipeline.Window, chunkID string) error {
	line, err := r.preds.next()
	if err == io.EOF {
		return r.preds.errorf("ends before the frames of chunk %q", chunkID)
	}
	if err != nil {
		return err
	}
	score, err := parseScore(line)
	if err != nil {
		return r.preds.errorf("%v", err)
	}
	if !isFrameOf(score.ID, chunkID) {
		return r.preds.errorf("frame %q where a frame of chunk %q was due", score.ID, chunkID)
	}
	frame := pipeline.Frame{ID: score.ID}
	if r.res.KeepIntermediate {
		for i, dst := range []*[]byte{&frame.Nucleotide, &frame.Protein} {
			fr := r.fastas[1+i]
			id, seq, err := fr.next()
			if err != nil {
				return err
			}
			if id != score.ID {
				return fr.errorf("record %q where frame %q was due", id, score.ID)
			}
			*dst = seq
		}
		for e, em := range r.embeds {
			id, row, err := em.Next()
			if err == io.EOF {
				return fmt.Errorf("%s: no row for frame %q", r.embedPath(e), score.ID)
			}
			if err != nil {
				return err
			}
			if id != score.ID {
				return fmt.Errorf("%s: row %d is not frame %q", r.embedPath(e), r.frames, score.ID)
			}
			w.Features = append(w.Features, row...)
		}
	}
	r.frames++
	w.Frames = append(w.Frames, frame)
	w.Scores = append(w.Scores, score)
	return nil
}

// finish checks that the shard holds nothing beyond its records.
func (r *shardReader) finish() error {
	if ref, err := r.seqs.Next(); err != io.EOF {
		if err != nil {
			return err
		}
		return fmt.Errorf("shard %s (%s): %s lists record %q beyond the shard's %d records", r.res.Shard, r.dir, predict.SequencesFile, ref.ID, r.res.Records)
	}
	if c, err := r.chunks.Next(); err != io.EOF {
		if err != nil {
			return err
		}
		return fmt.Errorf("shard %s (%s): %s has chunk %d of %q beyond its records", r.res.Shard, r.dir, report.ChunksFile, c.Index+1, c.Record)
	}
	if line, err := r.preds.next(); err != io.EOF {
		if err != nil {
			return err
		}
		return r.preds.errorf("row %q beyond the frames of the shard's chunks", line)
	}
	for _, fr := range r.fastas {
		if fr == nil {
			continue
		}
		if id, _, err := fr.next(); err != io.EOF {
			if err != nil {
				return err
			}
			return fr.errorf("record %q beyond the shard's chunks and frames", id)
		}
	}
	for e, em := range r.embeds {
		if em == nil {
			continue
		}
		if _, _, err := em.Next(); err != io.EOF {
			if err != nil {
				return err
			}
			return fmt.Errorf("%s: %d rows, the shard's files list %d frames", r.embedPath(e), em.Len(), r.frames)
		}
	}
	if r.frames != r.res.Frames {
		return fmt.Errorf("shard %s (%s): %d frames in %s, %s records %d", r.res.Shard, r.dir, r.frames, predict.PredictionsFile, predict.ShardResultFile, r.res.Frames)
	}
	return nil
}

func (r *shardReader) close() {
	for _, f := range r.files {
		f.Close()
	}
	for _, em := range r.embeds {
		if em != nil {
			em.Close()
		}
	}
}

// embedPath is the path of embedding file e of the shard.
func (r *shardReader) embedPath(e int) string {
	return filepath.Join(r.dir, []string{predict.DNABERTEmbedFile, predict.ESMEmbedFile}[e])
}

// isFrameOf reports whether frame id is <chunk id>F1..F3 or R1..R3.
func isFrameOf(id, chunkID string) bool {
	s, ok := strings.CutPrefix(id, chunkID)
	return ok && len(s) == 2 && (s[0] == 'F' || s[0] == 'R') && s[1] >= '1' && s[1] <= '3'
}

// parseScore parses a prediction_results.txt row back into the frame's scores
// (written with the shortest float32 representation, so the round trip is exact).
func parseScore(line string) (report.FrameScore, error) {
	f := strings.Split(line, "\t")
	if len(f) != 4 {
		return report.FrameScore{}, fmt.Errorf("%d columns, want 4", len(f))
	}
	o, err1 := strconv.ParseFloat(f[2], 32)
	v, err2 := strconv.ParseFloat(f[3], 32)
	if err1 != nil || err2 != nil {
		return report.FrameScore{}, fmt.Errorf("scores %q %q are not numbers", f[2], f[3])
	}
	s := report.FrameScore{ID: f[0], Others: float32(o), Virus: float32(v)}
	if s.Label() != f[1] {
		return report.FrameScore{}, fmt.Errorf("label %q does not match the scores", f[1])
	}
	return s, nil
}

// lineReader reads lines and knows its position.
type lineReader struct {
	sc   *bufio.Scanner
	path string
	line int
}

func newLineReader(f io.Reader, path string) *lineReader {
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<30)
	return &lineReader{sc: sc, path: path}
}

func (l *lineReader) next() (string, error) {
	if !l.sc.Scan() {
		if err := l.sc.Err(); err != nil {
			return "", fmt.Errorf("%s line %d: %w", l.path, l.line+1, err)
		}
		return "", io.EOF
	}
	l.line++
	return l.sc.Text(), nil
}

func (l *lineReader) errorf(format string, a ...any) error {
	return fmt.Errorf("%s line %d: %s", l.path, l.line, fmt.Sprintf(format, a...))
}

// fastaReader reads the FASTA files the pipeline writes, bytes as written (the
// sequence lines of a record joined).
type fastaReader struct {
	*lineReader
	header  string
	pending bool
}

func (f *fastaReader) next() (id string, seq []byte, err error) {
	if !f.pending {
		line, err := f.lineReader.next()
		if err != nil {
			return "", nil, err
		}
		if !strings.HasPrefix(line, ">") {
			return "", nil, f.errorf("sequence line where a '>' header was due")
		}
		f.header = line
	}
	f.pending = false
	id = f.header[1:]
	for {
		line, err := f.lineReader.next()
		if err == io.EOF {
			return id, seq, nil
		}
		if err != nil {
			return "", nil, err
		}
		if strings.HasPrefix(line, ">") {
			f.header, f.pending = line, true
			return id, seq, nil
		}
		seq = append(seq, line...)
	}
}
