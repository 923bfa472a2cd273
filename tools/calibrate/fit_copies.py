#!/usr/bin/env python3
"""Fits the simulator's copy-time model to the copy calibration's measurements (docs/calibration.md#copies).

Reads the copies.csv that CopyCalibration wrote on the GPU machine (one line per SPI call: request, kind,
pages, bytes, start_ns, issue_ns, duration_ns, ok) and fits, per kind, the simulator's form

    time of one call = latency + bytes / bandwidth

to each request's total time of that kind (the sum over its calls: n_calls x latency + bytes / bandwidth),
by least squares on the relative error (weights 1 / measured^2: a closed form, no optimiser). Prints, per
kind, the fit and the per-request relative errors (median, p90, max) of the fit and of the given profile.

With --latency-us KIND=US,... the latency of those kinds is held and only their bandwidth fitted (the profile
has one latency per PCIe direction and one L3 latency).

--profile gives the simulator profile to check: d2h_GBps,h2d_GBps,latency_us,l3_read_GBps,l3_write_GBps,l3_latency_us
(one PCIe latency) or d2h_GBps,h2d_GBps,d2h_latency_us,h2d_latency_us,l3_read_GBps,l3_write_GBps,l3_latency_us.

--validate OTHER_CSV applies each kind's fit to another run's copies (a held-out replay) and prints its errors.

usage: fit_copies.py COPIES_CSV [--latency-us load=300,backup=300,l3_write=100]
                     [--profile d2h_GBps,h2d_GBps,[d2h_latency_us,]h2d_latency_us,l3_read_GBps,l3_write_GBps,l3_latency_us]
                     [--validate OTHER_CSV]
"""
import csv
import json
import sys
from collections import defaultdict

KINDS = ("load", "backup", "l3_read", "l3_write", "l3_query")


def per_request(path):
    """kind -> request -> [calls, bytes, pages, measured ns]"""
    out = defaultdict(lambda: defaultdict(lambda: [0, 0, 0, 0]))
    with open(path) as f:
        for row in csv.DictReader(f):
            if row["ok"] != "true":
                continue
            a = out[row["kind"]][int(row["request"])]
            a[0] += 1
            a[1] += int(row["bytes"])
            a[2] += int(row["pages"])
            a[3] += int(row["duration_ns"])
    return out


def fit(reqs, page_bytes=None):
    """Weighted least squares of t = n * lat + X / bw (X = bytes, or pages for queries)."""
    s_nn = s_nx = s_xx = s_nt = s_xt = 0.0
    for n, b, p, t in reqs.values():
        x = b if page_bytes is None else p
        w = 1.0 / (t * t)
        s_nn += w * n * n
        s_nx += w * n * x
        s_xx += w * x * x
        s_nt += w * n * t
        s_xt += w * x * t
    det = s_nn * s_xx - s_nx * s_nx
    lat = (s_nt * s_xx - s_nx * s_xt) / det
    per_x = (s_nn * s_xt - s_nx * s_nt) / det
    return lat, per_x


def fit_held(reqs, lat):
    """Weighted least squares of t = n * lat + bytes * per_byte with lat held."""
    num = sum((b / t) * ((t - n * lat) / t) for n, b, p, t in reqs.values())
    den = sum((b / t) ** 2 for n, b, p, t in reqs.values())
    return lat, num / den


def errors(reqs, lat, per_x, use_pages=False):
    e = []
    for n, b, p, t in reqs.values():
        x = p if use_pages else b
        pred = n * lat + x * per_x
        e.append(abs(pred - t) / t)
    e.sort()
    return {"requests": len(e), "median": round(e[len(e) // 2], 4), "p90": round(e[int(len(e) * 0.9)], 4),
            "max": round(e[-1], 4)}


def main():
    args = sys.argv[1:]
    if not args:
        sys.exit(__doc__)
    prof = [50, 50, 10, 40, 20, 100]
    if "--profile" in args:
        prof = [float(x) for x in args[args.index("--profile") + 1].split(",")]
    if len(prof) == 6:
        prof = prof[:3] + prof[2:]
    if len(prof) != 7:
        sys.exit("--profile takes 6 or 7 numbers, got " + str(len(prof)))
    d2h, h2d, d2h_lat_us, h2d_lat_us, l3r, l3w, l3lat_us = prof
    other = per_request(args[args.index("--validate") + 1]) if "--validate" in args else None
    held = {}
    if "--latency-us" in args:
        for kv in args[args.index("--latency-us") + 1].split(","):
            k, v = kv.split("=")
            held[k] = float(v) * 1e3
    data = per_request(args[0])
    result = {}
    for kind in KINDS:
        reqs = data.get(kind)
        if not reqs:
            continue
        q = kind == "l3_query"  # no bytes: latency plus a time per key
        try:
            lat, per_x = fit_held(reqs, held[kind]) if kind in held else fit(reqs, page_bytes=1 if q else None)
        except ZeroDivisionError:
            print(f"{kind}: too few distinct requests to fit", file=sys.stderr)
            continue
        entry = {"fit": {"latency_us": round(lat / 1e3, 2)},
                 "fit_errors": errors(reqs, lat, per_x, use_pages=q)}
        if q:
            entry["fit"]["us_per_key"] = round(per_x / 1e3, 4)
        else:
            entry["fit"]["GBps"] = round(1 / per_x, 3) if per_x > 0 else None
        prof_gbps = {"load": h2d, "backup": d2h, "l3_read": l3r, "l3_write": l3w}.get(kind)
        prof_lat = {"load": h2d_lat_us, "backup": d2h_lat_us}.get(kind, l3lat_us)
        if prof_gbps:
            entry["profile"] = {"latency_us": prof_lat, "GBps": prof_gbps}
            entry["profile_errors"] = errors(reqs, prof_lat * 1e3, 1 / prof_gbps)
            if other is not None and other.get(kind):
                entry["validate_profile_errors"] = errors(other[kind], prof_lat * 1e3, 1 / prof_gbps)
        if other is not None and other.get(kind):
            entry["validate_fit_errors"] = errors(other[kind], lat, per_x, use_pages=q)
        tot = sum(v[3] for v in reqs.values())
        byt = sum(v[1] for v in reqs.values())
        entry["calls"] = sum(v[0] for v in reqs.values())
        entry["bytes"] = byt
        entry["aggregate_GBps"] = round(byt / tot, 3) if tot else None
        result[kind] = entry
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
