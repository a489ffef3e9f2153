package train

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/nlpodyssey/gopickle/types"

	"github.com/virnucpro/virnucpro/internal/weights"
)

// Feature shard layout: a safetensors file with one float32 tensor [N, D] and the
// row ids, the class label and the feature layout in __metadata__. It is a superset
// of the embedding file of internal/embedfile (same tensor name and ids key).
const (
	// ShardTensor is the name of the feature matrix.
	ShardTensor = "embeddings"
	// ShardFormat is the __metadata__ "format" value of feature shards.
	ShardFormat = "virnucpro-features"
	// ShardExt is the file extension of feature shards.
	ShardExt = ".safetensors"
)

// Label is a training class: the classifier's output index.
type Label int

// Labels.
const (
	Other Label = ClassOther
	Viral Label = ClassViral
)

// ParseLabel accepts viral|virus|1 and other|others|host|0.
func ParseLabel(s string) (Label, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "viral", "virus", "1":
		return Viral, nil
	case "other", "others", "host", "0":
		return Other, nil
	}
	return 0, fmt.Errorf("label %q: want viral or other", s)
}

// String is the label as written in shard metadata.
func (l Label) String() string {
	if l == Viral {
		return "viral"
	}
	return "other"
}

// Shard is one feature file read into memory.
type Shard struct {
	Path string
	IDs  []string
	Data []float32 // len(IDs)×Dim
	Dim  int
	// Label is the class recorded in the file; HasLabel is false when it has none
	// (the original's prediction-time merged files).
	Label    Label
	HasLabel bool
	// Meta is the shard's safetensors metadata (nil for .pt files).
	Meta map[string]string
}

// WriteShard writes a feature shard atomically. extra metadata (e.g. the feature
// layout) is stored alongside ids, label and format.
func WriteShard(path string, ids []string, data []float32, dim int, label Label, extra map[string]string) error {
	if dim < 1 || len(data) != len(ids)*dim {
		return fmt.Errorf("feature shard %s: %d values for %d ids of width %d", path, len(data), len(ids), dim)
	}
	idJSON, err := json.Marshal(ids)
	if err != nil {
		return fmt.Errorf("feature shard %s: %w", path, err)
	}
	meta := map[string]string{}
	for k, v := range extra {
		meta[k] = v
	}
	meta["ids"], meta["label"], meta["format"] = string(idJSON), label.String(), ShardFormat
	t := &weights.Tensor{Shape: []int{len(ids), dim}, Data: data}
	if err := weights.WriteSafetensors(path, map[string]*weights.Tensor{ShardTensor: t}, meta); err != nil {
		return fmt.Errorf("feature shard %s: %w", path, err)
	}
	return nil
}

// ReadShard reads a feature shard (.safetensors) or one of the original's merged
// feature files (.pt holding {'ids', 'data', 'labels'}), checking that every value is
// finite.
func ReadShard(path string) (*Shard, error) {
	var s *Shard
	var err error
	if strings.HasSuffix(strings.ToLower(path), ".pt") {
		s, err = readPT(path)
	} else {
		s, err = readSafetensors(path)
	}
	if err != nil {
		return nil, err
	}
	for i, v := range s.Data {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			r := i / s.Dim
			return nil, fmt.Errorf("feature shard %s: row %d (id %q) column %d is %v", path, r, s.IDs[r], i%s.Dim, v)
		}
	}
	return s, nil
}

func readSafetensors(path string) (*Shard, error) {
	sd, err := weights.LoadSafetensors(path)
	if err != nil {
		return nil, fmt.Errorf("feature shard: %w", err)
	}
	t, err := sd.Get(ShardTensor, -1, -1)
	if err != nil {
		return nil, fmt.Errorf("feature shard: %w", err)
	}
	s := &Shard{Path: path, Data: t.Data, Dim: t.Shape[1], Meta: sd.Metadata}
	if raw, ok := sd.Metadata["ids"]; ok {
		if err := json.Unmarshal([]byte(raw), &s.IDs); err != nil {
			return nil, fmt.Errorf("feature shard %s: metadata ids: %v", path, err)
		}
	} else {
		return nil, fmt.Errorf("feature shard %s: no ids in the metadata", path)
	}
	if len(s.IDs) != t.Shape[0] {
		return nil, fmt.Errorf("feature shard %s: %d ids for %d rows", path, len(s.IDs), t.Shape[0])
	}
	if l, ok := sd.Metadata["label"]; ok {
		if s.Label, err = ParseLabel(l); err != nil {
			return nil, fmt.Errorf("feature shard %s: %w", path, err)
		}
		s.HasLabel = true
	}
	if s.Dim < 1 {
		return nil, fmt.Errorf("feature shard %s: feature width 0", path)
	}
	return s, nil
}

