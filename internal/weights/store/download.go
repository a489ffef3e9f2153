package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
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
	// StallTimeout cuts a transfer that receives nothing for this long (0: 2 minutes);
	// it is then resumed like any interruption.
	StallTimeout time.Duration
	// Getenv reads HF_ENDPOINT for the default Hugging Face base URL (nil: os.Getenv).
	Getenv func(string) string
	// Log receives what is done (nil: slog.Default()).
	Log *slog.Logger
	// Progress, when set, receives progress reports.
	Progress func(Transfer)
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
		if e, ok := d.present(man, m, rel, final, pin); ok {
			log.Info("already in the cache", "file", final, "sha256", e.SHA256)
			man.Files[rel] = e
			out = append(out, Result{Name: rel, Path: final, Entry: e, Skipped: true})
			continue
		}
		e, err := d.fetch(ctx, rel, u, final, pin, m.Origin == OriginHuggingFace)
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
func (d *Downloader) present(man *Manifest, m Model, rel, final, pin string) (Entry, bool) {
	st, err := os.Stat(final)
	if err != nil || !st.Mode().IsRegular() {
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
		}
	}
	e.Size, e.SHA256 = st.Size(), sum
	return e, true
}

// fetch downloads url to final, resuming and retrying interruptions.
func (d *Downloader) fetch(ctx context.Context, rel, url, final, pin string, hf bool) (Entry, error) {
	if err := os.MkdirAll(filepath.Dir(final), 0o755); err != nil {
		return Entry{}, fmt.Errorf("weights cache: %w", err)
	}
	wait := d.RetryWait
	for attempt := 0; ; attempt++ {
		e, retry, err := d.attempt(ctx, rel, url, final, pin, hf)
		if err == nil {
			return e, nil
		}
		if !retry || attempt >= d.Retries || ctx.Err() != nil {
			if dir := filepath.Dir(final); dir != filepath.Clean(d.Cache) {
				os.Remove(dir) // a model directory left empty (fails, as it should, if not empty)
			}
			return Entry{}, err
		}
		d.log().Warn("download interrupted; resuming", "url", url, "attempt", attempt+2, "err", err)
		select {
		case <-ctx.Done():
			return Entry{}, ctx.Err()
		case <-time.After(wait):
		}
		wait *= 2
	}
}

// attempt makes one request, appending to the partial file; retry says whether a
// failure is worth resuming.
func (d *Downloader) attempt(ctx context.Context, rel, url, final, pin string, hf bool) (e Entry, retry bool, err error) {
	part := final + ".part"
	have := int64(0)
	if st, err := os.Stat(part); err == nil {
		have = st.Size()
	}
	complete := false
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return e, false, fmt.Errorf("download %s: %w", url, err)
	}
	if have > 0 {
		req.Header.Set("Range", fmt.Sprintf("bytes=%d-", have))
	}
	if hf && d.Token != "" {
		req.Header.Set("Authorization", "Bearer "+d.Token)
	}
	req.Header.Set("User-Agent", "virnucpro")
	resp, err := d.client().Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return e, false, fmt.Errorf("download %s: %w", url, ctx.Err())
		}
		return e, !isUnreachable(err), offlineError(url, err, d.Cache)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusOK:
		if have > 0 {
			d.log().Info("the server ignored the resume request; starting over", "url", url)
			have = 0
		}
	case resp.StatusCode == http.StatusPartialContent:
		if start, ok := rangeStart(resp.Header.Get("Content-Range")); !ok || start != have {
			os.Remove(part)
			return e, true, fmt.Errorf("download %s: the server resumed at %q, not at byte %d; starting over", url, resp.Header.Get("Content-Range"), have)
		}
	case resp.StatusCode == http.StatusRequestedRangeNotSatisfiable:
		// "bytes */N" with N = the partial size: the partial file is already whole (a run
		// stopped between the transfer and the rename); it is verified below.
		if size, ok := rangeTotal(resp.Header.Get("Content-Range")); !ok || size != have {
			os.Remove(part)
			return e, true, fmt.Errorf("download %s: cannot resume the partial file (%s); starting over", url, resp.Status)
		}
		complete = true
	default:
		return e, resp.StatusCode >= 500, statusError(url, resp, hf, d.Token != "")
	}
	want, from := pin, "pinned"
	if hdr, name := headerDigest(resp); hdr != "" {
		if want != "" && hdr != want {
			os.Remove(part)
			return e, false, fmt.Errorf("download %s: %w: the server announces sha256 %s (%s), the pinned digest is %s; refusing it", url, ErrDigest, hdr, name, want)
		}
		if want == "" {
			want, from = hdr, name
		}
	}
	if want == "" {
		from = "recorded"
	}
	total := int64(-1)
	if resp.ContentLength >= 0 {
		total = have + resp.ContentLength
	}
	f, h, err := openPart(part, have)
	if err != nil {
		return e, false, err
	}
	done, copyErr := have, error(nil)
	if !complete {
		done, copyErr = d.copy(ctx, cancel, f, h, resp.Body, rel, have, total)
	}
	if err := f.Sync(); err != nil && copyErr == nil {
		copyErr = err
	}
	if err := f.Close(); err != nil && copyErr == nil {
		copyErr = err
	}
	if copyErr != nil {
		return e, true, fmt.Errorf("download %s: interrupted after %d bytes (kept in %s to resume): %w", url, done, part, copyErr)
	}
	sum := hex.EncodeToString(h.Sum(nil))
	if err := refuseLFSPointer(part, done); err != nil {
		os.Remove(part)
		return e, false, fmt.Errorf("download %s: %w", url, err)
	}
	if want != "" && sum != want {
		os.Remove(part)
		return e, false, fmt.Errorf("download %s: %w: got %s, want %s (%s); nothing was kept", url, ErrDigest, sum, want, from)
	}
	if err := os.Rename(part, final); err != nil {
		return e, false, fmt.Errorf("weights cache: %w", err)
	}
	atomicfile.SyncDir(filepath.Dir(final))
	return Entry{Size: done, SHA256: sum, DigestFrom: from, URL: url, Time: time.Now().UTC()}, false, nil
}

