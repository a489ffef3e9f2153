package main

import "github.com/spf13/cobra"

// embedCmd groups the per-model embedding subcommands (embed esm2, embed dnabert).
var embedCmd = &cobra.Command{
	Use:   "embed",
	Short: "Embed sequences with one encoder and write a safetensors file of mean embeddings",
}

func init() { rootCmd.AddCommand(embedCmd) }
