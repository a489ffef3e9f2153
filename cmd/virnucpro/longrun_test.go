package main

// Process-level tests of long runs: the real binary is killed with SIGKILL at random
// times, stopped with SIGTERM/SIGINT, resumed with changed inputs and with damaged
// checkpoints. VIRNUCPRO_LONG_TESTS=1 runs the kill test in its long mode (20 trials
// on an input taking about 20 s); CI runs a few trials on a smaller input.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/virnucpro/virnucpro/internal/tensor/cpu"
	"github.com/virnucpro/virnucpro/internal/testutil"
)

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// virnucproBinary builds the command once per test process.
func virnucproBinary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "virnucpro-bin-")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "virnucpro")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// writeORFInput writes n records made of sense codons only, so every chunk has a
// stop-free frame and the models have work (lengths 210..1500 bp, fixed seed).
func writeORFInput(t *testing.T, path string, n int, seed int64) {
	t.Helper()
	var sense []string
	for _, a := range "ACGT" {
		for _, b := range "ACGT" {
			for _, c := range "ACGT" {
				if cod := string([]rune{a, b, c}); cod != "TAA" && cod != "TAG" && cod != "TGA" {
					sense = append(sense, cod)
				}
			}
		}
	}
	r := rand.New(rand.NewSource(seed))
	var b bytes.Buffer
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, ">rec%d some description\n", i)
		for k := 70 + r.Intn(431); k > 0; k-- {
			b.WriteString(sense[r.Intn(len(sense))])
		}
		b.WriteByte('\n')
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// longRun describes one predict job run through the binary.
type longRun struct {
	bin, input, classifier string
	extra                  []string
}

func (l longRun) command(out string, more ...string) *exec.Cmd {
	if l.classifier == "" {
		l.classifier = filepath.Join("..", "..", "testdata", "virnucpro_e2e_tiny", "mlp", "model.pth")
	}
	args := []string{"predict", l.input, "-o", out,
		"--esm", filepath.Join("..", "..", "testdata", "esm2_tiny", "esm2_t3_tiny_UR50D.pt"),
		"--dnabert", filepath.Join("..", "..", "testdata", "dnabert_tiny"),
		"--classifier", l.classifier, "--chunk-size", "500",
		"--window", "16", "--checkpoint-every", "16", "--no-progress", "--plot-top", "3", "-j", "2"}
	args = append(append(args, l.extra...), more...)
	cmd := exec.Command(l.bin, args...)
	cmd.Env = append(os.Environ(), "VIRNUCPRO_LOG_LEVEL=info")
	return cmd
}

// start starts the run; done receives its end.
func (l longRun) start(t *testing.T, out string) (cmd *exec.Cmd, stderr *bytes.Buffer, done chan error) {
	t.Helper()
	cmd = l.command(out)
	stderr = &bytes.Buffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done = make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	return cmd, stderr, done
}

// run runs to the end and returns the exit code and stderr.
func (l longRun) run(t *testing.T, out string, more ...string) (int, string) {
	t.Helper()
	cmd := l.command(out, more...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode(), stderr.String()
	}
	if err != nil {
		t.Fatal(err)
	}
	return 0, stderr.String()
}

// committedWindows reads the checkpoint manifest: windows committed so far.
func committedWindows(t *testing.T, out string) int {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(out, ".virnucpro", "manifest.json"))
	if os.IsNotExist(err) {
		return 0
	}
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Shards []struct{ Windows int } `json:"shards"`
	}
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("manifest: %v", err)
	}
	n := 0
	for _, s := range m.Shards {
		n += s.Windows
	}
	return n
}

var resumedRE = regexp.MustCompile(`resuming from checkpoint"? committed_windows=(\d+)`)

// resumedWindows is what a run's log says it resumed from (0 if it started afresh).
func resumedWindows(stderr string) int {
	if m := resumedRE.FindStringSubmatch(stderr); m != nil {
		n, _ := strconv.Atoi(m[1])
		return n
	}
	return 0
}

