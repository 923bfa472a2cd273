#!/usr/bin/env python3
"""Fits the simulator's prefill model to prefill_grid.py's measurements (docs/calibration.md).

The model (simulator HardwareProfile.prefillNanos), per prefill step of `new` tokens after `cached`:
    t = max(floor_per_layer * layers,
            overhead_per_layer * layers + new * linear_flop / (peak * mfu) + pairs * attention_flop / (peak * attention_mfu))
with linear_flop = 2 * params, pairs = new * (cached + (new + 1) / 2), attention_flop = 2 * layers * q_heads * 2 * head_dim
(the simulator's ModelProfile formulas: pass the same --params-b the simulator's model profile has). The floor is an
eager forward pass bound by launching its kernels when it has few tokens. Four parameters, fitted to minimise the worst
relative error over the grid (every point counts the same whatever its size), then every point's error is printed.
Needs numpy and scipy (Debian: python3-numpy python3-scipy).

usage: fit_prefill.py GRID.jsonl --params-b 8.0 --layers 32 --q-heads 32 --head-dim 128 [--tp 1] [--peak-tflops 989]
"""
import argparse
import json
import sys

import numpy as np
from scipy.optimize import differential_evolution


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("grid")
    ap.add_argument("--peak-tflops", type=float, default=989.0)
    ap.add_argument("--params-b", type=float, required=True, help="active parameters per token, billions (whole model)")
    ap.add_argument("--layers", type=int, required=True)
    ap.add_argument("--q-heads", type=int, required=True, help="query heads of the whole model")
    ap.add_argument("--head-dim", type=int, required=True)
    ap.add_argument("--tp", type=int, default=1, help="the grid measured one GPU's slice of this TP degree")
    a = ap.parse_args()
    pts = []
    with open(a.grid) as f:
        for i, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                p = json.loads(line)
            except json.JSONDecodeError as e:
                sys.exit(f"{a.grid}:{i}: not JSON ({e.msg})")
            if p.get("kind") == "point":
                pts.append(p)
    if len(pts) < 5:
        sys.exit(f"{a.grid}: {len(pts)} grid points; the fit has four parameters and needs at least five")
    peak = a.peak_tflops * 1e12 * a.tp
    n = np.array([p["new"] for p in pts], float)
    c = np.array([p["cached"] for p in pts], float)
    t = np.array([p["ms"] for p in pts]) * 1e-3
    lin = n * 2 * a.params_b * 1e9 / peak
    att = n * (c + (n + 1) / 2.0) * (2.0 * a.layers * a.q_heads * 2 * a.head_dim) / peak
    layers = a.layers

    def model(x):
        floor, overhead, inv_mfu, inv_amfu = x
        return np.maximum(floor * layers, overhead * layers + lin * inv_mfu + att * inv_amfu)

    res = differential_evolution(lambda x: np.max(np.abs((model(x) - t) / t)),
                                 [(0, 2e-3), (0, 2e-3), (1, 10), (1, 20)], seed=1, tol=1e-12, maxiter=5000)
    floor, overhead, inv_mfu, inv_amfu = res.x
    pred = model(res.x)
    out = [dict(new=int(n[i]), cached=int(c[i]), measured_ms=round(t[i] * 1e3, 3), predicted_ms=round(pred[i] * 1e3, 3),
                error_pct=round(100 * (pred[i] - t[i]) / t[i], 2)) for i in range(len(pts))]
    print(json.dumps(dict(floor_us_per_layer=round(floor * 1e6, 1), overhead_us_per_layer=round(overhead * 1e6, 1),
                          mfu=round(1 / inv_mfu, 4), attention_mfu=round(1 / inv_amfu, 4),
                          worst_error_pct=round(100 * res.fun, 2), points=out), indent=1))


if __name__ == "__main__":
    main()
