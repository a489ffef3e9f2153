package fasta

import "fmt"

// proteinOnly marks the letters that occur in protein sequences but are no IUPAC
// nucleotide code (X is left out: some tools mask nucleotides with it).
var proteinOnly = func() (t [256]bool) {
	for _, c := range "EFIJLOPQZ*" {
		t[c] = true
		t[c|0x20] = true
	}
	return t
}()

// letterError reports a letter outside the required alphabet, adding a hint when the
// letter suggests a protein sequence was given where nucleotides are expected.
func (r *Reader) letterError(id string, line int, c byte, col int) error {
	msg := fmt.Sprintf("letter %q at column %d is not one of the %s", c, col, r.alphaMsg)
	if proteinOnly[c] {
		msg += "; this looks like protein: virnucpro reads nucleotide sequences (DNA or RNA) and translates them itself"
	}
	return r.errf(id, line, "%s", msg)
}
