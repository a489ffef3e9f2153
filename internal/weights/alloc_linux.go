package weights

import (
	"os"
	"strings"
	"sync"
	"syscall"
)

// adviseHuge asks the kernel to back b (2 MiB-aligned, inside the Go heap) with
// transparent huge pages when it is first touched. It is advice: a kernel that
// cannot (no free huge page, THP off) uses small pages, and an error changes nothing.
func adviseHuge(b []byte) { _ = syscall.Madvise(b, syscall.MADV_HUGEPAGE) }

// thpSysfs is where the kernel publishes its transparent huge page settings.
const thpSysfs = "/sys/kernel/mm/transparent_hugepage/"

// hugePagesAvailable reports, once, whether advised memory can get 2 MiB
// transparent huge pages: the 2 MiB size's own setting where the kernel has one
// (Linux 6.8+, multi-size THP) unless it defers to the global one ("inherit"), else
// the global setting; "always" and "madvise" allow it, "never" (or no THP) does not.
var hugePagesAvailable = sync.OnceValue(func() bool {
	return thpAllows(readSysfs(thpSysfs+"enabled"), readSysfs(thpSysfs+"hugepages-2048kB/enabled"))
})

// thpAllows reads the global THP setting and the 2 MiB size's own ("" where the
// kernel has none): whether madvise(MADV_HUGEPAGE) gets 2 MiB pages.
func thpAllows(global, own string) bool {
	v := thpSetting(own)
	if v == "" || v == "inherit" {
		v = thpSetting(global)
	}
	return v == "always" || v == "madvise"
}

func readSysfs(path string) string {
	b, _ := os.ReadFile(path)
	return string(b)
}

// thpSetting returns the selected value of a sysfs THP setting, the word in
// brackets ("always [madvise] never" is "madvise"), or "" when there is none.
func thpSetting(s string) string {
	_, rest, ok := strings.Cut(s, "[")
	if !ok {
		return ""
	}
	v, _, ok := strings.Cut(rest, "]")
	if !ok {
		return ""
	}
	return v
}
