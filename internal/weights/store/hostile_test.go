package store

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// hostileServer serves handler and counts its requests.
func hostileServer(t *testing.T, handler http.HandlerFunc) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		handler(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

// classifierFrom is a Downloader of the classifiers from srv, retrying 3 times.
func classifierFrom(srv *httptest.Server, cache string) *Downloader {
	return &Downloader{Cache: cache, Bases: BaseURLs{Classifier: srv.URL + "/gh/", ESM: srv.URL + "/esm/"}, Client: NewClient(func(string) string { return "" }),
		Getenv: func(string) string { return "" }, Log: quietLog(), Retries: 3, RetryWait: time.Millisecond}
}

// TestRedirectsOnlyToHTTP: a server redirecting a download to file:// (which used to
// copy a local secret into the cache as a trusted model, or store an empty model from
// /dev/zero), to another scheme, in a loop or past 10 hops is refused at once, said as
// such (not "offline?"), never retried, and nothing is cached.
func TestRedirectsOnlyToHTTP(t *testing.T) {
	secret := filepath.Join(t.TempDir(), "id_rsa")
	os.WriteFile(secret, []byte("PRIVATE KEY"), 0o600)
	cases := []struct {
		name, want string
		maxReqs    int64
		redirect   func(r *http.Request) string
	}{
		{"file://", "only http and https", 1, func(*http.Request) string { return "file://" + secret }},
		{"/dev/zero", "only http and https", 1, func(*http.Request) string { return "file:///dev/zero" }},
		{"ftp://", "only http and https", 1, func(*http.Request) string { return "ftp://example.org/500_model.pth" }},
		{"loop", "redirect loop", 3, func(r *http.Request) string {
			if strings.HasSuffix(r.URL.Path, "/b") {
				return "/gh/500_model.pth"
			}
			return "/gh/b"
		}},
		{"endless chain", "more than 10 redirects", 11, func(r *http.Request) string { return r.URL.Path + "x" }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv, reqs := hostileServer(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Location", c.redirect(r))
				w.WriteHeader(http.StatusFound)
			})
			cache := t.TempDir()
			m := mustModel(t, "classifier-500")
			_, err := classifierFrom(srv, cache).Download(context.Background(), m)
			if !errors.Is(err, ErrRedirect) || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "offline") {
				t.Fatalf("got %v, want a refused redirect (%q)", err, c.want)
			}
			if n := reqs.Load(); n > c.maxReqs {
				t.Errorf("%d requests: the refusal was retried", n)
			}
			assertNothingCached(t, cache, m)
		})
	}
}

// TestDownloadSizeCap: a Content-Length of 10^13 is refused before anything is
// written; a body growing past the cap (no length announced) is cut and removed.
func TestDownloadSizeCap(t *testing.T) {
	t.Run("announced", func(t *testing.T) {
		srv, reqs := hostileServer(t, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", "10000000000000")
			w.WriteHeader(http.StatusOK)
			w.Write(make([]byte, 4096))
		})
		cache := t.TempDir()
		m := mustModel(t, "classifier-500")
		_, err := classifierFrom(srv, cache).Download(context.Background(), m)
		if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "10000000000000") {
			t.Fatalf("got %v", err)
		}
		if reqs.Load() != 1 {
			t.Errorf("%d requests, want 1", reqs.Load())
		}
		assertNothingCached(t, cache, m)
	})
	t.Run("streamed", func(t *testing.T) {
		srv, _ := hostileServer(t, func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusOK)
			for range 20 {
				w.Write(make([]byte, 1000))
				w.(http.Flusher).Flush()
			}
		})
		cache := t.TempDir()
		m := mustModel(t, "esm2-650m")
		d := classifierFrom(srv, cache)
		d.MaxSize = 5000
		_, err := d.Download(context.Background(), m)
		if !errors.Is(err, ErrTooLarge) {
			t.Fatalf("got %v", err)
		}
		assertNothingCached(t, cache, m)
	})
}

// fullDisk fails every write after limit bytes with ENOSPC.
type fullDisk struct {
	w     io.Writer
	limit int
}

func (f *fullDisk) Write(b []byte) (int, error) {
	if len(b) > f.limit {
		n, _ := f.w.Write(b[:f.limit])
		f.limit = 0
		return n, &os.PathError{Op: "write", Path: "x.part", Err: syscall.ENOSPC}
	}
	f.limit -= len(b)
	return f.w.Write(b)
}

