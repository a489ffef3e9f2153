package report

// maxTrackSegments bounds a score-track plot: a record with more chunks is drawn with
// each segment standing for a run of consecutive chunks (at the highest max score2
// among them), so a plot is at most a few hundred kilobytes and a record of any
// length costs constant memory while it streams.
const maxTrackSegments = 1024

// trackBuilder collects a record's plot data as its chunks stream in, in bounded
// memory: when it holds maxTrackSegments segments it merges neighbours pairwise and
// from then on folds twice as many chunks into each new segment. Regions are merged
// pairwise the same way (their shading then also covers the gaps between them).
type trackBuilder struct {
	chunks  []ChunkRow
	last    []int // per segment: index of the last chunk it stands for
	per     int   // chunks per segment from now on
	open    int   // chunks folded into the last segment so far
	regions []Region
}

func (t *trackBuilder) reset() {
	t.chunks, t.last, t.regions = t.chunks[:0], t.last[:0], nil
	t.per, t.open = 1, 0
}

// addChunk adds the record's next chunk.
func (t *trackBuilder) addChunk(c ChunkRow) {
	if t.per == 0 {
		t.per = 1
	}
	if t.open > 0 && t.open < t.per {
		i := len(t.chunks) - 1
		t.chunks[i], t.last[i] = foldChunks(t.chunks[i], c), c.Index
		t.open++
		return
	}
	if len(t.chunks) == maxTrackSegments {
		t.halve()
	}
	t.chunks, t.last, t.open = append(t.chunks, c), append(t.last, c.Index), 1
}

// halve merges neighbouring segments pairwise.
func (t *trackBuilder) halve() {
	n := 0
	for i := 0; i < len(t.chunks); i += 2 {
		c, l := t.chunks[i], t.last[i]
		if i+1 < len(t.chunks) {
			c, l = foldChunks(c, t.chunks[i+1]), t.last[i+1]
		}
		t.chunks[n], t.last[n] = c, l
		n++
	}
	t.chunks, t.last = t.chunks[:n], t.last[:n]
	t.per *= 2
	t.open = t.per // the last segment is full: the next chunk starts a new one
}

// foldChunks is the segment covering a then b: their union, drawn as the chunk with
// the higher max score2 among the scored ones.
func foldChunks(a, b ChunkRow) ChunkRow {
	rep := a
	if b.Scored() && (!a.Scored() || b.MaxVirus > a.MaxVirus) {
		rep = b
	}
	rep.Index, rep.Start, rep.End = a.Index, min(a.Start, b.Start), max(a.End, b.End)
	return rep
}

// addRegion adds the record's next viral region.
func (t *trackBuilder) addRegion(r Region) {
	if len(t.regions) == maxTrackSegments {
		n := 0
		for i := 0; i < len(t.regions); i += 2 {
			m := t.regions[i]
			if i+1 < len(t.regions) {
				m.End, m.LastChunk = t.regions[i+1].End, t.regions[i+1].LastChunk
			}
			t.regions[n] = m
			n++
		}
		t.regions = t.regions[:n]
	}
	t.regions = append(t.regions, r)
}

// plot returns the record's plot (sharing the builder's slices unless copy is set).
func (t *trackBuilder) plot(id string, length int, call Call, tier Tier, copyData bool) TrackPlot {
	p := TrackPlot{ID: id, Length: length, Call: call, Tier: tier, Chunks: t.chunks, Regions: t.regions}
	if t.per > 1 {
		p.Last = t.last
	}
	if copyData {
		p.Chunks = append([]ChunkRow(nil), t.chunks...)
		p.Regions = append([]Region(nil), t.regions...)
		if p.Last != nil {
			p.Last = append([]int(nil), t.last...)
		}
	}
	return p
}
