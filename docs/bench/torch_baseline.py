#!/usr/bin/env python3
"""PyTorch CPU baseline for virnucpro's encoder benchmarks.

Re-implements, in plain PyTorch (no fair-esm / transformers needed), the two forward
passes VirNucPro runs, op for op as the upstream code computes them:

* ESM-2 as fair-esm 2.0.x computes it (esm/model/esm2.py, esm/modules.py,
  esm/multihead_attention.py, esm/rotary_embedding.py): embedding, token-dropout scale
  0.88, pad zeroing, pre-LN layers, q scaled by head_dim**-0.5 before rotary
  (rotate_half), bmm attention with -inf on padded keys, fp32 softmax, head-averaged
  attention weights (fair-esm's need_weights=True path), erf GELU written out as
  fair-esm writes it, emb_layer_norm_after, and the lm_head that ESM2.forward always
  runs. Batching as VirNucPro's extract_esm: FastaBatchedDataset.get_batch_indices
  (toks_per_batch=2048, extra_toks_per_seq=1) then the batch converter pads every
  sequence of a batch to the longest; mean over residues 1..min(len,1024).
* DNABERT-S = MosaicBERT bert_layers.py (PyTorch attention path, no Triton):
  embeddings (+token type 0) + LayerNorm, unpad, fused Wqkv, pad for attention,
  ALiBi + (1-mask)*-10000 bias, softmax, unpad, dense + post-LN, gated-GELU MLP +
  post-LN, re-pad, pooler. Batching as VirNucPro's extract_DNABERT_S: one sequence per
  model call, mean over all tokens incl. [CLS]/[SEP].

Shapes and inputs come from a JSON file written by the Go benchmarks' generators
(`VIRNUCPRO_BENCH_DUMP_DIR=DIR go test -run TestDumpBenchTokens ./internal/perf` writes
DIR/esm2.json and DIR/dnabert.json): the same token ids, lengths, layer/width/head
counts, and the Go FLOP count (checked against this script's own count).

Usage:
  /usr/bin/python3 docs/bench/torch_baseline.py --model esm2 --threads 2 \
      --lengths esm2.json --seconds 20
  /usr/bin/python3 docs/bench/torch_baseline.py --model dnabert --threads 2 \
      --lengths dnabert.json --seconds 20 [--batching padded]
  /usr/bin/python3 docs/bench/torch_baseline.py --model sgemm --threads 2 --seconds 5
  /usr/bin/python3 docs/bench/torch_baseline.py --selfcheck   # golden tiny models

The last line printed by a benchmark run is `RESULT {json}` for scripts.
"""

import argparse
import json
import math
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--model", choices=["esm2", "dnabert", "sgemm"], default="esm2")
    p.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    p.add_argument("--lengths", help="JSON dump of the Go benchmark's inputs (see above)")
    p.add_argument("--seconds", type=float, default=10.0,
                   help="minimum timed seconds; whole rounds over all inputs, at least one (0 = one round), "
                        "after an untimed warm-up on the first batch")
    p.add_argument("--batching", choices=["upstream", "padded"], default="upstream",
                   help="upstream: what VirNucPro does (ESM-2: fair-esm toks_per_batch=2048 "
                        "padded batches; DNABERT-S: one sequence per call). padded: one padded "
                        "batch per group of Go's 4096-token packing plan (Broad-style batching)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--selfcheck", action="store_true",
                   help="compare the re-implementations with the golden tiny models in testdata/ and exit")
    return p.parse_args()


ARGS = parse_args()
# Debian's torch does its GEMMs in the system BLAS (OpenBLAS, pthread build), which reads
# its thread count from the environment when it is loaded: set it before importing torch.
for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_v] = str(ARGS.threads)

try:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except ImportError:
    sys.exit("torch_baseline.py: PyTorch is not importable by %s; on Debian/Ubuntu: "
             "apt-get install python3-torch (then run it with /usr/bin/python3)" % sys.executable)

torch.set_num_threads(ARGS.threads)


# ---------------------------------------------------------------------------------
# ESM-2 (fair-esm)
# ---------------------------------------------------------------------------------

