package main

import "github.com/spf13/cobra"

// newEmbedCmd groups the per-model embedding subcommands (embed esm2, embed dnabert).
func newEmbedCmd(g *globalOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "embed",
		Short: "Embed sequences with one encoder and write a safetensors file of mean embeddings",
	}
	cmd.AddCommand(newEmbedESMCmd(g), newEmbedDNABERTCmd(g))
	return cmd
}
