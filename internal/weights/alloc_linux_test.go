package weights

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"unsafe"
)

// TestThpAllows: the selected setting, the 2 MiB size's own overriding the global
// one unless it inherits it.
func TestThpAllows(t *testing.T) {
	for _, c := range []struct {
		global, own string
		want        bool
	}{
		{"always [madvise] never\n", "", true},
		{"[always] madvise never\n", "", true},
		{"always madvise [never]\n", "", false},
		{"", "", false}, // no THP in this kernel
		{"always madvise [never]\n", "always inherit [madvise] never\n", true},
		{"always [madvise] never\n", "always inherit madvise [never]\n", false},
		{"always [madvise] never\n", "always [inherit] madvise never\n", true},
		{"always madvise [never]\n", "always [inherit] madvise never\n", false},
		{"[madvise", "", false}, // malformed
	} {
		if got := thpAllows(c.global, c.own); got != c.want {
			t.Errorf("thpAllows(%q, %q) = %v, want %v", c.global, c.own, got, c.want)
		}
	}
}

// TestBalloonReports: free page reporting is feature bit 5 of a virtio balloon
// device's sysfs features string.
func TestBalloonReports(t *testing.T) {
	for _, c := range []struct {
		features string
		want     bool
	}{
		{"01100101000000000000000000000000100000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000\n", true},
		{"01100001000000000000000000000000100000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000\n", false},
		{"00000", false},
		{"000001", true},
		{"", false},
	} {
		if got := balloonReports(c.features); got != c.want {
			t.Errorf("balloonReports(%.8q…) = %v, want %v", c.features, got, c.want)
		}
	}
}

// TestHugePagePolicy: the policy agrees with its parts and always says why.
func TestHugePagePolicy(t *testing.T) {
	advised, why := HugePages()
	if advised != (thpEnabled() && !reportsFreePages()) || why == "" {
		t.Errorf("HugePages() = %v, %q with THP enabled %v, free page reporting %v", advised, why, thpEnabled(), reportsFreePages())
	}
	t.Logf("huge pages %s", why)
}

// TestAllocFloat32Advises: where the kernel has transparent huge pages, the
// advised part of a large destination (advice forced) lies in a mapping that /proc/self/smaps marks "hg".
func TestAllocFloat32Advises(t *testing.T) {
	if !thpEnabled() {
		t.Skip("transparent huge pages are off in this kernel")
	}
	defer func(f func() bool) { useHugePages = f }(useHugePages)
	useHugePages = func() bool { return true }
	v := allocFloat32(3 * hugeMin / 4)
	lo, _ := alignedInterior(uintptr(unsafe.Pointer(&v[0])), 4*len(v), hugePageSize)
	flags, err := vmFlags(uintptr(unsafe.Pointer(&v[0])) + uintptr(lo))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(" "+flags+" ", " hg ") {
		t.Errorf("advised destination's mapping has VmFlags %q, want hg among them", flags)
	}
	runtime.KeepAlive(v)
}

// vmFlags returns the VmFlags of the mapping in /proc/self/smaps that holds addr.
func vmFlags(addr uintptr) (string, error) {
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		return "", err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	inside := false
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		switch {
		case len(fields) == 0:
		case fields[0] == "VmFlags:" && inside:
			return strings.Join(fields[1:], " "), nil
		case !strings.HasSuffix(fields[0], ":"): // a mapping's first line: lo-hi perms ...
			l, h, _ := strings.Cut(fields[0], "-")
			lo, err1 := strconv.ParseUint(l, 16, 64)
			hi, err2 := strconv.ParseUint(h, 16, 64)
			inside = err1 == nil && err2 == nil && uint64(addr) >= lo && uint64(addr) < hi
		}
	}
	return "", fmt.Errorf("no mapping holds %#x in /proc/self/smaps", addr)
}
