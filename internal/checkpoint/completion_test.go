package checkpoint

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// completedRun makes a checkpoint with three shards and two output files.
func completedRun(t *testing.T) (string, *Store) {
	t.Helper()
	out := t.TempDir()
	s, err := Open(out, ident("a"), OpenOptions{Resume: true})
	if err != nil {
		t.Fatal(err)
	}
	commitN(t, s, 3)
	if err := s.MarkComplete(); err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Join(out, "plots"), 0o755)
	os.WriteFile(filepath.Join(out, "prediction_results.txt"), []byte("rows\n"), 0o644)
	os.WriteFile(filepath.Join(out, "plots", "000001_a.svg"), []byte("<svg/>"), 0o644)
	os.WriteFile(filepath.Join(out, Dir, LockName), nil, 0o644)
	return out, s
}

func TestCompactLeavesTheCompletionRecord(t *testing.T) {
	out, s := completedRun(t)
	c, err := s.Compact(out, map[string]int64{"records": 7}, false)
	if err != nil {
		t.Fatal(err)
	}
	left, _ := os.ReadDir(filepath.Join(out, Dir))
	var names []string
	for _, e := range left {
		names = append(names, e.Name())
	}
	if strings.Join(names, " ") != CompletionName+" "+MarkerName+" "+LockName {
		t.Fatalf("checkpoint directory after compaction: %v", names)
	}
	got, err := ReadCompletion(out)
	if err != nil || len(got.Outputs) != 2 || got.Outputs[0].Path != "plots/000001_a.svg" || got.Counts["records"] != 7 || Diff(got.Identity, ident("a")) != nil {
		t.Fatalf("completion record %+v, %v (compact returned %+v)", got, err, c)
	}
	if p := got.Verify(out); p != nil {
		t.Fatalf("intact outputs: %v", p)
	}
	// A tampered and a removed output are named.
	os.WriteFile(filepath.Join(out, "prediction_results.txt"), []byte("ROWS\n"), 0o644)
	os.Remove(filepath.Join(out, "plots", "000001_a.svg"))
	p := got.Verify(out)
	if len(p) != 2 || !strings.Contains(p[0], "plots/000001_a.svg is missing") || !strings.Contains(p[1], "prediction_results.txt was modified") {
		t.Fatalf("problems %q", p)
	}
	// A new run is refused until --restart, which discards the record.
	var ce *CompleteError
	if _, err := Open(out, ident("a"), OpenOptions{Resume: true}); !errors.As(err, &ce) {
		t.Fatalf("open over a completed run: %v", err)
	}
	if _, err := Open(out, ident("a"), OpenOptions{Restart: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadCompletion(out); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("restart kept the completion record: %v", err)
	}
}

func TestCompactKeepAndLinks(t *testing.T) {
	out, s := completedRun(t)
	if _, err := s.Compact(out, nil, true); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(out, Dir, "shard-000002.safetensors")); err != nil {
		t.Fatalf("--keep-checkpoint removed a shard: %v", err)
	}
	// A shard replaced by a link to a file outside: the link is not followed, the
	// target survives and the problem is reported.
	out, s = completedRun(t)
	victim := filepath.Join(t.TempDir(), "precious")
	os.WriteFile(victim, []byte("keep me"), 0o644)
	shard := filepath.Join(out, Dir, "shard-000001.safetensors")
	os.Remove(shard)
	if err := os.Symlink(victim, shard); err != nil {
		t.Skip("no symlinks here:", err)
	}
	if _, err := s.Compact(out, nil, false); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Fatalf("compaction over a link: %v", err)
	}
	if b, err := os.ReadFile(victim); err != nil || string(b) != "keep me" {
		t.Fatalf("link target touched: %q %v", b, err)
	}
}
