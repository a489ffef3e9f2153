// Package store finds, downloads and verifies the real model weights virnucpro needs:
// ESM-2 (fair-esm checkpoints), DNABERT-S (a Hugging Face model directory) and the
// released VirNucPro classifiers. It resolves each model through the caches users
// already have (torch hub, the Hugging Face hub cache) and its own cache
// (~/.cache/virnucpro), downloads into its own cache with resume and sha256
// verification, and records what it fetched in a manifest there.
//
// This file is THE table of models: names, upstream locations and digests, each with
// its source. Nothing else in the package hard-codes a download URL or a digest.
package store

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Kind is what a model is used for.
type Kind string

// The model kinds.
const (
	KindESM        Kind = "esm"
	KindDNABERT    Kind = "dnabert"
	KindClassifier Kind = "classifier"
)

// Origin names the upstream a model is downloaded from; each has its own base URL
// (see BaseURLs).
type Origin string

// The upstream origins.
const (
	// OriginFairESM is fair-esm's public bucket (the URLs torch.hub.load_state_dict_from_url
	// fetches in esm/pretrained.py: https://dl.fbaipublicfiles.com/fair-esm/models/<name>.pt).
	OriginFairESM Origin = "esm"
	// OriginHuggingFace is the Hugging Face hub: <base>/<repo>/resolve/<revision>/<file>,
	// the layout huggingface_hub's hf_hub_url builds.
	OriginHuggingFace Origin = "hf"
	// OriginClassifier is the original VirNucPro GitHub repository holding the released
	// classifiers.
	OriginClassifier Origin = "classifier"
)

// Default base URLs of the origins (overridable, see BaseURLs).
const (
	// DefaultESMBaseURL: fair-esm, esm/pretrained.py (_download_model_and_regression_data:
	// url = f"https://dl.fbaipublicfiles.com/fair-esm/models/{model_name}.pt").
	DefaultESMBaseURL = "https://dl.fbaipublicfiles.com/fair-esm/models/"
	// DefaultHFBaseURL: the Hugging Face hub endpoint (huggingface_hub's default
	// HF_ENDPOINT). The HF_ENDPOINT variable overrides it, as it does for huggingface_hub.
	DefaultHFBaseURL = "https://huggingface.co"
	// DefaultClassifierBaseURL: the original repository, github.com/Li-Jing-1997/VirNucPro.
	// Its README runs "python prediction.py input.fasta 500 500_model.pth" from the
	// repository root and its tree lists 300_model.pth and 500_model.pth at the root
	// (shared/docs/broad-survey.md; the blobs could not be fetched offline). The "raw/HEAD/"
	// form follows the default branch, whatever it is named, and GitHub redirects it to
	// raw.githubusercontent.com (or media.githubusercontent.com should the files be in
	// Git LFS). Not verified online: if the files move, set --base-url-classifier.
	DefaultClassifierBaseURL = "https://github.com/Li-Jing-1997/VirNucPro/raw/HEAD/"
)

// DNABERTSRevision is the pinned commit of huggingface.co/zhihan1996/DNABERT-S that is
// downloaded. Source: the commit pinned by several public projects loading DNABERT-S
// (e.g. MultiMolecule's DNABERT-S fixture generator, UPSTREAM_COMMIT, which also asserts
// the pytorch_model.bin digest below). A pinned commit never changes, unlike "main".
const DNABERTSRevision = "00e47f96cdea35e4b6f5df89e5419cbe47d490c6"

// File is one file of a model.
type File struct {
	// Name is the file's path inside a directory model (config.json), or, for a
	// single-file model, its file name (esm2_t36_3B_UR50D.pt) in the cache and upstream.
	Name string
	// SHA256 is the pinned digest (lower-case hex), or "" where no digest is known
	// offline: the digest is then taken from the upstream's sha256 header when it sends
	// one (Hugging Face's X-Linked-Etag for LFS files), otherwise recorded in the cache
	// manifest at first download and checked from then on by `weights verify`.
	SHA256 string
	// DigestSource documents where SHA256 comes from, or why it is empty.
	DigestSource string
	// GitBlobSHA1 is the git blob id of the file in its upstream repository's tree
	// (SHA-1 over "blob <size>\x00" + content), "" when not known. A download, a
	// cached copy and `weights verify` are all checked against it; a verified download
	// records its sha256 in the cache manifest.
	GitBlobSHA1 string
	// MaxSize caps the bytes downloaded for the file (the known size plus a margin,
	// or a sane maximum for the kind of file); 0 means DefaultMaxSize.
	MaxSize int64
}

