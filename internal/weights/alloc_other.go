//go:build !linux

package weights

// adviseHuge is a no-op: transparent huge pages are advised on Linux only.
func adviseHuge(b []byte) {}

// hugePagesAvailable reports that huge pages are not advised on this system.
func hugePagesAvailable() bool { return false }
