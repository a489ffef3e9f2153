package testutil

import (
	"strings"
	"testing"
)

func TestSameText(t *testing.T) {
	for _, c := range []struct {
		name, want, got string
		ok              bool
		msg             string
	}{
		{"equal", "a\t0.5\nb\t1\n", "a\t0.5\nb\t1\n", true, ""},
		{"within tolerance", "a\t0.5097753\n", "a\t0.5097749\n", true, ""},
		{"beyond tolerance", "a\t0.5097753\n", "a\t0.5107753\n", false, "line 1: 0.5107753, want 0.5097753"},
		{"label changed", "a\tvirus\t0.5\n", "a\tothers\t0.5\n", false, "beyond numbers"},
		{"line missing", "a\nb\n", "a\n", false, "2 lines, want 3"},
		{"number added", "a 1\n", "a 1 2\n", false, "beyond numbers"},
	} {
		err := sameText(c.want, c.got, 1e-4)
		if (err == nil) != c.ok || err != nil && !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%s: got %v, want ok=%v with %q", c.name, err, c.ok, c.msg)
		}
	}
}

func TestFirstDifference(t *testing.T) {
	for _, c := range []struct{ want, got, msg string }{
		{"a\nb\nc\n", "a\nB\nc\n", "line 2:\n  want \"b\\n\"\n  got  \"B\\n\""},
		{"a\nb\n", "a\n", "line 2:\n  want \"b\\n\"\n  got  \"\""},
		{"a\n", "a\n", "no difference"},
	} {
		if got := FirstDifference(c.want, c.got); !strings.Contains(got, c.msg) {
			t.Errorf("FirstDifference(%q, %q) = %q, want %q", c.want, c.got, got, c.msg)
		}
	}
}
