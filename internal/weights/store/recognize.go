package store

import (
	"fmt"
	"path/filepath"
	"strings"
)

// Recognition says whether a model file is one of the released models of the catalog.
type Recognition int

// Recognitions.
const (
	// Unverified: the file bears a released model's name but its upstream publishes
	// no digest, so it cannot be told from another file of that name.
	Unverified Recognition = iota
	// Released: the file's sha256 is the catalog's pinned digest.
	Released
	// NotReleased: another digest than the pinned one, or a name no released model
	// has (e.g. the bundled test models).
	NotReleased
)

// Recognize checks one model file of the given kind (its path and sha256, lower-case
// hex) against the catalog and explains the verdict. Classifier files that can be
// read are recognised by content (ReleasedClassifierChunkSize).
func Recognize(kind Kind, path, sha256 string) (Recognition, string) {
	if kind == KindClassifier { // the released classifiers are known by content
		if size, ok, err := ReleasedClassifierChunkSize(path); err == nil && ok {
			return Released, fmt.Sprintf("VirNucPro's released %d bp classifier (git blob id)", size)
		} else if err == nil {
			return NotReleased, "content differs from VirNucPro's released classifiers (git blob ids)"
		}
	}
	base := filepath.Base(path)
	var names []string
	for _, m := range catalog {
		if m.Kind != kind {
			continue
		}
		for _, f := range m.Files {
			names = append(names, f.Name)
			if filepath.Base(f.Name) != base {
				continue
			}
			switch {
			case f.SHA256 == "":
				return Unverified, m.Title + "'s " + f.Name + "; upstream publishes no digest to check it against"
			case strings.EqualFold(f.SHA256, sha256):
				return Released, m.Title + " (sha256 matches the pinned digest)"
			}
			return NotReleased, "sha256 differs from the released " + m.Title + "'s " + f.Name
		}
		for _, group := range append(append([][]string(nil), m.Require...), m.HFRequire...) {
			for _, name := range group {
				if name == base {
					return Unverified, "a file " + m.Title + " may hold (" + name + "); no pinned digest to check it against"
				}
			}
		}
	}
	return NotReleased, "not a file name of a released " + string(kind) + " model (" + strings.Join(names, ", ") + ")"
}
