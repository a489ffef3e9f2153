package checkpoint

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
)

// userDir makes a directory of the user's files that a planted link points at.
func userDir(t *testing.T) string {
	t.Helper()
	v := filepath.Join(t.TempDir(), "V")
	if err := os.Mkdir(v, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"thesis.tex", ".bashrc", "shard-000001.safetensors"} {
		if err := os.WriteFile(filepath.Join(v, name), []byte("the user's "+name), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return v
}

func listDir(t *testing.T, dir string) string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	return strings.Join(names, " ")
}

// TestSymlinkedCheckpointDirIsRefused: OUT/.virnucpro linked to a directory of the
// user's, or a real directory holding files virnucpro never writes, is refused by the
// lock and by Open (with and without restart), naming it; nothing there is deleted.
func TestSymlinkedCheckpointDirIsRefused(t *testing.T) {
	for _, kind := range []string{"symlink", "foreign directory"} {
		t.Run(kind, func(t *testing.T) {
			v := userDir(t)
			out := t.TempDir()
			dir := filepath.Join(out, Dir)
			if kind == "symlink" {
				if err := os.Symlink(v, dir); err != nil {
					t.Fatal(err)
				}
			} else if err := os.Rename(v, dir); err != nil {
				t.Fatal(err)
			} else {
				v = dir
			}
			before := listDir(t, v)
			if l, err := LockOutput(out); err == nil || !strings.Contains(err.Error(), dir) {
				l.Unlock()
				t.Errorf("LockOutput: %v, want a refusal naming %s", err, dir)
			}
			for _, opts := range []OpenOptions{{Restart: true}, {Resume: true}, {}} {
				if _, err := Open(out, ident("a"), opts); err == nil || !strings.Contains(err.Error(), dir) {
					t.Errorf("Open %+v: %v, want a refusal naming %s", opts, err, dir)
				}
			}
			if after := listDir(t, v); after != before {
				t.Fatalf("the user's directory changed: %q -> %q", before, after)
			}
		})
	}
}

// TestRestartDeletesOnlyGeneratedNames: in virnucpro's own checkpoint directory a
// restart removes the shards and manifests but leaves a file of the user's and a
// symlink (and its target) alone.
func TestRestartDeletesOnlyGeneratedNames(t *testing.T) {
	out := t.TempDir()
	s, err := Open(out, ident("a"), OpenOptions{Resume: true})
	if err != nil {
		t.Fatal(err)
	}
	commitN(t, s, 2)
	dir := filepath.Join(out, Dir)
	victim := filepath.Join(t.TempDir(), "victim")
	os.WriteFile(victim, []byte("keep"), 0o644)
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("mine"), 0o644)
	if err := os.Symlink(victim, filepath.Join(dir, "shard-000007.safetensors")); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(out, ident("b"), OpenOptions{Restart: true}); err != nil {
		t.Fatal(err)
	}
	if got, want := listDir(t, dir), MarkerName+" manifest.json notes.txt shard-000007.safetensors"; got != want {
		t.Errorf("after restart: %q, want %q", got, want)
	}
	if b, _ := os.ReadFile(victim); string(b) != "keep" {
		t.Error("the symlink's target changed")
	}
}

// TestAdoptsOldCheckpointDir: a directory of generated names only (an older version's
// checkpoint, without the marker) is still resumed.
func TestAdoptsOldCheckpointDir(t *testing.T) {
	out := t.TempDir()
	s, _ := Open(out, ident("a"), OpenOptions{Resume: true})
	commitN(t, s, 1)
	os.Remove(filepath.Join(out, Dir, MarkerName))
	s2, err := Open(out, ident("a"), OpenOptions{Resume: true})
	if err != nil || len(s2.Manifest().Shards) != 1 {
		t.Fatalf("resume of an unmarked checkpoint of ours: %v", err)
	}
}

// TestShardPathsAreNotTrusted: a manifest naming a file outside the checkpoint
// directory is refused; a shard replaced by a FIFO, a symlink to /dev/zero or a
// longer file is dropped as damaged without reading past its recorded size (these used
// to hash /etc/passwd or hang forever).
func TestShardPathsAreNotTrusted(t *testing.T) {
	for _, name := range []string{"../../etc/passwd", "/dev/zero", "shard-000000.safetensors/../x"} {
		out := t.TempDir()
		s, _ := Open(out, ident("a"), OpenOptions{Resume: true})
		commitN(t, s, 1)
		mpath := filepath.Join(out, Dir, manifestName)
		var m map[string]any
		b, _ := os.ReadFile(mpath)
		json.Unmarshal(b, &m)
		m["shards"].([]any)[0].(map[string]any)["file"] = name
		b, _ = json.Marshal(m)
		os.WriteFile(mpath, b, 0o644)
		os.Remove(filepath.Join(out, Dir, previousName))
		if _, err := Open(out, ident("a"), OpenOptions{Resume: true}); err == nil || !strings.Contains(err.Error(), "not the name virnucpro gives it") {
			t.Errorf("shard file %q: %v", name, err)
		}
	}
	for _, plant := range []string{"fifo", "symlink", "longer"} {
		t.Run(plant, func(t *testing.T) {
			out := t.TempDir()
			s, _ := Open(out, ident("a"), OpenOptions{Resume: true})
			commitN(t, s, 2)
			shard := filepath.Join(out, Dir, "shard-000000.safetensors")
			os.Remove(shard)
			switch plant {
			case "fifo":
				if err := syscall.Mkfifo(shard, 0o644); err != nil {
					t.Fatal(err)
				}
			case "symlink":
				os.Symlink("/dev/zero", shard)
			case "longer":
				os.WriteFile(shard, []byte(strings.Repeat("x", 1000)), 0o644)
			}
			s2, err := Open(out, ident("a"), OpenOptions{Resume: true})
			if err != nil {
				t.Fatal(err)
			}
			if n := len(s2.Manifest().Shards); n != 0 {
				t.Errorf("%d shards kept, want 0 (the first is damaged)", n)
			}
		})
	}
}

// TestPlantedLockSymlink (issue 16, defect 6): a symlink planted at OUT/.virnucpro/lock
// (in virnucpro's own checkpoint directory) is refused naming it, and its target keeps
// its content (the lock used to follow it and write its pid there).
func TestPlantedLockSymlink(t *testing.T) {
	out := t.TempDir()
	l, err := LockOutput(out)
	if err != nil {
		t.Fatal(err)
	}
	l.Unlock()
	lock := filepath.Join(out, Dir, LockName)
	os.Remove(lock)
	victim := filepath.Join(t.TempDir(), "thesis.tex")
	os.WriteFile(victim, []byte("precious"), 0o644)
	if err := os.Symlink(victim, lock); err != nil {
		t.Fatal(err)
	}
	if l, err := LockOutput(out); err == nil || !strings.Contains(err.Error(), lock) {
		l.Unlock()
		t.Fatalf("LockOutput: %v, want a refusal naming %s", err, lock)
	}
	if b, _ := os.ReadFile(victim); string(b) != "precious" {
		t.Fatalf("the symlink's target became %q", b)
	}
}
