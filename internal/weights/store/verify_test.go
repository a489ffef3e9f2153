package store

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestVerify(t *testing.T) {
	files := testFiles()
	cases := []struct {
		name   string
		damage func(t *testing.T, cache string)
		want   map[string]Status
	}{
		{"intact", nil, map[string]Status{
			"300_model.pth": StatusOK, "DNABERT-S/config.json": StatusOK, "DNABERT-S/tokenizer.json": StatusOK, "DNABERT-S/pytorch_model.bin": StatusOK}},
		{"a flipped byte", func(t *testing.T, cache string) {
			p := filepath.Join(cache, "DNABERT-S", "pytorch_model.bin")
			b, _ := os.ReadFile(p)
			b[len(b)/2] ^= 1
			os.WriteFile(p, b, 0o644)
		}, map[string]Status{
			"300_model.pth": StatusOK, "DNABERT-S/config.json": StatusOK, "DNABERT-S/tokenizer.json": StatusOK, "DNABERT-S/pytorch_model.bin": StatusMismatch}},
		{"truncated", func(t *testing.T, cache string) {
			os.Truncate(filepath.Join(cache, "300_model.pth"), 10)
		}, map[string]Status{
			"300_model.pth": StatusMismatch, "DNABERT-S/config.json": StatusOK, "DNABERT-S/tokenizer.json": StatusOK, "DNABERT-S/pytorch_model.bin": StatusOK}},
		{"removed, and one placed by hand", func(t *testing.T, cache string) {
			os.Remove(filepath.Join(cache, "300_model.pth"))
			write(t, filepath.Join(cache, "500_model.pth"), "by hand")
		}, map[string]Status{
			"300_model.pth": StatusMissing, "500_model.pth": StatusMismatch, "DNABERT-S/config.json": StatusOK, "DNABERT-S/tokenizer.json": StatusOK, "DNABERT-S/pytorch_model.bin": StatusOK}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			u := newUpstream(t, files)
			cache := t.TempDir()
			for _, name := range []string{"classifier-300", "dnabert-s"} {
				if _, err := newDownloader(u, cache).Download(context.Background(), mustModel(t, name)); err != nil {
					t.Fatal(err)
				}
			}
			if c.damage != nil {
				c.damage(t, cache)
			}
			checks, err := Verify(cache)
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]Status{}
			for _, ch := range checks {
				got[ch.Name] = ch.Status
				if ch.Failed() != (ch.Status == StatusMismatch) {
					t.Errorf("%s: Failed() = %v", ch.Name, ch.Failed())
				}
			}
			if len(got) != len(c.want) {
				t.Fatalf("checks %v, want %v", got, c.want)
			}
			for k, v := range c.want {
				if got[k] != v {
					t.Errorf("%s: %s, want %s", k, got[k], v)
				}
			}
		})
	}
}

func TestVerifyPinnedFilePlacedByHand(t *testing.T) {
	pinForTest(t, "esm2-650m", "esm2_t33_650M_UR50D.pt", sha([]byte("weights")))
	cache := t.TempDir()
	write(t, filepath.Join(cache, "esm2_t33_650M_UR50D.pt"), "weights")
	write(t, filepath.Join(cache, "esm2_t36_3B_UR50D.pt"), "unknown")
	checks, err := Verify(cache)
	if err != nil {
		t.Fatal(err)
	}
	if len(checks) != 2 || checks[0].Status != StatusOK || checks[0].From != "pinned" || checks[1].Status != StatusUnrecorded {
		t.Fatalf("checks %+v", checks)
	}
	write(t, filepath.Join(cache, "esm2_t33_650M_UR50D.pt"), "weightz")
	if checks, _ = Verify(cache); checks[0].Status != StatusMismatch {
		t.Fatalf("a changed pinned file passed: %+v", checks[0])
	}
}

func TestIdentityHashCache(t *testing.T) {
	dir := t.TempDir()
	file := write(t, filepath.Join(dir, "esm.pt"), "abc")
	model := filepath.Join(dir, "DNABERT-S")
	write(t, filepath.Join(model, "config.json"), "{}")
	write(t, filepath.Join(model, "tokenizer.json"), "{}")
	write(t, filepath.Join(model, "pytorch_model.bin"), "weights")
	man, _ := LoadManifest(dir)
	h := &Hasher{Manifest: man}
	cases := []struct {
		name       string
		path       string
		before     func()
		rehash     bool
		wantSHA    string
		wantSize   int64
		wantCached bool
	}{
		{"file, first time", file, nil, false, sha([]byte("abc")), 3, false},
		{"file, cached", file, nil, false, sha([]byte("abc")), 3, true},
		{"file, --rehash", file, nil, true, sha([]byte("abc")), 3, false},
		{"file changed (size and mtime)", file, func() {
			os.WriteFile(file, []byte("abcd"), 0o644)
			os.Chtimes(file, time.Now().Add(time.Hour), time.Now().Add(time.Hour))
		}, false, sha([]byte("abcd")), 4, false},
		{"directory: the weight file's sha256, all files' size", model, nil, false, sha([]byte("weights")), 11, false},
		{"directory, cached", model, nil, false, sha([]byte("weights")), 11, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.before != nil {
				c.before()
			}
			h.Rehash = c.rehash
			id, err := h.Identity(c.path)
			if err != nil {
				t.Fatal(err)
			}
			if id.SHA256 != c.wantSHA || id.Size != c.wantSize || id.Cached != c.wantCached {
				t.Fatalf("identity %+v, want sha %s size %d cached %v", id, c.wantSHA, c.wantSize, c.wantCached)
			}
		})
	}
}
