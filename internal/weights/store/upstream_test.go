package store

import (
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// upstream imitates the three upstream layouts on local servers:
//   - fair-esm:  GET /fair-esm/models/<name>.pt (served with Range support);
//   - GitHub:    GET /gh/raw/HEAD/<name>.pth, redirected (302) to /raw/<name>.pth as
//     github.com redirects to raw.githubusercontent.com;
//   - Hugging Face (its own server): GET /<repo>/resolve/<rev>/<file>; plain files are
//     served directly with a git-sha1 ETag, LFS files (*.bin) are redirected (302) with
//     X-Linked-Etag = the sha256 to the "CDN" (another server, another host:port), which
//     serves the bytes with Range support and ETag = sha256.
type upstream struct {
	t        *testing.T
	main     *httptest.Server // fair-esm + GitHub
	hf, cdn  *httptest.Server
	files    map[string][]byte // fair-esm/GitHub file name or HF file name -> content
	mu       sync.Mutex
	requests []seen
	// dropAfter makes the first request of a file name send only this many bytes and
	// then cut the connection.
	dropAfter map[string]int
	dropped   map[string]bool
	// stall makes the first request of a file name send dropAfter bytes and then
	// hang (instead of cutting the connection) until the client gives up.
	stall bool
	// noRange makes the servers ignore Range headers (200 with the whole file).
	noRange bool
	// announce overrides the sha256 announced for LFS files (X-Linked-Etag, CDN ETag).
	announce string
	// token, when set, is required by the Hugging Face server.
	token string
}

// seen is one request a server received.
type seen struct {
	server, path, rangeHdr, auth string
}

func newUpstream(t *testing.T, files map[string][]byte) *upstream {
	pinBlobsForTest(t, files)
	u := &upstream{t: t, files: files, dropAfter: map[string]int{}, dropped: map[string]bool{}}
	u.main = httptest.NewServer(http.HandlerFunc(u.serveMain))
	u.cdn = httptest.NewServer(http.HandlerFunc(u.serveCDN))
	u.hf = httptest.NewServer(http.HandlerFunc(u.serveHF))
	t.Cleanup(func() { u.main.Close(); u.cdn.Close(); u.hf.Close() })
	return u
}

// bases points every origin at the fake servers (test revision "testrev", so the
// catalog's real pinned digests do not apply).
func (u *upstream) bases() BaseURLs {
	return BaseURLs{ESM: u.main.URL + "/fair-esm/models/", HF: u.hf.URL, Classifier: u.main.URL + "/gh/raw/HEAD/", Revision: "testrev"}
}

func (u *upstream) record(server string, r *http.Request) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.requests = append(u.requests, seen{server, r.URL.Path, r.Header.Get("Range"), r.Header.Get("Authorization")})
}

// seenBy lists the requests a server received.
func (u *upstream) seenBy(server string) []seen {
	u.mu.Lock()
	defer u.mu.Unlock()
	var out []seen
	for _, s := range u.requests {
		if s.server == server {
			out = append(out, s)
		}
	}
	return out
}

func (u *upstream) serveMain(w http.ResponseWriter, r *http.Request) {
	u.record("main", r)
	switch {
	case strings.HasPrefix(r.URL.Path, "/fair-esm/models/"):
		u.serve(w, r, strings.TrimPrefix(r.URL.Path, "/fair-esm/models/"), "")
	case strings.HasPrefix(r.URL.Path, "/gh/raw/HEAD/"):
		http.Redirect(w, r, "/raw/"+strings.TrimPrefix(r.URL.Path, "/gh/raw/HEAD/"), http.StatusFound)
	case strings.HasPrefix(r.URL.Path, "/raw/"):
		u.serve(w, r, strings.TrimPrefix(r.URL.Path, "/raw/"), "")
	default:
		http.NotFound(w, r)
	}
}

