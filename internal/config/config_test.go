package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

type opts struct {
	threads   int
	packing   bool
	name      string
	chunkSize int
}

func newFlags(o *opts) *pflag.FlagSet {
	fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
	fs.IntVar(&o.threads, "threads", 2, "worker threads")
	fs.BoolVar(&o.packing, "disable-packing", false, "one sequence per batch")
	fs.StringVar(&o.name, "name", "x", "a name")
	fs.IntVar(&o.chunkSize, "chunk-size", 500, "chunk size")
	fs.String("config", "", "config file")
	return fs
}

func writeFile(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "c.yaml")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPrecedence(t *testing.T) {
	var o opts
	fs := newFlags(&o)
	if err := fs.Parse([]string{"--threads", "7"}); err != nil {
		t.Fatal(err)
	}
	cfg := writeFile(t, "threads: 3\nname: fromfile\nchunk-size: 300\n")
	env := []string{"VIRNUCPRO_THREADS=5", "VIRNUCPRO_NAME=fromenv", "VIRNUCPRO_DISABLE_PACKING=yes", "OTHER=1"}
	if err := Apply(fs, cfg, env); err != nil {
		t.Fatal(err)
	}
	if o.threads != 7 || o.name != "fromenv" || !o.packing || o.chunkSize != 300 {
		t.Fatalf("got %+v", o)
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		name string
		file string
		env  []string
		want string
	}{
		{"strict bool env", "", []string{"VIRNUCPRO_DISABLE_PACKING=maybe"}, "VIRNUCPRO_DISABLE_PACKING"},
		{"bad int env", "", []string{"VIRNUCPRO_THREADS=lots"}, `VIRNUCPRO_THREADS="lots": want a whole number`},
		{"unknown key", "thread: 3\n", nil, `unknown option "thread"`},
		{"bad value in file", "chunk-size: big\n", nil, `c.yaml:1: chunk-size="big": want a whole number`},
		{"strict bool in file", "disable-packing: on\n", nil, "disable-packing"},
		{"not a mapping", "- a\n- b\n", nil, "want a mapping"},
		{"nested value", "name:\n  a: 1\n", nil, "plain value"},
		{"duplicate", "name: a\nname: b\n", nil, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var o opts
			fs := newFlags(&o)
			path := ""
			if tc.file != "" {
				path = writeFile(t, tc.file)
			}
			err := Apply(fs, path, tc.env)
			if err == nil {
				t.Fatal("want an error")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q does not mention %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "strconv") || strings.Contains(err.Error(), "ParseInt") {
				t.Fatalf("error %q speaks Go, not the user's language", err)
			}
		})
	}
}

func TestParseBool(t *testing.T) {
	for _, v := range []string{"1", "true", "YES", "True"} {
		if b, err := ParseBool("X", v); err != nil || !b {
			t.Errorf("%q: %v %v", v, b, err)
		}
	}
	for _, v := range []string{"0", "false", "No"} {
		if b, err := ParseBool("X", v); err != nil || b {
			t.Errorf("%q: %v %v", v, b, err)
		}
	}
	for _, v := range []string{"", "on", "2", "t"} {
		if _, err := ParseBool("X", v); err == nil {
			t.Errorf("%q: want error", v)
		}
	}
}

func TestTemplateRoundTrips(t *testing.T) {
	var o opts
	fs := newFlags(&o)
	tmpl := Template(fs, "test")
	// Uncommenting every option line must give a valid file that sets the defaults.
	var lines []string
	for _, l := range strings.Split(string(tmpl), "\n") {
		if strings.HasPrefix(l, "#") && strings.Contains(l, ": ") && !strings.HasPrefix(l, "# ") {
			lines = append(lines, strings.TrimPrefix(l, "#"))
		}
	}
	if len(lines) != 4 {
		t.Fatalf("want 4 option lines, got %d:\n%s", len(lines), tmpl)
	}
	var o2 opts
	fs2 := newFlags(&o2)
	if err := Apply(fs2, writeFile(t, strings.Join(lines, "\n")), nil); err != nil {
		t.Fatalf("%v\n%s", err, strings.Join(lines, "\n"))
	}
	if o2 != (opts{threads: 2, name: "x", chunkSize: 500}) {
		t.Fatalf("got %+v", o2)
	}
}
