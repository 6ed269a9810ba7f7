#!/usr/bin/env python3
"""scripts/peers.py — the energy field computed by the libraries people use, for efbench's
comparisons: numpy, and PyTorch when it can be imported. It reads an efbench suite, makes
the same inputs bit for bit (the synthetic sources of harness/source_synth.c, replayed
here: same seeds, same RNG, same libm), runs each library's obvious code for the energy
cases, times it with efbench's protocol (harness/timing.c), judges it against a float64
computation with efbench's bound (harness/verify.c) and writes a results.json in
efbench's format (results/README.md) that `efbench report` merges beside efbench's own.

    /usr/bin/python3 scripts/peers.py --suite perf --out /tmp/peers
    build/efbench report /tmp/peers /tmp/efbench-run --out /tmp/report

Exit status: 0 when every case ran and passed, 1 when one failed, 2 on usage errors or
when numpy is missing. Called by scripts/perf-check.sh.
"""
import argparse
import configparser
import ctypes
import json
import math
import os
import platform
import subprocess
import sys
import time
from datetime import datetime, timezone

try:
    import numpy as np
except ImportError:
    sys.stderr.write("peers.py: numpy is not installed for %s (apt-get install python3-numpy, then run "
                     "/usr/bin/python3 scripts/peers.py)\n" % sys.executable)
    sys.exit(2)

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
U32 = 2.0 ** -24        # unit roundoff of fp32 accumulation
VERIFY_C = 2.0          # harness/verify.h
M64 = (1 << 64) - 1

# ---- the suite (harness/suite.c: the same keys and defaults) ------------------------------


def suite_path(name):
    """A suite name in suites/ (or $EF_SUITE_DIR), or a path, as efbench resolves it."""
    if "/" in name or name.endswith(".ini"):
        return name
    for folder in (os.environ.get("EF_SUITE_DIR"), os.path.join(REPO, "suites")):
        if folder and os.path.exists(os.path.join(folder, name + ".ini")):
            return os.path.join(folder, name + ".ini")
    return os.path.join("suites", name + ".ini")


def words(value):
    return [w.strip() for w in value.split(",") if w.strip()]


def suite_read(path):
    ini = configparser.ConfigParser(strict=False, inline_comment_prefixes=(";", "#"),
                                    interpolation=None)
    if not ini.read(path):
        raise SystemExit(usage_error("cannot read the suite %s" % path))
    s = ini["suite"] if ini.has_section("suite") else {}
    suite = {"name": s.get("name", os.path.basename(path)), "path": os.path.abspath(path),
             "seed": int(s.get("seed", 20261128)), "target_time_s": float(s.get("target_time", 0.3)),
             "warmup_s": float(s.get("warmup", 0.1)), "min_reps": int(s.get("min_reps", 3)),
             "max_reps": int(s.get("max_reps", 1000)), "check_rows": int(s.get("check_rows", 256)),
             "full_check_max": int(s.get("full_check_max", 2048))}
    sets = []
    for name in ini.sections():
        if not (name == "cases" or name.startswith("cases ")):
            continue
        c = ini[name]
        precisions = words(c.get("precisions", "fp32"))
        sets.append({"name": name, "sources": words(c.get("sources", "")),
                     "lengths": [int(x) for x in words(c.get("lengths", ""))],
                     "dims": [int(x) for x in words(c.get("dims", "64"))],
                     "heads": c.get("heads", "1"), "masks": words(c.get("masks", "full")),
                     "precisions": ["fp32", "fp16", "bf16"] if "all" in precisions else precisions,
                     "workloads": words(c.get("workloads", "all"))})
    return suite, sets


# ---- the inputs (harness/source_synth.c, replayed bit for bit) ----------------------------


def splitmix64(x):
    """(new state, output) of splitmix64."""
    x = (x + 0x9E3779B97F4A7C15) & M64
    z = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return x, z ^ (z >> 31)


def name_hash(s):
    h = 0xCBF29CE484222325
    for ch in s.encode():
        h = ((h ^ ch) * 0x100000001B3) & M64
    return h


def head_seed(suite_seed, kind, n, d, h):
    _, mix = splitmix64(suite_seed ^ name_hash(kind))
    mix ^= (n << 32 | d << 8 | h) & M64
    return splitmix64(mix)[1] >> 11


