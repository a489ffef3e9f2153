# Reproduce the PyTorch side of TestBenchESM3B on a GPU machine (torch + transformers):
#   LAYERS=36 TOKENS=16384 BATCHES=8 python3 torch_esm3b.py
# Builds EsmModel from an esm2_t36_3B-like EsmConfig with random weights (no download).
import os, time, random, torch
from transformers import EsmConfig, EsmModel
L = int(os.environ.get("LAYERS", "36")); budget = int(os.environ.get("TOKENS", "16384")); nb = int(os.environ.get("BATCHES", "8"))
attn = os.environ.get("ATTN", "sdpa")
cfg = EsmConfig(vocab_size=33, hidden_size=2560, num_hidden_layers=L, num_attention_heads=40, intermediate_size=10240,
                position_embedding_type="rotary", token_dropout=True, mask_token_id=32, pad_token_id=1,
                max_position_embeddings=1026, layer_norm_eps=1e-5, emb_layer_norm_before=False, hidden_act="gelu")
cfg._attn_implementation = attn
torch.manual_seed(0)
with torch.device("cuda"):
    model = EsmModel(cfg, add_pooling_layer=False).half().eval()
random.seed(42)
lens = [30 + random.randrange(137) + 2 for _ in range(budget * (nb + 1) // 100)]
# VirNucPro-style: length-sorted padded batches under the same token budget (rows * maxlen <= budget)
def batches(ls):
    ls = sorted(ls); out = []; cur = []
    for l in ls:
        if cur and (len(cur) + 1) * l > budget:
            out.append(cur); cur = []
        cur.append(l)
    if cur: out.append(cur)
    return out
bs = batches(lens)
def run(b):
    m = max(b); ids = torch.full((len(b), m), 1, dtype=torch.long, device="cuda"); mask = torch.zeros((len(b), m), dtype=torch.long, device="cuda")
    for i, l in enumerate(b):
        ids[i, :l] = torch.randint(4, 24, (l,), device="cuda"); ids[i, 0] = 0; ids[i, l-1] = 2; mask[i, :l] = 1
    return model(input_ids=ids, attention_mask=mask).last_hidden_state
with torch.inference_mode():
    run(bs[0]); run(bs[1]); torch.cuda.synchronize()
    t0 = time.time(); toks = 0; seqs = 0; fl = 0.0
    for b in bs[2:]:
        run(b); toks += sum(b); seqs += len(b)
        fl += L * (2 * sum(b) * (4 * 2560**2 + 2 * 2560 * 10240) + sum(4 * l * l * 2560 for l in b))
    torch.cuda.synchronize(); el = time.time() - t0
print(f"TORCH-BENCH torch={torch.__version__} attn={attn} layers={L} batches={len(bs)-2} seqs={seqs} tokens={toks} time={el:.3f}s tokens/s={toks/el:.0f} TFLOP/s={fl/el/1e12:.1f} MFU={100*fl/el/989.4e12:.1f}%")
