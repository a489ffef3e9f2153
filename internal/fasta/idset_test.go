package fasta

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"
)

// TestIDSetExact adds ids under hashes that collide in various ways and checks that
// exactly the repeated ids are reported, with the line they were first seen on.
func TestIDSetExact(t *testing.T) {
	hashes := map[string]func(string) uint64{
		"fnv":              HashID,
		"all collide":      func(string) uint64 { return 42 },
		"same fingerprint": func(id string) uint64 { return 7<<offsetBits | HashID(id)&0xff },
		"same bucket":      func(id string) uint64 { return HashID(id) &^ 0xffff },
		"two values":       func(id string) uint64 { return uint64(len(id) % 2) },
	}
	for name, h := range hashes {
		t.Run(name, func(t *testing.T) {
			s, err := newIDSet(t.TempDir(), 16)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			s.Hash = h
			n := 300 // several growths of the 16-slot table
			if name == "fnv" {
				n = 3000
			}
			for i := 0; i < n; i++ {
				if l, dup, err := s.Add(fmt.Sprintf("read_%d", i), i+1); err != nil || dup {
					t.Fatalf("add read_%d: dup=%v (line %d) err=%v", i, dup, l, err)
				}
			}
			for _, i := range []int{0, 1, 11, 12, 13, 100, n - 1} {
				l, dup, err := s.Add(fmt.Sprintf("read_%d", i), 99999)
				if err != nil || !dup || l != i+1 {
					t.Fatalf("re-add read_%d: dup=%v line=%d err=%v, want dup at line %d", i, dup, l, err, i+1)
				}
			}
			if _, dup, _ := s.Add("read_new", 1); dup {
				t.Fatal("a new id reported as duplicate")
			}
			if s.Len() != n+1 {
				t.Fatalf("Len %d, want %d", s.Len(), n+1)
			}
		})
	}
}

// TestIDSetRandom compares the set with a map on random ids (seed logged).
func TestIDSetRandom(t *testing.T) {
	seed := uint64(20261203)
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 1))
	s, err := NewIDSet("")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	want := map[string]int{}
	for i := 0; i < 20000; i++ {
		id := fmt.Sprintf("r%d", rng.IntN(15000))
		if i%97 == 0 {
			id += string(make([]byte, rng.IntN(300))) // long ids
		}
		first, seen := want[id]
		l, dup, err := s.Add(id, i+1)
		if err != nil {
			t.Fatal(err)
		}
		if dup != seen || (seen && l != first) {
			t.Fatalf("id %q: dup=%v line=%d, want %v line=%d", id, dup, l, seen, first)
		}
		if !seen {
			want[id] = i + 1
		}
	}
}

// TestIDSetMemory measures the memory per id (table and heap growth): at most 24
// bytes whatever the ids' length (they live in the spill file).
func TestIDSetMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates 1e6 ids")
	}
	s, err := NewIDSet(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	const n = 1 << 20
	for i := 0; i < n; i++ {
		if _, _, err := s.Add(fmt.Sprintf("a_rather_long_read_identifier_%d/1", i), i+1); err != nil {
			t.Fatal(err)
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	// The table lives outside the Go heap (allocSlots): count it and the heap growth.
	per := (float64(int64(after.HeapAlloc)-int64(before.HeapAlloc)) + float64(8*len(s.slots))) / n
	t.Logf("%.1f bytes per id (%d slots)", per, len(s.slots))
	if per > 24 {
		t.Fatalf("%.1f bytes per id, want <= 24", per)
	}
}
