package seqout

import (
	"errors"
	"fmt"
	"strings"

	"github.com/virnucpro/virnucpro/internal/report"
)

// TierNames lists the accepted --min-tier values, most confident first: report's
// tiers without NA (the legacy high/medium/low are accepted too).
var TierNames = func() []string {
	var names []string
	for _, t := range report.Tiers {
		if t != report.TierNone {
			names = append(names, string(t))
		}
	}
	return names
}()

// ErrMinTier marks a minimum tier that is not one of TierNames.
var ErrMinTier = errors.New("minimum tier")

// ParseMinTier checks a --min-tier value: one of TierNames ("" is "review": every
// Viral record).
func ParseMinTier(s string) (int, error) {
	if s == "" {
		return 0, nil
	}
	r, ok := tierRank(strings.ToLower(s))
	if !ok {
		return 0, fmt.Errorf("%w %q: must be one of %s", ErrMinTier, s, strings.Join(TierNames, ", "))
	}
	return r, nil
}

// tierRank is the rank of a tier read from sequences.tsv; ok is false for NA and unknown
// names.
func tierRank(s string) (int, bool) {
	t, ok := report.CanonicalTier(s)
	if !ok {
		return 0, false
	}
	for i, n := range TierNames {
		if n == string(t) {
			return len(TierNames) - 1 - i, true // review 0 ... high_confidence 3
		}
	}
	return 0, false
}
