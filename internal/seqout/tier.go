package seqout

import (
	"errors"
	"fmt"
	"strings"
)

// tierRanks orders the tiers written in sequences.tsv, most confident first: the
// Broad's names and this tool's earlier ones ("high", "medium", "low").
var tierRanks = map[string]int{
	"high_confidence": 3, "high": 3,
	"moderate_confidence": 2, "moderate": 2, "medium": 2,
	"low_confidence": 1, "low": 1,
	"review": 0,
}

// TierNames lists the accepted --min-tier values, most confident first.
var TierNames = []string{"high_confidence", "moderate_confidence", "low_confidence", "review"}

// ErrMinTier marks a minimum tier that is not one of TierNames.
var ErrMinTier = errors.New("minimum tier")

// ParseMinTier checks a --min-tier value: one of TierNames ("" is "review": every
// Viral record).
func ParseMinTier(s string) (int, error) {
	if s == "" {
		return 0, nil
	}
	r, ok := tierRanks[strings.ToLower(s)]
	if !ok {
		return 0, fmt.Errorf("%w %q: must be one of %s", ErrMinTier, s, strings.Join(TierNames, ", "))
	}
	return r, nil
}

// tierRank is the rank of a tier read from sequences.tsv; ok is false for NA and unknown
// names.
func tierRank(s string) (int, bool) {
	r, ok := tierRanks[s]
	return r, ok
}
