package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/virnucpro/virnucpro/internal/weights/store"
)

// weightsHome points every variable the weight store reads at an empty temporary home,
// so tests never see (or write) the real caches. It returns the home directory.
func weightsHome(t *testing.T) string {
	t.Helper()
	home := t.TempDir()
	t.Setenv("HOME", home)
	for _, k := range []string{"XDG_CACHE_HOME", "TORCH_HOME", "HF_HOME", "HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE", "HF_ENDPOINT",
		"VIRNUCPRO_MODELS_DIR", "VIRNUCPRO_CACHE_DIR", "HF_TOKEN", "HUGGING_FACE_HUB_TOKEN",
		"VIRNUCPRO_ESM", "VIRNUCPRO_DNABERT", "VIRNUCPRO_CLASSIFIER", "VIRNUCPRO_WEIGHTS",
		"VIRNUCPRO_MIRROR", "VIRNUCPRO_BASE_URL_ESM", "VIRNUCPRO_BASE_URL_HF", "VIRNUCPRO_BASE_URL_CLASSIFIER"} {
		os.Unsetenv(k)
		t.Cleanup(func() { os.Unsetenv(k) })
	}
	t.Setenv("NO_PROXY", "*")
	return home
}

// runWeights runs the CLI in-process and returns standard output.
func runWeights(t *testing.T, args ...string) (string, error) {
	t.Helper()
	return runOut(t, args...)
}

// copyTree copies a file or directory.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.Walk(src, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if fi.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		os.MkdirAll(filepath.Dir(target), 0o755)
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// tinyModelsInto lays the bundled tiny test models out as real weights are in the
// cache (esm2_t36_3B_UR50D.pt, DNABERT-S/, 500_model.pth).
func tinyModelsInto(t *testing.T, dir string) {
	t.Helper()
	td := filepath.Join("..", "..", "testdata")
	copyTree(t, filepath.Join(td, "esm2_tiny", "esm2_t3_tiny_UR50D.pt"), filepath.Join(dir, "esm2_t36_3B_UR50D.pt"))
	copyTree(t, filepath.Join(td, "dnabert_tiny"), filepath.Join(dir, "DNABERT-S"))
	copyTree(t, filepath.Join(td, "virnucpro_e2e_tiny", "mlp", "model.pth"), filepath.Join(dir, "500_model.pth"))
}

func TestWeightsListAndPredictWithoutWeights(t *testing.T) {
	home := weightsHome(t)
	out, err := runWeights(t, "weights", "list")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"esm2-3b", "esm2-650m", "dnabert-s", "classifier-300", "classifier-500", "missing",
		filepath.Join(home, ".cache/torch/hub/checkpoints/esm2_t36_3B_UR50D.pt"),
		filepath.Join(home, ".cache/huggingface/hub/models--zhihan1996--DNABERT-S"),
		filepath.Join(home, ".cache/virnucpro/500_model.pth"),
		"virnucpro weights download esm2-3b esm2-650m dnabert-s classifier-300 classifier-500"} {
		if !strings.Contains(out, s) {
			t.Errorf("weights list does not show %q:\n%s", s, out)
		}
	}
	in := filepath.Join("..", "..", "demo", "input.fasta")
	cases := []struct {
		name string
		args []string
		want []string
		not  []string
	}{
		{"no model given, 500 bp", nil,
			[]string{"virnucpro weights download esm2-3b dnabert-s classifier-500", "--esm, VIRNUCPRO_ESM or \"esm\" in --config (not set)",
				filepath.Join(home, ".cache/torch/hub/checkpoints/esm2_t36_3B_UR50D.pt") + " (missing)",
				filepath.Join(home, ".cache/virnucpro/DNABERT-S") + " (missing)", "VIRNUCPRO_MODELS_DIR (not set)"}, nil},
		{"300 bp picks the 300 bp classifier", []string{"--chunk-size", "300"},
			[]string{"virnucpro weights download esm2-3b dnabert-s classifier-300"}, []string{"classifier-500"}},
		{"a given model is not looked for", []string{"--esm", in},
			[]string{"virnucpro weights download dnabert-s classifier-500"}, []string{"esm2-3b"}},
		{"no released classifier for 400 bp", []string{"--chunk-size", "400"},
			[]string{"--classifier is required", "--chunk-size 400"}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := runWeights(t, append([]string{"predict", in, "-o", filepath.Join(t.TempDir(), "out")}, c.args...)...)
			if err == nil {
				t.Fatal("predict ran without weights")
			}
			for _, s := range c.want {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error does not mention %q:\n%v", s, err)
				}
			}
			for _, s := range c.not {
				if strings.Contains(err.Error(), s) {
					t.Errorf("error mentions %q:\n%v", s, err)
				}
			}
		})
	}
}

