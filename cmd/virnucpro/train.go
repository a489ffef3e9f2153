package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"time"

	"github.com/spf13/cobra"

	"github.com/virnucpro/virnucpro/internal/atomicfile"
	"github.com/virnucpro/virnucpro/internal/checkpoint"
	"github.com/virnucpro/virnucpro/internal/model/mlp"
	"github.com/virnucpro/virnucpro/internal/train"
)

// trainFlags are train's options.
type trainFlags struct {
	viral, other []string
	out          string
	history      string
	init         string
	cfg          train.Config
}

func newTrainCmd(g *globalOptions) *cobra.Command {
	tf := &trainFlags{}
	cmd := &cobra.Command{
		Use:   "train --viral DIR --other DIR -o model.safetensors",
		Short: "Train the VirNucPro classifier on feature shards (the original train.py recipe)",
		Long: `Train the MLP classifier (Linear -> BatchNorm1d -> ReLU -> Dropout -> Linear) on the
feature shards written by "virnucpro features" (or the original's merged .pt files).
Defaults are the original recipe: hidden 512, dropout 0.5, Xavier-uniform init, SGD lr 2e-4
momentum 0.9, StepLR step 10 gamma 0.85, cross-entropy, batch 32, up to 200 epochs, a 10%
held-out split and early stopping after 5 epochs without a lower validation loss. The other
class is sampled to the size of the viral class, evenly over the --other directories, as
the original's features_extract.py does. A fixed --seed gives a bit-identical model for any
--threads. The model is written as safetensors with the original state_dict names; it
loads in "predict --classifier" and "evaluate --model".`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return runTrain(cmd, g, tf) },
	}
	d := train.DefaultConfig()
	f := cmd.Flags()
	c := &tf.cfg
	f.StringArrayVar(&tf.viral, "viral", nil, "directory (or file) of viral feature shards; repeat for more")
	f.StringArrayVar(&tf.other, "other", nil, "directory (or file) of other (non-viral) feature shards; repeat for more (each is one group for balanced sampling)")
	f.StringVarP(&tf.out, "output", "o", "", "output classifier (.safetensors)")
	f.StringVar(&tf.history, "history", "", "also write the per-epoch statistics as JSON to this file")
	f.StringVar(&tf.init, "init", "", "start from this classifier (.pth, .pt or .safetensors) instead of a fresh Xavier init")
	f.IntVar(&c.Hidden, "hidden", d.Hidden, "hidden layer width")
	f.Float64Var(&c.Dropout, "dropout", d.Dropout, "dropout probability")
	f.Float64Var(&c.LR, "lr", d.LR, "initial learning rate")
	f.Float64Var(&c.Momentum, "momentum", d.Momentum, "SGD momentum")
	f.IntVar(&c.StepSize, "lr-step", d.StepSize, "StepLR: multiply the learning rate by --lr-gamma every this many epochs")
	f.Float64Var(&c.Gamma, "lr-gamma", d.Gamma, "StepLR factor")
	f.IntVar(&c.BatchSize, "batch-size", d.BatchSize, "rows per batch")
	f.IntVar(&c.Epochs, "epochs", d.Epochs, "maximum number of epochs")
	f.Float64Var(&c.ValFraction, "val-fraction", d.ValFraction, "fraction of rows held out for validation (0: none, no early stopping)")
	f.IntVar(&c.Patience, "patience", d.Patience, "stop after this many epochs without a lower validation loss (0: never)")
	f.Float64Var(&c.MinDelta, "min-delta", d.MinDelta, "decrease of the validation loss that counts as an improvement")
	f.BoolVar(&c.Balance, "balance", d.Balance, "sample equal numbers of viral and other rows (other evenly over its directories)")
	f.BoolVar(&c.RestoreBest, "restore-best", d.RestoreBest, "save the weights of the epoch with the lowest validation loss (false: the last epoch's)")
	f.Uint64Var(&c.Seed, "seed", d.Seed, "seed of the initialisation, sampling, split, batch order and dropout")
	f.Float64Var(&c.BNMomentum, "bn-momentum", d.BNMomentum, "BatchNorm running-statistics momentum")
	f.Float64Var(&c.BNEps, "bn-eps", d.BNEps, "BatchNorm eps")
	return cmd
}

