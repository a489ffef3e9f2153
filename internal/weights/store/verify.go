package store

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
)

// Status is the outcome of checking one cached file.
type Status string

// The outcomes of Verify.
const (
	// StatusOK: the file's sha256 and size match its record or pinned digest.
	StatusOK Status = "ok"
	// StatusMismatch: the file differs from its record or pinned digest.
	StatusMismatch Status = "MISMATCH"
	// StatusMissing: the manifest records a file that is no longer there (not an error:
	// a removed model is simply not cached).
	StatusMissing Status = "missing"
	// StatusUnrecorded: a catalog file placed by hand, with no record and no pinned
	// digest to check it against.
	StatusUnrecorded Status = "unrecorded"
)

// Check is the result for one file.
type Check struct {
	// Name is the cache-relative path; Path the file.
	Name, Path string
	Status     Status
	// Size and SHA256 are what the file holds now; Want what it should hold, and From
	// where that expectation comes from (pinned, a header name, recorded).
	Size         int64
	SHA256, Want string
	From         string
}

// Failed reports whether the check is a failure.
func (c Check) Failed() bool { return c.Status == StatusMismatch }

// Verify re-hashes every file of the cache directory that the manifest records, and
// every catalog file found there without a record, against the pinned digest or the
// recorded one. It reads only (the manifest is not changed).
func Verify(cache string) ([]Check, error) {
	man, err := LoadManifest(cache)
	if err != nil {
		return nil, err
	}
	names := map[string]bool{}
	for rel := range man.Files {
		names[rel] = true
	}
	for _, rel := range cachePaths() {
		if _, err := os.Stat(filepath.Join(cache, filepath.FromSlash(rel))); err == nil {
			names[rel] = true
		}
	}
	sorted := make([]string, 0, len(names))
	for rel := range names {
		sorted = append(sorted, rel)
	}
	sort.Strings(sorted)
	var out []Check
	h := &Hasher{Rehash: true}
	for _, rel := range sorted {
		c := Check{Name: rel, Path: filepath.Join(cache, filepath.FromSlash(rel))}
		e, recorded := man.Files[rel]
		// The record first: it holds what was downloaded (a pinned digest applies to
		// the pinned revision only); a file placed by hand is checked against the pin.
		c.Want, c.From = pinned(rel), "pinned"
		if recorded {
			c.Want, c.From = e.SHA256, e.DigestFrom
		}
		st, err := os.Stat(c.Path)
		if os.IsNotExist(err) {
			c.Status = StatusMissing
			out = append(out, c)
			continue
		}
		if err != nil {
			return out, fmt.Errorf("verify %s: %w", c.Path, err)
		}
		c.Size = st.Size()
		if c.SHA256, _, err = h.File(c.Path); err != nil {
			return out, fmt.Errorf("verify: %w", err)
		}
		if bad := checkContent(c.Path, rel); bad != "" {
			c.Status, c.Want, c.From = StatusMismatch, bad, "content"
			out = append(out, c)
			continue
		}
		if f, ok := catalogFile(rel); ok && f.GitBlobSHA1 != "" && c.Want == "" {
			c.Want, c.From = c.SHA256, blobFrom(f.GitBlobSHA1) // the blob id matched
		}
		switch {
		case c.Want == "":
			c.Status = StatusUnrecorded
		case c.SHA256 != c.Want || (recorded && e.Size != c.Size):
			c.Status = StatusMismatch
		default:
			c.Status = StatusOK
		}
		out = append(out, c)
	}
	return out, nil
}

// checkContent is what makes a cached file plainly wrong whatever its record says: an
// HTML page, or content that is not the catalog's git blob. It returns "" when
// neither applies.
func checkContent(path, rel string) string {
	if err := refuseHTML(path); err != nil {
		return "a model file, not an HTML page"
	}
	if f, ok := catalogFile(rel); ok && f.GitBlobSHA1 != "" {
		if got, err := GitBlobID(path); err != nil || got != f.GitBlobSHA1 {
			return "git blob " + f.GitBlobSHA1
		}
	}
	return ""
}