func readPT(path string) (*Shard, error) {
	p, err := weights.LoadPyTorch(path)
	if err != nil {
		return nil, fmt.Errorf("feature file: %w", err)
	}
	sd, err := p.StateDict(p.Root)
	if err != nil {
		return nil, fmt.Errorf("feature file %s: want a dict with 'ids' and 'data': %w", path, err)
	}
	t, err := sd.Get("data", -1, -1)
	if err != nil {
		return nil, fmt.Errorf("feature file: %w", err)
	}
	s := &Shard{Path: path, Data: t.Data, Dim: t.Shape[1]}
	ids, ok := weights.Lookup(p.Root, "ids")
	if !ok {
		return nil, fmt.Errorf("feature file %s: no 'ids'", path)
	}
	if s.IDs, err = stringList(ids); err != nil {
		return nil, fmt.Errorf("feature file %s: ids: %w", path, err)
	}
	if len(s.IDs) != t.Shape[0] {
		return nil, fmt.Errorf("feature file %s: %d ids for %d rows", path, len(s.IDs), t.Shape[0])
	}
	if labels, ok := weights.Lookup(p.Root, "labels"); ok {
		vals, err := intList(labels)
		if err != nil || len(vals) == 0 || (vals[0] != 0 && vals[0] != 1) {
			return nil, fmt.Errorf("feature file %s: 'labels' must be [0] or [1]", path)
		}
		s.Label, s.HasLabel = Label(vals[0]), true
	}
	if s.Dim < 1 {
		return nil, fmt.Errorf("feature file %s: feature width 0", path)
	}
	return s, nil
}

// ListShards returns the feature files of dir (*.safetensors and *.pt, not hidden
// temporaries) in name order, or dir itself when it is a file.
func ListShards(dir string) ([]string, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("features: %w", err)
	}
	if !st.IsDir() {
		return []string{dir}, nil
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("features: %w", err)
	}
	var out []string
	for _, e := range entries {
		name := e.Name()
		lower := strings.ToLower(name)
		if e.IsDir() || strings.HasPrefix(name, ".") || !(strings.HasSuffix(lower, ShardExt) || strings.HasSuffix(lower, ".pt")) {
			continue
		}
		out = append(out, filepath.Join(dir, name))
	}
	sort.Strings(out)
	if len(out) == 0 {
		return nil, fmt.Errorf("features: %s holds no feature shards (*%s or the original's *.pt)", dir, ShardExt)
	}
	return out, nil
}

// ShardName is the file name of the n-th shard (1-based) a features run writes.
func ShardName(n int) string { return "features_" + fmt.Sprintf("%06d", n) + ShardExt }

// ShardIndex parses a name made by ShardName (ok false for other names).
func ShardIndex(name string) (int, bool) {
	if !strings.HasPrefix(name, "features_") || !strings.HasSuffix(name, ShardExt) {
		return 0, false
	}
	n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(name, "features_"), ShardExt))
	return n, err == nil && n > 0
}

// items returns the elements of a pickled list or tuple.
func items(v any) ([]any, error) {
	switch l := v.(type) {
	case *types.List:
		return *l, nil
	case types.List:
		return l, nil
	case *types.Tuple:
		return *l, nil
	case types.Tuple:
		return l, nil
	}
	return nil, fmt.Errorf("want a list, found %T", v)
}

func stringList(v any) ([]string, error) {
	it, err := items(v)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(it))
	for i, e := range it {
		s, ok := e.(string)
		if !ok {
			return nil, fmt.Errorf("element %d is %T, not a string", i, e)
		}
		out[i] = s
	}
	return out, nil
}

func intList(v any) ([]int, error) {
	it, err := items(v)
	if err != nil {
		return nil, err
	}
	out := make([]int, len(it))
	for i, e := range it {
		switch n := e.(type) {
		case int:
			out[i] = n
		case int64:
			out[i] = int(n)
		case bool:
			out[i] = map[bool]int{false: 0, true: 1}[n]
		default:
			return nil, fmt.Errorf("element %d is %T, not an integer", i, e)
		}
	}
	return out, nil
}
