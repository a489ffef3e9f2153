// Package tokenize is a Hugging Face BPE tokenizer (tokenizer.json) written by hand to
// give exactly the ids of the Rust `tokenizers` library for the DNABERT-2/DNABERT-S
// tokenizer: Whitespace pre-tokenizer, BPE with merge ranks, per-character [UNK],
// and a TemplateProcessing post-processor ([CLS] $A [SEP]).
package tokenize

import (
	"container/heap"
	"encoding/json"
	"fmt"
	"github.com/virnucpro/virnucpro/internal/weights"
	"strings"
	"unicode"
)

// BPE is a loaded tokenizer.
type BPE struct {
	vocab  map[string]int32
	tokens []string // id -> token
	merges map[[2]int32]merge
	unk    int32
	// single is the post-processor template: token ids, with -1 for the sequence.
	single []int32
}

type merge struct {
	rank  int
	newID int32
}

type tokenizerJSON struct {
	AddedTokens []struct {
		ID      int32  `json:"id"`
		Content string `json:"content"`
	} `json:"added_tokens"`
	Normalizer    json.RawMessage `json:"normalizer"`
	PreTokenizer  json.RawMessage `json:"pre_tokenizer"`
	PostProcessor json.RawMessage `json:"post_processor"`
	Model         struct {
		Type                    string            `json:"type"`
		Vocab                   map[string]int32  `json:"vocab"`
		Merges                  []json.RawMessage `json:"merges"`
		UnkToken                *string           `json:"unk_token"`
		FuseUnk                 bool              `json:"fuse_unk"`
		ContinuingSubwordPrefix *string           `json:"continuing_subword_prefix"`
		EndOfWordSuffix         *string           `json:"end_of_word_suffix"`
	} `json:"model"`
}

// MaxTokenizerBytes bounds tokenizer.json (DNABERT-S's is under 200 KB).
const MaxTokenizerBytes = 64 << 20

// Load reads a tokenizer.json. Only the features the DNABERT tokenizers use are
// accepted; anything else is refused rather than silently tokenized differently.
func Load(path string) (*BPE, error) {
	data, err := weights.ReadFileBounded(path, MaxTokenizerBytes)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	bpe, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("tokenizer %s: %w", path, err)
	}
	return bpe, nil
}

