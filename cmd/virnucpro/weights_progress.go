package main

import (
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"

	"github.com/virnucpro/virnucpro/internal/weights/store"
)

// transferDisplay shows download progress: one mpb bar per file on a terminal, a log
// line per file every 10 seconds otherwise (Slurm logs, pipes).
type transferDisplay struct {
	mu   sync.Mutex
	log  *slog.Logger
	p    *mpb.Progress
	bars map[string]*mpb.Bar
	last map[string]time.Time
}

// newTransferDisplay draws bars on w (normally os.Stderr, a terminal) when bars is set,
// and logs through log otherwise.
func newTransferDisplay(bars bool, w io.Writer, log *slog.Logger) *transferDisplay {
	d := &transferDisplay{log: log, bars: map[string]*mpb.Bar{}, last: map[string]time.Time{}}
	if bars {
		d.p = mpb.New(mpb.WithOutput(w), mpb.WithWidth(40), mpb.WithRefreshRate(200*time.Millisecond), mpb.WithAutoRefresh())
	}
	return d
}

// logger is base, or on a terminal a logger at the same level that prints above the
// bars instead of through them.
func (d *transferDisplay) logger(base *slog.Logger, lvl slog.Level) *slog.Logger {
	if d.p == nil {
		return base
	}
	d.log = slog.New(slog.NewTextHandler(d.p, &slog.HandlerOptions{Level: lvl}))
	return d.log
}

// report receives one progress report from the downloader.
func (d *transferDisplay) report(t store.Transfer) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.p == nil {
		if !t.Final && time.Since(d.last[t.Name]) >= 10*time.Second {
			d.last[t.Name] = time.Now()
			attrs := []any{"file", t.Name, "done", humanBytes(t.Done)}
			if t.Total > 0 {
				attrs = append(attrs, "total", humanBytes(t.Total), "percent", fmt.Sprintf("%.1f", 100*float64(t.Done)/float64(t.Total)))
			}
			d.log.Info("downloading", attrs...)
		}
		return
	}
	bar, ok := d.bars[t.Name]
	if !ok {
		if t.Final && t.Err != nil {
			return
		}
		total := t.Total
		if total < 0 {
			total = 0
		}
		bar = d.p.AddBar(total,
			mpb.PrependDecorators(decor.Name(t.Name+" ", decor.WCSyncSpaceR), decor.CountersKibiByte("% .1f / % .1f", decor.WCSyncSpace)),
			mpb.AppendDecorators(decor.Percentage(decor.WCSyncSpace), decor.Name("  "), decor.AverageSpeed(decor.SizeB1024(0), "% .1f", decor.WCSyncSpace)),
		)
		d.bars[t.Name] = bar
	}
	if t.Total > 0 {
		bar.SetTotal(t.Total, false)
	}
	bar.SetCurrent(t.Done)
	if t.Final {
		if t.Err != nil {
			bar.Abort(false)
		} else {
			bar.SetTotal(-1, true)
		}
		delete(d.bars, t.Name)
	}
}

// wait ends the display.
func (d *transferDisplay) wait() {
	if d.p == nil {
		return
	}
	d.mu.Lock()
	for name, bar := range d.bars {
		bar.Abort(false)
		delete(d.bars, name)
	}
	d.mu.Unlock()
	d.p.Wait()
}
