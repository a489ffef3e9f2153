package predict

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ShardSpec selects a deterministic share of the input records for scale-out runs:
// record ordinal r belongs to shard r mod Count. The zero value (Count 0) is the whole
// input.
type ShardSpec struct {
	Index, Count int
}

// ParseShardSpec parses "i/N" (0 <= i < N). An empty string is the whole input.
func ParseShardSpec(s string) (ShardSpec, error) {
	if s == "" {
		return ShardSpec{}, nil
	}
	a, b, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(strings.TrimSpace(a))
	n, err2 := strconv.Atoi(strings.TrimSpace(b))
	if !ok || err1 != nil || err2 != nil || n < 1 || i < 0 || i >= n {
		return ShardSpec{}, fmt.Errorf("shard %q: %w", s, ErrShardSpec)
	}
	return ShardSpec{Index: i, Count: n}, nil
}

// ErrShardSpec is a shard that is not i/N with 0 <= i < N.
var ErrShardSpec = errors.New("want i/N with 0 <= i < N, e.g. 0/4")

// ErrShardStdin refuses a shard of standard input.
var ErrShardStdin = errors.New("a shard run needs a file input, not stdin: every shard reads the whole input")

// Owns reports whether the record at ordinal belongs to this shard.
func (s ShardSpec) Owns(ordinal int) bool {
	return s.Count <= 1 || ordinal%s.Count == s.Index
}

// CheckInput refuses a shard of standard input: every shard reads the whole input,
// so it must be a file all of them can open.
func (s ShardSpec) CheckInput(input string) error {
	if s.Count > 0 && input == "-" {
		return ErrShardStdin
	}
	return nil
}

// String is "i/N", or "" for the whole input.
func (s ShardSpec) String() string {
	if s.Count == 0 {
		return ""
	}
	return fmt.Sprintf("%d/%d", s.Index, s.Count)
}
