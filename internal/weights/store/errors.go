package store

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
)

// Environment variables of the download options (the command's mirror and
// per-origin base URL options, set through virnucpro's usual VIRNUCPRO_<OPTION>
// mechanism), named in error messages.
const (
	EnvBaseURLESM        = "VIRNUCPRO_BASE_URL_ESM"
	EnvBaseURLHF         = "VIRNUCPRO_BASE_URL_HF"
	EnvBaseURLClassifier = "VIRNUCPRO_BASE_URL_CLASSIFIER"
	EnvMirror            = "VIRNUCPRO_MIRROR"
)

// ErrOffline marks a download that could not reach its server.
var ErrOffline = errors.New("cannot reach the server")

// offlineError explains a failed connection in words and with the environment
// variables that point the downloader elsewhere; the command adds its flags.
func offlineError(url string, err error, cache string) error {
	return fmt.Errorf("download %s: %w (%v)\n  offline? the weights come from the internet. "+
		"Use a mirror (%s) or a base URL per origin (%s, %s or HF_ENDPOINT, %s); "+
		"behind a proxy set HTTPS_PROXY; or copy the files into %s yourself (virnucpro weights list shows the names)",
		url, ErrOffline, err, EnvMirror, EnvBaseURLESM, EnvBaseURLHF, EnvBaseURLClassifier, cache)
}

// isUnreachable reports whether err means the server cannot be reached at all (no
// route, refused, unknown host), which retrying at once would not change.
func isUnreachable(err error) bool {
	var dns *net.DNSError
	if errors.As(err, &dns) {
		return true
	}
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// statusError explains an HTTP error answer.
func statusError(url string, resp *http.Response, hf, haveToken bool) error {
	if resp.Request != nil && resp.Request.URL.String() != url {
		url += " (redirected to " + resp.Request.URL.String() + ")"
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 200))
	detail := strings.TrimSpace(string(body))
	if detail != "" && !strings.ContainsAny(detail, "<{") {
		detail = ": " + detail
	} else {
		detail = ""
	}
	switch resp.StatusCode {
	case http.StatusUnauthorized, http.StatusForbidden:
		if hf && !haveToken {
			return fmt.Errorf("download %s: %s%s: the repository needs a Hugging Face token: set HF_TOKEN (https://huggingface.co/settings/tokens)", url, resp.Status, detail)
		}
		if hf {
			return fmt.Errorf("download %s: %s%s: HF_TOKEN was refused (check the token and that it may read the repository)", url, resp.Status, detail)
		}
		return fmt.Errorf("download %s: %s%s: access denied", url, resp.Status, detail)
	case http.StatusNotFound:
		return fmt.Errorf("download %s: %s: %w", url, resp.Status, ErrNotFound)
	}
	return fmt.Errorf("download %s: %s%s", url, resp.Status, detail)
}
