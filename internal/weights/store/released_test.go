package store

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestGitBlobIDMatchesGit(t *testing.T) {
	p := filepath.Join(t.TempDir(), "x.pth")
	os.WriteFile(p, []byte("not really a model\x00\x01"), 0o644)
	id, err := GitBlobID(p)
	if err != nil {
		t.Fatal(err)
	}
	if git, err := exec.LookPath("git"); err == nil {
		out, err := exec.Command(git, "hash-object", p).Output()
		if err == nil && strings.TrimSpace(string(out)) != id {
			t.Fatalf("GitBlobID %s, git hash-object %s", id, out)
		}
	}
	if _, err := GitBlobID(filepath.Dir(p)); err == nil {
		t.Fatal("a directory has no blob id")
	}
}

func TestReleasedClassifierChunkSize(t *testing.T) {
	p := filepath.Join(t.TempDir(), "500_model.pth")
	os.WriteFile(p, []byte("a model that only has the released name"), 0o644)
	if _, ok, err := ReleasedClassifierChunkSize(p); err != nil || ok {
		t.Fatalf("a file is released by content, not by name: %v %v", ok, err)
	}
	id, _ := GitBlobID(p)
	releasedClassifierBlobs[id] = 300
	defer delete(releasedClassifierBlobs, id)
	if size, ok, err := ReleasedClassifierChunkSize(p); err != nil || !ok || size != 300 {
		t.Fatalf("got %d %v %v", size, ok, err)
	}
}
