#!/usr/bin/env python3
# tests/tiny_arch.py — the independent side of tests/model_arch_test.c: writes tiny
# random-weight GGUFs of the architectures qwen3, gemma2, phi3 and a Mistral-style llama
# (sliding window in the metadata) with the `gguf` package's writer and quantisers, and
# checks efbench's capture of one of them against a float64 numpy forward pass that reads
# the weights through `gguf`'s own dequantiser (not efbench's). The forward pass follows
# llama.cpp's graphs (src/models/qwen3.cpp, gemma2.cpp, phi3.cpp, llama.cpp).
#
#   tiny_arch.py write ARCH OUT.gguf SEED
#   tiny_arch.py check MODEL.gguf CAPTURE.safetensors LOGITS.f32
#   tiny_arch.py llama MODEL.gguf LOGITS.txt WINDOW ID...  (scripts/llama-logits-check.sh)
#
# check exits 0 when every layer's Q and K and the last position's logits agree within
# the float32 bound below, 1 otherwise (a line per layer either way), 2 on bad input.
import json
import struct
import sys

import numpy as np
import gguf
from gguf import quants

Q = gguf.GGMLQuantizationType
# matrices cycle through these (the K-quants have no writer in `gguf`)
MATRIX_TYPES = [Q.Q8_0, Q.Q4_0, Q.Q5_1, Q.F16, Q.Q4_1, Q.BF16, Q.Q5_0, Q.F32]

DIMS = {  # n_embd, n_head, n_head_kv, head_dim, n_ff, n_layer
    "qwen3": (64, 4, 2, 32, 128, 2),     # head_dim 32 != n_embd / n_head = 16
    "gemma2": (64, 4, 2, 32, 128, 3),    # layers 0, 2 local (window 5), 1 global
    "phi3": (64, 4, 4, 16, 128, 2),      # fused q|k|v and gate|up, LongRoPE factors
    "mistral": (64, 4, 1, 16, 128, 2),   # llama + attention.sliding_window 5
}
WINDOW = 5
PHI3_ORIG_CTX = 8  # LongRoPE: the long factors apply when n > 8


def byte_vocab():
    """GPT-2's 256 byte symbols and one control token: enough for tokenizer_load."""
    printable = [b for b in range(256) if 0x21 <= b <= 0x7E or 0xA1 <= b <= 0xAC or b >= 0xAE]
    other = [b for b in range(256) if b not in printable]
    cps = {b: b for b in printable}
    cps.update({b: 256 + i for i, b in enumerate(other)})
    toks = [chr(cps[b]) for b in printable + other] + ["<|endoftext|>"]
    types = [1] * 256 + [3]
    return toks, types


