package weights

import (
	"os"
	"syscall"
)

// mapFile maps a file read-only (falling back to reading it). The mapping lives as
// long as the process: tensors alias it.
func mapFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.Size() == 0 {
		return []byte{}, nil
	}
	if data, err := syscall.Mmap(int(f.Fd()), 0, int(st.Size()), syscall.PROT_READ, syscall.MAP_SHARED); err == nil {
		return data, nil
	}
	return os.ReadFile(path)
}