// openPart opens the partial file for appending at have bytes (truncating it when
// have is 0) and returns a hash already fed with its first have bytes.
func openPart(part string, have int64) (*os.File, hash.Hash, error) {
	h := sha256.New()
	flags := os.O_CREATE | os.O_RDWR
	if have == 0 {
		flags |= os.O_TRUNC
	}
	f, err := os.OpenFile(part, flags, 0o644)
	if err != nil {
		return nil, nil, fmt.Errorf("weights cache: %w", err)
	}
	if have > 0 {
		if _, err := io.Copy(h, io.LimitReader(f, have)); err != nil {
			f.Close()
			return nil, nil, fmt.Errorf("weights cache: rehash %s: %w", part, err)
		}
		if err := f.Truncate(have); err != nil {
			f.Close()
			return nil, nil, fmt.Errorf("weights cache: %w", err)
		}
	}
	if _, err := f.Seek(have, io.SeekStart); err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("weights cache: %w", err)
	}
	return f, h, nil
}

// copy streams body into f and h, reporting progress, and cancels the request when
// nothing arrives for the stall timeout. It returns the file size reached.
func (d *Downloader) copy(ctx context.Context, cancel context.CancelFunc, f io.Writer, h hash.Hash, body io.Reader, rel string, have, total int64) (int64, error) {
	var stalled atomic.Bool
	stall := time.AfterFunc(d.stall(), func() { stalled.Store(true); cancel() })
	defer stall.Stop()
	buf := make([]byte, 1<<20)
	done := have
	last := time.Time{}
	for {
		n, rerr := body.Read(buf)
		if n > 0 {
			stall.Reset(d.stall())
			if _, err := f.Write(buf[:n]); err != nil {
				return done, fmt.Errorf("weights cache: %w", err)
			}
			h.Write(buf[:n])
			done += int64(n)
			if d.Progress != nil && time.Since(last) > 100*time.Millisecond {
				last = time.Now()
				d.Progress(Transfer{Name: rel, Done: done, Total: total})
			}
		}
		if rerr == io.EOF {
			if total >= 0 && done != total {
				return done, io.ErrUnexpectedEOF
			}
			return done, nil
		}
		if rerr != nil {
			if stalled.Load() {
				return done, fmt.Errorf("no data for %s", d.stall())
			}
			if ctx.Err() != nil {
				return done, ctx.Err()
			}
			return done, rerr
		}
	}
}

func (d *Downloader) stall() time.Duration {
	if d.StallTimeout > 0 {
		return d.StallTimeout
	}
	return 2 * time.Minute
}

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

// client is the configured client, with a redirect policy that drops the
// Authorization header whenever a redirect leaves the host (scheme and port included)
// the request was made to: Hugging Face redirects LFS files to a CDN host that must
// not receive the token.
func (d *Downloader) client() *http.Client {
	base := d.Client
	if base == nil {
		base = NewClient(d.getenv())
	}
	c := *base
	next := base.CheckRedirect
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if len(via) >= 10 {
			return errors.New("stopped after 10 redirects")
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
