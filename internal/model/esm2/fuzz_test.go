package esm2

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/virnucpro/virnucpro/internal/testutil"
)

// FuzzHFConfig: any bytes as an ESM-2 config.json give its fields or an error, never
// a panic or an allocation beyond a fixed multiple of their size; a head count that
// checkHeads accepts divides the width into even heads.
func FuzzHFConfig(f *testing.F) {
	if b, err := os.ReadFile(filepath.Join(td, "hf", "config.json")); err == nil {
		f.Add(b)
	}
	f.Add([]byte(`{"num_attention_heads": -1, "layer_norm_eps": 1e400}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		testutil.AllocBounded(t, len(data), 256, 1<<20, func() {
			hc, err := parseHFConfig(data)
			if err != nil {
				return
			}
			if hc.Eps != nil && !(*hc.Eps >= 0 && *hc.Eps <= 1) {
				t.Fatalf("accepted eps %v", *hc.Eps)
			}
			for _, dim := range []int{128, 320, 2560} {
				if checkHeads(hc.Heads, dim) == nil && (hc.Heads <= 0 || dim%hc.Heads != 0 || (dim/hc.Heads)%2 != 0) {
					t.Fatalf("accepted %d heads for width %d", hc.Heads, dim)
				}
			}
		})
	})
}
