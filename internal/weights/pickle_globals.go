package weights

import (
	"fmt"
	"sort"
	"strings"

	"github.com/nlpodyssey/gopickle/types"
)

// allowedObjects are the classes a weight file may reference that are rebuilt as inert
// Objects (their arguments and __dict__ recorded, nothing of the class run): the
// configuration namespace of fair-esm checkpoints, and the torch.nn modules and the
// MLPClassifier class of the released VirNucPro classifiers (torch.save(model) of a
// __main__.MLPClassifier holding Linear, BatchNorm1d, ReLU and Dropout; the Broad
// repository defines the same class in pipeline/models.py).
var allowedObjects = map[string]bool{
	"argparse.Namespace":                            true,
	"torch.nn.modules.linear.Linear":                true,
	"torch.nn.modules.batchnorm.BatchNorm1d":        true,
	"torch.nn.modules.activation.ReLU":              true,
	"torch.nn.modules.dropout.Dropout":              true,
	"torch.nn.modules.container.Sequential":         true,
	"__main__.MLPClassifier":                        true,
	"units.MLPClassifier":                           true,
	"models.MLPClassifier":                          true,
	"pipeline.models.MLPClassifier":                 true,
	"virnucpro.pipeline.models.MLPClassifier":       true,
	"virnucpro_broad.pipeline.models.MLPClassifier": true,
}

// AllowedGlobals lists every global a weight file may reference ("module.name"),
// sorted: the torch tensor rebuild helpers and storage classes, OrderedDict and set,
// and the inert classes above. Any other global is refused, naming it.
func AllowedGlobals() []string {
	out := []string{"torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_tensor",
		"torch._utils._rebuild_parameter", "torch._utils._rebuild_parameter_with_state",
		"collections.OrderedDict", "builtins.set", "__builtin__.set"}
	for name := range storageDTypes {
		out = append(out, "torch."+name)
	}
	for name := range allowedObjects {
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

// GlobalError refuses a pickle global that is not on the allow list.
type GlobalError struct{ Global string }

func (e *GlobalError) Error() string {
	return fmt.Sprintf("the file references the global %s, which is not on the allow list of what model weight files hold (tensors, torch storages, OrderedDict, argparse.Namespace, the torch.nn layers of the VirNucPro classifier); refused (pickles can run code)", e.Global)
}

// findClass resolves a pickle global through the allow list.
func findClass(module, name string) (any, error) {
	full := module + "." + name
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
	if allowedObjects[full] {
		return &objectClass{module: module, name: name}, nil
	}
	return nil, &GlobalError{Global: strings.ReplaceAll(full, "\n", " ")}
}
