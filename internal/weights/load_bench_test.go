package weights_test

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"testing"

	"github.com/virnucpro/virnucpro/internal/randmodel"
	"github.com/virnucpro/virnucpro/internal/weights"
)

// BenchmarkLoadFormats loads the same 128 MB of float32 weights (8 tensors of 2048 ×
// 2048) from each format the loaders take, and checks every tensor finite as the
// model loaders do: safetensors F32 (aliased), F16 and BF16 (widened), torch.save
// float32 (aliased) and float16 (widened). Bytes/s are float32 bytes delivered.
func BenchmarkLoadFormats(b *testing.B) {
	r := rand.New(rand.NewSource(1))
	ts := map[string]*weights.Tensor{}
	for i := 0; i < 8; i++ {
		t := &weights.Tensor{Shape: []int{2048, 2048}, Data: make([]float32, 2048*2048)}
		for j := range t.Data {
			t.Data[j] = float32(r.NormFloat64()) * 0.02
		}
		ts[fmt.Sprintf("layers.%d.weight", i)] = t
	}
	dir := b.TempDir()
	paths := map[string]string{}
	for _, f := range []struct {
		name  string
		write func(string) error
	}{
		{"safetensors-F32", func(p string) error { return weights.WriteSafetensors(p, ts, nil) }},
		{"safetensors-F16", func(p string) error { return writeHalfSafetensors(p, ts, "F16", weights.Float32ToHalf) }},
		{"safetensors-BF16", func(p string) error { return writeHalfSafetensors(p, ts, "BF16", weights.Float32ToBF16) }},
		{"pt-F32", func(p string) error { return randmodel.WritePyTorch(p, ts, false) }},
		{"pt-F16", func(p string) error { return randmodel.WritePyTorch(p, ts, true) }},
	} {
		ext := map[bool]string{true: ".safetensors", false: ".pt"}[f.name[0] == 's']
		paths[f.name] = filepath.Join(dir, f.name+ext)
		if err := f.write(paths[f.name]); err != nil {
			b.Fatal(err)
		}
	}
	for _, name := range []string{"safetensors-F32", "safetensors-F16", "safetensors-BF16", "pt-F32", "pt-F16"} {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(8 * 2048 * 2048 * 4)
			for i := 0; i < b.N; i++ {
				sd, err := weights.Load(paths[name])
				if err != nil {
					b.Fatal(err)
				}
				for n := range ts {
					if _, err := sd.GetFinite(n, 2048, 2048); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}

// writeHalfSafetensors writes ts as 16-bit safetensors of dtype.
func writeHalfSafetensors(path string, ts map[string]*weights.Tensor, dtype string, conv func(float32) uint16) error {
	header := map[string]any{}
	var data []byte
	for n, t := range ts {
		lo := len(data)
		for _, v := range t.Data {
			data = binary.LittleEndian.AppendUint16(data, conv(v))
		}
		header[n] = map[string]any{"dtype": dtype, "shape": t.Shape, "data_offsets": []int{lo, len(data)}}
	}
	h, err := json.Marshal(header)
	if err != nil {
		return err
	}
	out := binary.LittleEndian.AppendUint64(nil, uint64(len(h)))
	return os.WriteFile(path, append(append(out, h...), data...), 0o644)
}
