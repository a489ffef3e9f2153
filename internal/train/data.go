package train

import (
	"fmt"
	"math"
)

// Set is a labelled feature set in memory (the original loads all features too).
// Each input directory is a group; balanced sampling draws the other class evenly
// across its groups.
type Set struct {
	Dim    int
	X      []float32 // Len()×Dim
	Labels []int
	IDs    []string
	Group  []int    // row -> index into Groups
	Groups []string // input directories
}

// Len is the number of rows.
func (s *Set) Len() int { return len(s.Labels) }

// Row returns row i's features.
func (s *Set) Row(i int) []float32 { return s.X[i*s.Dim : (i+1)*s.Dim] }

// Count returns how many rows carry label l.
func (s *Set) Count(l Label) int {
	n := 0
	for _, y := range s.Labels {
		if y == int(l) {
			n++
		}
	}
	return n
}

// Load reads every feature shard of the viral and the other directories (a path may
// also name one shard file). Rows take the class of the flag they were given under; a
// shard whose recorded label disagrees is an error, as are shards of different
// widths.
func Load(viral, other []string) (*Set, error) {
	s := &Set{}
	// Read every shard first (their float32 data alias the mapped files), then copy
	// once into one matrix, so the peak is the set's size, not twice it.
	var shards []*Shard
	rows := 0
	add := func(dir string, label Label) error {
		files, err := ListShards(dir)
		if err != nil {
			return err
		}
		g := len(s.Groups)
		s.Groups = append(s.Groups, dir)
		for _, f := range files {
			sh, err := ReadShard(f)
			if err != nil {
				return err
			}
			if sh.HasLabel && sh.Label != label {
				return fmt.Errorf("feature shard %s is labelled %s but was given as %s", f, sh.Label, label)
			}
			if s.Dim == 0 {
				s.Dim = sh.Dim
			} else if sh.Dim != s.Dim {
				return fmt.Errorf("feature shard %s has width %d, earlier shards %d", f, sh.Dim, s.Dim)
			}
			shards = append(shards, sh)
			rows += len(sh.IDs)
			s.IDs = append(s.IDs, sh.IDs...)
			for range sh.IDs {
				s.Labels = append(s.Labels, int(label))
				s.Group = append(s.Group, g)
			}
		}
		return nil
	}
	for _, d := range viral {
		if err := add(d, Viral); err != nil {
			return nil, err
		}
	}
	for _, d := range other {
		if err := add(d, Other); err != nil {
			return nil, err
		}
	}
	if rows == 0 {
		return nil, fmt.Errorf("features: no rows in %v / %v", viral, other)
	}
	s.X = make([]float32, 0, rows*s.Dim)
	for _, sh := range shards {
		s.X = append(s.X, sh.Data...)
	}
	return s, nil
}

// BalanceReport says what balanced sampling kept.
type BalanceReport struct {
	Viral, Other         int   // rows available
	KeptViral, KeptOther int   // rows kept
	PerGroup             []int // other rows drawn per group before the final draw (by Set.Groups index; viral groups 0)
}

// Balance picks equal numbers of viral and other rows the way the original's
// features_extract.py does: n = min(#viral, #other); each other group contributes
// up to ceil(n/groups) random rows, and n are drawn at random from that pool (so the
// other class is spread evenly over its sources). If the viral class is the larger,
// n viral rows are drawn at random. It returns row indices, viral first.
func Balance(s *Set, r *RNG) ([]int, BalanceReport) {
	var viral []int
	otherBy := map[int][]int{}
	var groups []int
	for i, y := range s.Labels {
		if y == ClassViral {
			viral = append(viral, i)
			continue
		}
		g := s.Group[i]
		if _, ok := otherBy[g]; !ok {
			groups = append(groups, g)
		}
		otherBy[g] = append(otherBy[g], i)
	}
	rep := BalanceReport{Viral: len(viral), Other: s.Len() - len(viral), PerGroup: make([]int, len(s.Groups))}
	n := min(rep.Viral, rep.Other)
	if n == 0 {
		return nil, rep
	}
	quota := int(math.Ceil(float64(n) / float64(len(groups))))
	var pool []int
	for _, g := range groups {
		picked := r.Sample(otherBy[g], quota)
		rep.PerGroup[g] = len(picked)
		pool = append(pool, picked...)
	}
	if len(pool) < n {
		// Small groups could not fill their quota: top up from the rest of the class.
		seen := map[int]bool{}
		for _, i := range pool {
			seen[i] = true
		}
		var rest []int
		for _, g := range groups {
			for _, i := range otherBy[g] {
				if !seen[i] {
					rest = append(rest, i)
				}
			}
		}
		pool = append(pool, r.Sample(rest, n-len(pool))...)
	}
	others := r.Sample(pool, n)
	if len(viral) > n {
		viral = r.Sample(viral, n)
	}
	rep.KeptViral, rep.KeptOther = len(viral), len(others)
	return append(viral, others...), rep
}

// Split shuffles idx and holds out the first floor(len*valFraction) rows for
// validation, as train.py does (random.shuffle, then indices[:int(total*0.1)]).
func Split(idx []int, valFraction float64, r *RNG) (train, val []int) {
	all := append([]int(nil), idx...)
	r.Shuffle(all)
	nVal := int(float64(len(all)) * valFraction)
	return all[nVal:], all[:nVal]
}
