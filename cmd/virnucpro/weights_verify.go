package main

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/virnucpro/virnucpro/internal/weights/store"
)

func newWeightsVerifyCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "verify",
		Short: "Re-hash every file of the weights cache and check it against its digest",
		Long: `Re-hash every file of virnucpro's weights cache and check it against its pinned
sha256, or the digest recorded when it was downloaded. Exits non-zero, naming the
files, when any differs.`,
		Args: cobra.NoArgs,
		RunE: runWeightsVerify,
	}
}

func runWeightsVerify(cmd *cobra.Command, args []string) error {
	loc, err := store.DefaultLocations()
	if err != nil {
		return err
	}
	checks, err := store.Verify(loc.Cache)
	if err != nil {
		return err
	}
	out := cmd.OutOrStdout()
	if len(checks) == 0 {
		fmt.Fprintf(out, "nothing cached in %s\n", loc.Cache)
		return nil
	}
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "STATUS\tFILE\tSIZE\tSHA256\tCHECKED AGAINST")
	var bad []string
	for _, c := range checks {
		against := c.From
		switch c.Status {
		case store.StatusMismatch:
			bad = append(bad, c.Path)
			against = fmt.Sprintf("%s %s", c.From, c.Want)
		case store.StatusUnrecorded:
			against = "nothing (placed by hand; no digest known)"
		case store.StatusMissing:
			against = "-"
		}
		size, sum := humanBytes(c.Size), c.SHA256
		if c.Status == store.StatusMissing {
			size, sum = "-", "-"
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", c.Status, c.Name, size, sum, against)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if len(bad) > 0 {
		return fmt.Errorf("%d cached file(s) do not match their digest: %s\n  remove them and run `virnucpro weights download` again",
			len(bad), strings.Join(bad, ", "))
	}
	return nil
}
