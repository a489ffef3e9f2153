package progress

import (
	"fmt"
	"time"
)

// Estimator turns snapshots into work-based progress: frames scored against an
// estimate of the run's total (extrapolated from the share of the input read, exact
// once it is all read), rates and an ETA from the work computed in this run only
// (frames restored from a checkpoint are counted as done but never as speed). It is a
// pure function of the snapshots and the times given, so it is tested on a fake clock.
type Estimator struct {
	// Window is the span of recent samples the rates are measured over (default 60 s).
	Window time.Duration

	hist     []sample
	done     int64
	total    int64
	lastSnap Snapshot
}

type sample struct {
	t              time.Time
	frames, tokens int64
}

// Status is the state of a run as shown to a person.
type Status struct {
	// Frames are scored (this run's and resumed ones); Resumed of them came from the
	// checkpoint. Total is the estimated number of frames of the run (0: unknown yet),
	// Exact once the whole input was read.
	Frames, Resumed, Total int64
	Exact                  bool
	Records                int64
	// FramesPerSec and TokensPerSec measure this run's computed work only.
	FramesPerSec, TokensPerSec float64
	// ETA is the time left at the current rate; negative when unknown.
	ETA time.Duration
}

// Fraction is the share of the estimated total done (0 when unknown).
func (s Status) Fraction() float64 {
	if s.Total <= 0 {
		return 0
	}
	return min(float64(s.Frames)/float64(s.Total), 1)
}

// Update records the snapshot taken at now and returns the status. Frames done and
// the total never decrease between calls.
func (e *Estimator) Update(now time.Time, s Snapshot) Status {
	window := e.Window
	if window <= 0 {
		window = time.Minute
	}
	e.lastSnap = s
	e.done = max(e.done, s.Frames)
	total := s.FramesRead
	if !s.InputRead && s.Total > 0 && s.Done > 0 && s.Done < s.Total {
		total = int64(float64(s.FramesRead) * float64(s.Total) / float64(s.Done))
	}
	if !s.InputRead && (s.Total <= 0 || s.Done <= 0) {
		total = 0 // unknown until the input's size and some of it are known
	}
	if s.InputRead {
		e.total = max(total, e.done) // exact: may correct an over-estimate down once
	} else if total > 0 {
		e.total = max(e.total, total, e.done)
	}
	computed := s.Frames - s.Resumed
	if computed <= 0 || len(e.hist) > 0 && e.hist[len(e.hist)-1].frames > computed {
		e.hist = e.hist[:0] // nothing computed yet (or replaying): no rate
	}
	e.hist = append(e.hist, sample{t: now, frames: computed, tokens: s.Tokens})
	for len(e.hist) > 2 && now.Sub(e.hist[1].t) >= window {
		e.hist = e.hist[1:]
	}
	st := Status{Frames: e.done, Resumed: s.Resumed, Total: e.total, Exact: s.InputRead, Records: s.Records, ETA: -1}
	if first := e.hist[0]; len(e.hist) > 1 {
		if dt := now.Sub(first.t).Seconds(); dt > 0 {
			st.FramesPerSec = float64(computed-first.frames) / dt
			st.TokensPerSec = float64(s.Tokens-first.tokens) / dt
		}
	}
	if st.FramesPerSec > 0 && st.Total > 0 {
		st.ETA = time.Duration(float64(st.Total-st.Frames) / st.FramesPerSec * float64(time.Second)).Round(time.Second)
	}
	return st
}

// Attrs are the status as log attributes (key, value pairs).
func (s Status) Attrs() []any {
	frames := fmt.Sprint(s.Frames)
	switch {
	case s.Total > 0 && s.Exact:
		frames += fmt.Sprintf("/%d", s.Total)
	case s.Total > 0:
		frames += fmt.Sprintf("/~%d", s.Total)
	}
	a := []any{"records", s.Records, "frames", frames}
	if s.Total > 0 {
		a = append(a, "done", fmt.Sprintf("%.1f%%", 100*s.Fraction()))
	}
	if s.Resumed > 0 {
		a = append(a, "resumed_frames", s.Resumed)
	}
	a = append(a, "frames_per_s", fmt.Sprintf("%.1f", s.FramesPerSec), "tokens_per_s", fmt.Sprintf("%.0f", s.TokensPerSec))
	if s.ETA >= 0 {
		a = append(a, "eta", s.ETA.String())
	} else {
		a = append(a, "eta", "unknown")
	}
	return a
}

// Line is the status as one line of text (the terminal bar's counts).
func (s Status) Line() string {
	a := s.Attrs()
	out := ""
	for i := 0; i+1 < len(a); i += 2 {
		if i > 0 {
			out += "  "
		}
		out += fmt.Sprintf("%v=%v", a[i], a[i+1])
	}
	return out
}