// TestDownloadDiskFull: ENOSPC fails at once (no retry), says the disk is full and
// removes the partial file (which used to keep the disk full while being retried).
func TestDownloadDiskFull(t *testing.T) {
	content := blob(9, 100_000)
	srv, reqs := hostileServer(t, func(w http.ResponseWriter, r *http.Request) {
		http.ServeContent(w, r, "x", time.Time{}, strings.NewReader(string(content)))
	})
	cache := t.TempDir()
	m := mustModel(t, "esm2-650m")
	d := classifierFrom(srv, cache)
	d.wrapWriter = func(w io.Writer) io.Writer { return &fullDisk{w: w, limit: 3000} }
	_, err := d.Download(context.Background(), m)
	if !errors.Is(err, syscall.ENOSPC) || !strings.Contains(err.Error(), "disk is full") {
		t.Fatalf("got %v", err)
	}
	if reqs.Load() != 1 {
		t.Errorf("%d requests: a full disk was retried", reqs.Load())
	}
	assertNothingCached(t, cache, m)
}

// TestDownloadStallAndDeadline: a server that sends a byte and then nothing more, or
// one that trickles a byte at a time (the 1 byte/s server, here 1 byte/ms), is
// cut by the idle timeout (less than 1 KiB per window); one that never finishes is cut
// by the overall deadline, and nothing is cached. The trickle stops after 500 bytes and every server then
// blocks until the client gives up, so no window can see 1 KiB and the outcome does
// not depend on timing.
func TestDownloadStallAndDeadline(t *testing.T) {
	oneByte := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "5000")
		w.WriteHeader(http.StatusOK)
		w.Write([]byte{1})
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}
	trickle := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "5000")
		w.WriteHeader(http.StatusOK)
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for range 500 {
			select {
			case <-r.Context().Done():
				return
			case <-tick.C:
			}
			w.Write([]byte{1})
			w.(http.Flusher).Flush()
		}
		<-r.Context().Done()
	}
	for _, c := range []struct {
		name            string
		serve           http.HandlerFunc
		stall, deadline time.Duration
		want            error
	}{
		{"idle timeout", oneByte, 50 * time.Millisecond, time.Hour, ErrStalled},
		{"trickle", trickle, 50 * time.Millisecond, time.Hour, ErrStalled},
		{"deadline", oneByte, time.Hour, 50 * time.Millisecond, ErrDeadline},
		{"trickle past the deadline", trickle, time.Hour, 50 * time.Millisecond, ErrDeadline},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv, _ := hostileServer(t, c.serve)
			cache := t.TempDir()
			m := mustModel(t, "esm2-650m")
			d := classifierFrom(srv, cache)
			d.Retries, d.StallTimeout, d.Deadline = 0, c.stall, c.deadline
			_, err := d.Download(context.Background(), m)
			if !errors.Is(err, c.want) {
				t.Fatalf("got %v, want %v", err, c.want)
			}
			// Nothing is cached; the partial file is kept for a later resume and holds
			// only what arrived.
			final := filepath.Join(cache, filepath.FromSlash(m.CachePath(m.Files[0])))
			if _, err := os.Stat(final); !os.IsNotExist(err) {
				t.Errorf("%s was cached", final)
			}
			if st, err := os.Lstat(final + ".part"); err == nil && (!st.Mode().IsRegular() || st.Size() > 500) {
				t.Errorf("partial file: %v, %d bytes", st.Mode(), st.Size())
			}
		})
	}
}

// TestHTMLIsNeverAModel: an HTML page served as a model is refused at download; one
// cached as 500_model.pth (even with a manifest record of its own sha256, as a trust-
// on-first-use download used to leave) never passes `weights verify`.
func TestHTMLIsNeverAModel(t *testing.T) {
	page := "<!DOCTYPE html>\n<html><body>Sign in to continue</body></html>\n"
	srv, _ := hostileServer(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, page) })
	for _, name := range []string{"esm2-650m", "classifier-500"} {
		cache := t.TempDir()
		m := mustModel(t, name)
		_, err := classifierFrom(srv, cache).Download(context.Background(), m)
		if !errors.Is(err, ErrNotModel) && !errors.Is(err, ErrDigest) {
			t.Errorf("%s: got %v", name, err)
		}
		assertNothingCached(t, cache, m)
	}
	cache := t.TempDir()
	write(t, filepath.Join(cache, "500_model.pth"), page)
	man := &Manifest{Files: map[string]Entry{"500_model.pth": {Model: "classifier-500", Size: int64(len(page)), SHA256: sha([]byte(page)), DigestFrom: "recorded"}}}
	if err := man.Save(cache); err != nil {
		t.Fatal(err)
	}
	checks, err := Verify(cache)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range checks {
		if c.Name == "500_model.pth" && c.Status != StatusMismatch {
			t.Fatalf("an HTML page cached as 500_model.pth: %s", c.Status)
		}
	}
}

