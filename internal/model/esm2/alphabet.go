// Package esm2 is the ESM-2 protein language model (fair-esm) on a tensor.Backend:
// its alphabet, weight loading from fair-esm checkpoints and Hugging Face
// directories, the exact forward pass, and mean pooling over packed batches.
package esm2

import "fmt"

// Special token ids of the ESM-1b/ESM-2 alphabet.
const (
	TokenCLS  = 0 // <cls>, the BOS token
	TokenPad  = 1
	TokenEOS  = 2
	TokenUnk  = 3
	TokenMask = 32
)

// Alphabet lists the 33 tokens in id order (fair-esm's "ESM-1b" alphabet).
var Alphabet = []string{"<cls>", "<pad>", "<eos>", "<unk>",
	"L", "A", "G", "V", "S", "E", "R", "T", "I", "D", "P", "K", "Q", "N",
	"F", "Y", "M", "H", "W", "C", "X", "B", "U", "Z", "O", ".", "-", "<null_1>", "<mask>"}

var letterID = func() (t [256]int8) {
	for i := range t {
		t[i] = -1
	}
	for id, tok := range Alphabet {
		if len(tok) == 1 {
			t[tok[0]] = int8(id)
		}
	}
	return t
}()

// LetterError reports a residue outside the alphabet (fair-esm raises KeyError).
type LetterError struct {
	Letter byte
	Pos    int
}

func (e *LetterError) Error() string {
	return fmt.Sprintf("residue %q at position %d is not in the ESM-2 alphabet (upper-case amino acids, X B U Z O, '.', '-'); fair-esm would fail with KeyError", e.Letter, e.Pos+1)
}

// Tokenize returns <cls> + residue ids + <eos>, as fair-esm's batch converter.
func Tokenize(protein []byte) ([]int32, error) {
	ids := make([]int32, 0, len(protein)+2)
	ids = append(ids, TokenCLS)
	for i, c := range protein {
		id := letterID[c]
		if id < 0 {
			return nil, &LetterError{Letter: c, Pos: i}
		}
		ids = append(ids, int32(id))
	}
	return append(ids, TokenEOS), nil
}
