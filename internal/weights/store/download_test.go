package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// testFiles are small generated stand-ins of every upstream file.
func testFiles() map[string][]byte {
	return map[string][]byte{
		"esm2_t36_3B_UR50D.pt":   blob(1, 300_000),
		"esm2_t33_650M_UR50D.pt": blob(2, 1000),
		"config.json":            []byte(`{"hidden_size": 8}`),
		"tokenizer.json":         []byte(`{"model": {}}`),
		"pytorch_model.bin":      blob(3, 200_000),
		"300_model.pth":          blob(4, 5000),
		"500_model.pth":          blob(5, 5000),
	}
}

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func newDownloader(u *upstream, cache string) *Downloader {
	return &Downloader{Cache: cache, Bases: u.bases(), Client: NewClient(func(string) string { return "" }),
		Getenv: func(string) string { return "" }, Log: quietLog()}
}

// assertCached checks that the cache holds exactly want under rel and no partial file.
func assertCached(t *testing.T, cache, rel string, want []byte) {
	t.Helper()
	got, err := os.ReadFile(filepath.Join(cache, filepath.FromSlash(rel)))
	if err != nil {
		t.Fatalf("%s not in the cache: %v", rel, err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s: cached content differs (%d bytes, want %d)", rel, len(got), len(want))
	}
	if _, err := os.Stat(filepath.Join(cache, filepath.FromSlash(rel)) + ".part"); !os.IsNotExist(err) {
		t.Fatalf("%s.part left behind", rel)
	}
}

// assertNothingCached checks that no file of the model (final or partial) is in the cache.
func assertNothingCached(t *testing.T, cache string, m Model) {
	t.Helper()
	for _, f := range m.Files {
		p := filepath.Join(cache, filepath.FromSlash(m.CachePath(f)))
		for _, q := range []string{p, p + ".part"} {
			if _, err := os.Stat(q); !os.IsNotExist(err) {
				t.Errorf("%s left in the cache", q)
			}
		}
	}
	man, err := LoadManifest(cache)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range m.Files {
		if _, ok := man.Files[m.CachePath(f)]; ok {
			t.Errorf("manifest records %s", m.CachePath(f))
		}
	}
	entries, _ := os.ReadDir(cache)
	for _, e := range entries {
		if e.Name() != ManifestName && e.Name() != lockName {
			t.Errorf("%s left in the cache", e.Name())
		}
	}
}

func TestDownloadUpstreamLayouts(t *testing.T) {
	files := testFiles()
	cases := []struct {
		model string
		// from is the expected DigestFrom of each file.
		from   map[string]string
		server string // the server that must have served the weights
	}{
		{"esm2-3b", map[string]string{"esm2_t36_3B_UR50D.pt": "recorded"}, "main"},
		{"esm2-650m", map[string]string{"esm2_t33_650M_UR50D.pt": "recorded"}, "main"},
		{"dnabert-s", map[string]string{"DNABERT-S/config.json": "recorded", "DNABERT-S/tokenizer.json": "recorded", "DNABERT-S/pytorch_model.bin": "X-Linked-Etag"}, "cdn"},
		{"classifier-300", map[string]string{"300_model.pth": blobFrom(gitBlob(files["300_model.pth"]))}, "main"},
		{"classifier-500", map[string]string{"500_model.pth": blobFrom(gitBlob(files["500_model.pth"]))}, "main"},
	}
	for _, c := range cases {
		t.Run(c.model, func(t *testing.T) {
			u := newUpstream(t, files)
			cache := t.TempDir()
			m := mustModel(t, c.model)
			res, err := newDownloader(u, cache).Download(context.Background(), m)
			if err != nil {
				t.Fatal(err)
			}
			if len(res) != len(m.Files) {
				t.Fatalf("%d results, want %d", len(res), len(m.Files))
			}
			man, err := LoadManifest(cache)
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range m.Files {
				rel := m.CachePath(f)
				assertCached(t, cache, rel, files[f.Name])
				e := man.Files[rel]
				if e.SHA256 != sha(files[f.Name]) || e.Size != int64(len(files[f.Name])) || e.DigestFrom != c.from[rel] || e.Model != m.Name || e.URL == "" {
					t.Errorf("%s: manifest entry %+v", rel, e)
				}
			}
			if len(u.seenBy(c.server)) == 0 {
				t.Errorf("nothing was fetched from the %s server", c.server)
			}
			if c.model == "classifier-300" && len(u.seenBy("main")) != 2 {
				t.Errorf("GitHub redirect not followed: %+v", u.seenBy("main"))
			}
			// A second download finds everything in place and fetches nothing.
			before := len(u.requests)
			res, err = newDownloader(u, cache).Download(context.Background(), m)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range res {
				if !r.Skipped {
					t.Errorf("%s downloaded again", r.Name)
				}
			}
			if len(u.requests) != before {
				t.Errorf("second download made %d requests", len(u.requests)-before)
			}
		})
	}
}

func TestDownloadResumesAfterDisconnect(t *testing.T) {
	cases := []struct {
		name    string
		model   string
		file    string // upstream name
		server  string // server that sees the resume
		retries int    // 0: the first Download fails and a second one resumes
		stall   bool   // the server hangs instead of cutting the connection
	}{
		{"fair-esm, retried at once", "esm2-3b", "esm2_t36_3B_UR50D.pt", "main", 2, false},
		{"fair-esm, next run", "esm2-3b", "esm2_t36_3B_UR50D.pt", "main", 0, false},
		{"hugging face LFS via CDN redirect, retried", "dnabert-s", "pytorch_model.bin", "cdn", 1, false},
		{"hugging face LFS via CDN redirect, next run", "dnabert-s", "pytorch_model.bin", "cdn", 0, false},
		{"stalled transfer, retried", "esm2-3b", "esm2_t36_3B_UR50D.pt", "main", 1, true},
	}
	const cut = 65536
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			files := testFiles()
			u := newUpstream(t, files)
			u.dropAfter[c.file] = cut
			u.stall = c.stall
			cache := t.TempDir()
			m := mustModel(t, c.model)
			d := newDownloader(u, cache)
			d.Retries = c.retries
			d.StallTimeout = 300 * time.Millisecond
			_, err := d.Download(context.Background(), m)
			if c.retries == 0 {
				if err == nil || !strings.Contains(err.Error(), "interrupted") {
					t.Fatalf("first run: got %v, want an interruption", err)
				}
				var rel string
				for _, f := range m.Files {
					if f.Name == c.file {
						rel = m.CachePath(f)
					}
				}
				st, serr := os.Stat(filepath.Join(cache, filepath.FromSlash(rel)) + ".part")
				if serr != nil || st.Size() != cut {
					t.Fatalf("partial file after the cut: %v, %v", st, serr)
				}
				if _, serr := os.Stat(filepath.Join(cache, filepath.FromSlash(rel))); !os.IsNotExist(serr) {
					t.Fatal("an interrupted file was placed in the cache")
				}
				_, err = d.Download(context.Background(), m)
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range m.Files {
				assertCached(t, cache, m.CachePath(f), files[f.Name])
			}
			var ranges []string
			for _, s := range u.seenBy(c.server) {
				ranges = append(ranges, s.rangeHdr)
			}
			want := fmt.Sprintf("bytes=%d-", cut)
			if len(ranges) != 2 || ranges[0] != "" || ranges[1] != want {
				t.Fatalf("%s server saw Range headers %q, want [\"\" %q]", c.server, ranges, want)
			}
		})
	}
}