func (u *upstream) serveHF(w http.ResponseWriter, r *http.Request) {
	u.record("hf", r)
	if u.token != "" && r.Header.Get("Authorization") != "Bearer "+u.token {
		http.Error(w, "Invalid credentials in Authorization header", http.StatusUnauthorized)
		return
	}
	_, rest, ok := strings.Cut(r.URL.Path, "/resolve/")
	if !ok {
		http.NotFound(w, r)
		return
	}
	_, name, _ := strings.Cut(rest, "/")
	data, ok := u.files[name]
	if !ok {
		http.Error(w, "Entry not found", http.StatusNotFound)
		return
	}
	if strings.HasSuffix(name, ".bin") {
		w.Header().Set("X-Linked-Etag", `"`+u.digest(name)+`"`)
		w.Header().Set("X-Linked-Size", strconv.Itoa(len(data)))
		http.Redirect(w, r, u.cdn.URL+"/lfs/"+name, http.StatusFound)
		return
	}
	sum := sha256.Sum256(data)
	u.serve(w, r, name, hex.EncodeToString(sum[:20])) // a 40-digit git blob id, not a sha256
}

func (u *upstream) serveCDN(w http.ResponseWriter, r *http.Request) {
	u.record("cdn", r)
	name := strings.TrimPrefix(r.URL.Path, "/lfs/")
	u.serve(w, r, name, u.digest(name))
}

// digest is the sha256 announced for a file.
func (u *upstream) digest(name string) string {
	if u.announce != "" {
		return u.announce
	}
	return sha(u.files[name])
}

// serve sends a file with Range support, cutting the first transfer short when asked.
func (u *upstream) serve(w http.ResponseWriter, r *http.Request, name, etag string) {
	data, ok := u.files[name]
	if !ok {
		http.NotFound(w, r)
		return
	}
	if etag != "" {
		w.Header().Set("ETag", `"`+etag+`"`)
	}
	u.mu.Lock()
	n, drop := u.dropAfter[name]
	drop = drop && !u.dropped[name]
	if drop {
		u.dropped[name] = true
	}
	u.mu.Unlock()
	if drop || u.noRange {
		w.Header().Set("Content-Length", strconv.Itoa(len(data)))
		w.WriteHeader(http.StatusOK)
		if !drop {
			w.Write(data)
			return
		}
		w.Write(data[:n])
		w.(http.Flusher).Flush()
		if u.stall {
			<-r.Context().Done()
			return
		}
		panic(http.ErrAbortHandler)
	}
	http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(data))
}

// blob is deterministic test content of n bytes.
func blob(seed int64, n int) []byte {
	b := make([]byte, n)
	rand.New(rand.NewSource(seed)).Read(b)
	return b
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// mustModel looks a catalog model up.
func mustModel(t *testing.T, name string) Model {
	t.Helper()
	m, err := Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// pinForTest pins a digest in the catalog for the duration of the test.
func pinForTest(t *testing.T, model, file, digest string) {
	t.Helper()
	saved := make([]Model, len(catalog))
	for i, m := range catalog {
		saved[i] = m
		saved[i].Files = append([]File(nil), m.Files...)
	}
	t.Cleanup(func() { catalog = saved })
	for i := range catalog {
		if catalog[i].Name != model {
			continue
		}
		catalog[i].Files = append([]File(nil), catalog[i].Files...)
		for j := range catalog[i].Files {
			if catalog[i].Files[j].Name == file {
				catalog[i].Files[j].SHA256 = digest
				return
			}
		}
	}
	panic(fmt.Sprintf("pinForTest: no %s/%s", model, file))
}

// pinBlobsForTest replaces the catalog's git blob ids of the classifiers by those of
// the test's stand-in files (restored when the test ends), so that blob verification
// runs against them.
func pinBlobsForTest(t testing.TB, files map[string][]byte) {
	t.Helper()
	saved := make([]Model, len(catalog))
	for i, m := range catalog {
		saved[i] = m
		saved[i].Files = append([]File(nil), m.Files...)
	}
	t.Cleanup(func() { catalog = saved })
	for i := range catalog {
		catalog[i].Files = append([]File(nil), catalog[i].Files...)
		for j, f := range catalog[i].Files {
			if f.GitBlobSHA1 != "" {
				catalog[i].Files[j].GitBlobSHA1 = gitBlob(files[f.Name])
			}
		}
	}
}

// gitBlob is `git hash-object` of data.
func gitBlob(data []byte) string {
	h := sha1.New()
	fmt.Fprintf(h, "blob %d\x00", len(data))
	h.Write(data)
	return hex.EncodeToString(h.Sum(nil))
}
