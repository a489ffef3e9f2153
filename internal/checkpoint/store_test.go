package checkpoint

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func ident(input string) Identity {
	return Identity{
		Math:    "cpu native fma32 fp32",
		Tool:    "test",
		Inputs:  []FileIdentity{{Path: "in.fa", Size: int64(len(input)), SHA256: input}},
		Models:  map[string][]FileIdentity{"esm": {{Path: "esm.pt", Size: 10, SHA256: "e"}}},
		Options: map[string]string{"chunk-size": "500"},
	}
}

func commitN(t *testing.T, s *Store, n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		w := s.Manifest().NextWindow()
		if err := s.CommitShard([]byte(strings.Repeat("x", 10+i)), w, 2, 5, 1); err != nil {
			t.Fatal(err)
		}
	}
}

func TestResumeKeepsCommittedShards(t *testing.T) {
	out := t.TempDir()
	s, err := Open(out, ident("a"), OpenOptions{Resume: true})
	if err != nil {
		t.Fatal(err)
	}
	commitN(t, s, 3)
	s2, err := Open(out, ident("a"), OpenOptions{Resume: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := len(s2.Manifest().Shards); got != 3 || s2.Manifest().NextWindow() != 6 {
		t.Fatalf("resumed with %d shards, next window %d", got, s2.Manifest().NextWindow())
	}
	data, err := s2.ReadShard(1)
	if err != nil || string(data) != strings.Repeat("x", 11) {
		t.Fatalf("shard 1: %q %v", data, err)
	}
	if _, err := Open(out, ident("a"), OpenOptions{}); !errors.Is(err, ErrRunExists) {
		t.Fatalf("without --resume: %v", err)
	}
	s3, err := Open(out, ident("a"), OpenOptions{Restart: true})
	if err != nil || len(s3.Manifest().Shards) != 0 {
		t.Fatalf("restart: %v", err)
	}
}

func TestResumeRefusesAnotherRun(t *testing.T) {
	out := t.TempDir()
	s, _ := Open(out, ident("a"), OpenOptions{Resume: true})
	commitN(t, s, 1)
	tests := []struct {
		name string
		id   func() Identity
		want string
	}{
		{"input", func() Identity { return ident("b") }, "input in.fa"},
		{"chunk size", func() Identity { id := ident("a"); id.Options["chunk-size"] = "300"; return id }, `option chunk-size: checkpoint "500", now "300"`},
		{"model", func() Identity {
			id := ident("a")
			id.Models["esm"] = []FileIdentity{{Path: "esm.pt", Size: 10, SHA256: "f"}}
			return id
		}, "esm model file esm.pt"},
		{"tool", func() Identity { id := ident("a"); id.Tool = "next"; return id }, "tool version"},
		{"math", func() Identity { id := ident("a"); id.Math = "cpu go fp32"; return id }, `math: checkpoint computed with "cpu native fma32 fp32", now "cpu go fp32"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Open(out, tc.id(), OpenOptions{Resume: true})
			var me *MismatchError
			if !errors.As(err, &me) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want a mismatch naming %q", err, tc.want)
			}
		})
	}
}

func TestDamagedShardsAreDroppedWithTheirSuccessors(t *testing.T) {
	for _, damage := range []string{"truncate", "flip", "delete"} {
		t.Run(damage, func(t *testing.T) {
			out := t.TempDir()
			s, _ := Open(out, ident("a"), OpenOptions{Resume: true})
			commitN(t, s, 4)
			p := s.Path(s.Manifest().Shards[1].File)
			switch damage {
			case "truncate":
				os.Truncate(p, 3)
			case "flip":
				b, _ := os.ReadFile(p)
				b[0] ^= 0xff
				os.WriteFile(p, b, 0o644)
			case "delete":
				os.Remove(p)
			}
			s2, err := Open(out, ident("a"), OpenOptions{Resume: true})
			if err != nil {
				t.Fatal(err)
			}
			if n := len(s2.Manifest().Shards); n != 1 {
				t.Fatalf("%d shards kept, want 1", n)
			}
			// Orphaned later shard files are removed; new commits continue from window 2.
			if _, err := os.Stat(filepath.Join(out, Dir, "shard-000003.safetensors")); !os.IsNotExist(err) {
				t.Fatal("orphan shard left behind")
			}
			if err := s2.CommitShard([]byte("new"), 2, 1, 1, 1); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestManifestRecovery(t *testing.T) {
	out := t.TempDir()
	s, _ := Open(out, ident("a"), OpenOptions{Resume: true})
	commitN(t, s, 2)
	os.WriteFile(filepath.Join(out, Dir, manifestName), []byte("{garbage"), 0o644)
	s2, err := Open(out, ident("a"), OpenOptions{Resume: true})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(s2.Manifest().Shards); n != 1 {
		t.Fatalf("recovered %d shards from the previous manifest, want 1", n)
	}
	// Both copies corrupt: a clear error.
	os.WriteFile(filepath.Join(out, Dir, manifestName), []byte("{garbage"), 0o644)
	os.WriteFile(filepath.Join(out, Dir, previousName), []byte("nope"), 0o644)
	if _, err := Open(out, ident("a"), OpenOptions{Resume: true}); !errors.Is(err, ErrDamaged) {
		t.Fatalf("got %v", err)
	}
}

func TestOldManifestVersionIsRefused(t *testing.T) {
	out := t.TempDir()
	os.MkdirAll(filepath.Join(out, Dir), 0o755)
	os.WriteFile(filepath.Join(out, Dir, manifestName), []byte(`{"version": 1, "shards": []}`), 0o644)
	_, err := Open(out, ident("a"), OpenOptions{Resume: true})
	var ve *VersionError
	if !errors.As(err, &ve) || !strings.Contains(err.Error(), "v1") {
		t.Fatalf("got %v", err)
	}
}