func runTrain(cmd *cobra.Command, g *globalOptions, tf *trainFlags) error {
	if tf.out == "" {
		return errors.New("--output/-o is required")
	}
	if len(tf.viral) == 0 || len(tf.other) == 0 {
		return errors.New("--viral and --other are both required (directories of feature shards)")
	}
	cfg := tf.cfg
	cfg.Threads = g.threads
	if err := cfg.Validate(); err != nil {
		return err
	}
	log := slog.Default()
	start := time.Now()
	set, err := train.Load(tf.viral, tf.other)
	if err != nil {
		return err
	}
	log.Info("features loaded", "rows", set.Len(), "viral", set.Count(train.Viral), "other", set.Count(train.Other),
		"width", set.Dim, "took", time.Since(start).Round(time.Millisecond))
	plan, err := train.MakePlan(set, cfg)
	if err != nil {
		return err
	}
	if b := plan.Balance; b != nil {
		log.Info("balanced sampling", "viral_kept", b.KeptViral, "of", b.Viral, "other_kept", b.KeptOther, "of_other", b.Other)
	}
	log.Info("training", "train_rows", len(plan.Train), "val_rows", len(plan.Val), "hidden", cfg.Hidden,
		"epochs", cfg.Epochs, "seed", cfg.Seed, "threads", cfg.Threads)
	intr := checkpoint.NotifyInterrupt(cmd.Context())
	defer intr.Stop()
	onEpoch := func(e train.EpochStats) {
		attrs := []any{"epoch", fmt.Sprintf("%d/%d", e.Epoch, cfg.Epochs), "lr", fmt.Sprintf("%.4g", e.LR),
			"train_loss", fmt.Sprintf("%.4f", e.TrainLoss)}
		if v := e.Val; v != nil {
			attrs = append(attrs, "val_loss", fmt.Sprintf("%.4f", v.Loss), "val_acc", fmt.Sprintf("%.4f", v.Accuracy),
				"val_f1", fmt.Sprintf("%.4f", v.F1), "val_auroc", fmtMetric(v.AUROC), "best", e.Best)
		}
		attrs = append(attrs, "took", e.Elapsed.Round(time.Millisecond))
		log.Info("epoch", attrs...)
	}
	var res *train.Result
	if tf.init != "" {
		c, lerr := mlp.Load(tf.init)
		if lerr != nil {
			return fmt.Errorf("--init: %w", lerr)
		}
		res, err = train.Continue(intr.Context(), train.FromClassifier(c), set, plan, cfg, onEpoch)
		if err != nil {
			err = fmt.Errorf("--init %s: %w", tf.init, err)
		}
	} else {
		res, err = train.Train(intr.Context(), set, plan, cfg, onEpoch)
	}
	if code := intr.ExitCode(); code != 0 {
		return &exitError{code: code, err: fmt.Errorf("interrupted by signal: no model written")}
	}
	if err != nil {
		return err
	}
	if res.EarlyStopped {
		log.Info("early stopping", "epochs_run", len(res.Epochs), "patience", cfg.Patience)
	}
	if err := res.Model.Save(tf.out); err != nil {
		return err
	}
	if tf.history != "" {
		if err := writeHistory(tf.history, cfg, plan, res); err != nil {
			return err
		}
	}
	log.Info("model written", "path", tf.out, "epoch", res.BestEpoch, "took", time.Since(start).Round(time.Second))
	return nil
}

func fmtMetric(v float64) string {
	if math.IsNaN(v) {
		return "n/a"
	}
	return fmt.Sprintf("%.4f", v)
}

// writeHistory writes the run's configuration and per-epoch statistics as JSON.
func writeHistory(path string, cfg train.Config, plan train.Plan, res *train.Result) error {
	epochs := make([]map[string]any, len(res.Epochs))
	for i, e := range res.Epochs {
		row := map[string]any{"epoch": e.Epoch, "lr": e.LR, "train_loss": e.TrainLoss, "best": e.Best, "seconds": e.Elapsed.Seconds()}
		if e.Val != nil {
			row["val"] = e.Val.JSON()
		}
		epochs[i] = row
	}
	doc := map[string]any{"config": cfg, "train_rows": len(plan.Train), "val_rows": len(plan.Val),
		"saved_epoch": res.BestEpoch, "early_stopped": res.EarlyStopped, "epochs": epochs}
	if plan.Balance != nil {
		doc["balance"] = plan.Balance
	}
	data, err := json.MarshalIndent(doc, "", " ")
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(path, append(data, '\n'))
}
