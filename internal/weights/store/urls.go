package store

import (
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
)

// BaseURLs are where models are downloaded from. Empty fields take the defaults
// (DefaultESMBaseURL, $HF_ENDPOINT or DefaultHFBaseURL, DefaultClassifierBaseURL).
// Mirror, when set, replaces all three: it is a web server (or a local directory, as a
// path or file:// URL) holding virnucpro's cache layout, e.g. a copy of
// ~/.cache/virnucpro: <mirror>/esm2_t36_3B_UR50D.pt, <mirror>/DNABERT-S/config.json, ...
type BaseURLs struct {
	ESM, HF, Classifier, Mirror string
	// Revision overrides the pinned DNABERT-S revision (its pinned digests then no
	// longer apply; Hugging Face's sha256 headers still do).
	Revision string
}

// withDefaults fills empty fields; getenv supplies HF_ENDPOINT.
func (b BaseURLs) withDefaults(getenv func(string) string) BaseURLs {
	if b.ESM == "" {
		b.ESM = DefaultESMBaseURL
	}
	if b.HF == "" {
		b.HF = getenv("HF_ENDPOINT")
	}
	if b.HF == "" {
		b.HF = DefaultHFBaseURL
	}
	if b.Classifier == "" {
		b.Classifier = DefaultClassifierBaseURL
	}
	return b
}

// URL is where file f of model m is downloaded from.
func (b BaseURLs) URL(m Model, f File) (string, error) {
	var base, rel string
	switch {
	case b.Mirror != "":
		base, rel = b.Mirror, m.CachePath(f)
		if !strings.Contains(base, "://") {
			abs, err := filepath.Abs(base)
			if err != nil {
				return "", fmt.Errorf("mirror directory %s: %w", base, err)
			}
			base = (&url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}).String()
		}
	case m.Origin == OriginFairESM:
		base, rel = b.ESM, f.Name
	case m.Origin == OriginHuggingFace:
		base, rel = b.HF, m.HFRepo+"/resolve/"+b.revision(m)+"/"+f.Name
	case m.Origin == OriginClassifier:
		base, rel = b.Classifier, f.Name
	default:
		return "", fmt.Errorf("%s: unknown origin %q", m.Name, m.Origin)
	}
	u, err := url.Parse(strings.TrimRight(base, "/") + "/" + rel)
	if err != nil || u.Scheme == "" {
		return "", fmt.Errorf("%s: bad base URL %q", m.Name, base)
	}
	return u.String(), nil
}

// revision is the DNABERT-S (HF) revision downloaded.
func (b BaseURLs) revision(m Model) string {
	if b.Revision != "" {
		return b.Revision
	}
	return m.Revision
}

// pinnedDigest is f's pinned digest, unless the revision was overridden (the pin
// belongs to the pinned revision).
func (b BaseURLs) pinnedDigest(m Model, f File) string {
	if m.Origin == OriginHuggingFace && b.Revision != "" && b.Revision != m.Revision {
		return ""
	}
	return f.SHA256
}
