package store

import (
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// NewClient is the HTTP client downloads use: proxies from the environment
// (HTTPS_PROXY, HTTP_PROXY, NO_PROXY, upper or lower case) read now, through getenv,
// rather than once per process as http.ProxyFromEnvironment does; no transparent
// compression (resume offsets count the file's own bytes); and connection timeouts (a
// stalled transfer is cut by the downloader). It has no file:// transport: a mirror
// directory is read directly by the downloader, so no server can redirect a download
// to a local file.
func NewClient(getenv func(string) string) *http.Client {
	t := &http.Transport{
		Proxy:                 proxyFromEnv(getenv),
		DialContext:           (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSHandshakeTimeout:   30 * time.Second,
		ResponseHeaderTimeout: 2 * time.Minute,
		IdleConnTimeout:       90 * time.Second,
		MaxIdleConns:          8,
		ForceAttemptHTTP2:     true,
		DisableCompression:    true,
	}
	return &http.Client{Transport: t}
}

// proxyFromEnv returns the proxy of a request the way curl and Go's httpproxy read the
// environment: https URLs use HTTPS_PROXY, http URLs HTTP_PROXY; hosts matching
// NO_PROXY (a comma list of host names, .domain suffixes, IP addresses or CIDRs, or
// "*") and loopback hosts go direct.
func proxyFromEnv(getenv func(string) string) func(*http.Request) (*url.URL, error) {
	get := func(name string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return getenv(strings.ToLower(name))
	}
	httpsProxy, httpProxy, noProxy := get("HTTPS_PROXY"), get("HTTP_PROXY"), get("NO_PROXY")
	return func(req *http.Request) (*url.URL, error) {
		var p string
		switch req.URL.Scheme {
		case "https":
			p = httpsProxy
		case "http":
			p = httpProxy
		}
		if p == "" || bypassProxy(req.URL.Hostname(), noProxy) {
			return nil, nil
		}
		if !strings.Contains(p, "://") {
			p = "http://" + p
		}
		return url.Parse(p)
	}
}

// bypassProxy reports whether host goes direct.
func bypassProxy(host, noProxy string) bool {
	host = strings.ToLower(host)
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	if ip != nil && ip.IsLoopback() {
		return true
	}
	for _, e := range strings.Split(noProxy, ",") {
		e = strings.ToLower(strings.TrimSpace(e))
		if e == "" {
			continue
		}
		if e == "*" {
			return true
		}
		if _, cidr, err := net.ParseCIDR(e); err == nil {
			if ip != nil && cidr.Contains(ip) {
				return true
			}
			continue
		}
		if h, _, err := net.SplitHostPort(e); err == nil {
			e = h
		}
		e = strings.TrimPrefix(strings.TrimPrefix(e, "*"), ".")
		if host == e || strings.HasSuffix(host, "."+e) {
			return true
		}
	}
	return false
}
