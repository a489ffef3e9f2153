package store

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/virnucpro/virnucpro/internal/atomicfile"
)

// Transfer is one progress report of a file download.
type Transfer struct {
	// Name is the cache-relative path of the file.
	Name string
	// Done counts the bytes present so far (including those of a resumed partial file);
	// Total is the file size, or -1 when unknown.
	Done, Total int64
	// Final marks the last report of the file: Err is nil when it was placed in the cache.
	Final bool
	Err   error
}

// Downloader fetches models into the cache directory. Each file is written to
// <file>.part next to its final name, resumed with a Range request after an
// interruption, checked against its sha256 and only then renamed into place: the cache
// never holds a file under its final name that failed verification.
type Downloader struct {
	// Cache is the destination directory (Locations.Cache).
	Cache string
	// Bases are the upstream locations (empty fields: defaults).
	Bases BaseURLs
	// Token is the Hugging Face token ($HF_TOKEN), sent as "Authorization: Bearer" to
	// the Hugging Face host only (never to the host a download is redirected to).
	Token string
	// Client makes the requests (nil: NewClient(os.Getenv)).
	Client *http.Client
	// Retries is how many times an interrupted transfer is resumed (default 0: none).
	Retries int
	// RetryWait is the pause before the first retry, doubled for each next one.
	RetryWait time.Duration
	// StallTimeout cuts a transfer that receives less than StallBytes in this long
	// (0: 2 minutes): a dead connection or a server trickling a byte a second. It is
	// then resumed like any interruption.
	StallTimeout time.Duration
	// Deadline bounds a whole Download call, retries included (0: 24 hours).
	Deadline time.Duration
	// MaxSize, when positive, caps every file's size instead of the catalog's MaxSize.
	MaxSize int64
	// Getenv reads HF_ENDPOINT for the default Hugging Face base URL (nil: os.Getenv).
	Getenv func(string) string
	// Log receives what is done (nil: slog.Default()).
	Log *slog.Logger
	// Progress, when set, receives progress reports.
	Progress func(Transfer)

	// wrapWriter, when set (by tests), wraps the partial file's writer: a full disk is
	// simulated with it.
	wrapWriter func(io.Writer) io.Writer
}

// Result is what Download did for one file.
type Result struct {
	Name  string
	Path  string
	Entry Entry
	// Skipped is set when the file was already in the cache.
	Skipped bool
}

// ErrDigest marks a download refused because its sha256 is not the expected one.
var ErrDigest = errors.New("sha256 mismatch")

// Download fetches every file of model m that the cache does not hold yet, holding
// the cache lock so that concurrent downloads never write the same file.
func (d *Downloader) Download(ctx context.Context, m Model) ([]Result, error) {
	ctx, cancel := context.WithTimeoutCause(ctx, d.deadline(), errDeadline{d.deadline()})
	defer cancel()
	log := d.log()
	lock, err := lockCache(d.Cache, func(held error) {
		log.Info("waiting for another download into the weights cache to finish", "lock", held)
	})
	if err != nil {
		return nil, err
	}
	defer lock.Unlock()
	atomicfile.RemoveStale(d.Cache, ManifestName) // left by a killed process
	man, err := LoadManifest(d.Cache)
	if err != nil {
		return nil, err
	}
	bases := d.Bases.withDefaults(d.getenv())
	var out []Result
	for _, f := range m.Files {
		rel := m.CachePath(f)
		final := filepath.Join(d.Cache, filepath.FromSlash(rel))
		u, err := bases.URL(m, f)
		if err != nil {
			return out, err
		}
		pin := bases.pinnedDigest(m, f)
		if e, ok := d.present(man, m, f, rel, final, pin); ok {
			log.Info("already in the cache", "file", final, "sha256", e.SHA256)
			man.Files[rel] = e
			out = append(out, Result{Name: rel, Path: final, Entry: e, Skipped: true})
			continue
		}
		e, err := d.fetch(ctx, &job{rel: rel, url: u, final: final, pin: pin, blob: f.GitBlobSHA1,
			hf: m.Origin == OriginHuggingFace, max: d.maxSize(f)})
		if d.Progress != nil {
			d.Progress(Transfer{Name: rel, Done: e.Size, Total: e.Size, Final: true, Err: err})
		}
		if err != nil {
			return out, fmt.Errorf("%s: %w", m.Name, err)
		}
		e.Model = m.Name
		man.Files[rel] = e
		if st, err := os.Stat(final); err == nil {
			man.remember(final, st, e.SHA256)
		}
		if err := man.Save(d.Cache); err != nil {
			return out, err
		}
		log.Info("downloaded", "file", final, "bytes", e.Size, "sha256", e.SHA256, "checked_against", e.DigestFrom)
		out = append(out, Result{Name: rel, Path: final, Entry: e})
	}
	return out, man.Save(d.Cache)
}

