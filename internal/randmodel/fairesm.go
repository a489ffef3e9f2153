package randmodel

import (
	"archive/zip"
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"math/rand"
	randv2 "math/rand/v2"

	"github.com/virnucpro/virnucpro/internal/atomicfile"
	"github.com/virnucpro/virnucpro/internal/weights"
)

// fairTensor is one tensor of a fair-esm checkpoint being written: its stored name,
// shape, storage key and how its float16 values are made.
type fairTensor struct {
	name  string
	shape []int
	key   string
	fill  fairFill
}

// fairFill says how a tensor's values are drawn.
type fairFill int

const (
	fillRandom  fairFill = iota // random, standard deviation 0.02
	fillOnes                    // 1 (layer-norm weights)
	fillInvFreq                 // the rotary inverse frequencies, as fair-esm computes them
	fillTied                    // shares an earlier tensor's storage (lm_head.weight)
)

func (t fairTensor) numel() int {
	n := 1
	for _, d := range t.shape {
		n *= d
	}
	return n
}

// fairESM2Tensors lists an ESM-2's tensors in fair-esm's state-dict order and stored
// names (encoder.sentence_encoder.*, encoder.lm_head.*; lm_head.weight tied to
// embed_tokens.weight's storage).
func fairESM2Tensors(layers, dim, heads int) []fairTensor {
	var ts []fairTensor
	add := func(name string, fill fairFill, shape ...int) {
		ts = append(ts, fairTensor{name: name, shape: shape, key: fmt.Sprint(len(ts)), fill: fill})
	}
	enc := "encoder.sentence_encoder."
	add(enc+"embed_tokens.weight", fillRandom, 33, dim)
	for l := 0; l < layers; l++ {
		p := fmt.Sprintf("%slayers.%d.", enc, l)
		for _, n := range []string{"k_proj", "v_proj", "q_proj", "out_proj"} {
			add(p+"self_attn."+n+".weight", fillRandom, dim, dim)
			add(p+"self_attn."+n+".bias", fillRandom, dim)
		}
		add(p+"self_attn.rot_emb.inv_freq", fillInvFreq, dim/heads/2)
		add(p+"self_attn_layer_norm.weight", fillOnes, dim)
		add(p+"self_attn_layer_norm.bias", fillRandom, dim)
		add(p+"fc1.weight", fillRandom, 4*dim, dim)
		add(p+"fc1.bias", fillRandom, 4*dim)
		add(p+"fc2.weight", fillRandom, dim, 4*dim)
		add(p+"fc2.bias", fillRandom, dim)
		add(p+"final_layer_norm.weight", fillOnes, dim)
		add(p+"final_layer_norm.bias", fillRandom, dim)
	}
	add(enc+"emb_layer_norm_after.weight", fillOnes, dim)
	add(enc+"emb_layer_norm_after.bias", fillRandom, dim)
	add("encoder.lm_head.dense.weight", fillRandom, dim, dim)
	add("encoder.lm_head.dense.bias", fillRandom, dim)
	add("encoder.lm_head.layer_norm.weight", fillOnes, dim)
	add("encoder.lm_head.layer_norm.bias", fillRandom, dim)
	ts = append(ts, fairTensor{name: "encoder.lm_head.weight", shape: []int{33, dim}, key: ts[0].key, fill: fillTied})
	add("encoder.lm_head.bias", fillRandom, 33)
	return ts
}

