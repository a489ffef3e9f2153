package progress

import (
	"bytes"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestLogLines(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&buf, nil))
	var done atomic.Int64
	r := Start(func() Snapshot {
		return Snapshot{Done: done.Add(10), Total: 1000, Records: 3, Frames: 7, Tokens: 99}
	}, false, nil, logger, 10*time.Millisecond)
	time.Sleep(60 * time.Millisecond)
	r.Stop(true)
	out := buf.String()
	for _, want := range []string{"progress", "records=3", "frames=7", "eta="} {
		if !strings.Contains(out, want) {
			t.Fatalf("log lacks %q:\n%s", want, out)
		}
	}
}

func TestBarStops(t *testing.T) {
	for _, complete := range []bool{true, false} {
		var buf bytes.Buffer
		var done atomic.Int64
		r := Start(func() Snapshot { return Snapshot{Done: done.Add(5), Total: 100, Frames: 1} }, true, &buf, nil, time.Second)
		time.Sleep(250 * time.Millisecond)
		stopped := make(chan struct{})
		go func() { r.Stop(complete); close(stopped) }()
		select {
		case <-stopped:
		case <-time.After(5 * time.Second):
			t.Fatal("Stop hung")
		}
		if !strings.Contains(buf.String(), "frames") {
			t.Fatalf("bar output lacks counts: %q", buf.String())
		}
	}
}
