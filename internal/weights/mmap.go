package weights

import (
	"io"
	"os"
	"sync"
	"syscall"
	"unsafe"
)

// mapped records the file mappings, so that release only ever touches them.
var mapped struct {
	sync.Mutex
	regions [][2]uintptr // [start, end)
}

// mapFile maps a file read-only (falling back to reading it). The mapping lives as
// long as the process: tensors alias it.
func mapFile(path string) ([]byte, error) {
	f, st, err := openRegular(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if st.Size() == 0 {
		return []byte{}, nil
	}
	if data, err := syscall.Mmap(int(f.Fd()), 0, int(st.Size()), syscall.PROT_READ, syscall.MAP_SHARED); err == nil {
		start := uintptr(unsafe.Pointer(&data[0]))
		mapped.Lock()
		mapped.regions = append(mapped.regions, [2]uintptr{start, start + uintptr(len(data))})
		mapped.Unlock()
		return data, nil
	}
	return io.ReadAll(io.LimitReader(f, st.Size()))
}

// release tells the kernel that the pages wholly inside b, when b lies in a file
// mapping, are not needed any more: they leave the process's resident set (a later
// read would fault them in again from the file). Loaders call it once a tensor has
// been converted to a float32 copy, so that a model converted from float16 does not
// also keep its source resident. Memory that is not a file mapping is left alone.
func release(b []byte) {
	if len(b) == 0 {
		return
	}
	lo := uintptr(unsafe.Pointer(&b[0]))
	hi := lo + uintptr(len(b))
	mapped.Lock()
	inside := false
	for _, r := range mapped.regions {
		if lo >= r[0] && hi <= r[1] {
			inside = true
			break
		}
	}
	mapped.Unlock()
	if !inside {
		return
	}
	page := uintptr(os.Getpagesize())
	plo, phi := (lo+page-1)&^(page-1), hi&^(page-1)
	if phi <= plo {
		return
	}
	adviseDontNeed(b[plo-lo : phi-lo])
}