// TestKillAndResume kills predict with SIGKILL at random times, resumes until done,
// and checks that the outputs equal an uninterrupted run byte for byte and that every
// resumed run took over all windows committed before the kill.
func TestKillAndResume(t *testing.T) {
	if testing.Short() {
		t.Skip("process-level test")
	}
	trials, records := 3, 150
	if cpu.Kernels() == "go" {
		records = 50 // the generic kernels (CI forces them) are ~5× slower; still several windows
	}
	if os.Getenv("VIRNUCPRO_LONG_TESTS") == "1" {
		trials, records = 20, 6000 // ~15-20 s uninterrupted on 2 cores with AVX-512 OpenBLAS kernels
	}
	dir := t.TempDir()
	l := longRun{bin: virnucproBinary(t), input: filepath.Join(dir, "in.fa"), extra: testutil.MathPathFlags(t)}
	writeORFInput(t, l.input, records, 11)
	ref := filepath.Join(dir, "ref")
	t0 := time.Now()
	if code, stderr := l.run(t, ref); code != 0 {
		t.Fatalf("reference run: exit %d\n%s", code, stderr)
	}
	full := time.Since(t0)
	want := testutil.ReadTree(t, ref, ".virnucpro")
	t.Logf("uninterrupted run: %v; %d trials", full.Round(time.Millisecond), trials)
	seed := time.Now().UnixNano()
	if v := os.Getenv("VIRNUCPRO_KILL_SEED"); v != "" {
		seed, _ = strconv.ParseInt(v, 10, 64)
	}
	t.Logf("kill instants from seed %d (VIRNUCPRO_KILL_SEED=%d repeats them)", seed, seed)
	r := rand.New(rand.NewSource(seed))
	kills, resumedTotal := 0, 0
	for trial := 0; trial < trials; trial++ {
		out := filepath.Join(dir, fmt.Sprint("trial", trial))
		for attempt := 0; ; attempt++ {
			if attempt > 50 {
				t.Fatalf("trial %d: no completion after 50 attempts", trial)
			}
			before := committedWindows(t, out)
			cmd, stderr, done := l.start(t, out)
			// Kill at a random instant of a full run's duration (the first two
			// attempts of a trial), then let it finish.
			var err error
			killed := false
			if attempt < 2 {
				select {
				case err = <-done:
				case <-time.After(time.Duration(r.Int63n(int64(full)))):
					cmd.Process.Signal(syscall.SIGKILL)
					err = <-done
					killed = true
					kills++
				}
			} else {
				err = <-done
			}
			// A run killed before it logged its compute backend (which comes after
			// the resume decision, and after hashing the inputs for the run's
			// identity) never said what it resumed from.
			decided := strings.Contains(stderr.String(), "compute backend")
			if got := resumedWindows(stderr.String()); got != before && (!killed || decided) {
				t.Fatalf("trial %d attempt %d: %d windows were committed, the run resumed from %d\n%s", trial, attempt, before, got, stderr.String())
			}
			resumedTotal += before
			if !killed {
				if err != nil {
					t.Fatalf("trial %d attempt %d: %v\n%s", trial, attempt, err, stderr.String())
				}
				break
			}
			if _, statErr := os.Stat(filepath.Join(out, "prediction_results.txt")); statErr == nil && err != nil {
				// Killed after the results were written: the run had completed.
				break
			}
		}
		testutil.SameTree(t, want, testutil.ReadTree(t, out, ".virnucpro"), fmt.Sprint("trial ", trial))
	}
	t.Logf("%d kills, %d committed windows taken over by resumed runs", kills, resumedTotal)
}

// markerWriter collects a child's standard error and closes seen when the line
// marker appears in it.
type markerWriter struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	marker string
	seen   chan struct{}
	closed bool
}

