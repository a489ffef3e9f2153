// Package progress shows how a long run is going, by work done: frames scored against
// an estimate of the run's total, with frames/s, tokens/s and an ETA measured on this
// run's computed work (see Estimator). A live bar (mpb) is drawn when stderr is a
// terminal, plain periodic log lines (log/slog) otherwise, e.g. in Slurm logs.
package progress

import (
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
	// Done and Total are the input bytes read and the input's size (Total <= 0:
	// unknown, as for standard input); they extrapolate the total work while the
	// input is being read.
	Done, Total int64
	// InputRead is set once the whole input was read: FramesRead is then the exact
	// number of frames of the run.
	InputRead bool
	// FramesRead are the frames produced from the input so far; Frames those scored
	// (computed or restored), Resumed those of Frames restored from a checkpoint.
	FramesRead, Frames, Resumed int64
	// Records read and model Tokens embedded by this run.
	Records, Tokens int64
}

// Config sets up a Reporter.
type Config struct {
	// Bar draws a live bar on Out instead of logging.
	Bar bool
	Out io.Writer
	// Log receives a progress line every Interval when Bar is off.
	Log      *slog.Logger
	Interval time.Duration
	// Now and Ticks replace the clock and the ticker (tests); nil: the real ones.
	Now   func() time.Time
	Ticks <-chan time.Time
}

// Reporter polls a snapshot function and displays it until Stop.
type Reporter struct {
	poll     func() Snapshot
	cfg      Config
	est      Estimator
	mu       sync.Mutex
	last     Status
	stop     chan struct{}
	wg       sync.WaitGroup
	ticker   *time.Ticker
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
	return StartWith(poll, Config{Bar: bar, Out: w, Log: logger, Interval: interval})
}

// StartWith begins reporting as cfg says.
func StartWith(poll func() Snapshot, cfg Config) *Reporter {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	r := &Reporter{poll: poll, cfg: cfg, stop: make(chan struct{})}
	ticks := cfg.Ticks
	if ticks == nil {
		every := cfg.Interval
		if cfg.Bar || every <= 0 {
			every = 200 * time.Millisecond
		}
		r.ticker = time.NewTicker(every)
		ticks = r.ticker.C
	}
	r.update()
	if cfg.Bar {
		r.startBar()
	}
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		for {
			select {
			case <-r.stop:
				return
			case <-ticks:
				st := r.update()
				if !cfg.Bar {
					cfg.Log.Info("progress", st.Attrs()...)
				}
			}
		}
	}()
	return r
}

// update polls and estimates; the status is also what the bar shows.
func (r *Reporter) update() Status {
	s := r.poll()
	r.mu.Lock()
	st := r.est.Update(r.cfg.Now(), s)
	r.last = st
	bar := r.bar
	r.mu.Unlock()
	if bar != nil { // outside the lock: the bar's decorator takes it
		if st.Total > 0 {
			bar.SetTotal(st.Total, false)
		}
		bar.SetCurrent(st.Frames)
	}
	return st
}

// Status returns the last status computed.
func (r *Reporter) Status() Status {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.last
}

func (r *Reporter) startBar() {
	r.progress = mpb.New(mpb.WithOutput(r.cfg.Out), mpb.WithRefreshRate(200*time.Millisecond), mpb.WithWidth(30), mpb.WithAutoRefresh())
	counts := decor.Any(func(decor.Statistics) string { return r.Status().Line() })
	r.mu.Lock()
	r.bar = r.progress.AddBar(0, mpb.PrependDecorators(decor.Name("predict ")), mpb.AppendDecorators(counts))
	r.mu.Unlock()
}

// Stop ends the display; with complete set a bar is drawn full.
func (r *Reporter) Stop(complete bool) {
	close(r.stop)
	r.wg.Wait()
	if r.ticker != nil {
		r.ticker.Stop()
	}
	if r.bar != nil {
		if complete {
			r.bar.SetTotal(-1, true)
		} else {
			r.bar.Abort(false)
		}
	}
	if r.progress != nil {
		r.progress.Wait()
	}
}
