//go:build static

package cpu

// staticBuild is true in the static build (-tags static), which leaves out the
// run-time library loader and so cannot use OpenBLAS.
const staticBuild = true

// openOpenBLAS fails: the static build loads no shared objects.
func openOpenBLAS(string, string) (*OpenBLAS, error) { return nil, ErrStaticBuild }
