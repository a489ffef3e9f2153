package checkpoint

import (
	"context"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
)

// Exit codes for runs stopped by a signal (128 + signal number, the shell convention).
const (
	ExitSIGINT  = 130
	ExitSIGTERM = 143
)

// Interrupt turns the first SIGINT or SIGTERM into a cancelled context, so the run
// stops taking work and commits what is complete; a second signal exits at once with
// the same code (still safe to resume: only committed shards count).
type Interrupt struct {
	ctx    context.Context
	cancel context.CancelFunc
	sig    atomic.Int32
	ch     chan os.Signal
	exit   func(int)
}

// NotifyInterrupt starts listening. Stop must be called when the run ends.
func NotifyInterrupt(parent context.Context) *Interrupt {
	return notifyInterrupt(parent, os.Exit)
}

func notifyInterrupt(parent context.Context, exit func(int)) *Interrupt {
	ctx, cancel := context.WithCancel(parent)
	in := &Interrupt{ctx: ctx, cancel: cancel, ch: make(chan os.Signal, 2), exit: exit}
	signal.Notify(in.ch, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		for s := range in.ch {
			code := ExitSIGINT
			if s == syscall.SIGTERM {
				code = ExitSIGTERM
			}
			if !in.sig.CompareAndSwap(0, int32(code)) {
				in.exit(code)
				return
			}
			cancel()
		}
	}()
	return in
}

// Context is cancelled by the first signal.
func (in *Interrupt) Context() context.Context { return in.ctx }

// ExitCode is 130 or 143 after a signal, 0 otherwise.
func (in *Interrupt) ExitCode() int { return int(in.sig.Load()) }

// Stop stops listening for signals.
func (in *Interrupt) Stop() {
	signal.Stop(in.ch)
	close(in.ch)
	in.cancel()
}
