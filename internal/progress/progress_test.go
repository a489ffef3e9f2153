package progress

import (
	"bytes"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestEstimatorFakeClock drives the estimator through a resumed run on a fake clock:
// resumed frames count as done but not as speed, the total is extrapolated from the
// input read and exact once it is all read, and done and total never go down.
func TestEstimatorFakeClock(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var e Estimator
	steps := []struct {
		at   time.Duration
		snap Snapshot
		want Status // Frames, Resumed, Total, Exact, FramesPerSec, ETA checked
	}{
		// start: nothing known
		{0, Snapshot{Total: 1000}, Status{ETA: -1}},
		// replaying 600 frames from the checkpoint in 1 s: done, but no speed
		{time.Second, Snapshot{Done: 300, Total: 1000, FramesRead: 600, Frames: 600, Resumed: 600},
			Status{Frames: 600, Resumed: 600, Total: 2000, ETA: -1}},
		// computing starts (the first batch is not done yet): no rate
		{2 * time.Second, Snapshot{Done: 400, Total: 1000, FramesRead: 800, Frames: 600, Resumed: 600},
			Status{Frames: 600, Resumed: 600, Total: 2000, ETA: -1}},
		// 100 computed frames in 10 s: 10 frames/s; 1300 left -> 130 s
		{12 * time.Second, Snapshot{Done: 500, Total: 1000, FramesRead: 1000, Frames: 700, Resumed: 600, Tokens: 1000},
			Status{Frames: 700, Resumed: 600, Total: 2000, FramesPerSec: 10, ETA: 130 * time.Second}},
		// the estimate would drop (denser input first): it does not go down while reading
		{22 * time.Second, Snapshot{Done: 900, Total: 1000, FramesRead: 1200, Frames: 800, Resumed: 600, Tokens: 2000},
			Status{Frames: 800, Resumed: 600, Total: 2000, FramesPerSec: 10, ETA: 120 * time.Second}},
		// input read: the total is exact (1250)
		{32 * time.Second, Snapshot{Done: 1000, Total: 1000, InputRead: true, FramesRead: 1250, Frames: 900, Resumed: 600, Tokens: 3000},
			Status{Frames: 900, Resumed: 600, Total: 1250, Exact: true, FramesPerSec: 10, ETA: 35 * time.Second}},
		// a stale snapshot (fewer frames) never moves done backwards
		{33 * time.Second, Snapshot{Done: 1000, Total: 1000, InputRead: true, FramesRead: 1250, Frames: 890, Resumed: 600, Tokens: 3000},
			Status{Frames: 900, Resumed: 600, Total: 1250, Exact: true}},
	}
	for i, s := range steps {
		got := e.Update(t0.Add(s.at), s.snap)
		if got.Frames != s.want.Frames || got.Resumed != s.want.Resumed || got.Total != s.want.Total || got.Exact != s.want.Exact {
			t.Fatalf("step %d: got %+v, want %+v", i, got, s.want)
		}
		if i == len(steps)-1 {
			continue
		}
		if d := got.FramesPerSec - s.want.FramesPerSec; d > 1e-9 || d < -1e-9 || got.ETA != s.want.ETA {
			t.Fatalf("step %d: rate %.3f eta %v, want %.3f %v", i, got.FramesPerSec, got.ETA, s.want.FramesPerSec, s.want.ETA)
		}
	}
}

// TestEstimatorWindow checks that the rate follows the recent work (a slowdown shows
// within the window) rather than the whole run's average.
func TestEstimatorWindow(t *testing.T) {
	t0 := time.Unix(0, 0)
	e := Estimator{Window: 30 * time.Second}
	frames := int64(0)
	for s := 0; s <= 300; s += 10 {
		if s <= 150 {
			frames = int64(s) * 100 // 100 frames/s
		} else {
			frames = 15000 + int64(s-150)*10 // then 10 frames/s
		}
		st := e.Update(t0.Add(time.Duration(s)*time.Second), Snapshot{Total: 1, Done: 1, InputRead: true, FramesRead: 50000, Frames: frames})
		if s == 300 && (st.FramesPerSec < 9.9 || st.FramesPerSec > 10.1) {
			t.Fatalf("rate %.1f frames/s after the slowdown, want 10", st.FramesPerSec)
		}
	}
}

// TestLogLines feeds the reporter fake ticks and checks one line per tick with the
// work-based fields.
func TestLogLines(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&buf, nil))
	var frames atomic.Int64
	now := time.Unix(1000, 0)
	ticks := make(chan time.Time)
	var clock atomic.Int64
	r := StartWith(func() Snapshot {
		return Snapshot{Done: 500, Total: 1000, FramesRead: 400, Frames: frames.Load(), Records: 3, Tokens: 10 * frames.Load()}
	}, Config{Log: logger, Ticks: ticks, Now: func() time.Time { return now.Add(time.Duration(clock.Load()) * time.Second) }})
	for i := 1; i <= 3; i++ {
		frames.Store(int64(100 * i))
		clock.Store(int64(10 * i))
		ticks <- now
	}
	r.Stop(true)
	out := buf.String()
	if n := strings.Count(out, "msg=progress"); n != 3 {
		t.Fatalf("%d progress lines for 3 ticks:\n%s", n, out)
	}
	last := out[strings.LastIndex(out, "msg=progress"):]
	for _, want := range []string{"records=3", "frames=300/~800", "done=37.5%", "frames_per_s=10.0", "tokens_per_s=100", "eta=50s"} {
		if !strings.Contains(last, want) {
			t.Fatalf("last line lacks %q:\n%s", want, last)
		}
	}
}

// TestBarStops draws the bar to a buffer and checks that Stop returns, complete or not.
func TestBarStops(t *testing.T) {
	for _, complete := range []bool{true, false} {
		var buf bytes.Buffer
		ticks := make(chan time.Time)
		r := StartWith(func() Snapshot { return Snapshot{Done: 5, Total: 100, FramesRead: 10, Frames: 1} },
			Config{Bar: true, Out: &buf, Ticks: ticks})
		ticks <- time.Now()
		r.Stop(complete)
		if complete && !strings.Contains(buf.String(), "frames") {
			t.Fatalf("bar output lacks counts: %q", buf.String())
		}
	}
}
