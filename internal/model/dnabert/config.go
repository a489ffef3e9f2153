package dnabert

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"strconv"

	"github.com/virnucpro/virnucpro/internal/weights"
)

// maxDim bounds every dimension config.json may give: far above any BERT (DNABERT-S
// is 768 wide, 3072 inner), low enough that products of two dimensions cannot
// overflow. The weights' own shapes are checked against the config afterwards.
const maxDim = 1 << 20

// ParseConfig decodes and validates config.json.
func ParseConfig(data []byte) (Config, error) {
	var cfg Config
	if err := json.Unmarshal(data, &cfg); err != nil {
		return cfg, err
	}
	return cfg, cfg.validate()
}

// validate checks config.json's fields, naming the first bad one; a zero eps takes
// MosaicBERT's default.
func (c *Config) validate() error {
	for _, f := range []struct {
		name string
		v    int
	}{{"hidden_size", c.Hidden}, {"num_hidden_layers", c.Layers}, {"num_attention_heads", c.Heads}, {"intermediate_size", c.Intermediate}} {
		if f.v <= 0 || f.v > maxDim {
			return fmt.Errorf("%s is %d; it must be between 1 and %d", f.name, f.v, maxDim)
		}
	}
	if c.Hidden%c.Heads != 0 {
		return fmt.Errorf("num_attention_heads %d does not divide hidden_size %d", c.Heads, c.Hidden)
	}
	if c.Vocab < 0 || c.Vocab > maxDim {
		return fmt.Errorf("vocab_size is %d; it must be between 0 and %d", c.Vocab, maxDim)
	}
	if math.IsNaN(c.Eps) || math.IsInf(c.Eps, 0) || c.Eps < 0 || c.Eps > 1 {
		return fmt.Errorf("layer_norm_eps is %v; it must be a small non-negative number", c.Eps)
	}
	if c.Eps == 0 {
		c.Eps = 1e-12
	}
	return nil
}

var layerKey = regexp.MustCompile(`^encoder\.layer\.(\d+)\.`)

// layersIn counts the consecutive transformer layers present in the weights
// (encoder.layer.0. onwards).
func layersIn(sd *weights.StateDict) int {
	present := map[int]bool{}
	for name := range sd.Tensors {
		if m := layerKey.FindStringSubmatch(name); m != nil {
			if i, err := strconv.Atoi(m[1]); err == nil {
				present[i] = true
			}
		}
	}
	n := 0
	for present[n] {
		n++
	}
	return n
}
