#!/usr/bin/env python3
"""Prefill time of a Llama-shaped model on one GPU, over a grid of new x cached tokens.

What the simulator's prefill model is fitted to (docs/calibration.md). Random bf16 weights, the
layers a Llama decoder has (RMSNorm, QKV, RoPE, GQA attention over a preallocated KV cache,
output projection, SwiGLU MLP), SDPA as PyTorch provides it (flash or memory-efficient kernels,
causal with the new tokens' queries aligned to the END of the keys: the cached prefix is fully
visible). The KV of the cached prefix is random: attention's cost does not depend on its values.
The last token's logits are computed, as a serving engine does at the end of a prefill.

Prints one JSON object per line: {"kind":"point", "model":..., "new":N, "cached":C, "ms":median, ...}
and a header line {"kind":"env", ...}. Options pick the shape: the default is Llama-3-8B;
--preset llama-3-70b-tp4 is one GPU's slice of Llama-3-70B at TP 4 (a quarter of the heads and of
the MLP), timed over --layers layers and scaled to the model's 80 by the caller.

usage: prefill_grid.py [--preset llama-3-8b|llama-3-70b-tp4] [--layers N] [--new 128,512,...]
                       [--cached 0,4096,...] [--reps 5]
"""
import argparse
import json
import math
import statistics
import sys
import time

import torch
import torch.nn.functional as F

PRESETS = {
    # hidden, q heads, kv heads, head dim, intermediate, layers, vocab
    "llama-3-8b": dict(hidden=4096, q_heads=32, kv_heads=8, head_dim=128, inter=14336, layers=32, vocab=128256),
    # One GPU of a TP-4 group of Llama-3-70B: 64/4 query heads, 8/4 KV heads, 28672/4 MLP columns.
    "llama-3-70b-tp4": dict(hidden=8192, q_heads=16, kv_heads=2, head_dim=128, inter=7168, layers=80,
                            vocab=128256 // 4),
}


def ints(s):
    return [int(x) for x in s.split(",") if x]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--preset", default="llama-3-8b", choices=sorted(PRESETS))
    ap.add_argument("--layers", type=int, default=0, help="layers to build and time (default: the preset's)")
    ap.add_argument("--new", type=ints, default=ints("128,512,2048,8192,16384"))
    ap.add_argument("--cached", type=ints, default=ints("0,4096,16384,65536"))
    ap.add_argument("--reps", type=int, default=5)
    a = ap.parse_args()
    p = dict(PRESETS[a.preset])
    layers = a.layers or p["layers"]
    dev = torch.device("cuda")
    dt = torch.bfloat16
    torch.manual_seed(0)
    h, nq, nkv, d, inter = p["hidden"], p["q_heads"], p["kv_heads"], p["head_dim"], p["inter"]
    max_new, max_cached = max(a.new), max(a.cached)
    cap = max_new + max_cached

    def w(*shape):
        return (torch.randn(*shape, device=dev, dtype=dt) * (1.0 / math.sqrt(shape[0])))

    L = []
    for _ in range(layers):
        L.append(dict(
            ln1=torch.ones(h, device=dev, dtype=dt), ln2=torch.ones(h, device=dev, dtype=dt),
            wqkv=w(h, (nq + 2 * nkv) * d), wo=w(nq * d, h), w13=w(h, 2 * inter), w2=w(inter, h),
            k=torch.randn(1, nkv, cap, d, device=dev, dtype=dt), v=torch.randn(1, nkv, cap, d, device=dev, dtype=dt)))
    norm = torch.ones(h, device=dev, dtype=dt)
    lm_head = w(h, p["vocab"])
    inv_freq = 1.0 / (500000.0 ** (torch.arange(0, d, 2, device=dev, dtype=torch.float32) / d))

    from torch.nn.attention.bias import causal_lower_right

    def rms(x, g):
        xf = x.float()
        return (xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + 1e-5)).to(dt) * g

    def rope(x, pos):  # x [1, heads, T, d]
        f = torch.outer(pos.float(), inv_freq)
        cos, sin = f.cos().to(dt), f.sin().to(dt)
        x1, x2 = x[..., : d // 2], x[..., d // 2:]
        return torch.cat((x1 * cos - x2 * sin, x2 * cos + x1 * sin), dim=-1)

    backend_used = {}

    def attention(q, k, v, new, cached):
        if cached == 0:
            return F.scaled_dot_product_attention(q, k, v, is_causal=True, enable_gqa=True)
        try:
            return F.scaled_dot_product_attention(q, k, v, attn_mask=causal_lower_right(new, new + cached),
                                                  enable_gqa=True)
        except Exception as e:  # older dispatch without GQA for the causal bias: repeat the KV heads
            backend_used["gqa_fallback"] = repr(e)[:200]
            rep = nq // nkv
            return F.scaled_dot_product_attention(q, k.repeat_interleave(rep, 1), v.repeat_interleave(rep, 1),
                                                  attn_mask=causal_lower_right(new, new + cached))

    @torch.inference_mode()
    def prefill(ids_len, cached):
        T = ids_len
        x = torch.randn(T, h, device=dev, dtype=dt)  # the embedding lookup's output
        pos = torch.arange(cached, cached + T, device=dev)
        for l in L:
            y = rms(x, l["ln1"]) @ l["wqkv"]
            q, k, v = y.split([nq * d, nkv * d, nkv * d], dim=-1)
            q = rope(q.view(T, nq, d).transpose(0, 1).unsqueeze(0), pos)
            k = rope(k.view(T, nkv, d).transpose(0, 1).unsqueeze(0), pos)
            v = v.view(T, nkv, d).transpose(0, 1).unsqueeze(0)
            l["k"][:, :, cached:cached + T].copy_(k)
            l["v"][:, :, cached:cached + T].copy_(v)
            o = attention(q, l["k"][:, :, :cached + T], l["v"][:, :, :cached + T], T, cached)
            x = x + o.squeeze(0).transpose(0, 1).reshape(T, nq * d) @ l["wo"]
            g, u = (rms(x, l["ln2"]) @ l["w13"]).chunk(2, dim=-1)
            x = x + (F.silu(g) * u) @ l["w2"]
        return rms(x[-1:], norm) @ lm_head

    print(json.dumps(dict(kind="env", torch=torch.__version__, gpu=torch.cuda.get_device_name(0),
                          preset=a.preset, layers_timed=layers, layers_model=p["layers"], **p)), flush=True)
    # Warm-up: every grid point once (cuBLAS heuristics and SDPA kernel choice depend on both the
    # query and the key length; a point measured cold was the 2026-12-07 run's outlier).
    for c in a.cached:
        for n in a.new:
            prefill(n, c)
    torch.cuda.synchronize()
    for c in a.cached:
        for n in a.new:
            times = []
            for _ in range(a.reps):
                s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
                s.record()
                prefill(n, c)
                e.record()
                torch.cuda.synchronize()
                times.append(s.elapsed_time(e))
            ms = statistics.median(times)
            print(json.dumps(dict(kind="point", model=a.preset, layers_timed=layers, new=n, cached=c, ms=round(ms, 4),
                                  ms_min=round(min(times), 4), ms_max=round(max(times), 4), reps=a.reps)), flush=True)
    if backend_used:
        print(json.dumps(dict(kind="note", **backend_used)), flush=True)


if __name__ == "__main__":
    sys.exit(main())
