package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/virnucpro/virnucpro/internal/testutil"
)

// TestESMStreamedGivesIdenticalOutputs: --esm-streamed changes where ESM-2's
// weights live, not what it computes: predict (with two workers, each streaming its
// own copy) and embed esm2 write the same files, byte for byte, as without it, so
// it is not part of a run's identity and a run may be resumed with or without it.
func TestESMStreamedGivesIdenticalOutputs(t *testing.T) {
	dir := t.TempDir()
	esm := filepath.Join(td, "esm2_tiny", "esm2_t3_tiny_UR50D.pt")
	args := []string{"predict", filepath.Join("..", "..", "demo", "input.fasta"), "--esm", esm,
		"--dnabert", filepath.Join(td, "dnabert_tiny"), "--classifier", filepath.Join(td, "virnucpro_e2e_tiny", "mlp", "model.pth"),
		"--chunk-size", "500", "--no-progress", "-j", "2", "--keep-intermediate"}
	plain, streamed := filepath.Join(dir, "plain"), filepath.Join(dir, "streamed")
	if _, err := runOut(t, append(args, "-o", plain)...); err != nil {
		t.Fatal(err)
	}
	if _, err := runOut(t, append(args, "-o", streamed, "--esm-streamed", "--workers", "2")...); err != nil {
		t.Fatal(err)
	}
	testutil.SameTree(t, testutil.ReadTree(t, plain, ".virnucpro"), testutil.ReadTree(t, streamed, ".virnucpro"), "--esm-streamed vs loaded")

	prot := filepath.Join(dir, "p.fa")
	if err := os.WriteFile(prot, []byte(">a\nMKTAYIAKQRQISFVKSHFSRQ\n>b\nMVLSPADKTNVKAAWGKVGAHAGEYGAEALERMFLSFPTTKTYFPHF\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var outs [2][]byte
	for i, extra := range [][]string{nil, {"--esm-streamed"}} {
		out := filepath.Join(dir, "emb"+string(rune('0'+i)))
		if _, err := runOut(t, append([]string{"embed", "esm2", prot, "--weights", esm, "-o", out}, extra...)...); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		outs[i] = b
	}
	if len(outs[0]) == 0 || !bytes.Equal(outs[0], outs[1]) {
		t.Errorf("embed esm2 --esm-streamed wrote %d bytes differing from the loaded model's %d", len(outs[1]), len(outs[0]))
	}
}
