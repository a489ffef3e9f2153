package report

import (
	"bufio"
	"fmt"
	"io"
	"sort"
)

// Compat selects the layout of prediction_results_highestscore.csv.
type Compat string

const (
	// CompatBroad writes Modified_ID, Is_Virus, max_score_0, max_score_1 in first-seen
	// chunk order (the Broad refactor's layout; our default).
	CompatBroad Compat = "broad"
	// CompatOriginal writes Modified_ID, Is_Virus sorted by id (the original's pandas
	// groupby output).
	CompatOriginal Compat = "original"
)

// ParseCompat validates a --compat value.
func ParseCompat(s string) (Compat, error) {
	switch Compat(s) {
	case CompatBroad, CompatOriginal:
		return Compat(s), nil
	}
	return "", fmt.Errorf("compat %q: want %q or %q", s, CompatOriginal, CompatBroad)
}

// ChunkCall is the per-chunk consensus over a chunk's kept frames.
type ChunkCall struct {
	ChunkID string
	// MaxOthers and MaxVirus are the maxima of score1 and score2 over the frames; they
	// may come from different frames.
	MaxOthers, MaxVirus float32
	// Frames is the number of kept frames that contributed.
	Frames int
}

// IsVirus is the original's rule: max(score2) >= max(score1) (a tie is viral).
func (c ChunkCall) IsVirus() bool { return c.MaxVirus >= c.MaxOthers }

// Add folds one frame's scores into the call.
func (c *ChunkCall) Add(f FrameScore) {
	if c.Frames == 0 || f.Others > c.MaxOthers {
		c.MaxOthers = f.Others
	}
	if c.Frames == 0 || f.Virus > c.MaxVirus {
		c.MaxVirus = f.Virus
	}
	c.Frames++
}

// HighestScoreWriter writes prediction_results_highestscore.csv (tab-separated despite
// the name). In broad layout rows stream out as they come; in original layout they are
// held and sorted by id at Close, as pandas groupby does.
type HighestScoreWriter struct {
	w      *bufio.Writer
	compat Compat
	held   []ChunkCall
}

// NewHighestScoreWriter writes the header for the chosen layout.
func NewHighestScoreWriter(w io.Writer, compat Compat) (*HighestScoreWriter, error) {
	bw := bufio.NewWriterSize(w, 1<<16)
	header := "Modified_ID\tIs_Virus\tmax_score_0\tmax_score_1\n"
	if compat == CompatOriginal {
		header = "Modified_ID\tIs_Virus\n"
	}
	if _, err := bw.WriteString(header); err != nil {
		return nil, err
	}
	return &HighestScoreWriter{w: bw, compat: compat}, nil
}

// Write adds one chunk's call. Calls with no frames are ignored: chunks without a kept
// frame have no row in the original (sequences.tsv reports them instead).
func (h *HighestScoreWriter) Write(c ChunkCall) error {
	if c.Frames == 0 {
		return nil
	}
	if h.compat == CompatOriginal {
		h.held = append(h.held, c)
		return nil
	}
	return h.writeRow(c)
}

func (h *HighestScoreWriter) writeRow(c ChunkCall) error {
	b := h.w
	b.WriteString(c.ChunkID)
	b.WriteByte('\t')
	b.WriteString(pyBool(c.IsVirus()))
	if h.compat != CompatOriginal {
		b.WriteByte('\t')
		b.WriteString(FormatScore(c.MaxOthers))
		b.WriteByte('\t')
		b.WriteString(FormatScore(c.MaxVirus))
	}
	_, err := b.WriteString("\n")
	return err
}

// Close writes held rows (original layout) and flushes. It does not close the
// underlying writer.
func (h *HighestScoreWriter) Close() error {
	if h.compat == CompatOriginal {
		// pandas groupby sorts keys as Python strings: by code point, which is byte
		// order for UTF-8. Several chunks can share an id when record ids repeat a
		// chunk id (dupe_chunk_1 vs dupe + _chunk_1); groupby merges them.
		sort.SliceStable(h.held, func(i, j int) bool { return h.held[i].ChunkID < h.held[j].ChunkID })
		merged := h.held[:0]
		for _, c := range h.held {
			if n := len(merged); n > 0 && merged[n-1].ChunkID == c.ChunkID {
				m := &merged[n-1]
				if c.MaxOthers > m.MaxOthers {
					m.MaxOthers = c.MaxOthers
				}
				if c.MaxVirus > m.MaxVirus {
					m.MaxVirus = c.MaxVirus
				}
				m.Frames += c.Frames
				continue
			}
			merged = append(merged, c)
		}
		for _, c := range merged {
			if err := h.writeRow(c); err != nil {
				return err
			}
		}
		h.held = nil
	}
	return h.w.Flush()
}

func pyBool(b bool) string {
	if b {
		return "True"
	}
	return "False"
}
