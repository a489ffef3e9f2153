package weights

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"strings"
)

// archive is the content of a torch.save zip: its pickle and its storage records.
type archive struct {
	pkl     []byte
	records map[string][]byte // storage key -> raw bytes (aliasing data when stored)
}

// maxInflate bounds what the compressed entries of an n-byte archive may inflate to
// in total (torch.save stores its records uncompressed; a re-zipped file may deflate
// them, but never beyond this): a zip bomb is refused before it is inflated.
func maxInflate(n int) uint64 { return 16*uint64(n) + 1<<20 }

// readArchive finds data.pkl and the data/ records of a torch.save zip, checking
// every entry's declared size against the file before reading it.
func readArchive(data []byte, name string) (*archive, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		if len(data) > 2 && data[0] == 0x80 {
			return nil, fmt.Errorf("%s: legacy (pre-1.6, non-zip) torch.save format is not supported; re-save it with a current PyTorch", name)
		}
		return nil, fmt.Errorf("%s: not a PyTorch zip checkpoint: %v", name, err)
	}
	var pkl *zip.File
	root := ""
	for _, f := range zr.File {
		if strings.HasSuffix(f.Name, "/data.pkl") && strings.Count(f.Name, "/") == 1 {
			pkl, root = f, strings.TrimSuffix(f.Name, "data.pkl")
		}
	}
	if pkl == nil {
		if len(zr.File) > 0 && strings.Contains(zr.File[0].Name, "constants.pkl") {
			return nil, fmt.Errorf("%s: TorchScript archives are not supported", name)
		}
		return nil, fmt.Errorf("%s: no data.pkl in the archive", name)
	}
	a := &archive{records: map[string][]byte{}}
	inflate := maxInflate(len(data))
	read := func(f *zip.File) ([]byte, error) {
		if f.Method == zip.Store {
			off, err := f.DataOffset()
			if err != nil || off < 0 || f.UncompressedSize64 > uint64(len(data)) || uint64(off)+f.UncompressedSize64 > uint64(len(data)) {
				return nil, fmt.Errorf("%s: entry %s: %d bytes declared, lying outside the %d-byte file (truncated?)", name, f.Name, f.UncompressedSize64, len(data))
			}
			return data[off : off+int64(f.UncompressedSize64)], nil
		}
		if f.UncompressedSize64 > inflate {
			return nil, fmt.Errorf("%s: entry %s: declares %d bytes inflated from %d compressed, more than a %d-byte file may hold (zip bomb?)", name, f.Name, f.UncompressedSize64, f.CompressedSize64, len(data))
		}
		inflate -= f.UncompressedSize64
		return inflateEntry(f, name)
	}
	for _, f := range zr.File {
		if !strings.HasPrefix(f.Name, root+"data/") {
			continue
		}
		b, err := read(f)
		if err != nil {
			return nil, err
		}
		a.records[strings.TrimPrefix(f.Name, root+"data/")] = b
	}
	if a.pkl, err = read(pkl); err != nil {
		return nil, err
	}
	return a, nil
}

// inflateEntry reads a compressed entry into a buffer of its declared size; the zip
// reader fails if the entry inflates to more (or less) than that.
func inflateEntry(f *zip.File, name string) ([]byte, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("%s: entry %s: %v", name, f.Name, err)
	}
	defer rc.Close()
	buf := make([]byte, f.UncompressedSize64)
	if _, err := io.ReadFull(rc, buf); err != nil {
		return nil, fmt.Errorf("%s: entry %s: %v (truncated?)", name, f.Name, err)
	}
	var one [1]byte
	if n, err := rc.Read(one[:]); n > 0 || (err != nil && err != io.EOF) {
		return nil, fmt.Errorf("%s: entry %s: inflates to more than its declared %d bytes", name, f.Name, f.UncompressedSize64)
	}
	return buf, nil
}
