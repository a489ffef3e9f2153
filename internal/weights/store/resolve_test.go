package store

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// write creates a file (and its directories) with content.
func write(t *testing.T, path, content string) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// hfSnapshotLayout builds a Hugging Face hub cache entry as huggingface_hub does: the
// files are blobs named by hash, the snapshot holds relative symlinks to them.
func hfSnapshotLayout(t *testing.T, hub, repo, rev string, files ...string) string {
	t.Helper()
	dir := filepath.Join(hub, "models--"+strings.ReplaceAll(repo, "/", "--"))
	snap := filepath.Join(dir, "snapshots", rev)
	for _, f := range files {
		blob := write(t, filepath.Join(dir, "blobs", sha([]byte(rev+f))), rev+f)
		if err := os.MkdirAll(snap, 0o755); err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(snap, blob)
		if err := os.Symlink(rel, filepath.Join(snap, f)); err != nil {
			t.Fatal(err)
		}
	}
	return snap
}

func TestLocationsFromEnvironment(t *testing.T) {
	home := "/home/u"
	cases := []struct {
		name string
		env  map[string]string
		want Locations
	}{
		{"defaults", map[string]string{"HOME": home},
			Locations{TorchHub: "/home/u/.cache/torch/hub/checkpoints", HFHub: "/home/u/.cache/huggingface/hub", Cache: "/home/u/.cache/virnucpro"}},
		{"XDG_CACHE_HOME", map[string]string{"HOME": home, "XDG_CACHE_HOME": "/x"},
			Locations{TorchHub: "/x/torch/hub/checkpoints", HFHub: "/x/huggingface/hub", Cache: "/x/virnucpro"}},
		{"TORCH_HOME and HF_HOME", map[string]string{"HOME": home, "XDG_CACHE_HOME": "/x", "TORCH_HOME": "/t", "HF_HOME": "/h"},
			Locations{TorchHub: "/t/hub/checkpoints", HFHub: "/h/hub", Cache: "/x/virnucpro"}},
		{"HF_HUB_CACHE beats HF_HOME", map[string]string{"HOME": home, "HF_HOME": "/h", "HF_HUB_CACHE": "/hub", "HUGGINGFACE_HUB_CACHE": "/old"},
			Locations{TorchHub: "/home/u/.cache/torch/hub/checkpoints", HFHub: "/hub", Cache: "/home/u/.cache/virnucpro"}},
		{"legacy HUGGINGFACE_HUB_CACHE", map[string]string{"HOME": home, "HF_HOME": "/h", "HUGGINGFACE_HUB_CACHE": "/old"},
			Locations{TorchHub: "/home/u/.cache/torch/hub/checkpoints", HFHub: "/old", Cache: "/home/u/.cache/virnucpro"}},
		{"ours, with ~", map[string]string{"HOME": home, EnvModelsDir: "~/models", EnvCacheDir: "/c", "TORCH_HOME": "~/t"},
			Locations{ModelsDir: "/home/u/models", TorchHub: "/home/u/t/hub/checkpoints", HFHub: "/home/u/.cache/huggingface/hub", Cache: "/c"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := LocationsFrom(func(k string) string { return c.env[k] })
			if err != nil {
				t.Fatal(err)
			}
			if got != c.want {
				t.Fatalf("got %+v\nwant %+v", got, c.want)
			}
		})
	}
}

// layouts builds every place a model can be found, under one temporary root, and sets
// the environment (HOME included, so nothing real is touched) to point at them.
type layouts struct {
	root                                          string
	modelsDir, torch, hfSnap, staleSnap, ownCache string
	loc                                           Locations
}

