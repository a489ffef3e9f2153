package main

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/virnucpro/virnucpro/internal/atomicfile"
	"github.com/virnucpro/virnucpro/internal/model/mlp"
	"github.com/virnucpro/virnucpro/internal/train"
)

// evalFlags are evaluate's options.
type evalFlags struct {
	model        string
	viral, other []string
	json         string
	batch        int
}

func newEvaluateCmd() *cobra.Command {
	ef := &evalFlags{}
	cmd := &cobra.Command{
		Use:   "evaluate --classifier M --viral DIR --other DIR",
		Short: "Score a classifier on labelled feature shards: accuracy, precision, recall, F1, MCC, AUROC, confusion matrix",
		Long: `Run a classifier (the released 300_model.pth / 500_model.pth, a state_dict .pt, or a
.safetensors from "virnucpro train") over labelled feature shards exactly as predict does,
one row (= one frame) at a time, and print accuracy, precision, recall, F1, MCC, AUROC
and the confusion matrix with virus as the positive class. A row is called virus when its
virus probability is higher than its other probability (a tie goes to other, as the
original's train.py).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return runEvaluate(cmd, ef) },
	}
	f := cmd.Flags()
	f.StringVar(&ef.model, "classifier", "", "classifier: .pth, state_dict .pt or .safetensors")
	aliasFlags(f, map[string]string{"model": "classifier"})
	f.StringArrayVar(&ef.viral, "viral", nil, "directory (or file) of viral feature shards; repeat for more")
	f.StringArrayVar(&ef.other, "other", nil, "directory (or file) of other feature shards; repeat for more")
	f.StringVar(&ef.json, "json", "", `also write the metrics as JSON to this file ("-": standard output, instead of the text)`)
	f.IntVar(&ef.batch, "batch-size", 256, "rows per classifier call")
	return cmd
}

func runEvaluate(cmd *cobra.Command, ef *evalFlags) error {
	if ef.model == "" {
		return errors.New("--classifier is required")
	}
	if len(ef.viral) == 0 && len(ef.other) == 0 {
		return errors.New("give labelled features with --viral and/or --other")
	}
	if ef.batch < 1 {
		return fmt.Errorf("--batch-size %d: must be >= 1", ef.batch)
	}
	c, err := mlp.Load(ef.model)
	if err != nil {
		return err
	}
	set, err := train.Load(ef.viral, ef.other)
	if err != nil {
		return err
	}
	m, err := train.EvaluateClassifier(cmd.Context(), c, set, ef.batch)
	if err != nil {
		return err
	}
	doc := m.JSON()
	doc["model"] = ef.model
	data, err := json.MarshalIndent(doc, "", " ")
	if err != nil {
		return err
	}
	data = append(data, '\n')
	out := cmd.OutOrStdout()
	switch ef.json {
	case "-":
		_, err = out.Write(data)
		return err
	case "":
	default:
		if err := atomicfile.WriteFile(ef.json, data); err != nil {
			return fmt.Errorf("--json: %w", err)
		}
	}
	_, err = fmt.Fprintf(out, "model      %s\n%s", ef.model, m.Text())
	if err != nil {
		return fmt.Errorf("write results: %w", err)
	}
	return nil
}
