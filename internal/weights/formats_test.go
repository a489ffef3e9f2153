package weights

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestHalfAndBFloat16Decoding(t *testing.T) {
	for _, tc := range []struct {
		bits uint16
		half float32
	}{
		{0x3c00, 1},
		{0xc000, -2},
		{0x3555, 0.33325195},
		{0x0001, 5.9604645e-08}, // smallest subnormal
		{0x03ff, 6.097555e-05},  // largest subnormal
		{0x7bff, 65504},
		{0x7c00, float32(math.Inf(1))},
		{0x0000, 0},
		{0x8000, float32(math.Copysign(0, -1))},
	} {
		if got := halfToFloat(tc.bits); got != tc.half || math.Signbit(float64(got)) != math.Signbit(float64(tc.half)) {
			t.Errorf("half %#04x = %v, want %v", tc.bits, got, tc.half)
		}
		if Float32ToHalf(tc.half) != tc.bits {
			t.Errorf("Float32ToHalf(%v) = %#04x, want %#04x", tc.half, Float32ToHalf(tc.half), tc.bits)
		}
	}
	for _, v := range []float32{1, -2, 3.140625, float32(math.Ldexp(1, -100)), 65536, -0.00012207031, 1.0078125} {
		if got := bf16ToFloat(Float32ToBF16(v)); got != v {
			t.Errorf("bf16 round trip of %v = %v", v, got)
		}
	}
	if got := halfToFloat(0x7e00); got == got {
		t.Errorf("half NaN decodes to %v", got)
	}
}