func TestResolvePredictModelsFromStore(t *testing.T) {
	in := filepath.Join("..", "..", "demo", "input.fasta")
	cases := []struct {
		name    string
		setup   func(t *testing.T, home string) []string // extra args
		wantErr string
	}{
		{"own cache", func(t *testing.T, home string) []string {
			tinyModelsInto(t, filepath.Join(home, ".cache", "virnucpro"))
			return nil
		}, ""},
		{"VIRNUCPRO_MODELS_DIR", func(t *testing.T, home string) []string {
			dir := filepath.Join(home, "models")
			tinyModelsInto(t, dir)
			t.Setenv("VIRNUCPRO_MODELS_DIR", dir)
			return nil
		}, ""},
		{"the config file comes before the store", func(t *testing.T, home string) []string {
			tinyModelsInto(t, filepath.Join(home, ".cache", "virnucpro"))
			cfg := filepath.Join(home, "predict.yaml")
			os.WriteFile(cfg, []byte("classifier: "+filepath.Join(home, "nonexistent.pth")+"\n"), 0o644)
			return []string{"--config", cfg}
		}, "nonexistent.pth"},
		{"the environment comes before the store", func(t *testing.T, home string) []string {
			tinyModelsInto(t, filepath.Join(home, ".cache", "virnucpro"))
			t.Setenv("VIRNUCPRO_DNABERT", filepath.Join(home, "elsewhere"))
			return nil
		}, "--dnabert: stat " + "/"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			home := weightsHome(t)
			extra := c.setup(t, home)
			out := filepath.Join(home, "out")
			_, err := runWeights(t, append([]string{"predict", in, "-o", out, "-j", "1", "--no-progress", "--plot-top", "0", "--html-plots", "-1"}, extra...)...)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("got %v, want an error about %q", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(filepath.Join(out, "prediction_results.txt")); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestWeightsDownloadListVerify(t *testing.T) {
	home := weightsHome(t)
	content := bytes.Repeat([]byte("classifier"), 1000)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/esm/esm2_t33_650M_UR50D.pt" && r.URL.Path != "/gh/300_model.pth" {
			http.NotFound(w, r)
			return
		}
		http.ServeContent(w, r, "model", time.Time{}, bytes.NewReader(content))
	}))
	defer srv.Close()
	cached := filepath.Join(home, ".cache", "virnucpro", "esm2_t33_650M_UR50D.pt")

	steps := []struct {
		name    string
		args    []string
		before  func()
		wantOut []string
		wantErr []string
	}{
		{"unknown name", []string{"weights", "download", "esm3"}, nil, nil, []string{`unknown model "esm3"`, "classifier-300"}},
		{"404", []string{"weights", "download", "classifier-500", "--base-url-classifier", srv.URL + "/gh/"}, nil, nil,
			[]string{"classifier-500", srv.URL + "/gh/500_model.pth", "404"}},
		{"a classifier that is not the released blob", []string{"weights", "download", "classifier-300", "--base-url-classifier", srv.URL + "/gh/"}, nil, nil,
			[]string{"classifier-300", "git blob", "a0b5b85e7c1e44f00cde146d091beb82b2c8e855"}},
		{"download", []string{"weights", "download", "esm2-650m", "--base-url-esm", srv.URL + "/esm/", "--no-progress"}, nil,
			[]string{"esm2-650m\t" + cached}, nil},
		{"download through the environment variable", []string{"weights", "download", "esm2-650m"},
			func() { t.Setenv("VIRNUCPRO_BASE_URL_ESM", srv.URL+"/esm/") }, []string{"esm2-650m\t" + cached}, nil},
		{"list", []string{"weights", "list"}, nil,
			[]string{"esm2-650m", "found", sha256hex(content), cached + " (virnucpro cache)", "9.8 KiB"}, nil},
		{"verify", []string{"weights", "verify"}, nil, []string{"ok", "esm2_t33_650M_UR50D.pt", sha256hex(content)}, nil},
		{"verify after a flipped byte", []string{"weights", "verify"}, func() {
			b, _ := os.ReadFile(cached)
			b[100] ^= 0xff
			os.WriteFile(cached, b, 0o644)
		}, []string{"MISMATCH", "esm2_t33_650M_UR50D.pt"}, []string{"do not match", cached}},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			if s.before != nil {
				s.before()
			}
			out, err := runWeights(t, s.args...)
			for _, w := range s.wantOut {
				if !strings.Contains(out, w) {
					t.Errorf("output does not show %q:\n%s", w, out)
				}
			}
			if s.wantErr == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error; output:\n%s", out)
			}
			for _, w := range s.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not mention %q: %v", w, err)
				}
			}
		})
	}
}

