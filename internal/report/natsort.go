package report

import "strings"

// NaturalLess orders ids as viral-ngs' natural sort key does: each id split into runs
// of ASCII digits and the text between them, compared run by run (text after lower-
// casing, byte-wise; digit runs as integers of any size), a prefix first. So NODE_2
// precedes NODE_10, and "a1" precedes "a1b".
func NaturalLess(a, b string) bool { return naturalCompare(a, b) < 0 }

func naturalCompare(a, b string) int {
	for i := 0; ; i++ {
		if a == "" && b == "" {
			return 0
		}
		// Every key starts with a (possibly empty) text run and alternates, so the
		// i-th runs of both ids have the same kind.
		digits := i%2 == 1
		if a == "" || b == "" {
			if a == "" {
				return -1
			}
			return 1
		}
		var ra, rb string
		ra, a = splitRun(a, digits)
		rb, b = splitRun(b, digits)
		var c int
		if digits {
			c = compareDigits(ra, rb)
		} else {
			c = strings.Compare(strings.ToLower(ra), strings.ToLower(rb))
		}
		if c != 0 {
			return c
		}
	}
}

// splitRun cuts the leading run of digits (or of non-digits) off s.
func splitRun(s string, digits bool) (run, rest string) {
	i := 0
	for i < len(s) && (s[i] >= '0' && s[i] <= '9') == digits {
		i++
	}
	return s[:i], s[i:]
}

// compareDigits compares two digit runs as integers.
func compareDigits(a, b string) int {
	a, b = strings.TrimLeft(a, "0"), strings.TrimLeft(b, "0")
	if len(a) != len(b) {
		if len(a) < len(b) {
			return -1
		}
		return 1
	}
	return strings.Compare(a, b)
}