func buildLayouts(t *testing.T) layouts {
	root := t.TempDir()
	l := layouts{root: root}
	t.Setenv("HOME", filepath.Join(root, "home"))
	t.Setenv("XDG_CACHE_HOME", "")
	t.Setenv("TORCH_HOME", filepath.Join(root, "torch"))
	t.Setenv("HF_HOME", filepath.Join(root, "hf"))
	t.Setenv("HF_HUB_CACHE", "")
	t.Setenv("HUGGINGFACE_HUB_CACHE", "")
	t.Setenv(EnvModelsDir, filepath.Join(root, "models"))
	t.Setenv(EnvCacheDir, "")
	loc, err := DefaultLocations()
	if err != nil {
		t.Fatal(err)
	}
	l.loc = loc
	// VIRNUCPRO_MODELS_DIR and our cache (~/.cache/virnucpro): the cache layout.
	for _, dir := range []string{filepath.Join(root, "models"), filepath.Join(root, "home", ".cache", "virnucpro")} {
		write(t, filepath.Join(dir, "esm2_t36_3B_UR50D.pt"), "esm")
		write(t, filepath.Join(dir, "300_model.pth"), "clf")
		for _, f := range []string{"config.json", "tokenizer.json", "pytorch_model.bin"} {
			write(t, filepath.Join(dir, "DNABERT-S", f), f)
		}
	}
	l.modelsDir = filepath.Join(root, "models")
	l.ownCache = filepath.Join(root, "home", ".cache", "virnucpro")
	// torch hub.
	l.torch = write(t, filepath.Join(root, "torch", "hub", "checkpoints", "esm2_t36_3B_UR50D.pt"), "esm")
	// Hugging Face cache: refs/main -> the current snapshot; an older, complete snapshot
	// that must never be chosen.
	hub := filepath.Join(root, "hf", "hub")
	l.hfSnap = hfSnapshotLayout(t, hub, "zhihan1996/DNABERT-S", "1111111111111111111111111111111111111111", "config.json", "tokenizer.json", "pytorch_model.bin")
	l.staleSnap = hfSnapshotLayout(t, hub, "zhihan1996/DNABERT-S", "0000000000000000000000000000000000000000", "config.json", "tokenizer.json", "pytorch_model.bin")
	write(t, filepath.Join(hub, "models--zhihan1996--DNABERT-S", "refs", "main"), "1111111111111111111111111111111111111111")
	return l
}

func TestResolvePrecedence(t *testing.T) {
	cases := []struct {
		name   string
		model  string
		remove func(l layouts) []string // paths removed before resolving
		want   func(l layouts) string   // "" = not found
		where  string
	}{
		{"esm: VIRNUCPRO_MODELS_DIR first", "esm2-3b", nil,
			func(l layouts) string { return filepath.Join(l.modelsDir, "esm2_t36_3B_UR50D.pt") }, WhereModelsDir},
		{"esm: torch hub next", "esm2-3b",
			func(l layouts) []string { return []string{l.modelsDir} },
			func(l layouts) string { return l.torch }, WhereTorchHub},
		{"esm: own cache last", "esm2-3b",
			func(l layouts) []string { return []string{l.modelsDir, l.torch} },
			func(l layouts) string { return filepath.Join(l.ownCache, "esm2_t36_3B_UR50D.pt") }, WhereCache},
		{"esm: nowhere", "esm2-3b",
			func(l layouts) []string { return []string{l.modelsDir, l.torch, l.ownCache} },
			func(l layouts) string { return "" }, ""},
		{"dnabert: VIRNUCPRO_MODELS_DIR first", "dnabert-s", nil,
			func(l layouts) string { return filepath.Join(l.modelsDir, "DNABERT-S") }, WhereModelsDir},
		{"dnabert: HF snapshot of refs/main, not the stale one", "dnabert-s",
			func(l layouts) []string { return []string{l.modelsDir} },
			func(l layouts) string { return l.hfSnap }, WhereHFCache},
		{"dnabert: incomplete directories are skipped", "dnabert-s",
			func(l layouts) []string {
				return []string{filepath.Join(l.modelsDir, "DNABERT-S", "tokenizer.json"), filepath.Join(l.hfSnap, "pytorch_model.bin")}
			},
			func(l layouts) string { return filepath.Join(l.ownCache, "DNABERT-S") }, WhereCache},
		{"dnabert: no refs/main and no pinned snapshot: stale snapshot ignored", "dnabert-s",
			func(l layouts) []string {
				return []string{l.modelsDir, filepath.Join(l.hfSnap, "..", "..", "refs")}
			},
			func(l layouts) string { return filepath.Join(l.ownCache, "DNABERT-S") }, WhereCache},
		{"classifier: own cache", "classifier-300",
			func(l layouts) []string { return []string{l.modelsDir} },
			func(l layouts) string { return filepath.Join(l.ownCache, "300_model.pth") }, WhereCache},
		{"classifier: not in the torch hub", "classifier-500", nil,
			func(l layouts) string { return "" }, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l := buildLayouts(t)
			if c.remove != nil {
				for _, p := range c.remove(l) {
					if err := os.RemoveAll(p); err != nil {
						t.Fatal(err)
					}
				}
			}
			r := l.loc.Resolve(mustModel(t, c.model))
			if want := c.want(l); r.Path != want || r.Where != c.where {
				t.Fatalf("resolved %q at %q, want %q at %q\nlooked: %v", r.Path, r.Where, want, c.where, r.Looked)
			}
			if r.Path != "" && r.Looked[len(r.Looked)-1].Note != "" {
				t.Errorf("the place found carries a note: %v", r.Looked)
			}
			if !r.Found() && len(r.Looked) < 2 {
				t.Errorf("looked in %v only", r.Looked)
			}
		})
	}
}

