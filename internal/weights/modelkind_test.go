package weights

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheckModelKind(t *testing.T) {
	dir := t.TempDir()
	bert := filepath.Join(dir, "dnabert")
	esm := filepath.Join(dir, "esm")
	other := filepath.Join(dir, "other")
	for p, typ := range map[string]string{bert: "bert", esm: "esm", other: "gpt2"} {
		os.MkdirAll(p, 0o755)
		os.WriteFile(filepath.Join(p, "config.json"), []byte(`{"model_type": "`+typ+`", "hidden_size": 96}`), 0o644)
	}
	for _, tc := range []struct{ path, want, err string }{
		{bert, "bert", ""},
		{esm, "esm", ""},
		{bert, "esm", "holds DNABERT-S weights (config.json model_type \"bert\"), not ESM-2 weights: give it to --dnabert, and --esm the ESM-2 weights"},
		{esm, "bert", "holds ESM-2 weights (config.json model_type \"esm\"), not DNABERT-S weights: give it to --esm"},
		{other, "esm", `config.json says model_type "gpt2", not ESM-2 weights`},
		{filepath.Join(dir, "missing"), "esm", ""},
		{dir, "esm", ""},
	} {
		err := CheckModelKind(tc.path, tc.want)
		if (tc.err == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("%s as %s: got %v, want %q", tc.path, tc.want, err, tc.err)
		}
	}
}
