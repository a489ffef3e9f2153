package store

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Place is one location searched for a model.
type Place struct {
	// Where names the step of the resolution order (torch hub, Hugging Face cache, ...).
	Where string
	// Path is the path examined ("" when the step is not configured).
	Path string
	// Note says why it was not used ("" for the place the model was found in).
	Note string
}

// String renders the place for messages: "torch hub: /path (missing)".
func (p Place) String() string {
	s := p.Where
	if p.Path != "" {
		s += ": " + p.Path
	}
	if p.Note != "" {
		s += " (" + p.Note + ")"
	}
	return s
}

// Resolution is the outcome of searching for one model.
type Resolution struct {
	Model Model
	// Path is the file or directory found; "" when the model was not found.
	Path string
	// Where is the step it was found at.
	Where string
	// Looked lists every place examined, in order, up to and including the one found.
	Looked []Place
}

// Found reports whether the model was found.
func (r Resolution) Found() bool { return r.Path != "" }

// The names of the resolution steps.
const (
	WhereModelsDir = EnvModelsDir
	WhereTorchHub  = "torch hub"
	WhereHFCache   = "Hugging Face cache"
	WhereCache     = "virnucpro cache"
)

// Resolve searches for a model in order: $VIRNUCPRO_MODELS_DIR, the torch hub cache
// (fair-esm models), the Hugging Face hub cache (the snapshot refs/main points at, or
// the pinned revision's when there is no refs/main; other snapshots are never used),
// then virnucpro's own cache. An explicit path (a flag, its VIRNUCPRO_* variable or
// the --config file) is the caller's business and comes before all of these.
func (l Locations) Resolve(m Model) Resolution {
	r := Resolution{Model: m}
	try := func(where, path string, require [][]string) bool {
		note := usable(m, path, require)
		r.Looked = append(r.Looked, Place{Where: where, Path: path, Note: note})
		if note == "" {
			r.Path, r.Where = path, where
			return true
		}
		return false
	}
	if l.ModelsDir == "" {
		r.Looked = append(r.Looked, Place{Where: WhereModelsDir, Note: "not set"})
	} else if try(WhereModelsDir, filepath.Join(l.ModelsDir, m.CacheName), m.Require) {
		return r
	}
	if m.Origin == OriginFairESM && try(WhereTorchHub, filepath.Join(l.TorchHub, m.CacheName), nil) {
		return r
	}
	if m.HFRepo != "" {
		if path, note := hfSnapshot(l.HFHub, m.HFRepo, m.Revision); note != "" {
			r.Looked = append(r.Looked, Place{Where: WhereHFCache, Path: path, Note: note})
		} else {
			req := m.HFRequire
			if req == nil {
				req = m.Require
			}
			if try(WhereHFCache, path, req) {
				return r
			}
		}
	}
	try(WhereCache, filepath.Join(l.Cache, m.CacheName), m.Require)
	return r
}

// usable says why path is not a usable copy of m ("" when it is): a single-file model
// needs a non-empty regular file, a directory model every required group.
func usable(m Model, path string, require [][]string) string {
	st, err := os.Stat(path)
	if err != nil {
		if os.IsNotExist(err) {
			return "missing"
		}
		return err.Error()
	}
	if require == nil {
		if st.IsDir() {
			return "a directory, want the weight file"
		}
		if st.Size() == 0 {
			return "empty file"
		}
		return ""
	}
	if !st.IsDir() {
		return "not a directory"
	}
	var lacks []string
	for _, group := range require {
		ok := false
		for _, name := range group {
			if fi, err := os.Stat(filepath.Join(path, name)); err == nil && fi.Mode().IsRegular() && fi.Size() > 0 {
				ok = true
				break
			}
		}
		if !ok {
			lacks = append(lacks, strings.Join(group, " or "))
		}
	}
	if len(lacks) > 0 {
		return "incomplete: no " + strings.Join(lacks, ", no ")
	}
	return ""
}

// hfSnapshot finds the snapshot directory of repo in a Hugging Face hub cache the way
// huggingface_hub does for revision "main": refs/main holds the commit, and the files
// are in snapshots/<commit>/. Without refs/main the pinned revision's snapshot is used.
// It returns the snapshot path, or a non-empty note when there is none.
func hfSnapshot(hub, repo, pinnedRev string) (string, string) {
	dir := filepath.Join(hub, "models--"+strings.ReplaceAll(repo, "/", "--"))
	if _, err := os.Stat(dir); err != nil {
		return dir, "missing"
	}
	rev := ""
	if b, err := os.ReadFile(filepath.Join(dir, "refs", "main")); err == nil {
		rev = strings.TrimSpace(string(b))
	}
	if rev == "" || strings.ContainsAny(rev, `/\`) || rev == "." || rev == ".." {
		if pinnedRev == "" {
			return dir, "no refs/main"
		}
		rev = pinnedRev
		if _, err := os.Stat(filepath.Join(dir, "snapshots", rev)); err != nil {
			return dir, fmt.Sprintf("no refs/main and no snapshot of the pinned revision %s", rev)
		}
	}
	return filepath.Join(dir, "snapshots", rev), ""
}