// Parse decodes tokenizer.json bytes.
func Parse(data []byte) (*BPE, error) {
	var tj tokenizerJSON
	if err := json.Unmarshal(data, &tj); err != nil {
		return nil, err
	}
	if tj.Model.Type != "BPE" {
		return nil, fmt.Errorf("model type %q: only BPE is supported", tj.Model.Type)
	}
	if tj.Model.FuseUnk || (tj.Model.ContinuingSubwordPrefix != nil && *tj.Model.ContinuingSubwordPrefix != "") ||
		(tj.Model.EndOfWordSuffix != nil && *tj.Model.EndOfWordSuffix != "") {
		return nil, fmt.Errorf("fuse_unk / subword prefixes / suffixes are not supported")
	}
	if s := strings.TrimSpace(string(tj.Normalizer)); s != "" && s != "null" {
		return nil, fmt.Errorf("normalizer %s is not supported", s)
	}
	var pre struct {
		Type string `json:"type"`
	}
	if s := strings.TrimSpace(string(tj.PreTokenizer)); s != "" && s != "null" {
		if err := json.Unmarshal(tj.PreTokenizer, &pre); err != nil || pre.Type != "Whitespace" {
			return nil, fmt.Errorf("pre_tokenizer %s is not supported (want Whitespace)", s)
		}
	}
	// Checked before the added tokens go in: a file without model.vocab (a null or
	// absent map) is refused here instead of writing into a nil map.
	if len(tj.Model.Vocab) == 0 {
		return nil, fmt.Errorf("model.vocab: no vocabulary")
	}
	b := &BPE{vocab: tj.Model.Vocab, merges: make(map[[2]int32]merge, len(tj.Model.Merges))}
	for _, a := range tj.AddedTokens {
		if _, ok := b.vocab[a.Content]; !ok {
			b.vocab[a.Content] = a.ID
		}
	}
	maxID := int32(-1)
	for tok, id := range b.vocab {
		// Ids index a table: each must lie within the count of tokens the file lists,
		// so a huge or negative id is refused before the table is allocated.
		if id < 0 || int(id) >= len(b.vocab) {
			return nil, fmt.Errorf("model.vocab: token %q has id %d, outside 0..%d (the vocabulary holds %d tokens)", tok, id, len(b.vocab)-1, len(b.vocab))
		}
		maxID = max(maxID, id)
	}
	b.tokens = make([]string, maxID+1)
	for tok, id := range b.vocab {
		b.tokens[id] = tok
	}
	if tj.Model.UnkToken == nil {
		return nil, fmt.Errorf("no unk_token")
	}
	unk, ok := b.vocab[*tj.Model.UnkToken]
	if !ok {
		return nil, fmt.Errorf("unk_token %q not in the vocabulary", *tj.Model.UnkToken)
	}
	b.unk = unk
	for rank, raw := range tj.Model.Merges {
		var pair []string
		var s string
		if err := json.Unmarshal(raw, &s); err == nil {
			pair = strings.Split(s, " ")
		} else if err := json.Unmarshal(raw, &pair); err != nil {
			return nil, fmt.Errorf("merge %d: %s", rank, raw)
		}
		if len(pair) != 2 {
			return nil, fmt.Errorf("merge %d: %s is not a pair", rank, raw)
		}
		l, okl := b.vocab[pair[0]]
		r, okr := b.vocab[pair[1]]
		n, okn := b.vocab[pair[0]+pair[1]]
		if !okl || !okr || !okn {
			return nil, fmt.Errorf("merge %d (%s %s) uses tokens missing from the vocabulary", rank, pair[0], pair[1])
		}
		if _, dup := b.merges[[2]int32{l, r}]; !dup {
			b.merges[[2]int32{l, r}] = merge{rank: rank, newID: n}
		}
	}
	if err := b.parseTemplate(tj.PostProcessor); err != nil {
		return nil, err
	}
	return b, nil
}

func (b *BPE) parseTemplate(raw json.RawMessage) error {
	if s := strings.TrimSpace(string(raw)); s == "" || s == "null" {
		b.single = []int32{-1}
		return nil
	}
	var pp struct {
		Type   string `json:"type"`
		Single []struct {
			SpecialToken *struct {
				ID string `json:"id"`
			} `json:"SpecialToken"`
			Sequence *struct {
				ID string `json:"id"`
			} `json:"Sequence"`
		} `json:"single"`
	}
	if err := json.Unmarshal(raw, &pp); err != nil || pp.Type != "TemplateProcessing" {
		return fmt.Errorf("post_processor %s is not supported (want TemplateProcessing)", raw)
	}
	for _, piece := range pp.Single {
		switch {
		case piece.Sequence != nil:
			b.single = append(b.single, -1)
		case piece.SpecialToken != nil:
			id, ok := b.vocab[piece.SpecialToken.ID]
			if !ok {
				return fmt.Errorf("template token %q not in the vocabulary", piece.SpecialToken.ID)
			}
			b.single = append(b.single, id)
		}
	}
	return nil
}

// VocabSize is the number of token ids.
func (b *BPE) VocabSize() int { return len(b.tokens) }

// Token returns the string of a token id.
func (b *BPE) Token(id int32) string {
	if id < 0 || int(id) >= len(b.tokens) {
		return ""
	}
	return b.tokens[id]
}

// UnkID is the [UNK] id.
func (b *BPE) UnkID() int32 { return b.unk }

// Encode returns the ids of seq with the template's special tokens (e.g. [CLS] ... [SEP]).
func (b *BPE) Encode(seq string) []int32 {
	body := b.EncodeWords(seq)
	out := make([]int32, 0, len(body)+len(b.single))
	for _, id := range b.single {
		if id < 0 {
			out = append(out, body...)
		} else {
			out = append(out, id)
		}
	}
	return out
}