func TestDownloadRestartsWhenRangeIgnored(t *testing.T) {
	files := testFiles()
	u := newUpstream(t, files)
	u.noRange = true
	u.dropAfter["esm2_t36_3B_UR50D.pt"] = 1000
	cache := t.TempDir()
	m := mustModel(t, "esm2-3b")
	d := newDownloader(u, cache)
	d.Retries = 1
	if _, err := d.Download(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	assertCached(t, cache, "esm2_t36_3B_UR50D.pt", files["esm2_t36_3B_UR50D.pt"])
}

func TestDownloadRefusesWrongDigest(t *testing.T) {
	files := testFiles()
	cases := []struct {
		name  string
		model string
		setup func(t *testing.T, u *upstream)
	}{
		{"pinned digest differs", "esm2-3b", func(t *testing.T, u *upstream) {
			pinForTest(t, "esm2-3b", "esm2_t36_3B_UR50D.pt", sha([]byte("other")))
		}},
		{"pinned digest differs after a resume", "esm2-3b", func(t *testing.T, u *upstream) {
			pinForTest(t, "esm2-3b", "esm2_t36_3B_UR50D.pt", sha([]byte("other")))
			u.dropAfter["esm2_t36_3B_UR50D.pt"] = 1000
		}},
		{"X-Linked-Etag differs from the bytes", "dnabert-s", func(t *testing.T, u *upstream) {
			u.announce = sha([]byte("other"))
		}},
		{"X-Linked-Etag differs from the pinned digest", "dnabert-s", func(t *testing.T, u *upstream) {
			pinForTest(t, "dnabert-s", "pytorch_model.bin", sha([]byte("pinned")))
			u.announce = sha([]byte("announced"))
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			u := newUpstream(t, files)
			c.setup(t, u)
			cache := t.TempDir()
			m := mustModel(t, c.model)
			d := newDownloader(u, cache)
			d.Retries = 1
			if c.name == "X-Linked-Etag differs from the pinned digest" {
				d.Bases.Revision = "" // keep the pinned revision so its pin applies
			}
			_, err := d.Download(context.Background(), m)
			if !errors.Is(err, ErrDigest) {
				t.Fatalf("got %v, want a digest refusal", err)
			}
			if !strings.Contains(err.Error(), m.Name) {
				t.Errorf("error does not name the model: %v", err)
			}
			assertNothingCached(t, cache, m)
		})
	}
}

func TestDownloadHTTPErrors(t *testing.T) {
	files := testFiles()
	cases := []struct {
		name     string
		model    string
		setup    func(u *upstream, d *Downloader)
		wantErr  []string // substrings; nil: success
		checkHdr bool
	}{
		{"404 names the URL", "classifier-500", func(u *upstream, d *Downloader) { delete(u.files, "500_model.pth") },
			[]string{"404", "/raw/500_model.pth", "no such file there"}, false},
		{"401 without HF_TOKEN", "dnabert-s", func(u *upstream, d *Downloader) { u.token = "secret" },
			[]string{"401", "HF_TOKEN", "/zhihan1996/DNABERT-S/resolve/testrev/pytorch_model.bin"}, false},
		{"401 with a wrong HF_TOKEN", "dnabert-s", func(u *upstream, d *Downloader) { u.token = "secret"; d.Token = "wrong" },
			[]string{"401", "HF_TOKEN was refused"}, false},
		{"HF_TOKEN sent to the hub only", "dnabert-s", func(u *upstream, d *Downloader) { u.token = "secret"; d.Token = "secret" },
			nil, true},
		{"no token sent to fair-esm", "esm2-650m", func(u *upstream, d *Downloader) { d.Token = "secret" },
			nil, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			u := newUpstream(t, files)
			cache := t.TempDir()
			d := newDownloader(u, cache)
			c.setup(u, d)
			m := mustModel(t, c.model)
			_, err := d.Download(context.Background(), m)
			if c.wantErr == nil {
				if err != nil {
					t.Fatal(err)
				}
			} else {
				if err == nil {
					t.Fatal("download succeeded")
				}
				for _, s := range c.wantErr {
					if !strings.Contains(err.Error(), s) {
						t.Errorf("error %q does not mention %q", err, s)
					}
				}
				assertNothingCached(t, cache, m)
			}
			for _, s := range u.seenBy("main") {
				if s.auth != "" {
					t.Errorf("fair-esm/GitHub server got Authorization %q", s.auth)
				}
			}
			for _, s := range u.seenBy("cdn") {
				if s.auth != "" {
					t.Errorf("the CDN host got Authorization %q", s.auth)
				}
			}
			if c.checkHdr {
				hf := u.seenBy("hf")
				if len(hf) != 3 || len(u.seenBy("cdn")) != 1 {
					t.Fatalf("requests: hf %+v, cdn %+v", hf, u.seenBy("cdn"))
				}
				for _, s := range hf {
					if s.auth != "Bearer secret" {
						t.Errorf("hub request %s without the token", s.path)
					}
				}
			}
		})
	}
}

