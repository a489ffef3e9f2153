package predict

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"time"

	"github.com/virnucpro/virnucpro/internal/checkpoint"
	"github.com/virnucpro/virnucpro/internal/fasta"
	"github.com/virnucpro/virnucpro/internal/pipeline"
	"github.com/virnucpro/virnucpro/internal/report"
	"github.com/virnucpro/virnucpro/internal/weights"
)

// Checkpointer commits scored windows to a checkpoint store in ordered shards and
// replays them on resume, so an interrupted run continues where its committed work
// ends and produces the same bytes as an uninterrupted one.
type Checkpointer struct {
	store    *checkpoint.Store
	every    int
	interval time.Duration

	// replay side (prepare goroutine)
	committed []checkpoint.ShardInfo
	shardPos  int
	replayBuf []shardWindow
	next      int // windows < next are committed

	// commit side (writer goroutine)
	pending       []*pipeline.Window
	pendingFrames int
	lastCommit    time.Time
	commits       int
	// afterWrite, when set (tests), is called after each computed window is queued.
	afterWrite func(w *pipeline.Window)

	// AfterCommit, when set, is called in the writer goroutine after each shard this
	// run commits, with the number of shards committed so far by this run. Process
	// tests use it (through cmd's test hook) to stop a run at a known point.
	AfterCommit func(commits int)
}

type shardWindow struct {
	Index   int    `json:"index"`
	Frames  int    `json:"frames"`
	IDsHash string `json:"ids_sha256"`
	// SeqHash is the window's SeqDigest (its chunks' sequences) when it was scored.
	SeqHash string `json:"seq_sha256,omitempty"`
	// Confirmed is the window's Confirmed: the frames re-scored in fp32.
	Confirmed []int `json:"confirmed,omitempty"`
	scores    []float32
	features  []float32
	dim       int
}

// NewCheckpointer commits a shard every `every` frames or `interval`, whichever
// comes first.
func NewCheckpointer(store *checkpoint.Store, every int, interval time.Duration) *Checkpointer {
	m := store.Manifest()
	c := &Checkpointer{store: store, every: every, interval: interval,
		committed: append([]checkpoint.ShardInfo(nil), m.Shards...), next: m.NextWindow(), lastCommit: time.Now()}
	if c.next > 0 {
		slog.Info("resuming from checkpoint", "committed_windows", c.next, "shards", len(c.committed))
	}
	return c
}