// DefaultMaxSize caps a download whose file has no MaxSize: larger than any model
// virnucpro uses (ESM-2 3B is about 5.7 GB).
const DefaultMaxSize int64 = 16 << 30

// classifierBlobSource documents the classifiers' git blob ids.
const classifierBlobSource = "the git blob id of the file in the trees of github.com/Li-Jing-1997/VirNucPro and " +
	"github.com/broadinstitute/virnucpro-broad (the same blob in both); the download is checked against it and its sha256 then recorded in the cache manifest"

// Model is one downloadable model.
type Model struct {
	// Name is the command-line name (esm2-3b).
	Name string
	// Title is the human name (ESM-2 3B).
	Title string
	// Kind is what the model is used for.
	Kind Kind
	// Origin is the upstream it is downloaded from.
	Origin Origin
	// CacheName is the entry in virnucpro's cache and in VIRNUCPRO_MODELS_DIR: a file
	// name, or a directory name when Dir is set. For fair-esm models it is also the
	// file name in the torch hub cache (hub/checkpoints/).
	CacheName string
	// Dir marks a directory model (Files live inside CacheName/).
	Dir bool
	// Files are the files downloaded.
	Files []File
	// Require lists, for a directory model, the files a usable copy must hold; each
	// group is satisfied by any one of its names (weights may be .bin or .safetensors).
	Require [][]string
	// HFRepo is the Hugging Face repository (zhihan1996/DNABERT-S) whose hub-cache
	// snapshots are searched, and downloaded from for OriginHuggingFace; "" for none.
	HFRepo string
	// HFRequire is Require for a snapshot of HFRepo (defaults to Require).
	HFRequire [][]string
	// Revision is the pinned HFRepo commit downloaded (OriginHuggingFace only).
	Revision string
	// Source documents the upstream location.
	Source string
}

// notPublished is the DigestSource of files whose digest upstream does not publish.
const notPublished = "not published upstream and not known offline: recorded at first download into the cache manifest, then checked by `weights verify`"

// hfDir is what a Hugging Face model directory needs to load (config + weights).
var hfDir = [][]string{{"config.json"}, {"model.safetensors", "pytorch_model.bin", "model.safetensors.index.json"}}

// catalog is the table of models.
var catalog = []Model{
	{
		Name: "esm2-3b", Title: "ESM-2 3B", Kind: KindESM, Origin: OriginFairESM,
		CacheName: "esm2_t36_3B_UR50D.pt",
		Files:     []File{{Name: "esm2_t36_3B_UR50D.pt", DigestSource: notPublished, MaxSize: 8 << 30}},
		// The transformers conversion of the same weights, found in a hub cache.
		HFRepo: "facebook/esm2_t36_3B_UR50D", HFRequire: hfDir,
		Source: "fair-esm esm/pretrained.py esm2_t36_3B_UR50D -> " + DefaultESMBaseURL + "esm2_t36_3B_UR50D.pt (~5.7 GB); " +
			"the <name>-contact-regression.pt file fair-esm also fetches is not needed for embeddings",
	},
	{
		Name: "esm2-650m", Title: "ESM-2 650M", Kind: KindESM, Origin: OriginFairESM,
		CacheName: "esm2_t33_650M_UR50D.pt",
		Files:     []File{{Name: "esm2_t33_650M_UR50D.pt", DigestSource: notPublished, MaxSize: 4 << 30}},
		HFRepo:    "facebook/esm2_t33_650M_UR50D", HFRequire: hfDir,
		Source: "fair-esm esm/pretrained.py esm2_t33_650M_UR50D -> " + DefaultESMBaseURL + "esm2_t33_650M_UR50D.pt (~2.5 GB)",
	},
	{
		Name: "dnabert-s", Title: "DNABERT-S", Kind: KindDNABERT, Origin: OriginHuggingFace,
		CacheName: "DNABERT-S", Dir: true,
		// The Go port needs only the architecture (config.json), the tokenizer and the
		// weights; the repository's remote Python code (bert_layers.py, ...) and the
		// tokenizer_config/special_tokens files are not used (shared/docs/model-reference.md §4-5).
		// The weights come first: a download refused for its digest then leaves nothing.
		Files: []File{
			{Name: "pytorch_model.bin", SHA256: "f3cfc3d0541859df64759e758cc4bc40fe1d5760799a7d098a9f9f09501c1e5f",
				DigestSource: "the sha256 MultiMolecule's DNABERT-S fixture generator asserts for pytorch_model.bin at revision " +
					DNABERTSRevision + " (CHECKPOINT_SHA256); Hugging Face also sends it as the LFS X-Linked-Etag, which must agree",
				MaxSize: 1 << 30},
			{Name: "config.json", DigestSource: "a plain git file, not LFS (Hugging Face's ETag is its git blob sha1, not a sha256): " + notPublished, MaxSize: 1 << 20},
			{Name: "tokenizer.json", DigestSource: "a plain git file, not LFS: " + notPublished, MaxSize: 64 << 20},
		},
		Require:  [][]string{{"config.json"}, {"tokenizer.json"}, {"model.safetensors", "pytorch_model.bin"}},
		HFRepo:   "zhihan1996/DNABERT-S",
		Revision: DNABERTSRevision,
		Source:   "https://huggingface.co/zhihan1996/DNABERT-S (the model VirNucPro's units.py loads with AutoModel.from_pretrained; ~470 MB)",
	},
	{
		Name: "classifier-300", Title: "VirNucPro classifier, 300 bp", Kind: KindClassifier, Origin: OriginClassifier,
		CacheName: "300_model.pth",
		Files: []File{{Name: "300_model.pth", DigestSource: classifierBlobSource,
			GitBlobSHA1: "a0b5b85e7c1e44f00cde146d091beb82b2c8e855", MaxSize: 64 << 20}},
		Source: "github.com/Li-Jing-1997/VirNucPro 300_model.pth (repository root; see DefaultClassifierBaseURL)",
	},
	{
		Name: "classifier-500", Title: "VirNucPro classifier, 500 bp", Kind: KindClassifier, Origin: OriginClassifier,
		CacheName: "500_model.pth",
		Files: []File{{Name: "500_model.pth", DigestSource: classifierBlobSource,
			GitBlobSHA1: "fc35d5ef9f1f4564eea7036f34f4f8ec6000d33d", MaxSize: 64 << 20}},
		Source: "github.com/Li-Jing-1997/VirNucPro 500_model.pth (repository root; see DefaultClassifierBaseURL)",
	},
}