ESM_CLS, ESM_PAD, ESM_EOS, ESM_MASK = 0, 1, 2, 32


def fair_esm_gelu(x):
    # esm/modules.py gelu: the erf form, written out (not F.gelu)
    return x * 0.5 * (1.0 + torch.erf(x / math.sqrt(2.0)))


def rotate_half(x):
    a, b = x.chunk(2, dim=-1)
    return torch.cat((-b, a), dim=-1)


class Rotary(nn.Module):
    def __init__(self, hd):
        super().__init__()
        self.register_buffer("inv_freq", 1.0 / (10000 ** (torch.arange(0, hd, 2).float() / hd)))
        self._len, self._cos, self._sin = None, None, None

    def forward(self, q, k):
        # q, k: [B*H, T, hd]; cos/sin cached per length like fair-esm
        T = k.shape[-2]
        if T != self._len:
            t = torch.arange(T).type_as(self.inv_freq)
            freqs = torch.einsum("i,j->ij", t, self.inv_freq)
            emb = torch.cat((freqs, freqs), dim=-1)
            self._len, self._cos, self._sin = T, emb.cos()[None], emb.sin()[None]
        cos, sin = self._cos[:, :T], self._sin[:, :T]
        return q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin


class ESMAttention(nn.Module):
    def __init__(self, D, H):
        super().__init__()
        self.H, self.hd = H, D // H
        self.scaling = self.hd ** -0.5
        self.q_proj, self.k_proj = nn.Linear(D, D), nn.Linear(D, D)
        self.v_proj, self.out_proj = nn.Linear(D, D), nn.Linear(D, D)
        self.rot_emb = Rotary(self.hd)

    def forward(self, x, key_padding_mask):
        T, B, D = x.shape
        H, hd = self.H, self.hd
        q = self.q_proj(x)
        k = self.k_proj(x)
        v = self.v_proj(x)
        q *= self.scaling
        q = q.contiguous().view(T, B * H, hd).transpose(0, 1)
        k = k.contiguous().view(-1, B * H, hd).transpose(0, 1)
        v = v.contiguous().view(-1, B * H, hd).transpose(0, 1)
        q, k = self.rot_emb(q, k)
        w = torch.bmm(q, k.transpose(1, 2))
        if key_padding_mask is not None:
            w = w.view(B, H, T, T).masked_fill(key_padding_mask[:, None, None, :], float("-inf"))
            w = w.view(B * H, T, T)
        p = F.softmax(w, dim=-1, dtype=torch.float32)
        a = torch.bmm(p.type_as(w), v)
        a = a.transpose(0, 1).contiguous().view(T, B, D)
        a = self.out_proj(a)
        # fair-esm's TransformerLayer asks for need_weights=True: head-averaged probs
        weights = p.view(B, H, T, T).transpose(1, 0).mean(dim=0)
        return a, weights


class ESMLayer(nn.Module):
    def __init__(self, D, H):
        super().__init__()
        self.self_attn = ESMAttention(D, H)
        self.self_attn_layer_norm = nn.LayerNorm(D, eps=1e-5)
        self.fc1, self.fc2 = nn.Linear(D, 4 * D), nn.Linear(4 * D, D)
        self.final_layer_norm = nn.LayerNorm(D, eps=1e-5)

    def forward(self, x, pad):
        r = x
        x, _ = self.self_attn(self.self_attn_layer_norm(x), pad)
        x = r + x
        r = x
        x = self.fc2(fair_esm_gelu(self.fc1(self.final_layer_norm(x))))
        return r + x


class LMHead(nn.Module):
    def __init__(self, D, weight):
        super().__init__()
        self.dense = nn.Linear(D, D)
        self.layer_norm = nn.LayerNorm(D, eps=1e-5)
        self.weight = weight
        self.bias = nn.Parameter(torch.zeros(weight.shape[0]))

    def forward(self, x):
        x = self.layer_norm(fair_esm_gelu(self.dense(x)))
        return F.linear(x, self.weight) + self.bias