def normals(seed, count):
    """`count` float32 draws of xoshiro256** seeded by splitmix64, through Box-Muller with
    the C library's log, cos and sqrt (Python's math calls the same libm); the log's
    uniform is drawn first, as efbench's build evaluates rng_normal."""
    s = []
    for _ in range(4):
        seed, z = splitmix64(seed)
        s.append(z)
    s0, s1, s2, s3 = s
    out = np.empty(count, dtype=np.float32)
    log, cos, sqrt, two_pi = math.log, math.cos, math.sqrt, 2.0 * math.pi
    scale = 2.0 ** -53
    u = [0.0, 0.0]
    for i in range(count):
        for k in (0, 1):
            r = (s1 * 5) & M64
            r = (((r << 7) | (r >> 57)) & M64) * 9 & M64
            t = (s1 << 17) & M64
            s2 ^= s0
            s3 ^= s1
            s1 ^= s2
            s0 ^= s3
            s2 ^= t
            s3 = ((s3 << 45) | (s3 >> 19)) & M64
            u[k] = ((r >> 11) + 0.5) * scale
        out[i] = sqrt(-2.0 * log(u[0])) * cos(two_pi * u[1])
    return out


def synth_head(kind, suite_seed, n, d, h):
    """(seed, Q, K) of a synthetic head: gaussian, or sink (key 0 scaled by 30)."""
    seed = head_seed(suite_seed, kind, n, d, h)
    x = normals(seed, 2 * n * d)
    q, k = x[:n * d].reshape(n, d), x[n * d:].reshape(n, d).copy()
    if kind == "sink":
        k[0, :] *= np.float32(30.0)
    return seed, q, k


SOURCES = ("gaussian", "sink")


def round_to(x, precision):
    """The inputs as efbench stores them (core/half.h: nearest even), back as float32."""
    if precision == "fp16":
        return x.astype(np.float16).astype(np.float32)
    if precision == "bf16":
        u = x.view(np.uint32).astype(np.uint64)
        u = (u + 0x7FFF + ((u >> 16) & 1)) & 0xFFFF0000
        return u.astype(np.uint32).view(np.float32)
    return x


# ---- masks ------------------------------------------------------------------------------


def mask_parse(spec):
    """('full' | 'causal' | 'window', w)."""
    if spec in ("full", "causal"):
        return spec, 0
    if spec.startswith("window:") and spec[7:].isdigit() and int(spec[7:]) > 0:
        return "window", int(spec[7:])
    return None, 0


def visible_pairs(n, kind, w):
    """harness/workload.c: the entries a mask keeps (the flops count 2 d per entry)."""
    if kind == "causal":
        return n * (n + 1) / 2
    if kind == "window":
        w = min(w, n)
        return w * (w + 1) / 2 + (n - w) * w
    return float(n) * n


def visible_counts(n, kind, w):
    """Keys row i sees: n, i + 1, or min(i + 1, w)."""
    i = np.arange(1, n + 1, dtype=np.float64)
    return np.full(n, float(n)) if kind == "full" else i if kind == "causal" else np.minimum(i, w)


# ---- the peers: each library's obvious code ---------------------------------------------


def numpy_energy(Q, K, a, kind, w, count):
    """E = center_rows(a Q K^T) over the visible keys (energy-field.md): the row mean is
    over the keys the row sees, the hidden entries are zero."""
    S = Q @ K.T * a
    if kind == "full":
        return S - S.mean(1, keepdims=True)
    S = np.tril(S) if kind == "causal" else np.triu(np.tril(S), 1 - w)
    E = S - S.sum(1, keepdims=True) / count
    return np.tril(E) if kind == "causal" else np.triu(np.tril(E), 1 - w)


def torch_energy(torch, Q, K, a, kind, w, count):
    S = Q @ K.T * a
    if kind == "full":
        return S - S.mean(1, keepdim=True)
    S = torch.tril(S) if kind == "causal" else torch.triu(torch.tril(S), 1 - w)
    E = S - S.sum(1, keepdim=True) / count
    return torch.tril(E) if kind == "causal" else torch.triu(torch.tril(E), 1 - w)


