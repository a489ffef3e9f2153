package weights

import (
	"archive/zip"
	"bytes"
	"fmt"
	"strings"

	"github.com/nlpodyssey/gopickle/pickle"
	"github.com/nlpodyssey/gopickle/types"
)

// Object is a pickled Python object rebuilt as inert data: its class name, the
// arguments it was constructed with and its __dict__. Nothing of the class is run.
type Object struct {
	Module, Name string
	Args         []any
	Dict         map[string]any
}

// Class is "module.Name".
func (o *Object) Class() string { return o.Module + "." + o.Name }

// Attr returns an attribute from __dict__.
func (o *Object) Attr(name string) (any, bool) {
	v, ok := o.Dict[name]
	return v, ok
}

type objectClass struct{ module, name string }

func (c *objectClass) newObject(args []any) *Object {
	return &Object{Module: c.module, Name: c.name, Args: args, Dict: map[string]any{}}
}

// PyNew implements types.PyNewable.
func (c *objectClass) PyNew(args ...any) (any, error) { return c.newObject(args), nil }

// Call implements types.Callable (a REDUCE of the class): it records the arguments.
func (c *objectClass) Call(args ...any) (any, error) { return c.newObject(args), nil }

// PyDictSet implements types.PyDictSettable (BUILD with a dict state).
func (o *Object) PyDictSet(key, value any) error {
	k, ok := key.(string)
	if !ok {
		return fmt.Errorf("%s: non-string attribute name %v", o.Class(), key)
	}
	o.Dict[k] = value
	return nil
}

// PySetAttr implements types.PyAttrSettable (slot state).
func (o *Object) PySetAttr(key string, value any) error { o.Dict[key] = value; return nil }

// refusedModules are never even represented: a checkpoint referencing them is not a
// plain weight file.
var refusedModules = []string{"os", "posix", "nt", "subprocess", "sys", "builtins.eval", "builtins.exec",
	"__builtin__.eval", "__builtin__.exec", "builtins.getattr", "builtins.__import__", "importlib", "shutil", "socket", "runpy", "pickle", "marshal", "pty", "webbrowser"}

// pyStorage is a reference to a tensor storage record in the archive.
type pyStorage struct {
	dtype string
	key   string
	numel int
}

type storageClass struct{ dtype string }

// ptTensor is a tensor view on a storage (from _rebuild_tensor_v2).
type ptTensor struct {
	storage *pyStorage
	offset  int
	size    []int
	stride  []int
}

type rebuildTensor struct{}

func (rebuildTensor) Call(args ...any) (any, error) {
	if len(args) < 4 {
		return nil, fmt.Errorf("_rebuild_tensor_v2: %d arguments", len(args))
	}
	st, ok := args[0].(*pyStorage)
	if !ok {
		return nil, fmt.Errorf("_rebuild_tensor_v2: storage is %T", args[0])
	}
	off, ok := args[1].(int)
	if !ok {
		return nil, fmt.Errorf("_rebuild_tensor_v2: offset is %T", args[1])
	}
	size, err := intTuple(args[2])
	if err != nil {
		return nil, err
	}
	stride, err := intTuple(args[3])
	if err != nil {
		return nil, err
	}
	return &ptTensor{storage: st, offset: off, size: size, stride: stride}, nil
}

type rebuildParameter struct{}

func (rebuildParameter) Call(args ...any) (any, error) {
	if len(args) == 0 {
		return nil, fmt.Errorf("_rebuild_parameter: no arguments")
	}
	return args[0], nil
}

type setClass struct{}

func (setClass) Call(args ...any) (any, error) {
	s := types.NewSet()
	if len(args) == 1 {
		if l, ok := args[0].(*types.List); ok {
			for _, v := range *l {
				s.Add(v)
			}
		}
	}
	return s, nil
}

