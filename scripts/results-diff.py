#!/usr/bin/env python3
"""scripts/results-diff.py — do two efbench runs hold the same results, timings aside?

Compares two results.json files (format: results/README.md) case by case: the same cases
(keyed by device, workload, variant, mask, precision, sizes and input), the same status,
reasons, path and accuracy/invariant figures, the same result fields, and the same inputs.
Timings, throughput, dates, peaks and command lines are ignored. Used to check that a
refactor changed no behaviour.

usage: scripts/results-diff.py A/results.json B/results.json [--tolerance REL]
exit: 0 the same, 1 they differ (each difference on one line), 2 bad input.
"""
import json
import math
import sys

IGNORED = {"time_ms", "gflops", "gbps"}
KEY = ("backend", "device", "workload", "variant", "mask", "precision", "n", "d", "source",
       "text", "layer", "head", "kv_head", "seed")


def load(path):
    try:
        with open(path) as f:
            doc = json.load(f)
    except (OSError, ValueError) as e:
        sys.exit(print(f"results-diff: {path}: {e}", file=sys.stderr) or 2)
    if doc.get("format") != "efbench-results":
        sys.exit(print(f"results-diff: {path} is not an efbench results.json", file=sys.stderr) or 2)
    return doc


def same(a, b, tol):
    if isinstance(a, float) and isinstance(b, (int, float)) or isinstance(b, float) and isinstance(a, int):
        if math.isclose(a, b, rel_tol=tol, abs_tol=0.0):
            return True
        return a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k], tol) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y, tol) for x, y in zip(a, b))
    return a == b


def index(cases, where):
    out = {}
    for c in cases:
        k = tuple(c.get(f) for f in KEY)
        if k in out:
            sys.exit(print(f"results-diff: {where}: two cases share the key {k}", file=sys.stderr) or 2)
        out[k] = c
    return out


def main(argv):
    tol = 0.0
    args = [a for a in argv[1:]]
    if "--tolerance" in args:
        i = args.index("--tolerance")
        tol = float(args[i + 1])
        del args[i:i + 2]
    if len(args) != 2:
        print(__doc__.strip().splitlines()[-2], file=sys.stderr)
        return 2
    a, b = load(args[0]), load(args[1])
    diffs = []
    ca, cb = index(a["cases"], args[0]), index(b["cases"], args[1])
    for k in ca.keys() - cb.keys():
        diffs.append(f"only in A: {k}")
    for k in cb.keys() - ca.keys():
        diffs.append(f"only in B: {k}")
    for k in ca.keys() & cb.keys():
        x, y = ca[k], cb[k]
        if x.keys() != y.keys():
            diffs.append(f"{k}: fields differ: {sorted(x.keys() ^ y.keys())}")
        for f in sorted(x.keys() & y.keys()):
            if f in IGNORED or f == "device_id":
                continue
            if not same(x[f], y[f], tol):
                diffs.append(f"{k}: {f}: {x[f]!r} != {y[f]!r}")
    if not same(a.get("inputs"), b.get("inputs"), tol):
        diffs.append("inputs differ")
    if a["summary"] != b["summary"]:
        diffs.append(f"summary: {a['summary']} != {b['summary']}")
    for line in diffs:
        print(line)
    print(f"results-diff: {len(ca)} and {len(cb)} cases, {len(diffs)} differences")
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