def openblas_lib():
    """ctypes handle of the OpenBLAS numpy loaded, or None."""
    try:
        with open("/proc/self/maps") as f:
            paths = {line.split()[-1] for line in f if "openblas" in line.lower() and "/" in line}
    except OSError:
        return None
    for path in sorted(paths):
        try:
            lib = ctypes.CDLL(path)
            lib.openblas_get_corename.restype = ctypes.c_char_p
            return lib
        except (OSError, AttributeError):
            continue
    return None


def cpu_flags():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def openblas_choose(lib):
    """efbench's rule (backends/host_blas.c), so that both run the same kernels: when
    OpenBLAS fell back to Prescott on a CPU it does not know, and OPENBLAS_CORETYPE is not
    set, select the kernels the CPU's features allow. Returns a note, or ""."""
    if lib is None:
        return ""
    core = lib.openblas_get_corename().decode()
    if os.environ.get("OPENBLAS_CORETYPE"):
        return "kernels %s (OPENBLAS_CORETYPE)" % core
    flags = cpu_flags()
    better = ("SkylakeX" if {"avx512f", "avx512bw", "avx512dq", "avx512vl"} <= flags else
              "Haswell" if {"avx2", "fma"} <= flags else "Sandybridge" if "avx" in flags else None)
    if core.lower() != "prescott" or not better or not hasattr(lib, "gotoblas_dynamic_init"):
        return ""
    os.environ["OPENBLAS_CORETYPE"] = better
    lib.gotoblas_dynamic_quit()
    lib.gotoblas_dynamic_init()
    del os.environ["OPENBLAS_CORETYPE"]
    return "kernels %s by the CPU's features (OpenBLAS's model table gave Prescott)" % \
        lib.openblas_get_corename().decode()


# ---- timing (harness/timing.c) and judging (harness/verify.c) ---------------------------


def timing_measure(suite, rep):
    """Warm up for warmup_s (at least once), then repeat until target_s and min_reps
    (at most max_reps); median, min, max and the count, in ms."""
    start = time.perf_counter()
    while True:
        rep()
        if time.perf_counter() - start >= suite["warmup_s"]:
            break
    t, start = [], time.perf_counter()
    while len(t) < suite["max_reps"] and (len(t) < suite["min_reps"] or
                                         time.perf_counter() - start < suite["target_time_s"]):
        t0 = time.perf_counter()
        rep()
        t.append((time.perf_counter() - t0) * 1e3)
    t.sort()
    c = len(t)
    median = t[c // 2] if c % 2 else 0.5 * (t[c // 2 - 1] + t[c // 2])
    return {"median": median, "min": t[0], "max": t[-1], "reps": c}


def reference(Q, K, a, kind, w):
    """The float64 field, and B_ij = a |q_i|.(|k_j| + mabs_i) on visible entries (the base
    of efbench's componentwise bound; mabs_i the mean |k| over the keys row i sees)."""
    n = Q.shape[0]
    Q, K = Q.astype(np.float64), K.astype(np.float64)
    count = visible_counts(n, kind, w)[:, None]
    E = numpy_energy(Q, K, a, kind, w, count)
    Qa, Ka = np.abs(Q), np.abs(K)
    P = np.vstack([np.zeros((1, K.shape[1])), np.cumsum(Ka, 0)])
    hi = np.arange(n) + 1 if kind != "full" else np.full(n, n)
    lo = np.zeros(n, dtype=int) if kind != "window" else np.maximum(np.arange(n) - w + 1, 0)
    Mabs = (P[hi] - P[lo]) / count
    B = a * (Qa @ Ka.T) + a * np.sum(Qa * Mabs, 1, keepdims=True)
    if kind != "full":
        B = np.tril(B) if kind == "causal" else np.triu(np.tril(B), 1 - w)
    return E, B


def judge(E, E64, B, n, d, input_rel_err):
    """accuracy, status and reasons as verify_energy writes them (every row checked)."""
    s = math.ceil(math.log2(max(n, 2))) + 2
    k = d + s + 2
    g = k * U32 / (1 - k * U32)
    diff = np.abs(E.astype(np.float64) - E64)
    bad = int(np.count_nonzero(~(diff <= VERIFY_C * g * B)))
    ref2, floor2 = float(np.sum(E64 * E64)), float(np.sum((g * B) ** 2))
    acc = {"rel_fro_err": math.sqrt(float(np.sum(diff * diff)) / max(ref2, floor2, 1e-300)),
           "max_abs_err": float(np.max(diff)), "bound_violations": bad, "rows_checked": n,
           "input_rel_err": input_rel_err, "bound_c": VERIFY_C, "unit_roundoff": U32}
    reasons = [] if bad == 0 else [
        "energy: %d of %d entries exceed %g*gamma_{d+s+2}*a|q|(|k|+mean|k|) (max |err| %.3g)"
        % (bad, n * n, VERIFY_C, acc["max_abs_err"])]
    return acc, ("pass" if bad == 0 else "fail"), reasons


# ---- the run record (results/README.md) -------------------------------------------------


def usage_error(msg):
    sys.stderr.write("peers.py: %s\n" % msg)
    return 2


def host_facts():
    """host as efbench writes it (core/host.c): /proc/cpuinfo's model name, cores, memory."""
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((l.split(":", 1)[1].strip() for l in f if l.startswith("model name")), cpu)
    except OSError:
        pass
    pretty = platform.system()
    try:
        with open("/etc/os-release") as f:
            pretty = next((l.split("=", 1)[1].strip().strip('"') for l in f
                           if l.startswith("PRETTY_NAME=")), pretty)
    except OSError:
        pass
    u = platform.uname()
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_bytes": mem,
            "os": "%s, %s %s %s" % (pretty, u.system, u.release, u.machine)}


