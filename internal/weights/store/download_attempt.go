package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"time"
)

// maxRedirects is how many redirects one request may follow.
const maxRedirects = 10

// ErrRedirect marks a redirect refused: to a scheme other than http/https, a loop, or
// too many hops. It is never retried.
var ErrRedirect = errors.New("redirect refused")

// ErrTooLarge marks a file larger than its cap (catalog MaxSize or --max-size).
var ErrTooLarge = errors.New("file larger than its size cap")

// ErrStalled marks a transfer cut because too few bytes arrived within the idle timeout.
var ErrStalled = errors.New("download stalled")

// ErrDeadline marks a download cut by its overall deadline.
var ErrDeadline = errors.New("download deadline passed")

// ErrNotFound marks a file the server (or mirror) does not have.
var ErrNotFound = errors.New("no such file there")

// job is one file to download.
type job struct {
	rel, url, final string
	pin, blob       string // pinned sha256 and git blob id ("" = none)
	hf              bool   // a Hugging Face file (the token may be sent)
	max             int64  // size cap
}

// source is an opened transfer: the body from byte have on, the total size (-1 when
// unknown), whether the partial file is already whole, and a sha256 the server
// announces.
type source struct {
	body       io.ReadCloser
	have       int64
	total      int64
	complete   bool
	hdr, hdrIn string
}

// checkRedirect is the redirect policy (see client).
func checkRedirect(req *http.Request, via []*http.Request) error {
	if s := req.URL.Scheme; s != "http" && s != "https" {
		return fmt.Errorf("%w: %s redirects to %s: only http and https are followed", ErrRedirect, via[len(via)-1].URL.Redacted(), req.URL.Redacted())
	}
	for _, v := range via {
		if v.URL.String() == req.URL.String() {
			return fmt.Errorf("%w: redirect loop (%s is reached again after %d redirects)", ErrRedirect, req.URL.Redacted(), len(via))
		}
	}
	if len(via) >= maxRedirects {
		return fmt.Errorf("%w: more than %d redirects", ErrRedirect, maxRedirects)
	}
	return nil
}

// attempt makes one transfer into the partial file: open the source, check the
// announced digest and size, stream, then verify and move the file into place.
// retry says whether a failure is worth resuming.
func (d *Downloader) attempt(ctx context.Context, j *job) (e Entry, retry bool, err error) {
	part := j.final + ".part"
	have, err := partSize(part)
	if err != nil {
		return e, false, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	src, retry, err := d.open(ctx, j, have)
	if err != nil {
		return e, retry, err
	}
	defer src.body.Close()
	want, from, err := expectDigest(j, src)
	if err == nil && src.total > j.max {
		err = fmt.Errorf("download %s: %w: the server announces %d bytes, the cap is %d", j.url, ErrTooLarge, src.total, j.max)
	}
	if err != nil {
		os.Remove(part)
		return e, false, err
	}
	done, sum, retry, err := d.stream(ctx, cancel, j, part, src)
	if err != nil {
		return e, retry, err
	}
	if err := finalize(j, part, done, sum, want, from); err != nil {
		return e, false, err
	}
	return Entry{Size: done, SHA256: sum, DigestFrom: from, URL: j.url, Time: time.Now().UTC()}, false, nil
}

// partSize is the size of an existing partial file (0 if none); a symlink or other
// non-regular file at its name is refused, never written through.
func partSize(part string) (int64, error) {
	st, err := os.Lstat(part)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return 0, nil
	case err != nil:
		return 0, fmt.Errorf("weights cache: %w", err)
	case !st.Mode().IsRegular():
		return 0, fmt.Errorf("weights cache: %s is a symlink or special file, not a partial download of virnucpro's; remove it", part)
	}
	return st.Size(), nil
}