// FairESM2 writes a random ESM-2 of layers × dim with heads attention heads as
// fair-esm's released checkpoints are laid out (esm2_t36_3B_UR50D.pt): a torch.save
// zip of {"model": OrderedDict of float16 tensors under encoder.sentence_encoder. and
// encoder.lm_head., "cfg": {"model": argparse.Namespace(encoder_layers, ...)}}. The
// values are streamed to the file, never held in memory, so the 3B shape (5.7 GB)
// needs only a few MB; the same seed gives the same file. The file appears under path
// only once complete. It returns the model's float32 weight size in bytes (tied
// tensors counted once).
func FairESM2(path string, layers, dim, heads int, seed uint64) (fp32Bytes int64, err error) {
	if layers <= 0 || dim <= 0 || heads <= 0 || dim%heads != 0 || (dim/heads)%2 != 0 {
		return 0, fmt.Errorf("random ESM-2: %d layers × %d with %d heads is not an ESM-2 shape", layers, dim, heads)
	}
	ts := fairESM2Tensors(layers, dim, heads)
	f, err := atomicfile.Create(path)
	if err != nil {
		return 0, err
	}
	defer f.Abort()
	cw := &countingWriter{w: bufio.NewWriterSize(f, 1<<20)}
	zw := zip.NewWriter(cw)
	if err := store(zw, cw, "archive/data.pkl", fairPickle(ts, layers, dim, heads)); err != nil {
		return 0, err
	}
	table := normalHalfTable(seed)
	r := randv2.New(randv2.NewPCG(seed, 0x9e3779b97f4a7c15))
	for _, t := range ts {
		if t.fill == fillTied {
			continue
		}
		fp32Bytes += 4 * int64(t.numel())
		if err := storeFunc(zw, cw, "archive/data/"+t.key, func(w io.Writer) error { return writeHalves(w, t, table, r, dim/heads) }); err != nil {
			return 0, err
		}
	}
	if err := store(zw, cw, "archive/version", []byte("3\n")); err != nil {
		return 0, err
	}
	if err := zw.Close(); err != nil {
		return 0, err
	}
	if err := cw.w.(*bufio.Writer).Flush(); err != nil {
		return 0, err
	}
	return fp32Bytes, f.Commit()
}

// fairPickle is the data.pkl of FairESM2's checkpoint.
func fairPickle(ts []fairTensor, layers, dim, heads int) []byte {
	var p pickler
	p.op(0x80, 2, '}', '(') // PROTO 2, EMPTY_DICT, MARK
	p.str("model")
	p.global("collections", "OrderedDict")
	p.op(')', 'R', '(') // EMPTY_TUPLE, REDUCE, MARK
	for _, t := range ts {
		p.str(t.name)
		p.tensor("HalfStorage", t.key, t.numel(), t.shape)
	}
	p.op('u') // SETITEMS
	p.str("cfg")
	p.op('}', '(') // EMPTY_DICT, MARK
	p.str("model")
	p.global("argparse", "Namespace")
	p.op(')', 0x81, '}', '(') // EMPTY_TUPLE, NEWOBJ, EMPTY_DICT, MARK
	for _, kv := range []struct {
		k string
		v int
	}{{"encoder_layers", layers}, {"encoder_embed_dim", dim}, {"encoder_ffn_embed_dim", 4 * dim}, {"encoder_attention_heads", heads}} {
		p.str(kv.k)
		p.int(kv.v)
	}
	p.str("token_dropout")
	p.op(0x88)          // NEWTRUE
	p.op('u', 'b')      // SETITEMS, BUILD
	p.op('u', 'u', '.') // SETITEMS (cfg), SETITEMS (root), STOP
	return p.Bytes()
}

// normalHalfTable is 65,536 float16 quantiles of a normal distribution of standard
// deviation 0.02, shuffled: indexing it with random 16-bit numbers draws from that
// distribution at the speed of a table lookup.
func normalHalfTable(seed uint64) []uint16 {
	t := make([]uint16, 1<<16)
	for i := range t {
		// the (i+0.5)/65536 quantile
		q := math.Sqrt2 * math.Erfinv(2*(float64(i)+0.5)/(1<<16)-1)
		t[i] = weights.Float32ToHalf(float32(0.02 * q))
	}
	rand.New(rand.NewSource(int64(seed))).Shuffle(len(t), func(i, j int) { t[i], t[j] = t[j], t[i] })
	return t
}

// writeHalves writes t's float16 values to w, a megabyte at a time.
func writeHalves(w io.Writer, t fairTensor, table []uint16, r *randv2.Rand, headDim int) error {
	n := t.numel()
	buf := make([]byte, min(n, 1<<19)*2)
	for done := 0; done < n; {
		k := min(n-done, len(buf)/2)
		b := buf[:2*k]
		switch t.fill {
		case fillRandom:
			var bits uint64
			for i := 0; i < k; i++ {
				if i%4 == 0 {
					bits = r.Uint64()
				}
				binary.LittleEndian.PutUint16(b[2*i:], table[uint16(bits)])
				bits >>= 16
			}
		case fillOnes:
			for i := 0; i < k; i++ {
				binary.LittleEndian.PutUint16(b[2*i:], 0x3c00)
			}
		case fillInvFreq:
			for i := 0; i < k; i++ {
				f := 1 / math.Pow(10000, float64(2*(done+i))/float64(headDim))
				binary.LittleEndian.PutUint16(b[2*i:], weights.Float32ToHalf(float32(f)))
			}
		}
		if _, err := w.Write(b); err != nil {
			return err
		}
		done += k
	}
	return nil
}
