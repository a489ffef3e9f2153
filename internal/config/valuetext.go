package config

import (
	"strings"

	"github.com/spf13/pflag"
)

// ValueHint says in plain words what a flag of f's type takes, for an error about a
// value it refused (pflag's own errors quote Go's strconv).
func ValueHint(f *pflag.Flag) string {
	t := f.Value.Type()
	switch {
	case strings.HasPrefix(t, "int") || strings.HasPrefix(t, "uint"):
		return "want a whole number"
	case strings.HasPrefix(t, "float"):
		return "want a number"
	case t == "duration":
		return "want a duration such as 90s, 15m or 1h"
	case t == "bool":
		return "want 1/true/yes or 0/false/no"
	}
	if u, ok := f.Value.(interface{ Usage() string }); ok {
		return "want " + u.Usage()
	}
	return "not a valid value for --" + f.Name
}
