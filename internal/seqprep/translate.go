package seqprep

import "strconv"

// Frame is one stop-free reading frame of a chunk.
type Frame struct {
	// ID is <chunk id>F1..F3 for the forward strand, R1..R3 for the reverse complement.
	ID string
	// Reverse is true for R frames; Offset (0..2) is the frame's starting base.
	Reverse bool
	Offset  int
	// Nucleotide is the original's nucleotide slice for the frame (upper case; one
	// base longer than its codons when the chunk allows); Protein the translation.
	Nucleotide []byte
	Protein    []byte
}

// codonTable maps the 6-bit code of an ACGT codon (T=0 C=1 A=2 G=3) to its amino acid
// in the standard genetic code ('*' = stop).
const codonTable = "FFLLSSSSYY**CC*WLLLLPPPPHHQQRRRRIIIMTTTTNNKKSSRRVVVVAAAADDEEGGGG"

var baseCode = func() (t [256]int8) {
	for i := range t {
		t[i] = -1
	}
	t['T'], t['C'], t['A'], t['G'] = 0, 1, 2, 3
	return t
}()

var complement = func() (t [256]byte) {
	for i := range t {
		t[i] = byte(i)
	}
	t['A'], t['C'], t['G'], t['T'] = 'T', 'G', 'C', 'A'
	t['a'], t['c'], t['g'], t['t'] = 't', 'g', 'c', 'a'
	return t
}()

// upper returns an upper-cased copy of s (ASCII).
func upper(s []byte) []byte {
	out := make([]byte, len(s))
	for i, c := range s {
		if 'a' <= c && c <= 'z' {
			c -= 'a' - 'A'
		}
		out[i] = c
	}
	return out
}

// ReverseComplement complements A/C/G/T (either case), keeps every other letter, and
// reverses — the original's rule (IUPAC codes are not complemented).
func ReverseComplement(s []byte) []byte {
	out := make([]byte, len(s))
	for i, c := range s {
		out[len(s)-1-i] = complement[c]
	}
	return out
}

// translateFrame translates s from offset in steps of three, skipping (not marking)
// codons that contain anything but A/C/G/T. It returns the protein and whether it has
// a stop codon.
func translateFrame(s []byte, offset int, buf []byte) ([]byte, bool) {
	p := buf[:0]
	stop := false
	for i := offset; i+3 <= len(s); i += 3 {
		a, b, c := baseCode[s[i]], baseCode[s[i+1]], baseCode[s[i+2]]
		if a < 0 || b < 0 || c < 0 {
			continue
		}
		aa := codonTable[int(a)<<4|int(b)<<2|int(c)]
		if aa == '*' {
			stop = true
		}
		p = append(p, aa)
	}
	return p, stop
}

// Translate returns the chunk's kept frames in the original's order F1, F2, F3, R1,
// R2, R3: frames whose translation has no stop codon and is not empty. The slices
// it returns are freshly allocated.
func Translate(chunkID string, chunk []byte) []Frame {
	fwd := upper(chunk)
	rev := ReverseComplement(fwd)
	var frames []Frame
	buf := make([]byte, 0, len(chunk)/3+1)
	for strand, s := range [2][]byte{fwd, rev} {
		for off := 0; off < 3; off++ {
			p, stop := translateFrame(s, off, buf)
			if stop || len(p) == 0 {
				continue
			}
			end := min(off+1+3*len(p), len(s)) // s[k-1 : k+seq_len] with k = off+1
			letter := "F"
			if strand == 1 {
				letter = "R"
			}
			frames = append(frames, Frame{
				ID:         chunkID + letter + strconv.Itoa(off+1),
				Reverse:    strand == 1,
				Offset:     off,
				Nucleotide: append([]byte(nil), s[off:end]...),
				Protein:    append([]byte(nil), p...),
			})
		}
	}
	return frames
}
