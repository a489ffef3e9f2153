package weights

import (
	"fmt"
	"io"
	"os"
	"syscall"
)

// openRegular opens path for reading, refusing anything but a regular file (after
// symlinks): a FIFO would block forever and a device such as /dev/zero never ends.
func openRegular(path string) (*os.File, os.FileInfo, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, nil, fmt.Errorf("%s is not a regular file (%s)", path, st.Mode().Type())
	}
	return f, st, nil
}

// ReadFileBounded reads a small model file (config.json, tokenizer.json, an index):
// a regular file of at most max bytes, or an error naming it.
func ReadFileBounded(path string, max int64) ([]byte, error) {
	f, st, err := openRegular(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if st.Size() > max {
		return nil, fmt.Errorf("%s: %d bytes, more than the %d such a file may have", path, st.Size(), max)
	}
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("%s: grew past %d bytes while read", path, max)
	}
	return data, nil
}
