package store

import (
	"encoding/hex"
	"strings"
	"testing"
)

func TestCatalogIsConsistent(t *testing.T) {
	seen := map[string]bool{}
	for _, m := range Models() {
		if m.Name == "" || m.Title == "" || m.CacheName == "" || m.Source == "" || len(m.Files) == 0 || seen[m.Name] {
			t.Errorf("%s: incomplete or duplicate entry", m.Name)
		}
		seen[m.Name] = true
		if m.Dir != (m.Require != nil) {
			t.Errorf("%s: a directory model needs Require (and only one)", m.Name)
		}
		if m.Origin == OriginHuggingFace && (m.HFRepo == "" || len(m.Revision) != 40) {
			t.Errorf("%s: a Hugging Face model needs its repository and a pinned 40-digit revision", m.Name)
		}
		for _, f := range m.Files {
			if f.DigestSource == "" {
				t.Errorf("%s/%s: the digest (or its absence) has no documented source", m.Name, f.Name)
			}
			if f.SHA256 != "" {
				if b, err := hex.DecodeString(f.SHA256); err != nil || len(b) != 32 || strings.ToLower(f.SHA256) != f.SHA256 {
					t.Errorf("%s/%s: %q is not a lower-case sha256", m.Name, f.Name, f.SHA256)
				}
			}
		}
	}
}

func TestUpstreamURLs(t *testing.T) {
	env := map[string]string{}
	getenv := func(k string) string { return env[k] }
	cases := []struct {
		name, model, file string
		bases             BaseURLs
		hfEndpoint        string
		want              string
	}{
		{"fair-esm 3B", "esm2-3b", "esm2_t36_3B_UR50D.pt", BaseURLs{}, "",
			"https://dl.fbaipublicfiles.com/fair-esm/models/esm2_t36_3B_UR50D.pt"},
		{"fair-esm 650M", "esm2-650m", "esm2_t33_650M_UR50D.pt", BaseURLs{}, "",
			"https://dl.fbaipublicfiles.com/fair-esm/models/esm2_t33_650M_UR50D.pt"},
		{"hugging face, pinned revision", "dnabert-s", "pytorch_model.bin", BaseURLs{}, "",
			"https://huggingface.co/zhihan1996/DNABERT-S/resolve/" + DNABERTSRevision + "/pytorch_model.bin"},
		{"HF_ENDPOINT", "dnabert-s", "config.json", BaseURLs{}, "https://hf-mirror.example/",
			"https://hf-mirror.example/zhihan1996/DNABERT-S/resolve/" + DNABERTSRevision + "/config.json"},
		{"--base-url-hf beats HF_ENDPOINT, revision override", "dnabert-s", "config.json", BaseURLs{HF: "http://h", Revision: "main"}, "https://x",
			"http://h/zhihan1996/DNABERT-S/resolve/main/config.json"},
		{"classifier", "classifier-500", "500_model.pth", BaseURLs{}, "",
			"https://github.com/Li-Jing-1997/VirNucPro/raw/HEAD/500_model.pth"},
		{"web mirror", "dnabert-s", "tokenizer.json", BaseURLs{Mirror: "https://m.example/vnp/"}, "",
			"https://m.example/vnp/DNABERT-S/tokenizer.json"},
		{"directory mirror", "esm2-3b", "esm2_t36_3B_UR50D.pt", BaseURLs{Mirror: "/srv/weights"}, "",
			"file:///srv/weights/esm2_t36_3B_UR50D.pt"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			env["HF_ENDPOINT"] = c.hfEndpoint
			m := mustModel(t, c.model)
			var f File
			for _, g := range m.Files {
				if g.Name == c.file {
					f = g
				}
			}
			got, err := c.bases.withDefaults(getenv).URL(m, f)
			if err != nil || got != c.want {
				t.Fatalf("got %q, %v; want %q", got, err, c.want)
			}
		})
	}
}

func TestSelect(t *testing.T) {
	cases := []struct {
		args    []string
		want    string
		wantErr bool
	}{
		{[]string{"all"}, "esm2-3b esm2-650m dnabert-s classifier-300 classifier-500", false},
		{[]string{"classifier-500", "esm2-3b", "esm2-3b"}, "esm2-3b classifier-500", false},
		{[]string{"esm3"}, "", true},
	}
	for _, c := range cases {
		ms, err := Select(c.args)
		var names []string
		for _, m := range ms {
			names = append(names, m.Name)
		}
		if (err != nil) != c.wantErr || strings.Join(names, " ") != c.want {
			t.Errorf("Select(%v) = %v, %v", c.args, names, err)
		}
	}
	if m, err := ClassifierFor(300); err != nil || m.Name != "classifier-300" {
		t.Errorf("ClassifierFor(300) = %v, %v", m.Name, err)
	}
	if _, err := ClassifierFor(400); err == nil {
		t.Error("ClassifierFor(400) found one")
	}
}