class ESM2(nn.Module):
    def __init__(self, L, D, H, vocab=33):
        super().__init__()
        self.embed_tokens = nn.Embedding(vocab, D, padding_idx=ESM_PAD)
        self.layers = nn.ModuleList([ESMLayer(D, H) for _ in range(L)])
        self.emb_layer_norm_after = nn.LayerNorm(D, eps=1e-5)
        self.lm_head = LMHead(D, self.embed_tokens.weight)

    def forward(self, tokens):
        """tokens [B, T] (BOS/EOS, right-padded) -> final representation [B, T, D]."""
        pad = tokens.eq(ESM_PAD)
        x = 1.0 * self.embed_tokens(tokens)  # embed_scale = 1
        # token dropout at inference (esm2.py): zero <mask> rows, rescale by 0.88/(1-observed)
        x.masked_fill_((tokens == ESM_MASK).unsqueeze(-1), 0.0)
        src_lengths = (~pad).sum(-1)
        observed = (tokens == ESM_MASK).sum(-1).to(x.dtype) / src_lengths
        x = x * (1 - 0.15 * 0.8) / (1 - observed)[:, None, None]
        x = x * (1 - pad.unsqueeze(-1).type_as(x))
        x = x.transpose(0, 1)
        if not pad.any():
            pad = None
        for layer in self.layers:
            x = layer(x, pad)
        x = self.emb_layer_norm_after(x).transpose(0, 1)
        self.logits = self.lm_head(x)  # computed by fair-esm's forward, unused by VirNucPro
        return x


def esm_batch_indices(lengths, toks_per_batch=2048, extra_toks_per_seq=1):
    """fair-esm FastaBatchedDataset.get_batch_indices: length-sorted greedy batches."""
    sizes = sorted((n, i) for i, n in enumerate(lengths))
    batches, buf, max_len = [], [], 0
    for sz, i in sizes:
        sz += extra_toks_per_seq
        if max(sz, max_len) * (len(buf) + 1) > toks_per_batch and buf:
            batches.append(buf)
            buf, max_len = [], 0
        max_len = max(max_len, sz)
        buf.append(i)
    if buf:
        batches.append(buf)
    return batches


def pad_batch(seqs, pad_id):
    T = max(len(s) for s in seqs)
    t = torch.full((len(seqs), T), pad_id, dtype=torch.int64)
    for j, s in enumerate(seqs):
        t[j, : len(s)] = torch.tensor(s, dtype=torch.int64)
    return t


def esm_embed(model, batches):
    """batches: list of (indices, tokens[B,T]); returns {index: mean over residues}."""
    out = {}
    for idx, toks in batches:
        rep = model(toks)
        for j, i in enumerate(idx):
            n = int((toks[j] != ESM_PAD).sum()) - 2  # residues
            out[i] = rep[j, 1 : min(1024, n) + 1].mean(0).clone()
    return out


# ---------------------------------------------------------------------------------
# DNABERT-S (MosaicBERT bert_layers.py + bert_padding.py, PyTorch attention path)
# ---------------------------------------------------------------------------------

def alibi_slopes(n):
    def pow2(n):
        start = 2 ** (-(2 ** -(math.log2(n) - 3)))
        return [start * start ** i for i in range(n)]
    if math.log2(n).is_integer():
        return pow2(n)
    c = 2 ** math.floor(math.log2(n))
    return pow2(c) + alibi_slopes(2 * c)[0::2][: n - c]


def gather_rows(x, indices):
    # bert_padding.index_first_axis: gather rows of a [N, ...] tensor
    other = x.shape[1:]
    flat = x.reshape(x.shape[0], -1)
    return torch.gather(flat, 0, indices[:, None].expand(-1, flat.shape[1])).reshape(-1, *other)


def scatter_rows(values, indices, first):
    # bert_padding.index_put_first_axis: zeros, then the rows at indices
    out = torch.zeros((first, *values.shape[1:]), dtype=values.dtype)
    out[indices] = values
    return out