func TestResolveHFPinnedRevisionWithoutRefs(t *testing.T) {
	l := buildLayouts(t)
	os.RemoveAll(l.modelsDir)
	hub := l.loc.HFHub
	os.RemoveAll(filepath.Join(hub, "models--zhihan1996--DNABERT-S", "refs"))
	pinnedSnap := hfSnapshotLayout(t, hub, "zhihan1996/DNABERT-S", DNABERTSRevision, "config.json", "tokenizer.json", "pytorch_model.bin")
	r := l.loc.Resolve(mustModel(t, "dnabert-s"))
	if r.Path != pinnedSnap {
		t.Fatalf("resolved %q, want the pinned revision's snapshot %q (looked: %v)", r.Path, pinnedSnap, r.Looked)
	}
}

func TestResolveESMInHFCache(t *testing.T) {
	l := buildLayouts(t)
	os.RemoveAll(l.modelsDir)
	os.RemoveAll(l.torch)
	snap := hfSnapshotLayout(t, l.loc.HFHub, "facebook/esm2_t36_3B_UR50D", "abc", "config.json", "model.safetensors")
	write(t, filepath.Join(l.loc.HFHub, "models--facebook--esm2_t36_3B_UR50D", "refs", "main"), "abc\n")
	r := l.loc.Resolve(mustModel(t, "esm2-3b"))
	if r.Path != snap || r.Where != WhereHFCache {
		t.Fatalf("resolved %q at %q, want %q (looked: %v)", r.Path, r.Where, snap, r.Looked)
	}
}

func TestResolveListsEveryPlace(t *testing.T) {
	root := t.TempDir()
	loc, err := LocationsFrom(func(k string) string { return map[string]string{"HOME": root}[k] })
	if err != nil {
		t.Fatal(err)
	}
	r := loc.Resolve(mustModel(t, "dnabert-s"))
	if r.Found() {
		t.Fatal("found in an empty home")
	}
	var got []string
	for _, p := range r.Looked {
		got = append(got, p.String())
	}
	want := []string{
		EnvModelsDir + " (not set)",
		WhereHFCache + ": " + filepath.Join(root, ".cache/huggingface/hub/models--zhihan1996--DNABERT-S") + " (missing)",
		WhereCache + ": " + filepath.Join(root, ".cache/virnucpro/DNABERT-S") + " (missing)",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("looked:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
