// Package progress shows how a long run is going: a live bar (mpb) when stderr is a
// terminal, plain periodic log lines (log/slog) otherwise, e.g. in Slurm logs.
package progress

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
)

// Snapshot is the state of a run at one instant.
type Snapshot struct {
	// Done and Total measure overall progress in any unit (input bytes read, say);
	// Total <= 0 means unknown (no ETA).
	Done, Total int64
	// Records, Frames and Tokens are cumulative counts shown with rates.
	Records, Frames, Tokens int64
}

// Reporter polls a snapshot function and displays it until Stop.
type Reporter struct {
	poll     func() Snapshot
	cancel   context.CancelFunc
	wg       sync.WaitGroup
	start    time.Time
	progress *mpb.Progress
	bar      *mpb.Bar
}

// IsTerminal reports whether f is a character device (an interactive terminal).
func IsTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// Start begins reporting. With bar set it draws on w (normally os.Stderr) every 200 ms;
// otherwise it logs one line through logger every interval.
func Start(poll func() Snapshot, bar bool, w io.Writer, logger *slog.Logger, interval time.Duration) *Reporter {
	ctx, cancel := context.WithCancel(context.Background())
	r := &Reporter{poll: poll, cancel: cancel, start: time.Now()}
	if bar {
		r.startBar(ctx, w)
	} else {
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			t := time.NewTicker(interval)
			defer t.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-t.C:
					logger.Info("progress", r.attrs(poll())...)
				}
			}
		}()
	}
	return r
}

func (r *Reporter) attrs(s Snapshot) []any {
	el := time.Since(r.start).Seconds()
	a := []any{"records", s.Records, "frames", s.Frames,
		"frames_per_s", fmt.Sprintf("%.1f", float64(s.Frames)/el),
		"tokens_per_s", fmt.Sprintf("%.0f", float64(s.Tokens)/el)}
	if s.Total > 0 && s.Done > 0 {
		frac := float64(s.Done) / float64(s.Total)
		a = append(a, "done", fmt.Sprintf("%.1f%%", 100*frac))
		if frac < 1 {
			eta := time.Duration(el * (1 - frac) / frac * float64(time.Second)).Round(time.Second)
			a = append(a, "eta", eta.String())
		}
	}
	return a
}

func (r *Reporter) startBar(ctx context.Context, w io.Writer) {
	r.progress = mpb.NewWithContext(ctx, mpb.WithOutput(w), mpb.WithRefreshRate(200*time.Millisecond), mpb.WithWidth(40), mpb.WithAutoRefresh())
	total := r.poll().Total
	if total <= 0 {
		total = 0
	}
	counts := decor.Any(func(decor.Statistics) string {
		s := r.poll()
		el := time.Since(r.start).Seconds()
		return fmt.Sprintf("%d records  %d frames  %.1f frames/s  %.0f tok/s", s.Records, s.Frames, float64(s.Frames)/el, float64(s.Tokens)/el)
	})
	r.bar = r.progress.AddBar(total,
		mpb.PrependDecorators(decor.Name("predict "), decor.Percentage(decor.WCSyncSpace)),
		mpb.AppendDecorators(counts, decor.Name("  ETA "), decor.EwmaETA(decor.ET_STYLE_GO, 30)),
	)
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		last := int64(0)
		lastT := time.Now()
		for {
			select {
			case <-ctx.Done():
				return
			case now := <-t.C:
				s := r.poll()
				if s.Done > last {
					r.bar.EwmaIncrInt64(s.Done-last, now.Sub(lastT))
					last, lastT = s.Done, now
				}
			}
		}
	}()
}

// Stop ends the display; with complete set a bar is drawn full.
func (r *Reporter) Stop(complete bool) {
	if r.bar != nil {
		if complete {
			r.bar.SetTotal(-1, true)
		} else {
			r.bar.Abort(false)
		}
	}
	r.cancel()
	r.wg.Wait()
	if r.progress != nil {
		r.progress.Wait()
	}
}
