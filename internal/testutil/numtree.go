package testutil

import (
	"encoding/binary"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// number matches the decimal numbers of a text output (scores, coordinates, lengths).
var number = regexp.MustCompile(`[-+]?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?`)

// SameTreeNumeric fails t unless got holds exactly want's files and each file equals
// its reference in every byte outside numbers, with numbers equal within tol
// (absolute or relative). Safetensors files must have the same header, and their
// float32 data must agree within tol. It is SameTree for outputs computed by
// floating-point kernels that round differently on different machines or matrix
// libraries: structure, ids, labels, calls and layout stay exact.
func SameTreeNumeric(t testing.TB, want, got map[string]string, tol float64, what string) {
	t.Helper()
	if len(want) == 0 {
		t.Fatalf("%s: the reference holds no file", what)
	}
	for name, w := range want {
		g, ok := got[name]
		if !ok {
			t.Errorf("%s: %s missing", what, name)
			continue
		}
		var err error
		if strings.HasSuffix(name, ".safetensors") {
			err = sameSafetensors(w, g, tol)
		} else {
			err = sameText(w, g, tol)
		}
		if err != nil {
			t.Errorf("%s: %s: %v", what, name, err)
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("%s: unexpected file %s", what, name)
		}
	}
}

// near reports whether a and b agree within tol, absolutely or relatively.
func near(a, b, tol float64) bool {
	d := math.Abs(a - b)
	return d <= tol || d <= tol*math.Max(math.Abs(a), math.Abs(b))
}

// sameText compares two texts line by line: the text around the numbers exactly,
// the numbers within tol.
func sameText(want, got string, tol float64) error {
	wl, gl := strings.SplitAfter(want, "\n"), strings.SplitAfter(got, "\n")
	if len(wl) != len(gl) {
		return fmt.Errorf("%d lines, want %d: %s", len(gl), len(wl), FirstDifference(want, got))
	}
	for i := range wl {
		if wl[i] == gl[i] {
			continue
		}
		ws, gs := number.Split(wl[i], -1), number.Split(gl[i], -1)
		wn, gn := number.FindAllString(wl[i], -1), number.FindAllString(gl[i], -1)
		if strings.Join(ws, "#") != strings.Join(gs, "#") || len(wn) != len(gn) {
			return fmt.Errorf("line %d differs beyond numbers:\n  want %q\n  got  %q", i+1, cut(wl[i]), cut(gl[i]))
		}
		for k := range wn {
			a, _ := strconv.ParseFloat(wn[k], 64)
			b, _ := strconv.ParseFloat(gn[k], 64)
			if !near(a, b, tol) {
				return fmt.Errorf("line %d: %s, want %s (tolerance %g):\n  want %q\n  got  %q", i+1, gn[k], wn[k], tol, cut(wl[i]), cut(gl[i]))
			}
		}
	}
	return nil
}

// sameSafetensors compares two safetensors files of float32 tensors: the header
// exactly, the data within tol.
func sameSafetensors(want, got string, tol float64) error {
	if len(want) < 8 || len(got) != len(want) {
		return fmt.Errorf("%d bytes, want %d", len(got), len(want))
	}
	n := binary.LittleEndian.Uint64([]byte(want[:8]))
	if n > uint64(len(want))-8 || want[:8+n] != got[:8+n] {
		return fmt.Errorf("header differs: %s", FirstDifference(want[:min(8+n, uint64(len(want)))], got[:min(8+n, uint64(len(got)))]))
	}
	for off := 8 + int(n); off+4 <= len(want); off += 4 {
		a := math.Float32frombits(binary.LittleEndian.Uint32([]byte(want[off:])))
		b := math.Float32frombits(binary.LittleEndian.Uint32([]byte(got[off:])))
		if !near(float64(a), float64(b), tol) {
			return fmt.Errorf("value at byte %d: %g, want %g (tolerance %g)", off, b, a, tol)
		}
	}
	return nil
}