func TestDownloadHonoursProxy(t *testing.T) {
	files := testFiles()
	var mu sync.Mutex
	var hosts []string
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hosts = append(hosts, r.URL.Host) // a proxied request carries the absolute URL
		mu.Unlock()
		http.ServeContent(w, r, "f", time.Time{}, bytes.NewReader(files[filepath.Base(r.URL.Path)]))
	}))
	defer proxy.Close()
	cases := []struct {
		name      string
		env       map[string]string
		wantProxy bool
	}{
		{"HTTP_PROXY", map[string]string{"HTTP_PROXY": proxy.URL}, true},
		{"http_proxy without scheme", map[string]string{"http_proxy": strings.TrimPrefix(proxy.URL, "http://")}, true},
		{"NO_PROXY suffix", map[string]string{"HTTP_PROXY": proxy.URL, "NO_PROXY": "example.org,.invalid"}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, k := range []string{"HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "NO_PROXY", "no_proxy"} {
				t.Setenv(k, c.env[k])
			}
			hosts = nil
			cache := t.TempDir()
			// The client reads the variables when it is made, so they may change within a process.
			d := &Downloader{Cache: cache, Client: NewClient(os.Getenv), Log: quietLog(),
				Bases: BaseURLs{ESM: "http://fair-esm.invalid/fair-esm/models/"}}
			_, err := d.Download(context.Background(), mustModel(t, "esm2-650m"))
			if !c.wantProxy {
				if !errors.Is(err, ErrOffline) {
					t.Fatalf("got %v, want a direct (failing) connection", err)
				}
				if len(hosts) != 0 {
					t.Fatalf("proxy used despite NO_PROXY: %v", hosts)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(hosts) != 1 || hosts[0] != "fair-esm.invalid" {
				t.Fatalf("proxy saw %v", hosts)
			}
			assertCached(t, cache, "esm2_t33_650M_UR50D.pt", files["esm2_t33_650M_UR50D.pt"])
		})
	}
}