func intTuple(v any) ([]int, error) {
	t, ok := v.(*types.Tuple)
	if !ok {
		return nil, fmt.Errorf("want a tuple of ints, got %T", v)
	}
	out := make([]int, t.Len())
	for i := range out {
		n, ok := t.Get(i).(int)
		if !ok {
			return nil, fmt.Errorf("want a tuple of ints, got %v", t)
		}
		out[i] = n
	}
	return out, nil
}

var storageDTypes = map[string]string{
	"FloatStorage": "F32", "HalfStorage": "F16", "BFloat16Storage": "BF16", "DoubleStorage": "F64",
	"LongStorage": "I64", "IntStorage": "I32", "ShortStorage": "I16", "CharStorage": "I8",
	"ByteStorage": "U8", "BoolStorage": "BOOL",
}

func findClass(module, name string) (any, error) {
	full := module + "." + name
	for _, r := range refusedModules {
		if module == r || full == r || strings.HasPrefix(module, r+".") {
			return nil, fmt.Errorf("the file references %s; weight files hold only tensors and plain values, so this one is refused (pickles can run code)", full)
		}
	}
	switch full {
	case "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_tensor":
		return rebuildTensor{}, nil
	case "torch._utils._rebuild_parameter", "torch._utils._rebuild_parameter_with_state":
		return rebuildParameter{}, nil
	case "builtins.set", "__builtin__.set":
		return setClass{}, nil
	case "collections.OrderedDict":
		return &types.OrderedDictClass{}, nil
	}
	if module == "torch" {
		if dt, ok := storageDTypes[name]; ok {
			return &storageClass{dtype: dt}, nil
		}
	}
	// Any other class (argparse.Namespace, torch.nn modules, __main__.MLPClassifier,
	// torch.Size, ...) becomes an inert Object.
	return &objectClass{module: module, name: name}, nil
}

// Pickle is a loaded PyTorch zip checkpoint.
type Pickle struct {
	File string
	// Root is the unpickled object: *types.Dict, *types.OrderedDict, *Object, ...
	Root    any
	records map[string][]byte // storage key -> raw bytes (aliasing the mapping)
	cache   map[*ptTensor]*Tensor
}

