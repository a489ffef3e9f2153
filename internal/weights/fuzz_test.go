package weights

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/virnucpro/virnucpro/internal/testutil"
)

// Allocation bounds of the parsers' fuzz targets: per input byte (pickle objects are
// a few hundred bytes each per opcode byte at worst; tensors at most 8 bytes per file
// byte) plus a fixed allowance (zip and JSON readers, the budget's slack).
const (
	fuzzPerByte = 1024
	fuzzFixed   = 8 << 20
)

// addSeeds adds the files (real checkpoints from testdata) and the given byte strings
// to the corpus.
func addSeeds(f *testing.F, files []string, extra ...[]byte) {
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	for _, b := range extra {
		f.Add(b)
	}
}

// materializeAll converts every tensor of a lazy load, into Data and into a scratch
// buffer (errors are the expected outcome of most fuzz inputs).
func materializeAll(sd *StateDict) {
	var scratch []float32
	for _, t := range sd.Tensors {
		scratch, _ = t.MaterializeInto(scratch)
		t.Materialize()
	}
}

// FuzzPyTorch: any bytes given as a torch.save zip (the zip container and the pickle
// inside) end in a checkpoint or an error, never a panic, and never allocate more than
// a fixed multiple of their size, loaded eagerly or lazily (and then converted).
func FuzzPyTorch(f *testing.F) {
	addSeeds(f, []string{
		filepath.Join(td, "esm2_tiny", "esm2_t3_tiny_UR50D-contact-regression.pt"),
	}, torchZip(f, pklTensor(4, 0, []int{2, 2}, []int{2, 1}), map[string][]byte{"0": make([]byte, 16)}, false),
		torchZip(f, pklTensor(4, 0, []int{2, 2}, []int{1, 2}), map[string][]byte{"0": make([]byte, 16)}, true))
	f.Fuzz(func(t *testing.T, data []byte) {
		testutil.AllocBounded(t, len(data), fuzzPerByte, fuzzFixed, func() {
			p, err := ParsePyTorch(data, "fuzz.pt")
			if err == nil {
				p.Weights()
			}
			if p, err := ParsePyTorch(data, "fuzz.pt"); err == nil {
				if sd, err := p.LazyWeights(); err == nil {
					materializeAll(sd)
				}
			}
		})
	})
}

// FuzzPickle: any bytes as data.pkl of an otherwise valid archive.
func FuzzPickle(f *testing.F) {
	f.Add(pklTensor(4, 0, []int{2, 2}, []int{2, 1}))
	f.Add([]byte("\x80\x02}q\x00X\x01\x00\x00\x00ah\x00s."))
	f.Add([]byte("\x80\x02cargparse\nNamespace\n)\x81}X\x01\x00\x00\x00aK\x01sb."))
	f.Fuzz(func(t *testing.T, pkl []byte) {
		data := torchZip(t, pkl, map[string][]byte{"0": make([]byte, 64)}, false)
		testutil.AllocBounded(t, len(data), fuzzPerByte, fuzzFixed, func() {
			p, err := ParsePyTorch(data, "fuzz.pt")
			if err == nil {
				p.Weights()
			}
		})
	})
}

// FuzzSafetensors: any bytes as a safetensors file (header and data), loaded eagerly
// or lazily (and then converted).
func FuzzSafetensors(f *testing.F) {
	good, _ := EncodeSafetensors(map[string]*Tensor{"a": {Shape: []int{2, 2}, Data: []float32{1, 2, 3, 4}}}, map[string]string{"k": "v"})
	f.Add(good)
	f.Fuzz(func(t *testing.T, data []byte) {
		testutil.AllocBounded(t, len(data), fuzzPerByte, fuzzFixed, func() {
			ParseSafetensors(data, "fuzz.safetensors")
			if sd, err := ParseSafetensorsLazy(data, "fuzz.safetensors"); err == nil {
				materializeAll(sd)
			}
		})
	})
}