// EncodeWords tokenizes seq without special tokens.
func (b *BPE) EncodeWords(seq string) []int32 {
	var out []int32
	for _, w := range preTokenize(seq) {
		out = b.encodeWord(w, out)
	}
	return out
}

// preTokenize splits like the Whitespace pre-tokenizer, regex \w+|[^\w\s]+.
func preTokenize(s string) []string {
	var words []string
	start, kind := -1, 0 // kind 1 = word chars, 2 = punctuation
	for i, r := range s {
		k := 2
		switch {
		case unicode.IsSpace(r):
			k = 0
		case isWordRune(r):
			k = 1
		}
		if k != kind {
			if kind != 0 && start >= 0 {
				words = append(words, s[start:i])
			}
			start, kind = i, k
		}
	}
	if kind != 0 && start >= 0 {
		words = append(words, s[start:])
	}
	return words
}

// isWordRune is the regex \w (Unicode): letters, marks, digits, connector punctuation.
func isWordRune(r rune) bool {
	return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r) || unicode.Is(unicode.Pc, r) || unicode.Is(unicode.Nl, r)
}

// symbol is one node of the word's linked list during merging.
type symbol struct {
	id         int32
	prev, next int
	size       int // bytes of the original text covered
}

type mergeItem struct {
	rank  int
	pos   int
	newID int32
}

type mergeQueue []mergeItem

func (q mergeQueue) Len() int { return len(q) }
func (q mergeQueue) Less(i, j int) bool {
	if q[i].rank != q[j].rank {
		return q[i].rank < q[j].rank
	}
	return q[i].pos < q[j].pos
}
func (q mergeQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *mergeQueue) Push(x any)   { *q = append(*q, x.(mergeItem)) }
func (q *mergeQueue) Pop() any {
	old := *q
	it := old[len(old)-1]
	*q = old[:len(old)-1]
	return it
}

// encodeWord applies BPE to one word, as tokenizers' Word::merge_all: repeatedly the
// adjacent pair with the lowest merge rank (leftmost on ties) is merged.
func (b *BPE) encodeWord(w string, out []int32) []int32 {
	syms := make([]symbol, 0, len(w))
	for _, r := range w {
		id, ok := b.vocab[string(r)]
		if !ok {
			id = b.unk
		}
		n := len(syms)
		syms = append(syms, symbol{id: id, prev: n - 1, next: n + 1, size: len(string(r))})
	}
	if len(syms) == 0 {
		return out
	}
	syms[len(syms)-1].next = -1
	q := make(mergeQueue, 0, len(syms))
	for i := 0; i+1 < len(syms); i++ {
		if m, ok := b.merges[[2]int32{syms[i].id, syms[i+1].id}]; ok {
			q = append(q, mergeItem{rank: m.rank, pos: i, newID: m.newID})
		}
	}
	heap.Init(&q)
	for q.Len() > 0 {
		top := heap.Pop(&q).(mergeItem)
		s := &syms[top.pos]
		if s.size == 0 || s.next < 0 {
			continue
		}
		next := s.next
		m, ok := b.merges[[2]int32{s.id, syms[next].id}]
		if !ok || m.rank != top.rank || m.newID != top.newID {
			continue // stale entry
		}
		s.id = top.newID
		s.size += syms[next].size
		syms[next].size = 0
		s.next = syms[next].next
		if s.next >= 0 {
			syms[s.next].prev = top.pos
		}
		if s.prev >= 0 {
			if m, ok := b.merges[[2]int32{syms[s.prev].id, s.id}]; ok {
				heap.Push(&q, mergeItem{rank: m.rank, pos: s.prev, newID: m.newID})
			}
		}
		if s.next >= 0 {
			if m, ok := b.merges[[2]int32{s.id, syms[s.next].id}]; ok {
				heap.Push(&q, mergeItem{rank: m.rank, pos: top.pos, newID: m.newID})
			}
		}
	}
	for i := 0; i >= 0; i = syms[i].next {
		out = append(out, syms[i].id)
	}
	return out
}