def tool_version():
    try:
        out = subprocess.run(["git", "-C", REPO, "describe", "--always", "--dirty", "--tags"],
                             capture_output=True, text=True, timeout=10)
        return out.stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def peers_open(wanted):
    """[(name, device record fields, energy(Q, K, a, kind, w, count), wrap(array))] of the
    peers asked for and found (wrap makes a numpy array the library's own, without a copy
    where it can), and a note on each that is absent."""
    host = host_facts()
    found, absent = [], []
    if "numpy" in wanted:
        lib = openblas_lib()
        note = openblas_choose(lib)
        blas = "its BLAS"
        if lib is not None:
            lib.openblas_get_config.restype = ctypes.c_char_p
            version = lib.openblas_get_config().decode().split()[:2]  # "OpenBLAS 0.3.21"
            blas = "%s %s" % (" ".join(version), lib.openblas_get_corename().decode())
        found.append(("numpy", {
            "driver_version": "numpy %s" % np.__version__, "api_version": blas,
            "notes": "S = Q@K.T*a; S - S.mean(1, keepdims=True) (tril/triu for masks), float32 "
                     "on %s, %d cores%s" % (blas, host["cores"], "; " + note if note else "")},
            lambda Q, K, a, kind, w, count: numpy_energy(Q, K, a, kind, w, count), np.asarray))
    if "torch" in wanted:
        try:
            import torch
            found.append(("torch", {
                "driver_version": "torch %s" % torch.__version__, "api_version": "ATen CPU",
                "notes": "S = Q@K.T*a; S - S.mean(1, keepdim=True) (torch.tril/triu for masks), "
                         "float32, %d threads" % torch.get_num_threads()},
                lambda Q, K, a, kind, w, count: torch_energy(torch, Q, K, float(a), kind, w, count),
                torch.from_numpy))
        except ImportError as e:
            absent.append("torch: %s" % e)
    return found, absent


def device_record(i, name, fields, host):
    """A devices entry: the host CPU, named as efbench names it; no peak measured."""
    rec = {"id": i, "backend": name, "index": 0, "name": host["cpu"], "vendor": "host CPU",
           "driver_version": "", "api_version": "", "type": "cpu",
           "memory_bytes": host["memory_bytes"], "max_buffer_bytes": None, "accumulation": "fp32",
           "peak_gflops": None, "peak_gbps": None, "peak_method": None, "notes": ""}
    rec.update(fields)
    return rec


