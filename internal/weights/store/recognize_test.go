package store

import (
	"os"
	"testing"
)

func TestRecognize(t *testing.T) {
	pinned := "f3cfc3d0541859df64759e758cc4bc40fe1d5760799a7d098a9f9f09501c1e5f"
	for _, tc := range []struct {
		kind      Kind
		path, sum string
		want      Recognition
	}{
		{KindDNABERT, "/cache/DNABERT-S/pytorch_model.bin", pinned, Released},
		{KindDNABERT, "/cache/DNABERT-S/pytorch_model.bin", "00" + pinned[2:], NotReleased},
		{KindDNABERT, "/cache/DNABERT-S/config.json", "ab", Unverified},
		{KindDNABERT, "/hf/snap/model.safetensors", "ab", Unverified},
		{KindESM, "/torch/esm2_t36_3B_UR50D.pt", "ab", Unverified},
		{KindESM, "testdata/esm2_tiny/esm2_t3_tiny_UR50D.pt", "ab", NotReleased},
		{KindClassifier, "/x/500_model.pth", "ab", Unverified},
		{KindClassifier, "testdata/virnucpro_e2e_tiny/mlp/model.pth", "ab", NotReleased},
	} {
		if got, why := Recognize(tc.kind, tc.path, tc.sum); got != tc.want {
			t.Errorf("%s %s: %v (%s), want %v", tc.kind, tc.path, got, why, tc.want)
		}
	}
}

func TestRecognizeClassifierByContent(t *testing.T) {
	p := t.TempDir() + "/500_model.pth"
	if err := os.WriteFile(p, []byte("not the released weights"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got, why := Recognize(KindClassifier, p, "ab"); got != NotReleased {
		t.Fatalf("a file named 500_model.pth with other content: %v (%s)", got, why)
	}
}