// present checks a file already at its final place: it is kept when its hash (cached
// while size and mtime are unchanged) matches the pinned digest or, without one, the
// manifest's record; a mismatching file is removed so it is downloaded again.
func (d *Downloader) present(man *Manifest, m Model, f File, rel, final, pin string) (Entry, bool) {
	st, err := os.Stat(final)
	if err != nil || !st.Mode().IsRegular() {
		return Entry{}, false
	}
	if err := checkBlob(final, f.GitBlobSHA1); err != nil {
		d.log().Warn("cached file does not match its git blob id; downloading it again", "file", final, "err", err)
		os.Remove(final)
		return Entry{}, false
	}
	h := &Hasher{Manifest: man}
	sum, _, err := h.File(final)
	if err != nil {
		return Entry{}, false
	}
	e, recorded := man.Files[rel]
	want, from := pin, "pinned"
	if want == "" && recorded {
		want, from = e.SHA256, e.DigestFrom
	}
	if want != "" && sum != want {
		d.log().Warn("cached file does not match its digest; downloading it again", "file", final, "sha256", sum, "want", want)
		os.Remove(final)
		return Entry{}, false
	}
	if !recorded {
		e = Entry{Model: m.Name, DigestFrom: "recorded", Time: time.Now().UTC()}
		if pin != "" {
			e.DigestFrom = from
		} else if f.GitBlobSHA1 != "" {
			e.DigestFrom = blobFrom(f.GitBlobSHA1)
		}
	}
	e.Size, e.SHA256 = st.Size(), sum
	return e, true
}

// fetch downloads j.url to j.final, resuming and retrying interruptions.
func (d *Downloader) fetch(ctx context.Context, j *job) (Entry, error) {
	if err := os.MkdirAll(filepath.Dir(j.final), 0o755); err != nil {
		return Entry{}, fmt.Errorf("weights cache: %w", err)
	}
	wait := d.RetryWait
	for attempt := 0; ; attempt++ {
		e, retry, err := d.attempt(ctx, j)
		if err == nil {
			return e, nil
		}
		if cause := context.Cause(ctx); cause != nil && ctx.Err() != nil {
			err = fmt.Errorf("%w (%v)", err, cause)
		}
		if !retry || attempt >= d.Retries || ctx.Err() != nil {
			if dir := filepath.Dir(j.final); dir != filepath.Clean(d.Cache) {
				os.Remove(dir) // a model directory left empty (fails, as it should, if not empty)
			}
			return Entry{}, err
		}
		d.log().Warn("download interrupted; resuming", "url", j.url, "attempt", attempt+2, "err", err)
		select {
		case <-ctx.Done():
			return Entry{}, context.Cause(ctx)
		case <-time.After(wait):
		}
		wait *= 2
	}
}

func (d *Downloader) stall() time.Duration {
	if d.StallTimeout > 0 {
		return d.StallTimeout
	}
	return 2 * time.Minute
}

func (d *Downloader) deadline() time.Duration {
	if d.Deadline > 0 {
		return d.Deadline
	}
	return 24 * time.Hour
}

