#!/usr/bin/env python3
"""Fits the simulator's prefill model to prefill_grid.py's measurements.

The model (simulator HardwareProfile.prefillNanos):
    t = overhead + new * linearFlopPerToken / (peak * mfu) + pairs * attentionFlopPerPair / (peak * attentionMfu)
with pairs = new * (cached + (new + 1) / 2). Three parameters, fitted by least squares on the
relative error (every grid point counts the same whatever its size), then the worst point's
relative error is reported. No numpy needed.

usage: fit_prefill.py GRID.jsonl --peak-tflops 989 --params-b 8.03 --layers 32 --q-heads 32 --head-dim 128
"""
import argparse
import json


def solve3(a, b):
    # Gaussian elimination for a 3x3 system.
    m = [row[:] + [b[i]] for i, row in enumerate(a)]
    for c in range(3):
        p = max(range(c, 3), key=lambda r: abs(m[r][c]))
        m[c], m[p] = m[p], m[c]
        for r in range(3):
            if r != c:
                f = m[r][c] / m[c][c]
                for k in range(c, 4):
                    m[r][k] -= f * m[c][k]
    return [m[i][3] / m[i][i] for i in range(3)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("grid")
    ap.add_argument("--peak-tflops", type=float, default=989.0)
    ap.add_argument("--params-b", type=float, required=True, help="active parameters per token, billions")
    ap.add_argument("--layers", type=int, required=True)
    ap.add_argument("--q-heads", type=int, required=True)
    ap.add_argument("--head-dim", type=int, required=True)
    a = ap.parse_args()
    pts = [json.loads(l) for l in open(a.grid) if l.startswith("{")]
    pts = [p for p in pts if p.get("kind") == "point"]
    lin = 2 * a.params_b * 1e9
    att = 2.0 * a.layers * a.q_heads * 2 * a.head_dim
    peak = a.peak_tflops * 1e12
    rows = []
    for p in pts:
        n, c = p["new"], p["cached"]
        pairs = n * (c + (n + 1) / 2.0)
        t = p["ms"] * 1e-3
        rows.append(([1.0, n * lin / peak, pairs * att / peak], t, p))
    # Weighted least squares on relative error: minimise sum ((x.w - t) / t)^2 for x = (overhead, 1/mfu, 1/amfu).
    ata = [[0.0] * 3 for _ in range(3)]
    atb = [0.0] * 3
    for x, t, _ in rows:
        for i in range(3):
            atb[i] += x[i] / t
            for j in range(3):
                ata[i][j] += x[i] * x[j] / (t * t)
    w = solve3(ata, atb)
    overhead, mfu, amfu = w[0], 1.0 / w[1], 1.0 / w[2]
    worst = 0.0
    out = []
    for x, t, p in rows:
        pred = sum(x[i] * w[i] for i in range(3))
        err = (pred - t) / t
        worst = max(worst, abs(err))
        out.append(dict(new=p["new"], cached=p["cached"], measured_ms=round(t * 1e3, 3),
                        predicted_ms=round(pred * 1e3, 3), error_pct=round(100 * err, 2)))
    print(json.dumps(dict(overhead_us=round(overhead * 1e6, 1), mfu=round(mfu, 4), attention_mfu=round(amfu, 4),
                          worst_error_pct=round(100 * worst, 2), points=out), indent=1))


if __name__ == "__main__":
    main()
