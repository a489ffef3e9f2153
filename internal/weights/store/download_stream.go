package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/virnucpro/virnucpro/internal/atomicfile"
)

// stallBytes is how much must arrive within each stall window (StallTimeout).
const stallBytes = 1024

// errWrite marks a failure writing the cache (not the transfer's): never retried.
type errWrite struct{ err error }

func (e errWrite) Error() string { return "weights cache: " + e.err.Error() }
func (e errWrite) Unwrap() error { return e.err }

// stream copies the source into the partial file and returns its size and sha256. A
// full disk (or any write error) fails at once, removing the partial file when the
// disk is full; a file growing past its cap is refused and removed; an interrupted
// transfer keeps the partial file to resume.
func (d *Downloader) stream(ctx context.Context, cancel context.CancelFunc, j *job, part string, src *source) (int64, string, bool, error) {
	f, h, err := openPart(part, src.have)
	if err != nil {
		return 0, "", false, err
	}
	var w io.Writer = f
	if d.wrapWriter != nil {
		w = d.wrapWriter(f)
	}
	done, copyErr := src.have, error(nil)
	if !src.complete {
		done, copyErr = d.copy(ctx, cancel, w, h, src.body, j, src.have, src.total)
	}
	if err := f.Sync(); err != nil && copyErr == nil {
		copyErr = errWrite{err}
	}
	if err := f.Close(); err != nil && copyErr == nil {
		copyErr = errWrite{err}
	}
	var we errWrite
	switch {
	case copyErr == nil:
		return done, hex.EncodeToString(h.Sum(nil)), false, nil
	case errors.Is(copyErr, ErrTooLarge):
		os.Remove(part)
		return 0, "", false, fmt.Errorf("download %s: %w; nothing was kept", j.url, copyErr)
	case errors.As(copyErr, &we):
		if errors.Is(copyErr, syscall.ENOSPC) || errors.Is(copyErr, syscall.EDQUOT) {
			os.Remove(part)
			return 0, "", false, fmt.Errorf("download %s: the disk is full (%w); the partial file was removed: free space in %s or set %s", j.url, copyErr, filepath.Dir(part), EnvCacheDir)
		}
		return 0, "", false, fmt.Errorf("download %s: %w", j.url, copyErr)
	}
	return 0, "", true, fmt.Errorf("download %s: interrupted after %d bytes (kept in %s to resume): %w", j.url, done, part, copyErr)
}

// finalize checks the complete partial file (not a Git LFS pointer or an HTML page,
// its sha256 and git blob id as expected) and renames it into place; a file failing
// a check is removed.
func finalize(j *job, part string, done int64, sum, want, from string) error {
	check := func() error {
		if err := refuseLFSPointer(part, done); err != nil {
			return err
		}
		if err := refuseHTML(part); err != nil {
			return err
		}
		if want != "" && sum != want {
			return fmt.Errorf("%w: got %s, want %s (%s)", ErrDigest, sum, want, from)
		}
		return checkBlob(part, j.blob)
	}
	if err := check(); err != nil {
		os.Remove(part)
		return fmt.Errorf("download %s: %w; nothing was kept", j.url, err)
	}
	if err := os.Rename(part, j.final); err != nil {
		return fmt.Errorf("weights cache: %w", err)
	}
	atomicfile.SyncDir(filepath.Dir(j.final))
	return nil
}

// openPart opens the partial file for appending at have bytes (creating it, never
// through a symlink, when have is 0) and returns a hash already fed with its first
// have bytes.
func openPart(part string, have int64) (*os.File, hash.Hash, error) {
	h := sha256.New()
	flags := os.O_RDWR | syscall.O_NOFOLLOW
	if have == 0 {
		os.Remove(part) // a leftover we do not resume; O_EXCL then refuses anything planted meanwhile
		flags |= os.O_CREATE | os.O_EXCL
	}
	f, err := os.OpenFile(part, flags, 0o644)
	if err != nil {
		return nil, nil, fmt.Errorf("weights cache: %w", err)
	}
	if st, err := f.Stat(); err != nil || !st.Mode().IsRegular() {
		f.Close()
		return nil, nil, fmt.Errorf("weights cache: %s is not a regular file", part)
	} else if sys, ok := st.Sys().(*syscall.Stat_t); ok && sys.Nlink > 1 {
		// A hard link planted at the partial file's name: resuming would truncate and
		// append to the other name's file.
		f.Close()
		return nil, nil, fmt.Errorf("weights cache: %s has %d hard links; remove it", part, sys.Nlink)
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
// less than stallBytes arrive within a stall timeout. It returns the file size
// reached; a file growing past j.max ends it with ErrTooLarge.
func (d *Downloader) copy(ctx context.Context, cancel context.CancelFunc, f io.Writer, h hash.Hash, body io.Reader, j *job, have, total int64) (int64, error) {
	var stalled atomic.Bool
	stall := time.AfterFunc(d.stall(), func() { stalled.Store(true); cancel() })
	defer stall.Stop()
	buf := make([]byte, 1<<20)
	done, window := have, int64(0)
	last := time.Time{}
	for {
		n, rerr := body.Read(buf)
		if n > 0 {
			if done+int64(n) > j.max {
				return done, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, j.max)
			}
			if window += int64(n); window >= stallBytes {
				stall.Reset(d.stall())
				window = 0
			}
			if _, err := f.Write(buf[:n]); err != nil {
				return done, errWrite{err}
			}
			h.Write(buf[:n])
			done += int64(n)
			if d.Progress != nil && time.Since(last) > 100*time.Millisecond {
				last = time.Now()
				d.Progress(Transfer{Name: j.rel, Done: done, Total: total})
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
				return done, fmt.Errorf("%w: less than %d bytes arrived in %s", ErrStalled, stallBytes, d.stall())
			}
			if ctx.Err() != nil {
				return done, context.Cause(ctx)
			}
			return done, rerr
		}
	}
}