func hashIDs(w *pipeline.Window) string {
	h := sha256.New()
	for _, f := range w.Frames {
		h.Write([]byte(f.ID))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Replay fills committed windows from their shard.
func (c *Checkpointer) Replay(w *pipeline.Window) (bool, error) {
	if w.Index >= c.next {
		return false, nil
	}
	for len(c.replayBuf) == 0 || c.replayBuf[0].Index < w.Index {
		if len(c.replayBuf) > 0 {
			c.replayBuf = c.replayBuf[1:]
			continue
		}
		if c.shardPos >= len(c.committed) {
			return false, fmt.Errorf("checkpoint: window %d is not in any shard", w.Index)
		}
		ws, err := c.loadShard(c.shardPos)
		if err != nil {
			return false, err
		}
		c.shardPos++
		c.replayBuf = ws
	}
	sw := c.replayBuf[0]
	if sw.Index != w.Index || sw.Frames != len(w.Frames) || sw.IDsHash != hashIDs(w) {
		return false, fmt.Errorf("checkpoint: window %d does not match the input (frames %d vs %d): %w", w.Index, sw.Frames, len(w.Frames), checkpoint.ErrDifferentRun)
	}
	if sw.SeqHash != "" && sw.SeqHash != w.SeqDigest {
		return false, fmt.Errorf("checkpoint: window %d: the sequences of its records differ from those its committed scores were computed on (was the input changed in place during the interrupted run?): %w", w.Index, checkpoint.ErrDifferentRun)
	}
	c.replayBuf = c.replayBuf[1:]
	w.Scores = scoresFromFlat(w, sw.scores)
	w.Features, w.FeatureDim = sw.features, sw.dim
	w.Confirmed = sw.Confirmed
	return true, nil
}

func (c *Checkpointer) loadShard(i int) ([]shardWindow, error) {
	data, err := c.store.ReadShard(i)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	sd, err := weights.ParseSafetensors(data, c.committed[i].File)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	var ws []shardWindow
	if err := json.Unmarshal([]byte(sd.Metadata["windows"]), &ws); err != nil {
		return nil, fmt.Errorf("checkpoint shard %s: %v", c.committed[i].File, err)
	}
	scores, err := sd.Get("scores", -1, 2)
	if err != nil {
		return nil, err
	}
	feats, err := sd.Get("features", -1, -1)
	if err != nil {
		return nil, err
	}
	dim := feats.Shape[1]
	off := 0
	for k := range ws {
		n := ws[k].Frames
		if off+n > scores.Shape[0] {
			return nil, fmt.Errorf("checkpoint shard %s: windows list more frames than stored", c.committed[i].File)
		}
		if !ascendingBelow(ws[k].Confirmed, n) {
			return nil, fmt.Errorf("checkpoint shard %s: window %d: confirmed frames %v are not ascending frame numbers below %d", c.committed[i].File, ws[k].Index, ws[k].Confirmed, n)
		}
		ws[k].scores = scores.Data[2*off : 2*(off+n)]
		ws[k].features = feats.Data[dim*off : dim*(off+n)]
		ws[k].dim = dim
		off += n
	}
	return ws, nil
}

// ascendingBelow reports whether v is strictly ascending within [0, n).
func ascendingBelow(v []int, n int) bool {
	for i, x := range v {
		if x < 0 || x >= n || (i > 0 && x <= v[i-1]) {
			return false
		}
	}
	return true
}

// checkpointSink writes windows to the real sink, then queues computed ones for commit.
type checkpointSink struct {
	c    *Checkpointer
	next pipeline.Sink
}

// Wrap returns a sink that passes windows to s and commits computed ones in shards.
func (c *Checkpointer) Wrap(s pipeline.Sink) pipeline.Sink { return &checkpointSink{c: c, next: s} }

func (k *checkpointSink) Write(w *pipeline.Window) error {
	if err := k.next.Write(w); err != nil {
		return err
	}
	if w.Replayed {
		return nil
	}
	c := k.c
	c.pending = append(c.pending, w)
	c.pendingFrames += len(w.Frames)
	if c.afterWrite != nil {
		defer c.afterWrite(w)
	}
	if c.pendingFrames >= c.every || time.Since(c.lastCommit) >= c.interval {
		return c.commit()
	}
	return nil
}

func (c *Checkpointer) commit() error {
	if len(c.pending) == 0 {
		return nil
	}
	var frames, records int
	dim := c.pending[0].FeatureDim
	for _, w := range c.pending {
		frames += len(w.Frames)
		for _, r := range w.Records {
			if r.First {
				records++
			}
		}
	}
	meta := make([]shardWindow, len(c.pending))
	for i, w := range c.pending {
		meta[i] = shardWindow{Index: w.Index, Frames: len(w.Frames), IDsHash: hashIDs(w), SeqHash: w.SeqDigest, Confirmed: w.Confirmed}
	}
	header, err := shardHeader(meta, frames, dim)
	if err != nil {
		return err
	}
	pending := c.pending
	write := func(out io.Writer) error { return writeShard(out, header, pending) }
	first := c.pending[0].Index
	if err := c.store.CommitShardFrom(write, first, len(c.pending), frames, records); err != nil {
		return err
	}
	slog.Debug("checkpoint committed", "windows", fmt.Sprintf("%d-%d", first, first+len(c.pending)-1), "frames", frames)
	c.pending, c.pendingFrames, c.lastCommit = nil, 0, time.Now()
	c.commits++
	if c.AfterCommit != nil {
		c.AfterCommit(c.commits)
	}
	return nil
}

// Flush commits every window written so far; with complete set it also marks the
// checkpoint complete.
func (c *Checkpointer) Flush(complete bool) error {
	if err := c.commit(); err != nil {
		return err
	}
	if complete {
		return c.store.MarkComplete()
	}
	return nil
}

// CheckInput compares the digest of the input as r read it, whole, with the one the
// run's identity took before reading: an input changed in place while the run read
// it is an error (its results would mix two contents). Identities without an input
// digest, and inputs not read to their end, are not checked.
func (c *Checkpointer) CheckInput(r *fasta.Reader) error {
	id := c.store.Manifest().Identity
	if len(id.Inputs) != 1 || id.Inputs[0].SHA256 == "" {
		return nil
	}
	got, whole := r.InputSHA256()
	if !whole || got == id.Inputs[0].SHA256 {
		return nil
	}
	return fmt.Errorf("input %s changed while it was read: sha256 %s when the run started, %s as read; its results are not written (rerun once the file is stable)", id.Inputs[0].Path, id.Inputs[0].SHA256, got)
}

// Complete replaces the checkpoint of a successful run by its completion record
// (identity and the digests of the files in outDir), keeping the shards when keep is
// set; see checkpoint.Store.Compact.
func (c *Checkpointer) Complete(outDir string, counts map[string]int64, keep bool) error {
	_, err := c.store.Compact(outDir, counts, keep)
	return err
}

func scoresFromFlat(w *pipeline.Window, flat []float32) []report.FrameScore {
	out := make([]report.FrameScore, len(w.Frames))
	for i, f := range w.Frames {
		out[i] = report.FrameScore{ID: f.ID, Others: flat[2*i], Virus: flat[2*i+1]}
	}
	return out
}

// shardHeader is the safetensors header of a checkpoint shard (its length, then the
// JSON padded to 8 bytes, as weights.EncodeSafetensors writes it): tensors
// "features" [frames, dim] then "scores" [frames, 2], and the windows' metadata.
func shardHeader(meta []shardWindow, frames, dim int) ([]byte, error) {
	mj, err := json.Marshal(meta)
	if err != nil {
		return nil, err
	}
	type entry struct {
		DType   string   `json:"dtype"`
		Shape   []int    `json:"shape"`
		Offsets [2]int64 `json:"data_offsets"`
	}
	fBytes := int64(4 * frames * dim)
	h, err := json.Marshal(map[string]any{
		"features":     entry{"F32", []int{frames, dim}, [2]int64{0, fBytes}},
		"scores":       entry{"F32", []int{frames, 2}, [2]int64{fBytes, fBytes + int64(8*frames)}},
		"__metadata__": map[string]string{"windows": string(mj), "format": "virnucpro-checkpoint-shard"},
	})
	if err != nil {
		return nil, err
	}
	for len(h)%8 != 0 {
		h = append(h, ' ')
	}
	return append(binary.LittleEndian.AppendUint64(nil, uint64(len(h))), h...), nil
}

// writeShard writes a checkpoint shard of the pending windows window by window (it
// assembled every row and then the file's bytes in memory: three copies of the
// features, ~330 MB per 8192 frames with the released models).
func writeShard(out io.Writer, header []byte, pending []*pipeline.Window) error {
	if _, err := out.Write(header); err != nil {
		return err
	}
	var buf []byte
	put := func(vals []float32) error {
		buf = buf[:0]
		for _, v := range vals {
			buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(v))
		}
		_, err := out.Write(buf)
		return err
	}
	for _, w := range pending {
		if err := put(w.Features); err != nil {
			return err
		}
	}
	for _, w := range pending {
		scores := make([]float32, 2*len(w.Frames)) // a run without a classifier: 0/0
		for i, s := range w.Scores {
			scores[2*i], scores[2*i+1] = s.Others, s.Virus
		}
		if err := put(scores); err != nil {
			return err
		}
	}
	return nil
}
