package main

import (
	"fmt"
	"log/slog"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/virnucpro/virnucpro/internal/weights/store"
)

// newWeightsCmd groups the commands that find, fetch and check the real model weights.
func newWeightsCmd(g *globalOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "weights",
		Short: "Find, download and verify the real model weights (ESM-2, DNABERT-S, classifiers)",
		Long: `Models are looked for, when no path is given, in this order: the flag
(--esm, --dnabert, --classifier) or its VIRNUCPRO_* variable or --config entry;
$VIRNUCPRO_MODELS_DIR; the torch hub cache ($TORCH_HOME/hub/checkpoints, fair-esm
files); the Hugging Face hub cache ($HF_HUB_CACHE or $HF_HOME/hub, the snapshot
refs/main points at); virnucpro's own cache ($VIRNUCPRO_CACHE_DIR, else
$XDG_CACHE_HOME/virnucpro or ~/.cache/virnucpro), where downloads go.`,
	}
	cmd.AddCommand(newWeightsListCmd(), newWeightsDownloadCmd(g), newWeightsVerifyCmd())
	return cmd
}

func newWeightsListCmd() *cobra.Command {
	var rehash bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "Show each model: where it was found (or every place looked), size and sha256",
		Long: `Show each model of the catalog: where it was found, or every place looked, its
size and its identity (the sha256 of its weight file). Hashes are cached in the cache
manifest by path, size and modification time, so a large file is hashed once;
--rehash recomputes them.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return runWeightsList(cmd, rehash) },
	}
	cmd.Flags().BoolVar(&rehash, "rehash", false, "recompute every hash instead of using the cached ones")
	return cmd
}

func runWeightsList(cmd *cobra.Command, rehash bool) error {
	loc, err := store.DefaultLocations()
	if err != nil {
		return err
	}
	man, err := store.LoadManifest(loc.Cache)
	if err != nil {
		return err
	}
	h := &store.Hasher{Manifest: man, Rehash: rehash}
	w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "MODEL\tSTATUS\tSIZE\tSHA256\tPATH / PLACES LOOKED")
	var missing []string
	for _, m := range store.Models() {
		r := loc.Resolve(m)
		if !r.Found() {
			missing = append(missing, m.Name)
			fmt.Fprintf(w, "%s\tmissing\t-\t-\tlooked in:\n", m.Name)
			for _, p := range r.Looked {
				fmt.Fprintf(w, "\t\t\t\t  %s\n", p)
			}
			continue
		}
		id, err := h.Identity(r.Path)
		if err != nil {
			fmt.Fprintf(w, "%s\tunreadable\t-\t-\t%s (%s): %v\n", m.Name, r.Path, r.Where, err)
			continue
		}
		fmt.Fprintf(w, "%s\tfound\t%s\t%s\t%s (%s)\n", m.Name, humanBytes(id.Size), id.SHA256, r.Path, r.Where)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(cmd.OutOrStdout(), "\ncache: %s\n", loc.Cache)
	if len(missing) > 0 {
		fmt.Fprintf(cmd.OutOrStdout(), "fetch the missing models: virnucpro weights download %s\n", strings.Join(missing, " "))
	}
	if h.Added > 0 {
		if err := store.SaveHashes(loc.Cache, man); err != nil {
			slog.Warn("could not cache the hashes", "err", err)
		}
	}
	return nil
}

// humanBytes renders a size in binary units (5.2 GiB).
func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