def case_record(dev, name, host, inp, mask, precision, timing, acc, status, reasons):
    n, d = inp["n"], inp["d"]
    kind, w = mask_parse(mask)
    flops = 2.0 * visible_pairs(n, kind, w) * d
    in_bytes = 4 if precision == "fp32" else 2
    nbytes = float(n) * n * 4 + 2.0 * n * d * in_bytes
    ms = timing["median"]
    return {"backend": name, "device": host["cpu"], "device_id": dev, "workload": "energy",
            "variant": None, "path": "two-pass", "note": None, "mask": mask, "precision": precision,
            "n": n, "d": d, "source": inp["source"], "model": None, "text": None, "layer": None,
            "head": None, "kv_head": None, "seed": inp["seed"], "time_ms": timing,
            "gflops": flops / (ms * 1e6), "gbps": nbytes / (ms * 1e6), "accuracy": acc,
            "invariants": None, "reference": None, "status": status, "reasons": reasons}


# ---- the run ----------------------------------------------------------------------------


def energy_cases(sets):
    """(source, n, d, head, mask, precision) of the suite's energy cases this script can make;
    the others are named on stderr."""
    cases, skipped = [], set()
    for s in sets:
        if "energy" not in s["workloads"] and "all" not in s["workloads"]:
            continue
        heads = 1 if s["heads"] == "all" else int(s["heads"])
        for src in s["sources"]:
            if src not in SOURCES:
                skipped.add("source %s" % src)
                continue
            for n in s["lengths"]:
                for d in s["dims"]:
                    for h in range(heads):
                        for m in s["masks"]:
                            if mask_parse(m)[0] is None:
                                skipped.add("mask %s" % m)
                                continue
                            for p in s["precisions"]:
                                cases.append((src, n, d, h, m, p))
    for what in sorted(skipped):
        sys.stderr.write("peers.py: skipped %s (not replayed here)\n" % what)
    return cases


def run(args):
    suite, sets = suite_read(suite_path(args.suite))
    if args.seed is not None:
        suite["seed"] = args.seed
    found, absent = peers_open(args.peer)
    if not found:
        return usage_error("no peer could be loaded (%s)" % "; ".join(absent))
    host = host_facts()
    devices = [device_record(i, name, fields, host) for i, (name, fields, _, _) in enumerate(found)]
    records, checks, heads, fields64 = [], [], {}, {}
    for src, n, d, h, mask, precision in energy_cases(sets):
        if (src, n, d, h) not in heads:
            heads.clear()
            fields64.clear()
            heads[(src, n, d, h)] = synth_head(src, suite["seed"], n, d, h)
        seed, q, k = heads[(src, n, d, h)]
        kind, w = mask_parse(mask)
        a = 1.0 / math.sqrt(d)
        Q, K = round_to(q, precision), round_to(k, precision)
        E64, B = reference(Q, K, a, kind, w)
        if precision == "fp32":
            fields64[mask] = E64
        base = fields64.get(mask)
        if base is None:
            base = reference(q, k, a, kind, w)[0]
            fields64[mask] = base
        input_rel = 0.0 if precision == "fp32" else \
            math.sqrt(float(np.sum((E64 - base) ** 2)) / max(float(np.sum(base * base)), 1e-300))
        count32 = visible_counts(n, kind, w)[:, None].astype(np.float32)
        col = np.sum(E64 * E64, 0)
        v = col / max(float(np.sum(col)), 1e-300)  # column energy fractions (energy-field.md 4)
        inp = {"source": src, "n": n, "d": d, "seed": seed,
               "pr_over_n": 1.0 / max(float(np.sum(v * v)), 1e-300) / n, "v_max": float(np.max(v))}
        for dev, (name, _, energy, wrap) in enumerate(found):
            Qd, Kd, cd = wrap(Q), wrap(K), wrap(count32)
            aa = np.float32(a)
            E = np.asarray(energy(Qd, Kd, aa, kind, w, cd))
            acc, status, reasons = judge(E, E64, B, n, d, input_rel)
            timing = timing_measure(suite, lambda: energy(Qd, Kd, aa, kind, w, cd))
            rec = case_record(dev, name, host, inp, mask, precision, timing, acc, status, reasons)
            records.append(rec)
            checks.append((rec, inp))
            if not args.quiet:
                print("%-6s energy %-10s %-5s n %5d d %4d  %9.3f ms  %8.2f GFLOP/s  rel_err %.2e  %s"
                      % (name, mask, precision, n, d, timing["median"], rec["gflops"],
                         acc["rel_fro_err"], status))
    summary = {"cases": len(records), "pass": sum(r["status"] == "pass" for r in records),
               "fail": sum(r["status"] == "fail" for r in records), "unsupported": 0, "error": 0}
    doc = {"format": "efbench-results", "format_version": 1,
           "tool": {"name": "efbench-peers", "version": tool_version()},
           "command_line": " ".join(["peers.py"] + sys.argv[1:]),
           "utc_time": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"), "host": host,
           "suite": suite, "devices": devices,
           "absent_backends": "; ".join(absent) if absent else None,
           "summary": summary, "cases": records, "inputs": []}
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, "results.json")
    with open(path + ".tmp", "w") as f:
        json.dump(doc, f, indent=1)
    os.replace(path + ".tmp", path)
    if args.check and check_inputs(checks, args.check):
        return 1
    if not args.quiet:
        print("%d cases: %d pass, %d fail\nresults: %s" % (summary["cases"], summary["pass"], summary["fail"], path))
    return 0 if summary["fail"] == 0 else 1