func TestDownloadOffline(t *testing.T) {
	closed := httptest.NewServer(http.NotFoundHandler())
	url := closed.URL
	closed.Close()
	cache := t.TempDir()
	var log bytes.Buffer
	d := &Downloader{Cache: cache, Client: NewClient(func(string) string { return "" }),
		Log:   slog.New(slog.NewTextHandler(&log, nil)),
		Bases: BaseURLs{Classifier: url + "/gh/"}, Retries: 3, RetryWait: time.Hour}
	_, err := d.Download(context.Background(), mustModel(t, "classifier-300"))
	if !errors.Is(err, ErrOffline) {
		t.Fatalf("got %v, want ErrOffline", err)
	}
	for _, s := range []string{url + "/gh/300_model.pth", "offline?", EnvMirror, EnvBaseURLClassifier, "HTTPS_PROXY"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("offline error does not mention %q: %v", s, err)
		}
	}
	if strings.Contains(log.String(), "resuming") {
		t.Errorf("an unreachable server was retried:\n%s", log.String())
	}
	assertNothingCached(t, cache, mustModel(t, "classifier-300"))
}

func TestDownloadFromMirrorDirectory(t *testing.T) {
	files := testFiles()
	mirror := t.TempDir()
	m := mustModel(t, "dnabert-s")
	for _, f := range m.Files {
		p := filepath.Join(mirror, filepath.FromSlash(m.CachePath(f)))
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, files[f.Name], 0o644)
	}
	pinForTest(t, "dnabert-s", "pytorch_model.bin", sha(files["pytorch_model.bin"]))
	m = mustModel(t, "dnabert-s")
	cache := t.TempDir()
	d := &Downloader{Cache: cache, Bases: BaseURLs{Mirror: mirror}, Log: quietLog(), Getenv: func(string) string { return "" }}
	if _, err := d.Download(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	for _, f := range m.Files {
		assertCached(t, cache, m.CachePath(f), files[f.Name])
	}
	man, _ := LoadManifest(cache)
	if e := man.Files["DNABERT-S/pytorch_model.bin"]; e.DigestFrom != "pinned" {
		t.Errorf("weights checked against %q, want the pinned digest", e.DigestFrom)
	}
}

func TestConcurrentDownloadsShareTheCache(t *testing.T) {
	files := testFiles()
	u := newUpstream(t, files)
	cache := t.TempDir()
	m := mustModel(t, "esm2-3b")
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = newDownloader(u, cache).Download(context.Background(), m)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	assertCached(t, cache, "esm2_t36_3B_UR50D.pt", files["esm2_t36_3B_UR50D.pt"])
	if n := len(u.seenBy("main")); n != 1 {
		t.Errorf("%d fetches; the lock should make the others find the file in place", n)
	}
}

func TestDownloadReportsProgress(t *testing.T) {
	files := testFiles()
	u := newUpstream(t, files)
	var last Transfer
	d := newDownloader(u, t.TempDir())
	d.Progress = func(tr Transfer) { last = tr }
	if _, err := d.Download(context.Background(), mustModel(t, "classifier-300")); err != nil {
		t.Fatal(err)
	}
	if !last.Final || last.Err != nil || last.Name != "300_model.pth" || last.Done != 5000 {
		t.Fatalf("last progress report %+v", last)
	}
}

func TestDownloadLeftoverPartial(t *testing.T) {
	files := testFiles()
	want := files["esm2_t36_3B_UR50D.pt"]
	cases := []struct {
		name      string
		part      []byte
		wantRange []string // Range headers the server sees
	}{
		{"whole file left before the rename: verified and placed", want, []string{fmt.Sprintf("bytes=%d-", len(want))}},
		{"longer than the file: started over", append(append([]byte(nil), want...), 'x'),
			[]string{fmt.Sprintf("bytes=%d-", len(want)+1), ""}},
		{"a prefix: resumed", want[:1000], []string{"bytes=1000-"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			u := newUpstream(t, files)
			cache := t.TempDir()
			write(t, filepath.Join(cache, "esm2_t36_3B_UR50D.pt.part"), string(c.part))
			d := newDownloader(u, cache)
			d.Retries = 1
			if _, err := d.Download(context.Background(), mustModel(t, "esm2-3b")); err != nil {
				t.Fatal(err)
			}
			assertCached(t, cache, "esm2_t36_3B_UR50D.pt", want)
			var got []string
			for _, s := range u.seenBy("main") {
				got = append(got, s.rangeHdr)
			}
			if strings.Join(got, "|") != strings.Join(c.wantRange, "|") {
				t.Fatalf("Range headers %q, want %q", got, c.wantRange)
			}
		})
	}
}
