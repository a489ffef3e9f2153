// Package train trains and evaluates VirNucPro's classifier: the MLP
// Linear -> BatchNorm1d -> ReLU -> Dropout -> Linear of the original train.py, with
// cross-entropy, SGD with momentum (torch.optim.SGD), StepLR and early stopping on
// the validation loss.
//
// Forward and backward passes are written out for exactly these layers, in float64
// (the saved classifier is rounded to float32, the precision torch stores). Work is
// split across goroutines only over independent outputs (hidden units, parameter
// rows), and every sum runs in a fixed order, so a fixed seed gives bit-identical
// models for any number of threads.
//
// Feature shards (what `virnucpro features` writes) are safetensors files holding
// "embeddings" [N, D] with the row ids and the class label in the metadata; the
// original's merged .pt files ({'ids', 'data', 'labels'}) are read too.
package train