// LoadPyTorch reads a torch.save zip archive (PyTorch >= 1.6). Tensors are not
// decoded until asked for.
func LoadPyTorch(path string) (*Pickle, error) {
	data, err := mapFile(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return ParsePyTorch(data, path)
}

// ParsePyTorch decodes torch.save zip bytes (name is used in errors).
func ParsePyTorch(data []byte, name string) (*Pickle, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		if len(data) > 2 && data[0] == 0x80 {
			return nil, fmt.Errorf("%s: legacy (pre-1.6, non-zip) torch.save format is not supported; re-save it with a current PyTorch", name)
		}
		return nil, fmt.Errorf("%s: not a PyTorch zip checkpoint: %v", name, err)
	}
	p := &Pickle{File: name, records: map[string][]byte{}, cache: map[*ptTensor]*Tensor{}}
	var pkl *zip.File
	root := ""
	for _, f := range zr.File {
		if strings.HasSuffix(f.Name, "/data.pkl") && strings.Count(f.Name, "/") == 1 {
			pkl, root = f, strings.TrimSuffix(f.Name, "data.pkl")
		}
	}
	if pkl == nil {
		if len(zr.File) > 0 && strings.Contains(zr.File[0].Name, "constants.pkl") {
			return nil, fmt.Errorf("%s: TorchScript archives are not supported", name)
		}
		return nil, fmt.Errorf("%s: no data.pkl in the archive", name)
	}
	for _, f := range zr.File {
		if !strings.HasPrefix(f.Name, root+"data/") {
			continue
		}
		key := strings.TrimPrefix(f.Name, root+"data/")
		if f.Method != zip.Store {
			rc, err := f.Open()
			if err != nil {
				return nil, fmt.Errorf("%s: record %s: %v", name, f.Name, err)
			}
			var b bytes.Buffer
			_, err = b.ReadFrom(rc)
			rc.Close()
			if err != nil {
				return nil, fmt.Errorf("%s: record %s: %v", name, f.Name, err)
			}
			p.records[key] = b.Bytes()
			continue
		}
		off, err := f.DataOffset()
		if err != nil || off < 0 || off+int64(f.UncompressedSize64) > int64(len(data)) {
			return nil, fmt.Errorf("%s: record %s lies outside the file (truncated?)", name, f.Name)
		}
		p.records[key] = data[off : off+int64(f.UncompressedSize64)]
	}
	rc, err := pkl.Open()
	if err != nil {
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	defer rc.Close()
	var pb bytes.Buffer
	if _, err := pb.ReadFrom(rc); err != nil {
		return nil, fmt.Errorf("%s: data.pkl: %v (truncated?)", name, err)
	}
	u := pickle.NewUnpickler(&pb)
	u.FindClass = findClass
	u.PersistentLoad = func(id any) (any, error) {
		t, ok := id.(*types.Tuple)
		if !ok || t.Len() < 5 {
			return nil, fmt.Errorf("unexpected persistent id %v", id)
		}
		if s, _ := t.Get(0).(string); s != "storage" {
			return nil, fmt.Errorf("unexpected persistent id kind %v", t.Get(0))
		}
		sc, ok := t.Get(1).(*storageClass)
		if !ok {
			return nil, fmt.Errorf("unsupported storage type %v", t.Get(1))
		}
		key, _ := t.Get(2).(string)
		numel, _ := t.Get(4).(int)
		return &pyStorage{dtype: sc.dtype, key: key, numel: numel}, nil
	}
	obj, err := u.Load()
	if err != nil {
		return nil, fmt.Errorf("%s: cannot read the checkpoint: %v", name, err)
	}
	p.Root = obj
	return p, nil
}

// tensor materialises a pickled tensor view as float32.
func (p *Pickle) tensor(t *ptTensor) (*Tensor, error) {
	if c, ok := p.cache[t]; ok {
		return c, nil
	}
	raw, ok := p.records[t.storage.key]
	if !ok {
		return nil, fmt.Errorf("%s: storage %s missing from the archive", p.File, t.storage.key)
	}
	size := dtypeSize[t.storage.dtype]
	if len(raw) < t.storage.numel*size {
		return nil, fmt.Errorf("%s: storage %s holds %d bytes, want %d (truncated?)", p.File, t.storage.key, len(raw), t.storage.numel*size)
	}
	n := 1
	for _, d := range t.size {
		n *= d
	}
	contiguous := true
	expect := 1
	for i := len(t.size) - 1; i >= 0; i-- {
		if t.size[i] != 1 && t.stride[i] != expect {
			contiguous = false
		}
		expect *= t.size[i]
	}
	var vals []float32
	if contiguous {
		lo, hi := t.offset*size, (t.offset+n)*size
		if t.offset < 0 || hi > len(raw) {
			return nil, fmt.Errorf("%s: tensor view [%d:%d] outside storage %s", p.File, t.offset, t.offset+n, t.storage.key)
		}
		var err error
		if vals, err = decode(raw[lo:hi], t.storage.dtype); err != nil {
			return nil, err
		}
		if !aliases(vals, raw[lo:hi]) {
			release(raw[lo:hi])
		}
	} else {
		all, err := decode(raw[:t.storage.numel*size], t.storage.dtype)
		if err != nil {
			return nil, err
		}
		vals = make([]float32, n)
		idx := make([]int, len(t.size))
		for i := 0; i < n; i++ {
			pos := t.offset
			for d := range idx {
				pos += idx[d] * t.stride[d]
			}
			if pos < 0 || pos >= len(all) {
				return nil, fmt.Errorf("%s: strided tensor outside storage %s", p.File, t.storage.key)
			}
			vals[i] = all[pos]
			for d := len(idx) - 1; d >= 0; d-- {
				idx[d]++
				if idx[d] < t.size[d] {
					break
				}
				idx[d] = 0
			}
		}
	}
	out := &Tensor{Shape: append([]int{}, t.size...), Data: vals}
	p.cache[t] = out
	return out, nil
}

// StateDict flattens obj (a dict or OrderedDict of tensors, possibly nested) into
// name -> tensor; nested dict keys are joined with '.'. Non-tensor values are skipped.
func (p *Pickle) StateDict(obj any) (*StateDict, error) {
	sd := &StateDict{File: p.File, Tensors: map[string]*Tensor{}}
	err := p.flatten(obj, "", sd.Tensors)
	return sd, err
}

func (p *Pickle) flatten(obj any, prefix string, out map[string]*Tensor) error {
	visit := func(k any, v any) error {
		ks, ok := k.(string)
		if !ok {
			return nil
		}
		switch val := v.(type) {
		case *ptTensor:
			t, err := p.tensor(val)
			if err != nil {
				return fmt.Errorf("tensor %s: %w", prefix+ks, err)
			}
			out[prefix+ks] = t
		case *types.Dict, *types.OrderedDict:
			return p.flatten(val, prefix+ks+".", out)
		}
		return nil
	}
	switch d := obj.(type) {
	case *types.OrderedDict:
		for e := d.List.Front(); e != nil; e = e.Next() {
			entry := e.Value.(*types.OrderedDictEntry)
			if err := visit(entry.Key, entry.Value); err != nil {
				return err
			}
		}
	case *types.Dict:
		for _, e := range *d {
			if err := visit(e.Key, e.Value); err != nil {
				return err
			}
		}
	default:
		return fmt.Errorf("%s: expected a dict of tensors, found %T", p.File, obj)
	}
	return nil
}

// ModuleStateDict walks a pickled torch.nn.Module tree (torch.save(model)) the way
// Module.state_dict() does: _parameters and _buffers of each module, children under
// _modules, names joined with '.'.
func (p *Pickle) ModuleStateDict(m *Object) (*StateDict, error) {
	sd := &StateDict{File: p.File, Tensors: map[string]*Tensor{}}
	err := p.walkModule(m, "", sd.Tensors)
	return sd, err
}

func (p *Pickle) walkModule(m *Object, prefix string, out map[string]*Tensor) error {
	for _, field := range []string{"_parameters", "_buffers"} {
		if d, ok := m.Dict[field]; ok {
			if err := eachEntry(d, func(k string, v any) error {
				if t, ok := v.(*ptTensor); ok {
					tt, err := p.tensor(t)
					if err != nil {
						return err
					}
					out[prefix+k] = tt
				}
				return nil
			}); err != nil {
				return err
			}
		}
	}
	if d, ok := m.Dict["_modules"]; ok {
		return eachEntry(d, func(k string, v any) error {
			if child, ok := v.(*Object); ok {
				return p.walkModule(child, prefix+k+".", out)
			}
			return nil
		})
	}
	return nil
}

// eachEntry iterates a dict or OrderedDict with string keys in order.
func eachEntry(d any, fn func(k string, v any) error) error {
	switch dd := d.(type) {
	case *types.OrderedDict:
		for e := dd.List.Front(); e != nil; e = e.Next() {
			entry := e.Value.(*types.OrderedDictEntry)
			if k, ok := entry.Key.(string); ok {
				if err := fn(k, entry.Value); err != nil {
					return err
				}
			}
		}
	case *types.Dict:
		for _, e := range *dd {
			if k, ok := e.Key.(string); ok {
				if err := fn(k, e.Value); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// Lookup returns a value from a dict, OrderedDict or Object by key or attribute.
func Lookup(obj any, key string) (any, bool) {
	var found any
	ok := false
	switch o := obj.(type) {
	case *Object:
		found, ok = o.Dict[key]
	default:
		eachEntry(obj, func(k string, v any) error {
			if k == key && !ok {
				found, ok = v, true
			}
			return nil
		})
	}
	return found, ok
}