// open starts the transfer: a local file for a file:// URL (a mirror directory, read
// directly), otherwise an HTTP request whose answer is checked.
func (d *Downloader) open(ctx context.Context, j *job, have int64) (*source, bool, error) {
	u, err := url.Parse(j.url)
	if err != nil {
		return nil, false, fmt.Errorf("download %s: %w", j.url, err)
	}
	switch u.Scheme {
	case "file":
		return openLocal(u.Path, have)
	case "http", "https":
	default:
		return nil, false, fmt.Errorf("download %s: only http, https and file (a mirror directory) are supported", j.url)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, j.url, nil)
	if err != nil {
		return nil, false, fmt.Errorf("download %s: %w", j.url, err)
	}
	if have > 0 {
		req.Header.Set("Range", fmt.Sprintf("bytes=%d-", have))
	}
	if j.hf && d.Token != "" {
		req.Header.Set("Authorization", "Bearer "+d.Token)
	}
	req.Header.Set("User-Agent", "virnucpro")
	resp, err := d.client().Do(req)
	if err != nil {
		switch {
		case errors.Is(err, ErrRedirect):
			return nil, false, fmt.Errorf("download %s: %w", j.url, errors.Unwrap(err))
		case ctx.Err() != nil:
			return nil, false, fmt.Errorf("download %s: %w", j.url, context.Cause(ctx))
		}
		return nil, !isUnreachable(err), offlineError(j.url, err, d.Cache)
	}
	src, retry, err := d.checkStatus(j, resp, have)
	if err != nil {
		resp.Body.Close()
	}
	return src, retry, err
}

// openLocal reads a mirror directory's file directly, from byte have on.
func openLocal(path string, have int64) (*source, bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, false, fmt.Errorf("mirror: %w", err)
	}
	st, err := f.Stat()
	if err == nil && !st.Mode().IsRegular() {
		err = fmt.Errorf("%s is not a regular file", path)
	}
	if err == nil && have > st.Size() {
		have = 0
	}
	if err == nil {
		_, err = f.Seek(have, io.SeekStart)
	}
	if err != nil {
		f.Close()
		return nil, false, fmt.Errorf("mirror: %w", err)
	}
	return &source{body: f, have: have, total: st.Size(), complete: have == st.Size()}, false, nil
}

// checkStatus interprets an HTTP answer to a (possibly ranged) request.
func (d *Downloader) checkStatus(j *job, resp *http.Response, have int64) (*source, bool, error) {
	part := j.final + ".part"
	src := &source{body: resp.Body, have: have}
	switch {
	case resp.StatusCode == http.StatusOK:
		if have > 0 {
			d.log().Info("the server ignored the resume request; starting over", "url", j.url)
			src.have = 0
		}
	case resp.StatusCode == http.StatusPartialContent:
		if start, ok := rangeStart(resp.Header.Get("Content-Range")); !ok || start != have {
			os.Remove(part)
			return nil, true, fmt.Errorf("download %s: the server resumed at %q, not at byte %d; starting over", j.url, resp.Header.Get("Content-Range"), have)
		}
	case resp.StatusCode == http.StatusRequestedRangeNotSatisfiable:
		// "bytes */N" with N = the partial size: the partial file is already whole (a run
		// stopped between the transfer and the rename); it is verified below.
		if size, ok := rangeTotal(resp.Header.Get("Content-Range")); !ok || size != have {
			os.Remove(part)
			return nil, true, fmt.Errorf("download %s: cannot resume the partial file (%s); starting over", j.url, resp.Status)
		}
		src.complete = true
	default:
		return nil, resp.StatusCode >= 500, statusError(j.url, resp, j.hf, d.Token != "")
	}
	src.total = -1
	if resp.ContentLength >= 0 && !src.complete {
		src.total = src.have + resp.ContentLength
	}
	src.hdr, src.hdrIn = headerDigest(resp)
	return src, false, nil
}

// expectDigest decides what the file is checked against: the pinned sha256, else the
// server's announced one, else its git blob id, else nothing ("recorded").
func expectDigest(j *job, src *source) (want, from string, err error) {
	want, from = j.pin, "pinned"
	if src.hdr != "" {
		if want != "" && src.hdr != want {
			return "", "", fmt.Errorf("download %s: %w: the server announces sha256 %s (%s), the pinned digest is %s; refusing it", j.url, ErrDigest, src.hdr, src.hdrIn, want)
		}
		if want == "" {
			want, from = src.hdr, src.hdrIn
		}
	}
	if want == "" {
		from = "recorded"
		if j.blob != "" {
			from = blobFrom(j.blob)
		}
	}
	return want, from, nil
}

// blobFrom is the DigestFrom of a file verified against its git blob id.
func blobFrom(blob string) string { return "git blob " + blob }