def check_inputs(checks, path):
    """The inputs are efbench's: each case of ours that the efbench run at `path` also ran
    (same source, n, d, mask, precision) has its seed, and the float64 field of our inputs
    has the PR/n and v_max of efbench's reference (to its 8 printed digits; inputs drawn
    otherwise differ in the third). Returns 1 if not."""
    try:
        with open(os.path.join(path, "results.json") if os.path.isdir(path) else path) as f:
            theirs = json.load(f)["cases"]
    except (OSError, ValueError, KeyError) as e:
        sys.stderr.write("peers.py: --check %s: %s\n" % (path, e))
        return 1
    ref = {(c["source"], c["n"], c["d"], c["mask"], c["precision"]): c for c in theirs if c["workload"] == "energy"}
    bad, compared = 0, 0
    for rec, inp in checks:
        c = ref.get((rec["source"], rec["n"], rec["d"], rec["mask"], rec["precision"]))
        if c is None:
            continue
        compared += 1
        r = c.get("reference") or {}
        for key in ("pr_over_n", "v_max"):
            if r.get(key) is not None and abs(inp[key] - r[key]) > 1e-6 * abs(r[key]):
                bad += 1
                sys.stderr.write("peers.py: %s %s %s n %d: %s %.8g, efbench's reference %.8g\n" % (
                    rec["source"], rec["mask"], rec["precision"], rec["n"], key, inp[key], r[key]))
        if c["seed"] != rec["seed"]:
            bad += 1
            sys.stderr.write("peers.py: %s n %d d %d: seed %d, efbench's is %d\n" % (
                rec["source"], rec["n"], rec["d"], rec["seed"], c["seed"]))
    if compared == 0:
        sys.stderr.write("peers.py: --check %s: no case in common\n" % path)
        return 1
    return 1 if bad else 0


def main():
    ap = argparse.ArgumentParser(description="numpy / PyTorch peers of efbench's energy cases")
    ap.add_argument("--suite", default="perf", help="suite name in suites/ or an .ini path [perf]")
    ap.add_argument("--out", required=True, help="folder for results.json")
    ap.add_argument("--peer", default="numpy,torch",
                    help="comma list of numpy, torch [numpy,torch; torch when importable]")
    ap.add_argument("--seed", type=int, help="replace the suite's seed (as efbench run --seed)")
    ap.add_argument("--check", metavar="RESULTS", help="an efbench results.json (or its folder) "
                    "of the same suite: fail unless our inputs are efbench's (seeds, PR/n, v_max)")
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args()
    args.peer = words(args.peer)
    unknown = [p for p in args.peer if p not in ("numpy", "torch")]
    if unknown:
        return usage_error("unknown peer %s (numpy, torch)" % ", ".join(unknown))
    if not os.path.exists(suite_path(args.suite)):
        return usage_error("no suite %s (a name in suites/ or an .ini path)" % args.suite)
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
