package dnabert

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/virnucpro/virnucpro/internal/testutil"
)

// FuzzConfig: any bytes as DNABERT-S config.json give a validated config or an
// error, never a panic or an allocation beyond a fixed multiple of their size; a
// config that passes has dimensions whose products cannot overflow.
func FuzzConfig(f *testing.F) {
	if b, err := os.ReadFile(filepath.Join(td, "config.json")); err == nil {
		f.Add(b)
	}
	f.Add([]byte(`{"hidden_size": -1, "num_hidden_layers": 1e30}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		testutil.AllocBounded(t, len(data), 256, 1<<20, func() {
			cfg, err := ParseConfig(data)
			if err == nil && (cfg.Hidden <= 0 || cfg.Heads <= 0 || cfg.Hidden%cfg.Heads != 0 || cfg.Hidden > maxDim || cfg.Intermediate > maxDim || cfg.Layers > maxDim || cfg.Eps <= 0) {
				t.Fatalf("accepted %+v", cfg)
			}
		})
	})
}
