package weights

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/nlpodyssey/gopickle/types"
)

// Load reads the tensors of a weight file or model directory, whatever its format:
//   - *.safetensors;
//   - a PyTorch zip checkpoint holding a state dict, a dict with a "model" or
//     "state_dict" entry (fair-esm, training checkpoints), or a whole pickled module;
//   - a directory with model.safetensors, model.safetensors.index.json (shards) or
//     pytorch_model.bin.
func Load(path string) (*StateDict, error) { return load(path, false) }

// LoadLazy is Load without converting: every tensor is checked as Load checks it
// (shape, strides and offset against the bytes present), but a contiguous one only
// keeps its view of the memory-mapped file and its dtype, and is converted to
// float32 on demand (Materialize, MaterializeInto); see the package documentation.
// The mapping stays for as long as the process runs.
func LoadLazy(path string) (*StateDict, error) { return load(path, true) }

func load(path string, lazy bool) (*StateDict, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("weights: %w", err)
	}
	if st.IsDir() {
		return loadDir(path, lazy)
	}
	if isSafetensors(path) {
		return loadSafetensors(path, lazy)
	}
	p, err := LoadPyTorch(path)
	if err != nil {
		return nil, err
	}
	if lazy {
		return p.LazyWeights()
	}
	return p.Weights()
}

func isSafetensors(path string) bool {
	if strings.HasSuffix(path, ".safetensors") {
		return true
	}
	f, _, err := openRegular(path)
	if err != nil {
		return false
	}
	defer f.Close()
	var head [10]byte
	n, _ := f.Read(head[:])
	return n == 10 && head[8] == '{' && head[9] == '"'
}

// Weights returns the checkpoint's tensors: the root state dict, the "model" or
// "state_dict" entry of a dict root, or the state dict of a pickled module.
func (p *Pickle) Weights() (*StateDict, error) {
	switch root := p.Root.(type) {
	case *Object:
		return p.ModuleStateDict(root)
	case *types.Dict, *types.OrderedDict:
		for _, key := range []string{"model", "state_dict", "model_state_dict"} {
			if v, ok := Lookup(root, key); ok {
				if m, ok := v.(*Object); ok {
					return p.ModuleStateDict(m)
				}
				return p.StateDict(v)
			}
		}
		return p.StateDict(root)
	}
	return nil, fmt.Errorf("%s: holds %T, not model weights", p.File, p.Root)
}

// LazyWeights is Weights with lazy tensors (see LoadLazy); a strided view is
// still converted at once.
func (p *Pickle) LazyWeights() (*StateDict, error) {
	p.lazy = true
	defer func() { p.lazy = false }()
	return p.Weights()
}

// loadDir reads a Hugging Face model directory.
func loadDir(dir string, lazy bool) (*StateDict, error) {
	if p := filepath.Join(dir, "model.safetensors"); exists(p) {
		return loadSafetensors(p, lazy)
	}
	if idx := filepath.Join(dir, "model.safetensors.index.json"); exists(idx) {
		return loadSharded(dir, idx, lazy)
	}
	if p := filepath.Join(dir, "pytorch_model.bin"); exists(p) {
		return load(p, lazy)
	}
	return nil, fmt.Errorf("%s: no model.safetensors, model.safetensors.index.json or pytorch_model.bin", dir)
}

func loadSharded(dir, index string, lazy bool) (*StateDict, error) {
	data, err := ReadFileBounded(index, 64<<20)
	if err != nil {
		return nil, err
	}
	var idx struct {
		WeightMap map[string]string `json:"weight_map"`
	}
	if err := json.Unmarshal(data, &idx); err != nil {
		return nil, fmt.Errorf("%s: %v", index, err)
	}
	files := map[string]bool{}
	for _, f := range idx.WeightMap {
		if strings.Contains(f, "/") || strings.Contains(f, "..") {
			return nil, fmt.Errorf("%s: shard name %q leaves the directory", index, f)
		}
		files[f] = true
	}
	names := make([]string, 0, len(files))
	for f := range files {
		names = append(names, f)
	}
	sort.Strings(names)
	out := &StateDict{File: dir, Tensors: map[string]*Tensor{}}
	for _, f := range names {
		sd, err := loadSafetensors(filepath.Join(dir, f), lazy)
		if err != nil {
			return nil, err
		}
		for n, t := range sd.Tensors {
			out.Tensors[n] = t
		}
	}
	for n, f := range idx.WeightMap {
		if _, ok := out.Tensors[n]; !ok {
			return nil, fmt.Errorf("%s: tensor %q listed in %s is missing", dir, n, f)
		}
	}
	return out, nil
}

func exists(p string) bool { _, err := os.Stat(p); return err == nil }

// ModelFiles lists the files that make up a model at path (a file, or the config,
// tokenizer and weight files of a directory), for hashing a model's identity.
func ModelFiles(path string) ([]string, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		// fair-esm's loader also reads <stem>-contact-regression.pt; it does not change
		// embeddings, so it is not part of the identity.
		return []string{path}, nil
	}
	var files []string
	for _, name := range []string{"config.json", "tokenizer.json", "vocab.txt", "model.safetensors", "model.safetensors.index.json", "pytorch_model.bin"} {
		if p := filepath.Join(path, name); exists(p) {
			files = append(files, p)
		}
	}
	if idx := filepath.Join(path, "model.safetensors.index.json"); exists(idx) {
		matches, _ := filepath.Glob(filepath.Join(path, "model-*.safetensors"))
		sort.Strings(matches)
		files = append(files, matches...)
	}
	return files, nil
}