def write(arch, path, seed):
    E, H, Hkv, d, F, L = DIMS[arch]
    rng = np.random.default_rng(seed)
    name = "llama" if arch == "mistral" else arch
    w = gguf.GGUFWriter(path, name)
    w.add_context_length(64 if arch != "phi3" else 32)
    w.add_embedding_length(E)
    w.add_block_count(L)
    w.add_feed_forward_length(F)
    w.add_head_count(H)
    w.add_head_count_kv(Hkv)
    w.add_key_length(d)
    w.add_value_length(d)
    w.add_layer_norm_rms_eps(1e-6)
    w.add_rope_freq_base(10000.0 if arch != "qwen3" else 1e6)
    w.add_rope_dimension_count(d)
    if arch in ("gemma2", "mistral"):
        w.add_sliding_window(WINDOW)
    if arch == "gemma2":
        w.add_float32(f"{name}.attn_logit_softcapping", 2.0)   # small: the cap really bends
        w.add_float32(f"{name}.final_logit_softcapping", 3.0)
    if arch == "phi3":
        w.add_uint32(f"{name}.rope.scaling.original_context_length", PHI3_ORIG_CTX)
        w.add_float32(f"{name}.rope.scaling.attn_factor", 1.19)
    toks, types = byte_vocab()
    w.add_tokenizer_model("gpt2")
    w.add_tokenizer_pre("qwen2")
    w.add_token_list(toks)
    w.add_token_types(types)
    w.add_token_merges(["a b"])  # one merge: the key must be there
    w.add_eos_token_id(len(toks) - 1)
    V = len(toks)
    count = [0]

    def matrix(tname, ne0, ne1):
        t = MATRIX_TYPES[count[0] % len(MATRIX_TYPES)]
        count[0] += 1
        x = (rng.standard_normal((ne1, ne0)) / np.sqrt(ne0)).astype(np.float32)
        if t == Q.F32:
            w.add_tensor(tname, x)
        elif t == Q.F16:
            w.add_tensor(tname, x.astype(np.float16))
        else:
            w.add_tensor(tname, quants.quantize(x, t), raw_dtype=t)

    def vector(tname, n, centre=1.0, spread=0.1):
        w.add_tensor(tname, (centre + spread * rng.standard_normal(n)).astype(np.float32))

    matrix("token_embd.weight", E, V)
    for layer in range(L):
        b = f"blk.{layer}."
        vector(b + "attn_norm.weight", E)
        if arch == "phi3":
            matrix(b + "attn_qkv.weight", E, H * d + 2 * Hkv * d)
        else:
            matrix(b + "attn_q.weight", E, H * d)
            matrix(b + "attn_k.weight", E, Hkv * d)
            matrix(b + "attn_v.weight", E, Hkv * d)
        if arch == "qwen3":
            vector(b + "attn_q_norm.weight", d)
            vector(b + "attn_k_norm.weight", d)
        matrix(b + "attn_output.weight", H * d, E)
        if arch == "gemma2":
            vector(b + "post_attention_norm.weight", E)
        vector(b + "ffn_norm.weight", E)
        if arch == "phi3":
            matrix(b + "ffn_up.weight", E, 2 * F)
        else:
            matrix(b + "ffn_gate.weight", E, F)
            matrix(b + "ffn_up.weight", E, F)
        matrix(b + "ffn_down.weight", F, E)
        if arch == "gemma2":
            vector(b + "post_ffw_norm.weight", E)
    vector("output_norm.weight", E)
    if arch in ("phi3", "mistral"):
        matrix("output.weight", E, V)
    if arch == "phi3":
        vector("rope_factors_long.weight", d // 2, 4.0, 1.0)
        vector("rope_factors_short.weight", d // 2, 1.0, 0.05)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


# ---- the float64 reference ----------------------------------------------------------

class Model:
    def __init__(self, path):
        self.r = gguf.GGUFReader(path)
        self.arch = str(self.r.fields["general.architecture"].contents())
        self.t = {t.name: t for t in self.r.tensors}

    def kv(self, key, default=None):
        f = self.r.fields.get(f"{self.arch}.{key}")
        return default if f is None else f.contents()

    def w(self, name):
        """A tensor in float64, numpy shape (ne1, ne0), through gguf's dequantiser."""
        if name not in self.t:
            return None
        t = self.t[name]
        x = quants.dequantize(t.data, t.tensor_type)
        return np.asarray(x, dtype=np.float64).reshape([int(n) for n in reversed(t.shape)])


def rmsnorm(x, w, eps):
    return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps) * w


def rope(x, pos, base, neox, factors, mscale):
    """x (n, heads, d): rotate pairs (i, i + d/2) (NEOX) or (2i, 2i + 1) by pos * theta_i."""
    d = x.shape[-1]
    half = d // 2
    theta = base ** (-2.0 * np.arange(half) / d)
    if factors is not None:
        theta = theta / factors
    ang = pos[:, None] * theta[None, :]
    c, s = np.cos(ang)[:, None, :] * mscale, np.sin(ang)[:, None, :] * mscale
    y = x.copy()
    if neox:
        a, b = x[..., :half], x[..., half:]
        y[..., :half], y[..., half:] = a * c - b * s, a * s + b * c
    else:
        a, b = x[..., 0::2], x[..., 1::2]
        y[..., 0::2], y[..., 1::2] = a * c - b * s, a * s + b * c
    return y


def gelu(x):
    return 0.5 * x * (1 + np.tanh(0.7978845608028654 * (x + 0.044715 * x ** 3)))


def forward(m, tokens):
    """Every layer's post-RoPE Q (H, n, d) and K (Hkv, n, d), and the last logits."""
    a = m.arch
    E, L = m.kv("embedding_length"), m.kv("block_count")
    H, Hkv = m.kv("attention.head_count"), m.kv("attention.head_count_kv")
    d = m.kv("attention.key_length")
    eps = m.kv("attention.layer_norm_rms_epsilon")
    base = m.kv("rope.freq_base", 10000.0)
    window = m.kv("attention.sliding_window", 0)
    gemma = a == "gemma2"
    n = len(tokens)
    pos = np.arange(n, dtype=np.float64)
    emb = m.w("token_embd.weight")
    x = emb[tokens] * (np.sqrt(E) if gemma else 1.0)
    factors, mscale = None, 1.0
    if a == "phi3":
        long = n > m.kv("rope.scaling.original_context_length")
        factors = m.w("rope_factors_long.weight" if long else "rope_factors_short.weight")
        mscale = m.kv("rope.scaling.attn_factor", 1.0)
    scale = 1.0 / np.sqrt(d)
    cap, final_cap = m.kv("attn_logit_softcapping", 0.0), m.kv("final_logit_softcapping", 0.0)
    qs, ks = [], []
    for layer in range(L):
        b = f"blk.{layer}."
        h = rmsnorm(x, m.w(b + "attn_norm.weight"), eps)
        if a == "phi3":
            qkv = h @ m.w(b + "attn_qkv.weight").T
            q, k, v = np.split(qkv, [H * d, H * d + Hkv * d], axis=1)
        else:
            q, k, v = (h @ m.w(b + f"attn_{c}.weight").T for c in "qkv")
        q, k, v = q.reshape(n, H, d), k.reshape(n, Hkv, d), v.reshape(n, Hkv, d)
        if a == "qwen3":
            q = rmsnorm(q, m.w(b + "attn_q_norm.weight"), eps)
            k = rmsnorm(k, m.w(b + "attn_k_norm.weight"), eps)
        neox = a != "llama"
        q, k = rope(q, pos, base, neox, factors, mscale), rope(k, pos, base, neox, factors, mscale)
        qs.append(q.transpose(1, 0, 2))
        ks.append(k.transpose(1, 0, 2))
        local = window and (layer % 2 == 0 if gemma else True)
        i, j = np.arange(n)[:, None], np.arange(n)[None, :]
        visible = (j <= i) & ((i - j < window) if local else True)
        o = np.zeros((n, H, d))
        for hh in range(H):
            g = hh // (H // Hkv)
            s = scale * (q[:, hh] @ k[:, g].T)
            if cap:
                s = cap * np.tanh(s / cap)
            s = np.where(visible, s, -np.inf)
            p = np.exp(s - s.max(axis=1, keepdims=True))
            o[:, hh] = (p / p.sum(axis=1, keepdims=True)) @ v[:, g]
        y = o.reshape(n, H * d) @ m.w(b + "attn_output.weight").T
        if gemma:
            y = rmsnorm(y, m.w(b + "post_attention_norm.weight"), eps)
        x = x + y
        h = rmsnorm(x, m.w(b + "ffn_norm.weight"), eps)
        if a == "phi3":
            gate, up = np.split(h @ m.w(b + "ffn_up.weight").T, 2, axis=1)
        else:
            gate, up = h @ m.w(b + "ffn_gate.weight").T, h @ m.w(b + "ffn_up.weight").T
        act = gelu(gate) if gemma else gate / (1 + np.exp(-gate))
        y = (act * up) @ m.w(b + "ffn_down.weight").T
        if gemma:
            y = rmsnorm(y, m.w(b + "post_ffw_norm.weight"), eps)
        x = x + y
    h = rmsnorm(x[-1], m.w("output_norm.weight"), eps)
    out = m.w("output.weight")
    logits = h @ (emb if out is None else out).T
    if final_cap:
        logits = final_cap * np.tanh(logits / final_cap)
    return qs, ks, logits


def read_safetensors(path):
    with open(path, "rb") as f:
        hl = struct.unpack("<Q", f.read(8))[0]
        head = json.loads(f.read(hl))
        body = f.read()
    out = {}
    for name, e in head.items():
        if name == "__metadata__":
            continue
        dt = {"F32": np.float32, "I32": np.int32}[e["dtype"]]
        b0, b1 = e["data_offsets"]
        out[name] = np.frombuffer(body[b0:b1], dtype=dt).reshape(e["shape"])
    return out, head.get("__metadata__", {})


def rel(want, got):
    return float(np.linalg.norm(want - got) / np.linalg.norm(want))


def check(model_path, capture_path, logits_path):
    m = Model(model_path)
    cap, meta = read_safetensors(capture_path)
    tokens = cap["tokens"].astype(np.int64)
    n = len(tokens)
    qs, ks, logits = forward(m, tokens)
    E, F = m.kv("embedding_length"), m.kv("feed_forward_length")
    # Float32 bound. Every value on the way to layer l's Q and K went through at most l + 1
    # blocks, each a chain of dot products of length at most m = E + F + n (projections,
    # attention over n keys, the FFN), and a dot product of length m carries a relative
    # error of at most gamma_m ~ m u (u = 2^-24) for inputs of one sign, sqrt(m)-times more
    # for random signs, which the Frobenius norm averages out. The factor 8 covers the
    # exponentials, tanh and rsqrt (each within 4 u) and the error each block amplifies.
    u = 2.0 ** -24
    m_len = E + F + n
    ok = True
    for layer in range(len(qs)):
        bound = 8 * (layer + 1) * m_len * u
        eq = rel(qs[layer], cap[f"q.{layer}"].astype(np.float64))
        ek = rel(ks[layer], cap[f"k.{layer}"].astype(np.float64))
        good = eq <= bound and ek <= bound
        ok &= good
        print(f"layer {layer}: Q rel {eq:.2e}, K rel {ek:.2e}, bound {bound:.2e} "
              f"{'ok' if good else 'FAIL'}")
    lg = np.fromfile(logits_path, dtype=np.float32).astype(np.float64)
    bound = 8 * (len(qs) + 1) * m_len * u
    el = rel(logits, lg)
    ok &= el <= bound
    print(f"logits: rel {el:.2e}, bound {bound:.2e} {'ok' if el <= bound else 'FAIL'}")
    softcap = m.kv("attn_logit_softcapping")
    if softcap and not all(float(meta.get(f"softcap.{i}", 0)) == softcap for i in range(len(qs))):
        print(f"metadata softcap.<layer> is not {softcap} on every layer")
        ok = False
    return 0 if ok else 1


def llama(model_path, logits_path, ids, window):
    """llama.cpp's logits (text, one a line) against the float64 pass. llama.cpp rounds the
    activations of quantised matrix products to Q8_0 (a relative step of 1/254 of each
    32-block's largest value) and keeps K and V in f16, so it agrees to about 1e-2, not to a
    float32 bound; 0.05 leaves room for the few layers of the tiny models. `window` 0: as
    llama.cpp does for llama files, ignore attention.sliding_window."""
    m = Model(model_path)
    if not window:
        kv = m.kv
        m.kv = lambda k, d=None: 0 if k == "attention.sliding_window" else kv(k, d)
    _, _, ref = forward(m, np.array(ids))
    ll = np.loadtxt(logits_path)
    e = rel(ref, ll)
    print(f"{model_path}: llama.cpp logits vs float64: rel {e:.2e} (bound 5e-02), argmax "
          f"{int(ll.argmax())} / {int(ref.argmax())}")
    return 0 if e <= 0.05 and ll.argmax() == ref.argmax() else 1


def main(argv):
    if len(argv) == 5 and argv[1] == "write" and argv[2] in DIMS:
        write(argv[2], argv[3], int(argv[4]))
        return 0
    if len(argv) == 5 and argv[1] == "check":
        return check(argv[2], argv[3], argv[4])
    if len(argv) > 5 and argv[1] == "llama":
        return llama(argv[2], argv[3], [int(x) for x in argv[5:]], int(argv[4]))
    print(__doc__ or "usage: tiny_arch.py write ARCH OUT SEED | check MODEL CAPTURE LOGITS",
          file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