func (m *markerWriter) Write(p []byte) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.buf.Write(p)
	if !m.closed && strings.Contains(m.buf.String(), m.marker) {
		m.closed = true
		close(m.seen)
	}
	return len(p), nil
}

func (m *markerWriter) String() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.buf.String()
}

// startAndSignal starts predict with the test hook that pauses it after its
// commits-th committed shard, waits for the pause, sends sig and returns the exit
// code and how long the run took to stop.
func startAndSignal(t *testing.T, l longRun, out string, sig syscall.Signal, commits int) (int, time.Duration, string) {
	t.Helper()
	cmd := l.command(out)
	cmd.Env = append(cmd.Env, fmt.Sprintf("%s=%d", pauseAfterCommitEnv, commits))
	stderr := &markerWriter{marker: fmt.Sprintf("%s%d\n", pausedMarker, commits), seen: make(chan struct{})}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-stderr.seen:
	case err := <-done:
		t.Fatalf("the run ended before pausing after commit %d: %v\n%s", commits, err, stderr.String())
	}
	if got := committedWindows(t, out); got == 0 {
		t.Fatalf("paused after commit %d with no window in the manifest", commits)
	}
	// A second run on the same output directory is refused while this one runs.
	if code, stderr := l.run(t, out); code == 0 || !strings.Contains(stderr, "in use by another virnucpro run") {
		t.Errorf("a concurrent run on the same output: exit %d\n%s", code, stderr)
	}
	t0 := time.Now()
	cmd.Process.Signal(sig)
	var err error
	select {
	case err = <-done:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("no exit within 30 s of %v", sig)
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		t.Fatalf("after %v: %v\n%s", sig, err, stderr.String())
	}
	return ee.ExitCode(), time.Since(t0), stderr.String()
}

// TestSignalsStopCommitAndResume: SIGTERM exits 143 and SIGINT 130 within the bound,
// after committing, and the resumed runs end identical to an uninterrupted one.
func TestSignalsStopCommitAndResume(t *testing.T) {
	if testing.Short() {
		t.Skip("process-level test")
	}
	dir := t.TempDir()
	l := longRun{bin: virnucproBinary(t), input: filepath.Join(dir, "in.fa")}
	writeORFInput(t, l.input, 150, 5)
	ref := filepath.Join(dir, "ref")
	if code, stderr := l.run(t, ref); code != 0 {
		t.Fatalf("reference run: exit %d\n%s", code, stderr)
	}
	want := testutil.ReadTree(t, ref, ".virnucpro")
	for _, c := range []struct {
		sig  syscall.Signal
		code int
	}{{syscall.SIGTERM, 143}, {syscall.SIGINT, 130}} {
		out := filepath.Join(dir, c.sig.String())
		code, took, stderr := startAndSignal(t, l, out, c.sig, 1)
		if code != c.code {
			t.Fatalf("%v: exit %d, want %d\n%s", c.sig, code, c.code, stderr)
		}
		if took > 10*time.Second {
			t.Errorf("%v: took %v to stop (bound 10 s)", c.sig, took)
		}
		if _, err := os.Stat(filepath.Join(out, "prediction_results.txt")); err == nil {
			t.Errorf("%v: the interrupted run left final results", c.sig)
		}
		before := committedWindows(t, out)
		if before == 0 {
			t.Errorf("%v: nothing committed", c.sig)
		}
		code, stderr = l.run(t, out)
		if code != 0 || resumedWindows(stderr) != before {
			t.Fatalf("%v: resume exit %d, resumed %d of %d committed windows\n%s", c.sig, code, resumedWindows(stderr), before, stderr)
		}
		testutil.SameTree(t, want, testutil.ReadTree(t, out, ".virnucpro"), c.sig.String())
		t.Logf("%v: exit %d after %v, %d windows committed", c.sig, c.code, took.Round(time.Millisecond), before)
	}
}

