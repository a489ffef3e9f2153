// Package checkpoint makes long runs resumable: completed windows are committed in
// ordered shard files, each fsynced and renamed into place before a manifest (written
// atomically, with the previous copy kept) records it. A crash between the two steps
// leaves an unreferenced shard that the next run ignores. The manifest carries the run's
// identity, and a resume with a different identity is refused with the difference named.
package checkpoint

import (
	"fmt"
	"sort"
	"strings"

	"github.com/virnucpro/virnucpro/internal/filehash"
)

// FileIdentity identifies one file by size and content hash.
type FileIdentity = filehash.Identity

// Identity is everything that determines a run's results. Two runs with equal
// identities produce byte-identical outputs.
type Identity struct {
	// Tool is the virnucpro version that made the checkpoint.
	Tool string `json:"tool"`
	// Inputs are the input files as read.
	Inputs []FileIdentity `json:"inputs"`
	// Models maps a model role (dnabert, esm, classifier) to the identity of its files.
	Models map[string][]FileIdentity `json:"models"`
	// Options are the result-relevant options (chunk size, window size, token budgets,
	// backend, shard, ...), as strings.
	Options map[string]string `json:"options"`
	// Math is the arithmetic the encoders compute with (backend, kernels, precision:
	// "cpu native fma32", "cpu openblas SkylakeX fp32", "cuda fp16", ...): runs with
	// different math give different last bits, so they are not mixed.
	Math string `json:"math,omitempty"`
}

// Diff lists, in words, how b differs from a (empty when they are the same run).
// File paths are not compared, only sizes and content: a moved file is the same file.
func Diff(a, b Identity) []string {
	var d []string
	if a.Tool != b.Tool {
		d = append(d, fmt.Sprintf("tool version: checkpoint %s, now %s", a.Tool, b.Tool))
	}
	if len(a.Inputs) != len(b.Inputs) {
		d = append(d, fmt.Sprintf("input files: checkpoint has %d, now %d", len(a.Inputs), len(b.Inputs)))
	} else {
		for i := range a.Inputs {
			if !sameContent(a.Inputs[i], b.Inputs[i]) {
				d = append(d, fmt.Sprintf("input %s: content differs from the checkpoint's %s (%s)", b.Inputs[i].Path, a.Inputs[i].Path, describe(a.Inputs[i], b.Inputs[i])))
			}
		}
	}
	for _, role := range keys(a.Models, b.Models) {
		fa, fb := a.Models[role], b.Models[role]
		if len(fa) != len(fb) {
			d = append(d, fmt.Sprintf("%s model: checkpoint used %d files, now %d", role, len(fa), len(fb)))
			continue
		}
		for i := range fa {
			if !sameContent(fa[i], fb[i]) {
				d = append(d, fmt.Sprintf("%s model file %s differs from the checkpoint's %s (%s)", role, fb[i].Path, fa[i].Path, describe(fa[i], fb[i])))
			}
		}
	}
	if a.Math != b.Math {
		d = append(d, fmt.Sprintf("math: checkpoint computed with %q, now %q (results differ in their last bits)", a.Math, b.Math))
	}
	for _, k := range keys(a.Options, b.Options) {
		va, oka := a.Options[k]
		vb, okb := b.Options[k]
		switch {
		case !oka:
			d = append(d, fmt.Sprintf("option %s: not in the checkpoint, now %q", k, vb))
		case !okb:
			d = append(d, fmt.Sprintf("option %s: checkpoint %q, now unset", k, va))
		case va != vb:
			d = append(d, fmt.Sprintf("option %s: checkpoint %q, now %q", k, va, vb))
		}
	}
	return d
}

func sameContent(a, b FileIdentity) bool { return a.Size == b.Size && a.SHA256 == b.SHA256 }

func describe(a, b FileIdentity) string {
	if a.Size != b.Size {
		return fmt.Sprintf("%d bytes vs %d", a.Size, b.Size)
	}
	return "same size, different sha256"
}

func keys[V any](a, b map[string]V) []string {
	seen := make(map[string]bool)
	for k := range a {
		seen[k] = true
	}
	for k := range b {
		seen[k] = true
	}
	out := make([]string, 0, len(seen))
	for k := range seen {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// MismatchError refuses a resume whose identity differs from the checkpoint's.
type MismatchError struct {
	Dir         string
	Differences []string
}

func (e *MismatchError) Error() string {
	return fmt.Sprintf("%s holds a different run; refusing to resume:\n  - %s", e.Dir, strings.Join(e.Differences, "\n  - "))
}

// Is makes errors.Is(err, ErrDifferentRun) hold.
func (e *MismatchError) Is(target error) bool { return target == ErrDifferentRun }
