package weights

import (
	"bytes"
	"fmt"

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

// Pickle is a loaded PyTorch zip checkpoint.
type Pickle struct {
	File string
	// Root is the unpickled object: *types.Dict, *types.OrderedDict, *Object, ...
	Root    any
	records map[string][]byte // storage key -> raw bytes (aliasing the mapping)
	cache   map[*ptTensor]*Tensor
	// budget is how many bytes of converted (non-aliased) tensor data may still be
	// allocated: a fixed multiple of the file's size, whatever the file claims.
	budget *budget
	// lazy: contiguous tensors keep a view of the file instead of being converted
	// (LazyWeights).
	lazy bool
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

// ParsePyTorch decodes torch.save zip bytes (name is used in errors). Every size the
// archive and the pickle declare is checked against the bytes present before anything
// is allocated for it, and only the globals of AllowedGlobals are accepted.
func ParsePyTorch(data []byte, name string) (p *Pickle, err error) {
	defer func() {
		if r := recover(); r != nil { // a malformed pickle must be an error, never a crash
			p, err = nil, fmt.Errorf("%s: malformed checkpoint: %v", name, r)
		}
	}()
	arch, err := readArchive(data, name)
	if err != nil {
		return nil, err
	}
	p = &Pickle{File: name, records: arch.records, cache: map[*ptTensor]*Tensor{}, budget: newBudget(name, convertBudget(len(data)))}
	if err := checkPickleBounds(arch.pkl); err != nil {
		return nil, fmt.Errorf("%s: data.pkl: %v", name, err)
	}
	u := pickle.NewUnpickler(bytes.NewReader(arch.pkl))
	u.FindClass = findClass
	u.PersistentLoad = p.persistentLoad
	obj, err := u.Load()
	if err != nil {
		return nil, fmt.Errorf("%s: cannot read the checkpoint: %w", name, err)
	}
	p.Root = obj
	return p, nil
}

// convertBudget bounds the float32 copies made from a file of n bytes: every storage
// converted once, each element widened at most 4 times (U8 to F32), plus slack for
// shared storages.
func convertBudget(n int) int64 { return 8*int64(n) + 1<<20 }

// persistentLoad resolves a ('storage', class, key, location, numel) persistent id,
// checking numel against the record's bytes.
func (p *Pickle) persistentLoad(id any) (any, error) {
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
	numel, ok := t.Get(4).(int)
	if !ok || numel < 0 {
		return nil, fmt.Errorf("storage %s: element count %v is not a non-negative int", key, t.Get(4))
	}
	raw, ok := p.records[key]
	if !ok {
		return nil, fmt.Errorf("storage %s missing from the archive", key)
	}
	if size := dtypeSize[sc.dtype]; numel > len(raw)/size {
		return nil, fmt.Errorf("storage %s: %d elements of %s need %d bytes, the archive holds %d (truncated?)", key, numel, sc.dtype, int64(numel)*int64(size), len(raw))
	}
	return &pyStorage{dtype: sc.dtype, key: key, numel: numel}, nil
}

// maxNesting bounds how deep dicts and modules nest in a checkpoint: a pickle can
// make a dict contain itself, which must end in an error, not a stack overflow.
const maxNesting = 64

// StateDict flattens obj (a dict or OrderedDict of tensors, possibly nested) into
// name -> tensor; nested dict keys are joined with '.'. Non-tensor values are skipped.
func (p *Pickle) StateDict(obj any) (*StateDict, error) {
	sd := &StateDict{File: p.File, Tensors: map[string]*Tensor{}}
	err := p.flatten(obj, "", 0, sd.Tensors)
	return sd, err
}

func (p *Pickle) flatten(obj any, prefix string, depth int, out map[string]*Tensor) error {
	if depth > maxNesting {
		return fmt.Errorf("%s: dicts nested deeper than %d levels at %q (a cycle?)", p.File, maxNesting, prefix)
	}
	visit := func(k any, v any) error {
		ks, ok := k.(string)
		if !ok {
			return nil
		}
		switch val := v.(type) {
		case *ptTensor:
			t, err := p.tensor(val, prefix+ks)
			if err != nil {
				return fmt.Errorf("tensor %s: %w", prefix+ks, err)
			}
			out[prefix+ks] = t
		case *types.Dict, *types.OrderedDict:
			return p.flatten(val, prefix+ks+".", depth+1, out)
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
	err := p.walkModule(m, "", 0, sd.Tensors)
	return sd, err
}

func (p *Pickle) walkModule(m *Object, prefix string, depth int, out map[string]*Tensor) error {
	if depth > maxNesting {
		return fmt.Errorf("%s: modules nested deeper than %d levels at %q (a cycle?)", p.File, maxNesting, prefix)
	}
	for _, field := range []string{"_parameters", "_buffers"} {
		if d, ok := m.Dict[field]; ok {
			if err := eachEntry(d, func(k string, v any) error {
				if t, ok := v.(*ptTensor); ok {
					tt, err := p.tensor(t, prefix+k)
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
				return p.walkModule(child, prefix+k+".", depth+1, out)
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