// Models returns the catalog, in its fixed order.
func Models() []Model { return append([]Model(nil), catalog...) }

// Names lists the catalog's model names.
func Names() []string {
	out := make([]string, len(catalog))
	for i, m := range catalog {
		out[i] = m.Name
	}
	return out
}

// Lookup finds a model by name.
func Lookup(name string) (Model, error) {
	for _, m := range catalog {
		if m.Name == name {
			return m, nil
		}
	}
	return Model{}, fmt.Errorf("unknown model %q (known: %s, or all)", name, strings.Join(Names(), ", "))
}

// Select expands command-line names ("all" = every model) into models, in catalog
// order and without duplicates.
func Select(names []string) ([]Model, error) {
	want := map[string]bool{}
	for _, n := range names {
		if n == "all" {
			for _, m := range catalog {
				want[m.Name] = true
			}
			continue
		}
		if _, err := Lookup(n); err != nil {
			return nil, err
		}
		want[n] = true
	}
	var out []Model
	for _, m := range catalog {
		if want[m.Name] {
			out = append(out, m)
		}
	}
	return out, nil
}

// ErrNoClassifier marks a chunk size for which VirNucPro released no classifier.
var ErrNoClassifier = errors.New("no released classifier")

// ClassifierFor is the released classifier matching a chunk size (300 or 500 bp).
func ClassifierFor(chunkSize int) (Model, error) {
	m, err := Lookup(fmt.Sprintf("classifier-%d", chunkSize))
	if err != nil {
		return Model{}, fmt.Errorf("%w for %d bp chunks (VirNucPro released 300 and 500 bp models)", ErrNoClassifier, chunkSize)
	}
	return m, nil
}

// CachePath is the relative path of one of the model's files in a cache directory.
func (m Model) CachePath(f File) string {
	if m.Dir {
		return m.CacheName + "/" + f.Name
	}
	return m.CacheName
}

// pinned is the pinned digest of the cache-relative path rel ("" if none).
func pinned(rel string) string {
	for _, m := range catalog {
		for _, f := range m.Files {
			if m.CachePath(f) == rel {
				return f.SHA256
			}
		}
	}
	return ""
}

// catalogFile finds the catalog file with the cache-relative path rel.
func catalogFile(rel string) (File, bool) {
	for _, m := range catalog {
		for _, f := range m.Files {
			if m.CachePath(f) == rel {
				return f, true
			}
		}
	}
	return File{}, false
}

// cachePaths lists every catalog file's cache-relative path, sorted.
func cachePaths() []string {
	var out []string
	for _, m := range catalog {
		for _, f := range m.Files {
			out = append(out, m.CachePath(f))
		}
	}
	sort.Strings(out)
	return out
}
