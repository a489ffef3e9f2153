//go:build !linux

package weights

// adviseHuge is a no-op: transparent huge pages are advised on Linux only.
func adviseHuge(b []byte) {}

// hugePagePolicy reports that huge pages are not advised on this system.
func hugePagePolicy() (bool, string) {
	return false, "not advised: transparent huge pages are advised on Linux only"
}

// hugePagesAvailable reports that allocFloat32 does not advise huge pages here.
func hugePagesAvailable() bool { return false }
