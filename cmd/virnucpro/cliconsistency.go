package main

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/virnucpro/virnucpro/internal/config"
)

// aliasFlags makes each alias name parse as its canonical flag (for options renamed
// so that every command spells them the same: --size is --chunk-size, --model is
// --classifier). Aliases do not show in the help.
func aliasFlags(fs *pflag.FlagSet, aliases map[string]string) {
	prev := fs.GetNormalizeFunc()
	fs.SetNormalizeFunc(func(f *pflag.FlagSet, name string) pflag.NormalizedName {
		if canonical, ok := aliases[name]; ok {
			name = canonical
		}
		return prev(f, name)
	})
}

// pflagValueError is pflag's text for a value its type refuses.
var pflagValueError = regexp.MustCompile(`^invalid argument "(.*)" for "(?:-\w, )?--([\w-]+)" flag: `)

// userFlagError rewrites pflag's errors about refused values, which quote Go's strconv
// ("strconv.ParseInt: parsing ..."), as what the option takes.
func userFlagError(cmd *cobra.Command, err error) error {
	m := pflagValueError.FindStringSubmatch(err.Error())
	if m == nil {
		return err
	}
	f := cmd.Flags().Lookup(m[2])
	if f == nil {
		return err
	}
	hint := config.ValueHint(f)
	if !strings.Contains(err.Error(), "strconv.") && !strings.Contains(err.Error(), "time: ") {
		hint = strings.TrimPrefix(err.Error(), m[0])
	}
	return fmt.Errorf("--%s %q: %s", f.Name, m[1], hint)
}

// setupCLI applies the rules every command shares: a bare --version, errors in the
// user's words.
func setupCLI(root *cobra.Command) {
	root.SetVersionTemplate("{{.Version}}\n")
	root.SetFlagErrorFunc(userFlagError)
}