class BertSelfAttention(nn.Module):
    def __init__(self, D, H):
        super().__init__()
        self.H, self.hd = H, D // H
        self.Wqkv = nn.Linear(D, 3 * D)

    def forward(self, h, batch, seqlen, indices, mask, bias):
        qkv = self.Wqkv(h)
        qkv = scatter_rows(qkv, indices, batch * seqlen).view(batch, seqlen, -1)  # pad_input
        qkv = qkv.view(batch, seqlen, 3, self.H, self.hd)
        q = qkv[:, :, 0].permute(0, 2, 1, 3)
        k = qkv[:, :, 1].permute(0, 2, 3, 1)
        v = qkv[:, :, 2].permute(0, 2, 1, 3)
        scores = torch.matmul(q, k) / math.sqrt(self.hd)
        scores = scores + bias
        probs = F.softmax(scores, dim=-1)
        att = torch.matmul(probs, v).permute(0, 2, 1, 3)  # b s h d
        keep = torch.nonzero(torch.squeeze(mask).flatten() == 1, as_tuple=False).flatten()
        att = gather_rows(att.reshape(batch * seqlen, self.H, self.hd), keep)  # unpad_input_only
        return att.reshape(att.shape[0], -1)


class BertLayer(nn.Module):
    def __init__(self, D, H, I, eps):
        super().__init__()
        self.attn = BertSelfAttention(D, H)
        self.dense = nn.Linear(D, D)
        self.ln1 = nn.LayerNorm(D, eps=eps)
        self.gated_layers = nn.Linear(D, 2 * I, bias=False)
        self.wo = nn.Linear(I, D)
        self.ln2 = nn.LayerNorm(D, eps=eps)
        self.I = I

    def forward(self, h, batch, seqlen, indices, mask, bias):
        a = self.attn(h, batch, seqlen, indices, mask, bias)
        a = self.ln1(self.dense(a) + h)
        g = self.gated_layers(a)
        m = F.gelu(g[:, : self.I]) * g[:, self.I:]
        return self.ln2(self.wo(m) + a)


class DNABERT(nn.Module):
    def __init__(self, L, D, H, I, vocab=4096, eps=1e-12, alibi_size=512):
        super().__init__()
        self.word_embeddings = nn.Embedding(vocab, D, padding_idx=0)
        self.token_type_embeddings = nn.Embedding(2, D)
        self.emb_ln = nn.LayerNorm(D, eps=eps)
        self.layers = nn.ModuleList([BertLayer(D, H, I, eps) for _ in range(L)])
        self.pooler = nn.Linear(D, D)
        self.H = H
        self.slopes = torch.Tensor(alibi_slopes(H))
        self.build_alibi(alibi_size)

    def build_alibi(self, size):
        pos = torch.arange(size)
        rel = torch.abs(pos[None, :] - pos[:, None]).unsqueeze(0).expand(self.H, -1, -1)
        self.alibi = (self.slopes[:, None, None] * -rel).unsqueeze(0)
        self.alibi_size = size

    def forward(self, input_ids, attention_mask=None):
        """input_ids [B, S] -> (last hidden [B, S, D] with zero pad rows, pooled [B, D])."""
        if attention_mask is None:
            attention_mask = torch.ones_like(input_ids)
        token_type_ids = torch.zeros_like(input_ids)
        e = self.word_embeddings(input_ids) + self.token_type_embeddings(token_type_ids)
        h = self.emb_ln(e)
        batch, seqlen = h.shape[:2]
        ext = (1.0 - attention_mask[:, None, None, :].to(torch.float32)) * -10000.0
        # unpad_input
        indices = torch.nonzero(attention_mask.bool().flatten(), as_tuple=False).flatten()
        h = gather_rows(h.reshape(batch * seqlen, -1), indices)
        if self.alibi_size < seqlen:
            self.build_alibi(seqlen)
        bias = ext[:, :, :seqlen, :seqlen] + self.alibi[:, :, :seqlen, :seqlen]
        for layer in self.layers:
            h = layer(h, batch, seqlen, indices, attention_mask, bias)
        h = scatter_rows(h, indices, batch * seqlen).view(batch, seqlen, -1)  # pad_input
        pooled = torch.tanh(self.pooler(h[:, 0]))
        return h, pooled


