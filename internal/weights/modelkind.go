package weights

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// modelNames maps a Hugging Face config.json model_type to the model and the flag that
// takes it.
var modelNames = map[string]struct{ name, flag string }{
	"bert": {"DNABERT-S", "--dnabert"},
	"esm":  {"ESM-2", "--esm"},
}

// CheckModelKind returns an error naming the model a path holds when it is not the one
// wanted ("bert" for DNABERT-S, "esm" for ESM-2), so that swapped model flags are
// reported as such rather than as a tensor shape mismatch. It looks only at a
// directory's config.json; anything else passes (the loader judges it).
func CheckModelKind(path, want string) error {
	st, err := os.Stat(path)
	if err != nil || !st.IsDir() {
		return nil
	}
	f, _, err := openRegular(filepath.Join(path, "config.json")) // never a FIFO that blocks
	if err != nil {
		return nil
	}
	defer f.Close()
	var cfg struct {
		ModelType string `json:"model_type"`
	}
	if json.NewDecoder(io.LimitReader(f, 1<<20)).Decode(&cfg) != nil || cfg.ModelType == want {
		return nil
	}
	got, known := modelNames[cfg.ModelType]
	wanted := modelNames[want]
	if !known {
		return fmt.Errorf("%s: config.json says model_type %q, not %s weights (%s takes %s weights)", path, cfg.ModelType, wanted.name, wanted.flag, wanted.name)
	}
	return fmt.Errorf("%s holds %s weights (config.json model_type %q), not %s weights: give it to %s, and %s the %s weights",
		path, got.name, cfg.ModelType, wanted.name, got.flag, wanted.flag, wanted.name)
}