// TestResumeRefusesAnotherRunAndRepairsDamage: a changed input, chunk size or model
// file is refused with the difference named; damaged shards and a damaged manifest
// are detected and the run still ends identical to an uninterrupted one.
func TestResumeRefusesAnotherRunAndRepairsDamage(t *testing.T) {
	if testing.Short() {
		t.Skip("process-level test")
	}
	dir := t.TempDir()
	clf := filepath.Join(dir, "model.pth")
	data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "virnucpro_e2e_tiny", "mlp", "model.pth"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(clf, data, 0o644)
	l := longRun{bin: virnucproBinary(t), input: filepath.Join(dir, "in.fa"), classifier: clf}
	writeORFInput(t, l.input, 150, 9)
	ref := filepath.Join(dir, "ref")
	if code, stderr := l.run(t, ref, "--no-checkpoint"); code != 0 {
		t.Fatalf("reference run: exit %d\n%s", code, stderr)
	}
	want := testutil.ReadTree(t, ref, ".virnucpro")
	interrupted := func(name string) string {
		out := filepath.Join(dir, name)
		if code, _, stderr := startAndSignal(t, l, out, syscall.SIGTERM, 3); code != 143 {
			t.Fatalf("exit %d\n%s", code, stderr)
		}
		return out
	}
	out := interrupted("out")

	// Another identity: refused, naming what differs; the checkpoint is kept.
	inputCopy, _ := os.ReadFile(l.input)
	os.WriteFile(l.input, append(append([]byte(nil), inputCopy...), ">extra\nACGTACGT\n"...), 0o644)
	if code, stderr := l.run(t, out); code == 0 || !strings.Contains(stderr, "input") {
		t.Errorf("changed input: exit %d\n%s", code, stderr)
	}
	os.WriteFile(l.input, inputCopy, 0o644)
	if code, stderr := l.run(t, out, "--chunk-size", "300"); code == 0 || !strings.Contains(stderr, "chunk-size") {
		t.Errorf("changed chunk size: exit %d\n%s", code, stderr)
	}
	changed := append([]byte(nil), data...)
	changed[len(changed)-100] ^= 1
	os.WriteFile(clf, changed, 0o644)
	if code, stderr := l.run(t, out); code == 0 || !strings.Contains(stderr, "classifier") {
		t.Errorf("changed classifier: exit %d\n%s", code, stderr)
	}
	os.WriteFile(clf, data, 0o644)

	// A flipped byte in the second shard: detected, it and its successors recomputed,
	// the first kept.
	shards, _ := filepath.Glob(filepath.Join(out, ".virnucpro", "shard-*"))
	if len(shards) < 2 {
		t.Fatalf("%d shards committed, want >= 2", len(shards))
	}
	sh, _ := os.ReadFile(shards[1])
	sh[len(sh)/2] ^= 0xff
	os.WriteFile(shards[1], sh, 0o644)
	code, stderr := l.run(t, out)
	if code != 0 || !strings.Contains(stderr, "damaged") || resumedWindows(stderr) == 0 {
		t.Fatalf("resume after a damaged shard: exit %d, resumed %d windows\n%s", code, resumedWindows(stderr), stderr)
	}
	testutil.SameTree(t, want, testutil.ReadTree(t, out, ".virnucpro"), "after a damaged shard")

	// A truncated manifest: recovered from the previous copy.
	out = interrupted("out2")
	man := filepath.Join(out, ".virnucpro", "manifest.json")
	mb, _ := os.ReadFile(man)
	os.WriteFile(man, mb[:len(mb)/2], 0o644)
	code, stderr = l.run(t, out)
	if code != 0 || !strings.Contains(stderr, "previous copy") || resumedWindows(stderr) == 0 {
		t.Fatalf("resume after a damaged manifest: exit %d, resumed %d windows\n%s", code, resumedWindows(stderr), stderr)
	}
	testutil.SameTree(t, want, testutil.ReadTree(t, out, ".virnucpro"), "after a damaged manifest")
}
