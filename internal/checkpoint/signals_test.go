package checkpoint

import (
	"context"
	"syscall"
	"testing"
	"time"
)

func TestInterruptFirstCancelsSecondExits(t *testing.T) {
	exited := make(chan int, 1)
	in := notifyInterrupt(context.Background(), func(code int) { exited <- code })
	defer in.Stop()
	syscall.Kill(syscall.Getpid(), syscall.SIGTERM)
	select {
	case <-in.Context().Done():
	case <-time.After(5 * time.Second):
		t.Fatal("first SIGTERM did not cancel the context")
	}
	if in.ExitCode() != ExitSIGTERM {
		t.Fatalf("exit code %d, want %d", in.ExitCode(), ExitSIGTERM)
	}
	syscall.Kill(syscall.Getpid(), syscall.SIGINT)
	select {
	case code := <-exited:
		if code != ExitSIGINT {
			t.Fatalf("second signal exit %d, want %d", code, ExitSIGINT)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("second signal did not exit")
	}
}