// TestClassifierGitBlobVerification: the released classifiers are checked against
// their upstream git blob ids (the real ids are in the catalog); a verified download
// records its sha256 in the manifest, a different file is refused.
func TestClassifierGitBlobVerification(t *testing.T) {
	for name, want := range map[string]string{"classifier-300": "a0b5b85e7c1e44f00cde146d091beb82b2c8e855", "classifier-500": "fc35d5ef9f1f4564eea7036f34f4f8ec6000d33d"} {
		if got := mustModel(t, name).Files[0].GitBlobSHA1; got != want {
			t.Errorf("%s: catalog blob %q, want %s", name, got, want)
		}
	}
	if got := gitBlob([]byte("hello\n")); got != "ce013625030ba8dba906f756967f9e9ca394464a" { // git hash-object
		t.Fatalf("gitBlob(hello) = %s", got)
	}
	released := []byte("the released 500 bp classifier")
	pinBlobsForTest(t, map[string][]byte{"300_model.pth": nil, "500_model.pth": released})
	serve := func(content []byte) *httptest.Server {
		srv, _ := hostileServer(t, func(w http.ResponseWriter, r *http.Request) {
			http.ServeContent(w, r, "x", time.Time{}, strings.NewReader(string(content)))
		})
		return srv
	}
	cache := t.TempDir()
	m := mustModel(t, "classifier-500")
	if _, err := classifierFrom(serve(released), cache).Download(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	man, _ := LoadManifest(cache)
	if e := man.Files["500_model.pth"]; e.SHA256 != sha(released) || e.DigestFrom != blobFrom(gitBlob(released)) {
		t.Errorf("manifest entry %+v", e)
	}
	other := t.TempDir()
	_, err := classifierFrom(serve([]byte("a retrained classifier")), other).Download(context.Background(), m)
	if !errors.Is(err, ErrDigest) || !strings.Contains(err.Error(), "git blob") {
		t.Fatalf("tampered classifier: %v", err)
	}
	assertNothingCached(t, other, m)
}

// TestPlantedSymlinksInTheCache: a symlink planted at the partial file's name or at
// the cache lock is refused; its target is never written (it used to be overwritten
// or truncated).
func TestPlantedSymlinksInTheCache(t *testing.T) {
	srv, _ := hostileServer(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "model bytes") })
	for _, name := range []string{"esm2_t33_650M_UR50D.pt.part", lockName} {
		t.Run(name, func(t *testing.T) {
			cache := t.TempDir()
			victim := filepath.Join(t.TempDir(), "victim")
			os.WriteFile(victim, []byte("precious"), 0o644)
			if err := os.Symlink(victim, filepath.Join(cache, name)); err != nil {
				t.Fatal(err)
			}
			_, err := classifierFrom(srv, cache).Download(context.Background(), mustModel(t, "esm2-650m"))
			if err == nil {
				t.Fatal("downloaded through a planted symlink")
			}
			if b, _ := os.ReadFile(victim); string(b) != "precious" {
				t.Fatalf("the symlink's target became %q", b)
			}
		})
	}
}

// TestPlantedHardLinkAtThePartialFile: a hard link to another file planted at the
// partial file's name (which a resume would truncate and append to) is refused and the
// other file keeps its content.
func TestPlantedHardLinkAtThePartialFile(t *testing.T) {
	srv, _ := hostileServer(t, func(w http.ResponseWriter, r *http.Request) {
		http.ServeContent(w, r, "x", time.Time{}, strings.NewReader(strings.Repeat("m", 4096)))
	})
	cache := t.TempDir()
	victim := filepath.Join(cache, "notes.txt")
	os.WriteFile(victim, []byte("precious notes"), 0o644)
	m := mustModel(t, "esm2-650m")
	part := filepath.Join(cache, filepath.FromSlash(m.CachePath(m.Files[0]))) + ".part"
	if err := os.Link(victim, part); err != nil {
		t.Fatal(err)
	}
	_, err := classifierFrom(srv, cache).Download(context.Background(), m)
	if err == nil || !strings.Contains(err.Error(), "hard links") {
		t.Fatalf("got %v, want a refusal of the hard link", err)
	}
	if b, _ := os.ReadFile(victim); string(b) != "precious notes" {
		t.Fatalf("the linked file became %q", b)
	}
}

// TestReleasedBlobsMatchTheCatalog: the released-classifier table agrees with the
// catalog's git blob ids.
func TestReleasedBlobsMatchTheCatalog(t *testing.T) {
	for name, size := range map[string]int{"classifier-300": 300, "classifier-500": 500} {
		if got, ok := releasedClassifierBlobs[mustModel(t, name).Files[0].GitBlobSHA1]; !ok || got != size {
			t.Errorf("%s: released table gives %d, %v", name, got, ok)
		}
	}
}
