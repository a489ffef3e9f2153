package train

import (
	"context"
	"errors"
	"slices"
	"testing"
)

// TestEarlyStoppingRestoresBest: on label noise the validation loss stops improving;
// training stops after Patience epochs without improvement and returns the weights of
// the best epoch, which equal a run stopped at that epoch.
func TestEarlyStoppingRestoresBest(t *testing.T) {
	s := synthSet(5, 400, 20, 0) // no signal
	c := quickConfig()
	c.Epochs, c.Patience, c.LR = 60, 3, 0.05
	plan, err := MakePlan(s, c)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Train(context.Background(), s, plan, c, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !res.EarlyStopped || len(res.Epochs) == c.Epochs {
		t.Fatalf("no early stop in %d epochs", len(res.Epochs))
	}
	if got := len(res.Epochs) - res.BestEpoch; got != c.Patience {
		t.Errorf("stopped %d epochs after the best, want patience %d", got, c.Patience)
	}
	best := res.Epochs[res.BestEpoch-1].Val.Loss
	for _, e := range res.Epochs[res.BestEpoch:] {
		if e.Val.Loss < best {
			t.Errorf("epoch %d val loss %v beat the best %v without resetting", e.Epoch, e.Val.Loss, best)
		}
	}
	c2 := c
	c2.Epochs, c2.Patience, c2.RestoreBest = res.BestEpoch, 0, false
	res2, err := Train(context.Background(), s, plan, c2, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(res.Model.Params, res2.Model.Params) || !slices.Equal(res.Model.RunVar, res2.Model.RunVar) {
		t.Error("restored model differs from the model at the best epoch")
	}
	// Without restore the last epoch's weights are kept (what train.py effectively saves:
	// its EarlyStopping keeps state_dict() references, not copies).
	c3 := c
	c3.RestoreBest = false
	res3, err := Train(context.Background(), s, plan, c3, nil)
	if err != nil {
		t.Fatal(err)
	}
	if slices.Equal(res3.Model.Params, res.Model.Params) || res3.BestEpoch != len(res3.Epochs) {
		t.Error("RestoreBest=false still restored")
	}
}

func TestTrainCancelled(t *testing.T) {
	s := synthSet(5, 200, 10, 2)
	c := quickConfig()
	plan, err := MakePlan(s, c)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Train(ctx, s, plan, c, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled run returned %v", err)
	}
}

func TestMakePlanNeedsBothClasses(t *testing.T) {
	s := synthSet(5, 10, 4, 1)
	for i := range s.Labels {
		s.Labels[i] = ClassViral
	}
	if _, err := MakePlan(s, DefaultConfig()); err == nil {
		t.Error("balanced plan with one class accepted")
	}
	c := DefaultConfig()
	c.Balance = false
	if _, err := MakePlan(s, c); err != nil {
		t.Errorf("unbalanced plan: %v", err)
	}
}
