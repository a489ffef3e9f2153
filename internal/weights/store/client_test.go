package store

import (
	"net/http"
	"testing"
)

func TestProxyFromEnv(t *testing.T) {
	cases := []struct {
		name string
		env  map[string]string
		url  string
		want string // "" = direct
	}{
		{"https uses HTTPS_PROXY", map[string]string{"HTTPS_PROXY": "http://p:3128", "HTTP_PROXY": "http://q:8080"}, "https://huggingface.co/x", "http://p:3128"},
		{"http uses HTTP_PROXY", map[string]string{"HTTPS_PROXY": "http://p:3128", "HTTP_PROXY": "http://q:8080"}, "http://mirror/x", "http://q:8080"},
		{"lower case", map[string]string{"https_proxy": "p:3128"}, "https://huggingface.co/x", "http://p:3128"},
		{"none set", nil, "https://huggingface.co/x", ""},
		{"loopback goes direct", map[string]string{"HTTP_PROXY": "http://q:8080"}, "http://127.0.0.1:9/x", ""},
		{"NO_PROXY domain suffix", map[string]string{"HTTPS_PROXY": "http://p", "NO_PROXY": "example.org, huggingface.co"}, "https://cdn-lfs.huggingface.co/x", ""},
		{"NO_PROXY leading dot", map[string]string{"HTTPS_PROXY": "http://p", "no_proxy": ".fbaipublicfiles.com"}, "https://dl.fbaipublicfiles.com/x", ""},
		{"NO_PROXY does not match a longer name", map[string]string{"HTTPS_PROXY": "http://p", "NO_PROXY": "face.co"}, "https://huggingface.co/x", "http://p"},
		{"NO_PROXY CIDR", map[string]string{"HTTP_PROXY": "http://p", "NO_PROXY": "10.0.0.0/8"}, "http://10.1.2.3/x", ""},
		{"NO_PROXY *", map[string]string{"HTTPS_PROXY": "http://p", "NO_PROXY": "*"}, "https://huggingface.co/x", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := proxyFromEnv(func(k string) string { return c.env[k] })
			req, _ := http.NewRequest(http.MethodGet, c.url, nil)
			u, err := f(req)
			if err != nil {
				t.Fatal(err)
			}
			got := ""
			if u != nil {
				got = u.String()
			}
			if got != c.want {
				t.Fatalf("proxy %q, want %q", got, c.want)
			}
		})
	}
}
