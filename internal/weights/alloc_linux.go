package weights

import (
	"os"
	"path/filepath"
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

// hugePagePolicy decides, once, whether allocFloat32 advises huge pages, and why.
var hugePagePolicy = sync.OnceValues(func() (bool, string) {
	switch {
	case !thpEnabled():
		return false, "not advised: transparent huge pages are off (or absent) in this kernel"
	case reportsFreePages():
		return false, "not advised: this virtual machine returns free memory to its host (virtio-balloon free page reporting), " +
			"and huge pages are taken from exactly the 2 MiB blocks it returned, which the host must fault in again: slower than small pages here"
	}
	return true, "advised (madvise MADV_HUGEPAGE) for converted weights"
})

// hugePagesAvailable reports whether allocFloat32 advises huge pages.
func hugePagesAvailable() bool { ok, _ := hugePagePolicy(); return ok }

// thpEnabled reports, once, whether advised memory can get 2 MiB transparent huge
// pages in this kernel.
var thpEnabled = sync.OnceValue(func() bool {
	return thpAllows(readSysfs(thpSysfs+"enabled"), readSysfs(thpSysfs+"hugepages-2048kB/enabled"))
})

// thpAllows reads the global THP setting and the 2 MiB size's own (Linux 6.8+,
// multi-size THP; "" where the kernel has none): whether madvise(MADV_HUGEPAGE)
// gets 2 MiB pages. The size's own setting wins unless it is "inherit"; "always"
// and "madvise" allow them, "never" does not.
func thpAllows(global, own string) bool {
	v := thpSetting(own)
	if v == "" || v == "inherit" {
		v = thpSetting(global)
	}
	return v == "always" || v == "madvise"
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

// reportsFreePages reports, once, whether a virtio balloon device of this virtual
// machine has free page reporting on: the kernel then hands free 2 MiB blocks back
// to the host, and memory taken from them costs a host page fault per 4 KiB when it
// is first written (measured on a Firecracker VM: 2.3–3.5 s of system time per GB,
// against ~0.3 s with huge pages and ~1 s with small pages on memory still backed).
var reportsFreePages = sync.OnceValue(func() bool {
	paths, _ := filepath.Glob("/sys/bus/virtio/drivers/virtio_balloon/virtio*/features")
	for _, p := range paths {
		if balloonReports(readSysfs(p)) {
			return true
		}
	}
	return false
})

// balloonReportingBit is VIRTIO_BALLOON_F_REPORTING, the free page reporting
// feature of a virtio balloon device.
const balloonReportingBit = 5

// balloonReports reads a virtio device's sysfs features (one '0' or '1' per
// feature bit, bit 0 first): whether free page reporting was negotiated.
func balloonReports(features string) bool {
	return len(features) > balloonReportingBit && features[balloonReportingBit] == '1'
}

func readSysfs(path string) string {
	b, _ := os.ReadFile(path)
	return string(b)
}