// rewriteCheckpoint copies the fair-esm tiny checkpoint with every float32 storage
// converted to storage (HalfStorage or BFloat16Storage) by conv, and returns the path.
func rewriteCheckpoint(t *testing.T, storage string, conv func(float32) uint16) string {
	t.Helper()
	src, err := zip.OpenReader(filepath.Join(td, "esm2_tiny", "esm2_t3_tiny_UR50D.pt"))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range src.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		b.ReadFrom(rc)
		rc.Close()
		data := b.Bytes()
		switch {
		case strings.HasSuffix(f.Name, "data.pkl"):
			// Protocol 2 names the storage class with a newline-terminated GLOBAL.
			if bytes.Count(data, []byte("ctorch\nFloatStorage\n")) != 1 {
				t.Fatal("the checkpoint does not name FloatStorage once")
			}
			data = bytes.Replace(data, []byte("ctorch\nFloatStorage\n"), []byte("ctorch\n"+storage+"\n"), 1)
		case strings.Contains(f.Name, "/data/"):
			out := make([]byte, len(data)/2)
			for i := 0; i < len(data)/4; i++ {
				binary.LittleEndian.PutUint16(out[2*i:], conv(math.Float32frombits(binary.LittleEndian.Uint32(data[4*i:]))))
			}
			data = out
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: f.Name, Method: zip.Store})
		if err != nil {
			t.Fatal(err)
		}
		w.Write(data)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), storage+".pt")
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestHalfPrecisionCheckpoints loads fair-esm checkpoints saved in fp16 and bf16 and
// finds every weight equal to the fp32 weight rounded to that type.
func TestHalfPrecisionCheckpoints(t *testing.T) {
	ref, err := Load(filepath.Join(td, "esm2_tiny", "esm2_t3_tiny_UR50D.pt"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		storage string
		conv    func(float32) uint16
		back    func(uint16) float32
	}{
		{"HalfStorage", Float32ToHalf, halfToFloat},
		{"BFloat16Storage", Float32ToBF16, bf16ToFloat},
	} {
		t.Run(tc.storage, func(t *testing.T) {
			sd, err := Load(rewriteCheckpoint(t, tc.storage, tc.conv))
			if err != nil {
				t.Fatal(err)
			}
			if len(sd.Tensors) != len(ref.Tensors) {
				t.Fatalf("%d tensors, want %d", len(sd.Tensors), len(ref.Tensors))
			}
			for name, rt := range ref.Tensors {
				got := sd.Tensors[name]
				if got == nil || len(got.Data) != len(rt.Data) {
					t.Fatalf("%s: missing or wrong size", name)
				}
				for i, v := range rt.Data {
					if want := tc.back(tc.conv(v)); got.Data[i] != want && !(want != want && got.Data[i] != got.Data[i]) {
						t.Fatalf("%s[%d] = %v, want %v (%v rounded)", name, i, got.Data[i], want, v)
					}
				}
			}
		})
	}
}

// TestShardedSafetensors splits the HF ESM-2 copy over two shard files with an index,
// as Hugging Face saves large models, and loads the same tensors.
func TestShardedSafetensors(t *testing.T) {
	ref, err := Load(filepath.Join(td, "esm2_tiny", "hf"))
	if err != nil {
		t.Fatal(err)
	}
	names := ref.Names()
	write := func(dir string, index map[string]string, drop string) {
		t.Helper()
		parts := map[string]map[string]*Tensor{}
		for _, n := range names {
			f := index[n]
			if parts[f] == nil {
				parts[f] = map[string]*Tensor{}
			}
			if n != drop {
				parts[f][n] = ref.Tensors[n]
			}
		}
		for f, ts := range parts {
			if err := WriteSafetensors(filepath.Join(dir, f), ts, nil); err != nil {
				t.Fatal(err)
			}
		}
		b, _ := json.Marshal(map[string]any{"metadata": map[string]any{"total_size": 0}, "weight_map": index})
		if err := os.WriteFile(filepath.Join(dir, "model.safetensors.index.json"), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	index := map[string]string{}
	for i, n := range names {
		index[n] = []string{"model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"}[i%2]
	}
	dir := t.TempDir()
	write(dir, index, "")
	sd, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(sd.Tensors) != len(ref.Tensors) {
		t.Fatalf("%d tensors, want %d", len(sd.Tensors), len(ref.Tensors))
	}
	sameTensors(t, ref, sd, func(s string) string { return s })
	files, err := ModelFiles(dir)
	if err != nil || len(files) < 3 {
		t.Errorf("model files of a sharded directory: %v %v (want the index and both shards)", files, err)
	}

	missing := t.TempDir()
	write(missing, index, names[0])
	if _, err := Load(missing); err == nil || !strings.Contains(err.Error(), names[0]) {
		t.Errorf("a tensor missing from its shard: %v", err)
	}
	escape := t.TempDir()
	bad := map[string]string{names[0]: "../elsewhere.safetensors"}
	b, _ := json.Marshal(map[string]any{"weight_map": bad})
	os.WriteFile(filepath.Join(escape, "model.safetensors.index.json"), b, 0o644)
	if _, err := Load(escape); err == nil || !strings.Contains(err.Error(), "leaves the directory") {
		t.Errorf("a shard outside the directory: %v", err)
	}
}

// TestUnsupportedPyTorchFormats: legacy (pre-zip) torch.save files and TorchScript
// archives are refused with a message saying what to do.
func TestUnsupportedPyTorchFormats(t *testing.T) {
	dir := t.TempDir()
	legacy := filepath.Join(dir, "legacy.pt")
	os.WriteFile(legacy, []byte{0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e}, 0o644)
	if _, err := LoadPyTorch(legacy); err == nil || !strings.Contains(err.Error(), "legacy") || !strings.Contains(err.Error(), "re-save") {
		t.Errorf("legacy format: %v", err)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create("model/constants.pkl")
	w.Write([]byte{0x80, 0x02, ')', '.'})
	zw.Close()
	script := filepath.Join(dir, "script.pt")
	os.WriteFile(script, buf.Bytes(), 0o644)
	if _, err := LoadPyTorch(script); err == nil || !strings.Contains(err.Error(), "TorchScript") {
		t.Errorf("TorchScript archive: %v", err)
	}
}

// TestDecodeUnalignedFloat32: float32 data at an address that is not 4-byte aligned
// (a re-zipped checkpoint) is copied, not aliased, with every value intact.
func TestDecodeUnalignedFloat32(t *testing.T) {
	want := []float32{1, -2.5, float32(math.Inf(1)), 3e-40, float32(math.Copysign(0, -1))}
	buf := make([]byte, 1+4*len(want))
	for i, v := range want {
		binary.LittleEndian.PutUint32(buf[1+4*i:], math.Float32bits(v))
	}
	got, finite, err := decode(buf[1:], "F32")
	if err != nil || finite || aliases(got, buf[1:]) {
		t.Fatalf("err %v, finite %v, aliased %v", err, finite, aliases(got, buf[1:]))
	}
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Errorf("value %d: %v, want %v", i, got[i], want[i])
		}
	}
}