def dnabert_embed(model, batches):
    out = {}
    for idx, ids, mask in batches:
        if mask is None:  # VirNucPro: model(input_ids)[0], torch.mean(dim=1)
            hidden = model(ids)[0]
            out[idx[0]] = torch.mean(hidden, dim=1)[0]
        else:  # padded batch, masked mean over real tokens
            hidden = model(ids, mask)[0]
            m = mask.unsqueeze(-1).to(hidden.dtype)
            means = (hidden * m).sum(1) / m.sum(1)
            for j, i in enumerate(idx):
                out[i] = means[j]
    return out


# ---------------------------------------------------------------------------------
# weights, FLOPs, timing
# ---------------------------------------------------------------------------------

def randomize(model, seed):
    """Random weights like internal/testmodels: N(0, 0.02) matrices and biases, LN gains 1."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if isinstance(p, torch.Tensor) and p.dim() == 1 and ("norm" in name.lower() or "ln" in name) and name.endswith("weight"):
                p.fill_(1.0)
            else:
                p.copy_(torch.randn(p.shape, generator=g) * 0.02)


def flops_esm(n, L, D):
    return n * L * (24 * D * D + 4 * D * n)  # esm2.Model.FLOPsPerToken(n) * n


def flops_dnabert(n, L, D, I):
    return n * L * (8 * D * D + 6 * D * I + 4 * D * n)  # dnabert.Model.FLOPsPerToken(n) * n


def timed(fn, seconds, warm=None):
    (warm or fn)()  # warm-up (allocator, rotary tables); untimed
    rounds, t0 = 0, time.perf_counter()
    while True:
        out = fn()
        rounds += 1
        el = time.perf_counter() - t0
        if el >= seconds:
            return out, rounds, el


def go_groups(dump):
    return dump.get("go_packed_batches") or [list(range(len(dump["tokens"])))]


def bench_esm2(dump):
    L, D, H = dump["layers"], dump["dim"], dump["heads"]
    toks = dump["tokens"]
    model = ESM2(L, D, H).eval()
    randomize(model, ARGS.seed)
    if ARGS.batching == "upstream":
        groups = esm_batch_indices([len(t) - 2 for t in toks])
    else:
        groups = go_groups(dump)
    batches = [(g, pad_batch([toks[i] for i in g], ESM_PAD)) for g in groups]
    with torch.inference_mode():
        out, rounds, el = timed(lambda: esm_embed(model, batches), ARGS.seconds,
                                lambda: esm_embed(model, batches[:1]))
    emb = torch.stack([out[i] for i in range(len(toks))])
    return emb, groups, batches, rounds, el, sum(flops_esm(len(t), L, D) for t in toks), D


def bench_dnabert(dump):
    L, D, H, I = dump["layers"], dump["dim"], dump["heads"], dump["intermediate"]
    toks = dump["tokens"]
    model = DNABERT(L, D, H, I, vocab=dump.get("vocab", 4096)).eval()
    randomize(model, ARGS.seed)
    if ARGS.batching == "upstream":
        groups = [[i] for i in range(len(toks))]
        batches = [(g, torch.tensor([toks[g[0]]], dtype=torch.int64), None) for g in groups]
    else:
        groups = go_groups(dump)
        batches = []
        for g in groups:
            ids = pad_batch([toks[i] for i in g], 3)  # [PAD] = 3
            mask = torch.zeros_like(ids)
            for j, i in enumerate(g):
                mask[j, : len(toks[i])] = 1
            batches.append((g, ids, mask))
    with torch.inference_mode():
        out, rounds, el = timed(lambda: dnabert_embed(model, batches), ARGS.seconds,
                                lambda: dnabert_embed(model, batches[:1]))
    emb = torch.stack([out[i] for i in range(len(toks))])
    batches = [(g, ids) for g, ids, _ in batches]
    return emb, groups, batches, rounds, el, sum(flops_dnabert(len(t), L, D, I) for t in toks), D


def bench_sgemm():
    """torch's GEMM at BenchmarkSgemm's shapes: C[m,n] = A[m,k] · W[n,k]ᵀ (nn.Linear)."""
    res = {}
    g = torch.Generator().manual_seed(ARGS.seed)
    for m, k, n in [(1024, 480, 1920), (1024, 768, 2304)]:
        a, w = torch.randn(m, k, generator=g), torch.randn(n, k, generator=g)
        with torch.inference_mode():
            _, rounds, el = timed(lambda: F.linear(a, w), ARGS.seconds / 2)
        res["m%d_k%d_n%d" % (m, k, n)] = 2.0 * m * n * k * rounds / el / 1e9
    return res


def main():
    if ARGS.selfcheck:
        sys.exit(selfcheck())
    info = {"model": ARGS.model, "threads": ARGS.threads, "torch": torch.__version__,
            "torch_threads": torch.get_num_threads()}
    if ARGS.model == "sgemm":
        info["GFLOP/s"] = bench_sgemm()
        for k, v in info["GFLOP/s"].items():
            print("torch sgemm %-18s %8.1f GFLOP/s" % (k, v))
        print("RESULT " + json.dumps(info))
        return
    if not ARGS.lengths:
        sys.exit("--lengths FILE is required (VIRNUCPRO_BENCH_DUMP_DIR=DIR go test -run TestDumpBenchTokens ./internal/perf"
                 " writes DIR/%s.json)" % ARGS.model)
    with open(ARGS.lengths) as f:
        dump = json.load(f)
    if dump.get("model") != ARGS.model:
        sys.exit("%s holds inputs for %r, not %r" % (ARGS.lengths, dump.get("model"), ARGS.model))
    bench = bench_esm2 if ARGS.model == "esm2" else bench_dnabert
    emb, groups, batches, rounds, el, flops, D = bench(dump)
    toks = dump["tokens"]
    real = sum(len(t) for t in toks)
    padded = sum(b[1].numel() for b in batches)
    # checks: shape, finiteness, same token and FLOP counts as the Go benchmark
    assert emb.shape == (len(toks), D), emb.shape
    assert torch.isfinite(emb).all(), "non-finite embeddings"
    assert real == dump["total_tokens"], (real, dump["total_tokens"])
    assert abs(flops - dump["total_flops"]) <= 1e-9 * flops, (flops, dump["total_flops"])
    info.update({"batching": ARGS.batching, "sequences": len(toks), "batches": len(groups),
                 "tokens_per_round": real, "padded_tokens_per_round": padded, "rounds": rounds,
                 "seconds": el, "tokens/s": real * rounds / el, "GFLOP/s": flops * rounds / el / 1e9,
                 "output_shape": list(emb.shape)})
    print("torch %s batching=%s threads=%d: %d seqs, %d batches, %d tokens (%d with padding) x %d rounds "
          "in %.2fs: %.1f tokens/s, %.1f GFLOP/s; output %s finite" % (
              ARGS.model, ARGS.batching, ARGS.threads, len(toks), len(groups), real, padded, rounds, el,
              info["tokens/s"], info["GFLOP/s"], tuple(emb.shape)))
    print("RESULT " + json.dumps(info))


# ---------------------------------------------------------------------------------
# golden self-check against testdata/esm2_tiny and testdata/dnabert_tiny
# ---------------------------------------------------------------------------------

def selfcheck():
    tol, bad = 1e-5, 0

    def report(name, got, want):
        nonlocal bad
        d = (got - torch.tensor(want, dtype=torch.float32)).abs().max().item()
        ok = d <= tol
        bad += not ok
        print("  %-38s max|diff| %.2e %s" % (name, d, "ok" if ok else "FAIL"))

    # ESM-2: the fair-esm checkpoint (torch.save of our own test fixture)
    td = os.path.join(REPO, "testdata", "esm2_tiny")
    ck = torch.load(os.path.join(td, "esm2_t3_tiny_UR50D.pt"), map_location="cpu")
    cfg = ck["cfg"]["model"]
    sd = {}
    for k, v in ck["model"].items():
        for pre in ("encoder.sentence_encoder.", "encoder."):
            if k.startswith(pre):
                k = k[len(pre):]
                break
        sd[k] = v
    m = ESM2(cfg.encoder_layers, cfg.encoder_embed_dim, cfg.encoder_attention_heads).eval()
    missing, unexpected = m.load_state_dict(sd, strict=False)
    assert not missing and not unexpected, (missing, unexpected)  # inv_freq comes from the file
    with open(os.path.join(td, "golden.json")) as f:
        g = json.load(f)
    byid = {s["id"]: s for s in g["sequences"]}
    print("ESM-2 tiny (%d layers x %d, %d heads), fair-esm checkpoint:" % (
        cfg.encoder_layers, cfg.encoder_embed_dim, cfg.encoder_attention_heads))
    with torch.inference_mode():
        for s in g["sequences"]:
            rep = m(torch.tensor([s["tokens"]]))
            n = len(s["tokens"]) - 2
            report(s["id"] + " mean_virnucpro", rep[0, 1: min(n, 1024) + 1].mean(0), s["mean_virnucpro"])
            report(s["id"] + " mean_full", rep[0, 1: n + 1].mean(0), s["mean_full"])
        for ids in g["vnp_batches"]:
            batches = [(ids, pad_batch([byid[i]["tokens"] for i in ids], ESM_PAD))]
            out = esm_embed(m, batches)
            for i in ids:
                report(i + " batched(%d)" % len(ids), out[i], byid[i]["mean_virnucpro_batched"])

    # DNABERT-S: pytorch_model.bin (state_dict) + golden token ids
    td = os.path.join(REPO, "testdata", "dnabert_tiny")
    with open(os.path.join(td, "config.json")) as f:
        c = json.load(f)
    m = DNABERT(c["num_hidden_layers"], c["hidden_size"], c["num_attention_heads"], c["intermediate_size"],
                c["vocab_size"], c["layer_norm_eps"], c["alibi_starting_size"]).eval()
    raw = torch.load(os.path.join(td, "pytorch_model.bin"), map_location="cpu")
    ren = {"embeddings.word_embeddings.": "word_embeddings.", "embeddings.token_type_embeddings.": "token_type_embeddings.",
           "embeddings.LayerNorm.": "emb_ln.", "pooler.dense.": "pooler.", "encoder.layer.": "layers.",
           ".attention.self.Wqkv.": ".attn.Wqkv.", ".attention.output.dense.": ".dense.",
           ".attention.output.LayerNorm.": ".ln1.", ".mlp.gated_layers.": ".gated_layers.",
           ".mlp.wo.": ".wo.", ".mlp.layernorm.": ".ln2."}
    sd = {}
    for k, v in raw.items():
        if k.startswith("bert."):
            k = k[5:]
        for a, b in ren.items():
            k = k.replace(a, b)
        sd[k] = v
    m.load_state_dict(sd, strict=True)
    with open(os.path.join(td, "golden.json")) as f:
        g = json.load(f)
    report_slopes = torch.tensor(alibi_slopes(c["num_attention_heads"]), dtype=torch.float32)
    d = (report_slopes - torch.tensor(g["alibi_slopes"])).abs().max().item()
    print("DNABERT-S tiny (%d layers x %d, %d heads, GLU %d), pytorch_model.bin:" % (
        c["num_hidden_layers"], c["hidden_size"], c["num_attention_heads"], c["intermediate_size"]))
    print("  %-38s max|diff| %.2e %s" % ("ALiBi slopes", d, "ok" if d == 0 else "FAIL"))
    bad += d != 0
    with torch.inference_mode():
        seqs = g["sequences"]
        out = dnabert_embed(m, [([i], torch.tensor([s["ids"]]), None) for i, s in enumerate(seqs)])
        for i, s in enumerate(seqs):
            report(s["id"] + " (one per call)", out[i], s["mean"])
        ids = pad_batch([s["ids"] for s in seqs], 3)
        mask = torch.zeros_like(ids)
        for j, s in enumerate(seqs):
            mask[j, : len(s["ids"])] = 1
        out = dnabert_embed(m, [(list(range(len(seqs))), ids, mask)])
        for i, s in enumerate(seqs):
            report(s["id"] + " (padded batch)", out[i], s["mean"])
    print("self-check: %s" % ("PASS" if bad == 0 else "%d FAILED" % bad))
    return 0 if bad == 0 else 1


if __name__ == "__main__":
    main()
