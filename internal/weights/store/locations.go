package store

import (
	"fmt"
	"os"
	"path/filepath"
)

// Environment variables read by the store (besides those of the standard caches:
// TORCH_HOME, HF_HOME, HF_HUB_CACHE, HUGGINGFACE_HUB_CACHE, XDG_CACHE_HOME, HOME).
const (
	// EnvModelsDir names a directory laid out like virnucpro's cache, searched first.
	EnvModelsDir = "VIRNUCPRO_MODELS_DIR"
	// EnvCacheDir replaces virnucpro's own cache directory (default
	// $XDG_CACHE_HOME/virnucpro or ~/.cache/virnucpro).
	EnvCacheDir = "VIRNUCPRO_CACHE_DIR"
)

// Locations are the directories searched for models, in resolution order.
type Locations struct {
	// ModelsDir is $VIRNUCPRO_MODELS_DIR ("" when unset).
	ModelsDir string
	// TorchHub is the torch hub checkpoint directory: $TORCH_HOME/hub/checkpoints,
	// TORCH_HOME defaulting to $XDG_CACHE_HOME/torch or ~/.cache/torch (as torch.hub's
	// _get_torch_home).
	TorchHub string
	// HFHub is the Hugging Face hub cache: $HF_HUB_CACHE, $HUGGINGFACE_HUB_CACHE,
	// $HF_HOME/hub, $XDG_CACHE_HOME/huggingface/hub or ~/.cache/huggingface/hub (as
	// huggingface_hub's constants).
	HFHub string
	// Cache is virnucpro's own cache, where downloads go: $VIRNUCPRO_CACHE_DIR,
	// $XDG_CACHE_HOME/virnucpro or ~/.cache/virnucpro.
	Cache string
}

// DefaultLocations reads the locations from the process environment.
func DefaultLocations() (Locations, error) { return LocationsFrom(os.Getenv) }

// LocationsFrom computes the locations from an environment lookup function.
func LocationsFrom(getenv func(string) string) (Locations, error) {
	home := getenv("HOME")
	if home == "" {
		var err error
		if home, err = os.UserHomeDir(); err != nil {
			return Locations{}, fmt.Errorf("weights store: no home directory (set HOME or %s): %w", EnvCacheDir, err)
		}
	}
	xdg := getenv("XDG_CACHE_HOME")
	if xdg == "" {
		xdg = filepath.Join(home, ".cache")
	}
	first := func(vals ...string) string {
		for _, v := range vals {
			if v != "" {
				return expandHome(v, home)
			}
		}
		return ""
	}
	torchHome := first(getenv("TORCH_HOME"), filepath.Join(xdg, "torch"))
	hfHome := first(getenv("HF_HOME"), filepath.Join(xdg, "huggingface"))
	return Locations{
		ModelsDir: first(getenv(EnvModelsDir)),
		TorchHub:  filepath.Join(torchHome, "hub", "checkpoints"),
		HFHub:     first(getenv("HF_HUB_CACHE"), getenv("HUGGINGFACE_HUB_CACHE"), filepath.Join(hfHome, "hub")),
		Cache:     first(getenv(EnvCacheDir), filepath.Join(xdg, "virnucpro")),
	}, nil
}

// expandHome replaces a leading ~/ (as Python's expanduser, which torch and
// huggingface_hub apply to their variables).
func expandHome(p, home string) string {
	if p == "~" {
		return home
	}
	if len(p) > 1 && p[0] == '~' && p[1] == '/' {
		return filepath.Join(home, p[2:])
	}
	return p
}
