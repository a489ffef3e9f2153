package main

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// hostileZip writes a torch.save-style zip: data.pkl stored, data/0 deflated.
func hostileZip(t *testing.T, path string, pkl, record []byte) {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.CreateHeader(&zip.FileHeader{Name: "m/data.pkl", Method: zip.Store})
	w.Write(pkl)
	if record != nil {
		w, _ = zw.CreateHeader(&zip.FileHeader{Name: "m/data/0", Method: zip.Deflate})
		w.Write(record)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestMalformedModelsUnderAMemoryCap loads hostile model files with the real binary
// under GOMEMLIMIT=64MiB and measures its peak RSS (rusage): a zip bomb (a 256 MiB
// record in a file of a few hundred KB; a 3 GiB one used to reach 8.4 GB RSS and
// succeed), a 15-byte pickle announcing a 2^40-byte string (used to die with "fatal
// error: out of memory"), and a tensor of shape [2^62, 224] without data (used to be
// accepted, then panic). Each must exit 1 with one line naming the file, and stay
// under 200 MB of RSS.
func TestMalformedModelsUnderAMemoryCap(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := virnucproBinary(t)
	dir := t.TempDir()
	feats := filepath.Join(dir, "feats")
	os.Mkdir(feats, 0o755)
	huge := binary.LittleEndian.AppendUint64([]byte{0x80, 0x04, 0x8e}, 1<<40)
	tensor := []byte("\x80\x02}X\x01\x00\x00\x00wctorch._utils\n_rebuild_tensor_v2\n((X\x07\x00\x00\x00storagectorch\nFloatStorage\nX\x01\x00\x00\x00" +
		"0X\x03\x00\x00\x00cpuJ\x10\x00\x00\x00tQJ\x00\x00\x00\x00(\x8a\x08\x00\x00\x00\x00\x00\x00\x00\x40J\xe0\x00\x00\x00t(J\xe0\x00\x00\x00J\x01\x00\x00\x00t\x89ccollections\nOrderedDict\n)RtRs.")
	cases := []struct {
		name        string
		pkl, record []byte
		want        string
	}{
		{"zip bomb", tensor, make([]byte, 256<<20), "zip bomb"},
		{"huge pickle length", huge, nil, "declares"},
		{"shape 2^62 x 224", tensor, make([]byte, 64), "overflow"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			model := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "_")+".pth")
			hostileZip(t, model, c.pkl, c.record)
			code, msg, rss := peakRSS(t, bin, "evaluate", "--model", model, "--viral", feats)
			if code != 1 {
				t.Fatalf("exit %d, want 1; stderr:\n%s", code, msg)
			}
			if strings.Count(msg, "\n") != 0 || !strings.Contains(msg, model) || !strings.Contains(msg, c.want) {
				t.Errorf("want one line naming %s and %q, got:\n%s", model, c.want, msg)
			}
			t.Logf("%s: %d-byte file, peak RSS %.1f MB", c.name, fileSize(t, model), float64(rss)/1e6)
			if rss > 200e6 {
				t.Errorf("peak RSS %d bytes", rss)
			}
		})
	}
}

func fileSize(t *testing.T, path string) int64 {
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return st.Size()
}

// rssProbe is set in the environment of a fresh copy of the test binary that runs one
// command (its JSON argv) and prints "<exit code> <peak RSS KiB>". The fresh process
// is small: a child's peak RSS (ru_maxrss) starts from its parent's size at the fork,
// which for this test process, late in the suite, is hundreds of MB.
const rssProbe = "VIRNUCPRO_TEST_RSS_PROBE"

func init() {
	spec := os.Getenv(rssProbe)
	if spec == "" {
		return
	}
	var argv []string
	if err := json.Unmarshal([]byte(spec), &argv); err != nil {
		fmt.Println("-1 0")
		os.Exit(0)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), "GOMEMLIMIT=64MiB")
	cmd.Stderr = os.Stderr
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		code = -1
	}
	var rss int64
	if cmd.ProcessState != nil {
		rss = cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss
	}
	fmt.Println(code, rss)
	os.Exit(0)
}

// peakRSS runs argv under GOMEMLIMIT=64MiB from a fresh, small process and returns its
// exit code, its standard error (trimmed) and its peak RSS in bytes.
func peakRSS(t *testing.T, argv ...string) (int, string, int64) {
	t.Helper()
	spec, _ := json.Marshal(argv)
	probe := exec.Command(os.Args[0], "-test.run", "^$")
	probe.Env = append(os.Environ(), rssProbe+"="+string(spec))
	var stdout, stderr bytes.Buffer
	probe.Stdout, probe.Stderr = &stdout, &stderr
	if err := probe.Run(); err != nil {
		t.Fatalf("probe: %v\n%s", err, stderr.String())
	}
	var code int
	var kib int64
	if _, err := fmt.Sscan(stdout.String(), &code, &kib); err != nil {
		t.Fatalf("probe output %q: %v", stdout.String(), err)
	}
	return code, strings.TrimSpace(stderr.String()), kib * 1024 // ru_maxrss is in KiB on Linux
}

// TestPredictNeverDeletesTheUsersFiles is issue 16's reproduction: OUT/.virnucpro
// symlinked to a directory of the user's, with and without --restart, and a
// plots/ holding the user's figure. Each run is refused naming the path, and every
// file of the user's is still there (the symlink's target used to be wiped, the
// figure deleted with exit 0).
func TestPredictNeverDeletesTheUsersFiles(t *testing.T) {
	home := weightsHome(t)
	tinyModelsInto(t, filepath.Join(home, ".cache", "virnucpro"))
	in := filepath.Join("..", "..", "demo", "input.fasta")
	user := filepath.Join(home, "V")
	os.Mkdir(user, 0o755)
	for _, name := range []string{"thesis.tex", ".bashrc", "shard-000001.safetensors"} {
		os.WriteFile(filepath.Join(user, name), []byte(name), 0o644)
	}
	out := filepath.Join(home, "O")
	os.Mkdir(out, 0o755)
	if err := os.Symlink(user, filepath.Join(out, ".virnucpro")); err != nil {
		t.Fatal(err)
	}
	for _, extra := range [][]string{{"--restart"}, nil} {
		_, err := runOut(t, append([]string{"predict", in, "-o", out, "-j", "1", "--no-progress"}, extra...)...)
		if err == nil || !strings.Contains(err.Error(), filepath.Join(out, ".virnucpro")) {
			t.Errorf("predict %v: %v, want a refusal naming the symlink", extra, err)
		}
	}
	for _, name := range []string{"thesis.tex", ".bashrc", "shard-000001.safetensors"} {
		if _, err := os.Stat(filepath.Join(user, name)); err != nil {
			t.Errorf("the user's %s is gone: %v", name, err)
		}
	}
	out2 := filepath.Join(home, "O2")
	os.MkdirAll(filepath.Join(out2, "plots"), 0o755)
	figure := filepath.Join(out2, "plots", "figure1_final.pdf")
	os.WriteFile(figure, []byte("%PDF"), 0o644)
	_, err := runOut(t, "predict", in, "-o", out2, "-j", "1", "--no-progress", "--plot-top", "5")
	if err == nil || !strings.Contains(err.Error(), "figure1_final.pdf") {
		t.Errorf("predict with a user's file in plots/: %v", err)
	}
	if _, err := os.Stat(figure); err != nil {
		t.Errorf("the user's figure is gone: %v", err)
	}
}