// maxSize is the cap on file f's size.
func (d *Downloader) maxSize(f File) int64 {
	switch {
	case d.MaxSize > 0:
		return d.MaxSize
	case f.MaxSize > 0:
		return f.MaxSize
	}
	return DefaultMaxSize
}

// errDeadline is the cause of a Download cut by its overall deadline.
type errDeadline struct{ d time.Duration }

func (e errDeadline) Error() string {
	return fmt.Sprintf("the download did not finish within its deadline of %s", e.d)
}

// Is makes errors.Is(err, ErrDeadline) hold for a download cut by its deadline.
func (e errDeadline) Is(target error) bool { return target == ErrDeadline }

func (d *Downloader) log() *slog.Logger {
	if d.Log != nil {
		return d.Log
	}
	return slog.Default()
}

func (d *Downloader) getenv() func(string) string {
	if d.Getenv != nil {
		return d.Getenv
	}
	return os.Getenv
}

// client is the configured client, with a redirect policy that follows only http and
// https (never file:// or another scheme a server names), at most maxRedirects hops,
// refuses a loop as such, and drops the Authorization header whenever a redirect
// leaves the host (scheme and port included) the request was made to: Hugging Face
// redirects LFS files to a CDN host that must not receive the token.
func (d *Downloader) client() *http.Client {
	base := d.Client
	if base == nil {
		base = NewClient(d.getenv())
	}
	c := *base
	next := base.CheckRedirect
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if err := checkRedirect(req, via); err != nil {
			return err
		}
		if first := via[0].URL; req.URL.Host != first.Host || req.URL.Scheme != first.Scheme {
			req.Header.Del("Authorization")
		}
		if next != nil {
			return next(req, via)
		}
		return nil
	}
	return &c
}

// rangeStart parses the first byte of a Content-Range header ("bytes 100-199/200").
func rangeStart(cr string) (int64, bool) {
	rest, ok := strings.CutPrefix(cr, "bytes ")
	if !ok {
		return 0, false
	}
	first, _, ok := strings.Cut(rest, "-")
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(strings.TrimSpace(first), 10, 64)
	return n, err == nil
}

// rangeTotal parses the total size of a Content-Range header ("bytes */200",
// "bytes 0-99/200").
func rangeTotal(cr string) (int64, bool) {
	i := strings.LastIndexByte(cr, '/')
	if !strings.HasPrefix(cr, "bytes ") || i < 0 {
		return 0, false
	}
	n, err := strconv.ParseInt(cr[i+1:], 10, 64)
	return n, err == nil
}

// headerDigest finds a sha256 the server announces for the file: Hugging Face sends
// the LFS object's sha256 as X-Linked-Etag on its redirect (and as ETag on some
// answers). Every response of the redirect chain is examined; values that are not
// 64 hex digits (git blob sha1s, CDN md5s) are ignored.
func headerDigest(resp *http.Response) (string, string) {
	for _, name := range []string{"X-Linked-Etag", "ETag"} {
		for r := resp; r != nil; {
			if v := normalizeETag(r.Header.Get(name)); v != "" {
				return v, name
			}
			if r.Request == nil {
				break
			}
			r = r.Request.Response
		}
	}
	return "", ""
}

func normalizeETag(v string) string {
	v = strings.Trim(strings.TrimPrefix(strings.TrimSpace(v), "W/"), `"`)
	if len(v) != 64 {
		return ""
	}
	if _, err := hex.DecodeString(v); err != nil {
		return ""
	}
	return strings.ToLower(v)
}

// refuseLFSPointer fails when a downloaded file is a Git LFS pointer (a GitHub raw URL
// of a file stored in LFS) instead of the file itself.
func refuseLFSPointer(path string, size int64) error {
	if size > 1024 {
		return nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if strings.HasPrefix(string(b), "version https://git-lfs.github.com/spec/") {
		return errors.New("got a Git LFS pointer, not the file: point the base URL at the LFS media URL (media.githubusercontent.com/media/...)")
	}
	return nil
}
