package fasta

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
)

// IDSet finds duplicate record ids exactly in bounded memory: at most ~21 bytes per
// distinct id (one 8-byte slot per id at a load factor between 3/8 and 3/4), whatever
// the ids' length. Each new id and the line it was first seen on are appended to an
// unlinked spill file (in the directory given to NewIDSet, the temporary directory by
// default); a slot holds 24 bits of the id's 64-bit hash (fingerprint) and the id's
// offset in the spill file. When a slot's bucket and fingerprint match, the id is read
// back from the spill file and compared, so a hash collision never reports a duplicate
// that is not one. Disk use is the total length of the ids plus a few bytes each.
type IDSet struct {
	// Hash is the 64-bit hash of ids (FNV-1a by default); tests inject colliding ones.
	// Set it before the first Add.
	Hash func(id string) uint64

	slots   []uint64 // 0: empty; else fingerprint<<offsetBits | (offset+1)
	n       int
	spill   *os.File
	path    string // removed on Close when it could not be unlinked at creation
	w       *bufio.Writer
	written int64
	scratch []byte
}

const (
	offsetBits = 40 // spill offsets up to 1 TiB
	offsetMask = 1<<offsetBits - 1
	minSlots   = 1 << 10
)

// NewIDSet creates an empty set whose spill file lives in dir ("" for the system's
// temporary directory, $TMPDIR on Unix). Close releases it.
func NewIDSet(dir string) (*IDSet, error) { return newIDSet(dir, minSlots) }

func newIDSet(dir string, slots int) (*IDSet, error) {
	f, err := os.CreateTemp(dir, ".virnucpro-ids-*")
	if err != nil {
		return nil, fmt.Errorf("duplicate-id spill file: %w", err)
	}
	s := &IDSet{Hash: HashID, spill: f, w: bufio.NewWriterSize(f, 1<<16), slots: allocSlots(slots)}
	if os.Remove(f.Name()) != nil { // not unlinkable while open (Windows): remove on Close
		s.path = f.Name()
	}
	return s, nil
}

// HashID is FNV-1a 64, the default IDSet hash.
func HashID(id string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(id); i++ {
		h ^= uint64(id[i])
		h *= 1099511628211
	}
	return h
}

// Len is the number of distinct ids added.
func (s *IDSet) Len() int { return s.n }

// Add records id, first seen on line. When id was added before it returns true and
// the line given then (and does not record it again).
func (s *IDSet) Add(id string, line int) (firstLine int, dup bool, err error) {
	h := s.Hash(id)
	fp := h >> offsetBits
	mask := uint64(len(s.slots) - 1)
	i := h & mask
	for ; s.slots[i] != 0; i = (i + 1) & mask {
		if s.slots[i]>>offsetBits != fp {
			continue
		}
		l, other, err := s.entry(int64(s.slots[i]&offsetMask) - 1)
		if err != nil {
			return 0, false, err
		}
		if other == id {
			return l, true, nil
		}
	}
	off := s.written
	if off >= offsetMask {
		return 0, false, errors.New("duplicate-id spill file: more than 1 TiB of ids")
	}
	if err := s.append(id, line); err != nil {
		return 0, false, err
	}
	s.slots[i] = fp<<offsetBits | uint64(off+1)
	s.n++
	if 4*s.n > 3*len(s.slots) {
		return 0, false, s.grow()
	}
	return 0, false, nil
}

// append writes one spill entry: uvarint line, uvarint length, the id's bytes.
func (s *IDSet) append(id string, line int) error {
	s.scratch = binary.AppendUvarint(s.scratch[:0], uint64(line))
	s.scratch = binary.AppendUvarint(s.scratch, uint64(len(id)))
	s.scratch = append(s.scratch, id...)
	if _, err := s.w.Write(s.scratch); err != nil {
		return fmt.Errorf("duplicate-id spill file: %w", err)
	}
	s.written += int64(len(s.scratch))
	return nil
}

// entry reads back the spill entry at off.
func (s *IDSet) entry(off int64) (int, string, error) {
	if err := s.w.Flush(); err != nil {
		return 0, "", fmt.Errorf("duplicate-id spill file: %w", err)
	}
	br := bufio.NewReaderSize(io.NewSectionReader(s.spill, off, s.written-off), 256)
	line, id, err := readEntry(br)
	if err != nil {
		return 0, "", fmt.Errorf("duplicate-id spill file at %d: %w", off, err)
	}
	return line, id, nil
}

func readEntry(br *bufio.Reader) (int, string, error) {
	line, err := binary.ReadUvarint(br)
	if err != nil {
		return 0, "", err
	}
	n, err := binary.ReadUvarint(br)
	if err != nil {
		return 0, "", noEOF(err)
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(br, b); err != nil {
		return 0, "", noEOF(err)
	}
	return int(line), string(b), nil
}

func uvarintLen(x uint64) int {
	var b [binary.MaxVarintLen64]byte
	return binary.PutUvarint(b[:], x)
}

func noEOF(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// grow doubles the table, rebuilding it from a sequential read of the spill file (the
// slots do not hold whole hashes). The old table is dropped first, so the peak is the
// new table alone.
func (s *IDSet) grow() error {
	if err := s.w.Flush(); err != nil {
		return fmt.Errorf("duplicate-id spill file: %w", err)
	}
	size := 2 * len(s.slots)
	freeSlots(s.slots) // before taking the new table: memory peaks at the new one alone
	s.slots = allocSlots(size)
	mask := uint64(size - 1)
	br := bufio.NewReaderSize(io.NewSectionReader(s.spill, 0, s.written), 1<<16)
	for off := int64(0); off < s.written; {
		line, id, err := readEntry(br)
		if err != nil {
			return fmt.Errorf("duplicate-id spill file at %d: %w", off, noEOF(err))
		}
		h := s.Hash(id)
		i := h & mask
		for s.slots[i] != 0 {
			i = (i + 1) & mask
		}
		s.slots[i] = h>>offsetBits<<offsetBits | uint64(off+1)
		off += int64(uvarintLen(uint64(line)) + uvarintLen(uint64(len(id))) + len(id))
	}
	return nil
}

// Close releases the spill file.
func (s *IDSet) Close() error {
	if s.spill == nil {
		return nil
	}
	err := s.spill.Close()
	if s.path != "" {
		os.Remove(s.path)
	}
	freeSlots(s.slots)
	s.spill, s.slots = nil, nil
	return err
}