func sha256hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func TestTransferDisplay(t *testing.T) {
	cases := []struct {
		name string
		bars bool
		want []string
	}{
		{"bars", true, []string{"DNABERT-S/pytorch_model.bin", "1.0 MiB", "config.json"}}, // (the line is cut to 40 columns off a terminal)
		{"log lines", false, []string{"downloading", "file=DNABERT-S/pytorch_model.bin", "total=\"1.0 MiB\""}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var out, logged bytes.Buffer
			d := newTransferDisplay(c.bars, &out, slog.New(slog.NewTextHandler(&logged, nil)))
			name := "DNABERT-S/pytorch_model.bin"
			d.report(store.Transfer{Name: name, Done: 1 << 19, Total: 1 << 20})
			d.report(store.Transfer{Name: name, Done: 1 << 20, Total: 1 << 20, Final: true})
			d.report(store.Transfer{Name: "config.json", Done: 10, Total: -1})
			d.report(store.Transfer{Name: "config.json", Final: true, Err: io.ErrUnexpectedEOF})
			d.wait()
			got := out.String() + logged.String()
			for _, w := range c.want {
				if !strings.Contains(got, w) {
					t.Errorf("display does not show %q:\n%s", w, got)
				}
			}
		})
	}
}

func TestEmbedAndFeaturesResolveFromStore(t *testing.T) {
	td := filepath.Join("..", "..", "testdata")
	cases := []struct {
		name    string
		models  bool // tiny models in the cache
		args    func(out string) []string
		wantErr string // "" = success, out must exist
	}{
		{"embed dnabert", true, func(out string) []string {
			return []string{"embed", "dnabert", "-i", filepath.Join(td, "dnabert_tiny", "dna.fasta"), "-o", out}
		}, ""},
		{"embed esm2", true, func(out string) []string {
			return []string{"embed", "esm2", "-i", filepath.Join(td, "esm2_tiny", "proteins.fasta"), "-o", out}
		}, ""},
		{"embed esm2 without weights", false, func(out string) []string {
			return []string{"embed", "esm2", "-i", filepath.Join(td, "esm2_tiny", "proteins.fasta"), "-o", out}
		}, "virnucpro weights download esm2-3b\n"},
		{"features without weights", false, func(out string) []string {
			return []string{"features", filepath.Join("..", "..", "demo", "input.fasta"), "--label", "viral", "-o", out}
		}, "virnucpro weights download esm2-3b dnabert-s\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			home := weightsHome(t)
			if c.models {
				tinyModelsInto(t, filepath.Join(home, ".cache", "virnucpro"))
			}
			out := filepath.Join(home, "out.safetensors")
			_, err := runWeights(t, c.args(out)...)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("got %v, want an error with %q", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(out); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestWeightsDownloadFromHuggingFaceWithToken(t *testing.T) {
	home := weightsHome(t)
	files := map[string][]byte{"config.json": []byte(`{}`), "tokenizer.json": []byte(`{"t": 1}`), "pytorch_model.bin": bytes.Repeat([]byte{7}, 5000)}
	var auth []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth = append(auth, r.URL.Path+" "+r.Header.Get("Authorization"))
		if r.Header.Get("Authorization") != "Bearer hf_test" {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		name := filepath.Base(r.URL.Path)
		if r.URL.Path != "/zhihan1996/DNABERT-S/resolve/testrev/"+name || files[name] == nil {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("X-Linked-Etag", `"`+sha256hex(files[name])+`"`)
		http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(files[name]))
	}))
	defer srv.Close()
	args := []string{"weights", "download", "dnabert-s", "--base-url-hf", srv.URL, "--dnabert-revision", "testrev", "--no-progress"}
	if _, err := runWeights(t, args...); err == nil || !strings.Contains(err.Error(), "HF_TOKEN") {
		t.Fatalf("without a token: %v", err)
	}
	t.Setenv("HF_TOKEN", "hf_test")
	if _, err := runWeights(t, args...); err != nil {
		t.Fatalf("with HF_TOKEN: %v (requests %q)", err, auth)
	}
	for name, want := range files {
		got, err := os.ReadFile(filepath.Join(home, ".cache", "virnucpro", "DNABERT-S", name))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s: %v", name, err)
		}
	}
	out, err := runWeights(t, "weights", "verify")
	if err != nil || strings.Count(out, "ok  ") != 3 || !strings.Contains(out, "X-Linked-Etag") {
		t.Fatalf("verify: %v\n%s", err, out)
	}
}
