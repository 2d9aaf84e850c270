#!/usr/bin/env python3
"""What INT8 rounding costs, op by op: a float64 BERT cross-encoder that rounds chosen GEMM inputs
and weights the way `--dtype int8` does, scored against float64 reference logits.

The engine's INT8 path cannot say which rounding its error comes from, nor try a rounding it does
not implement; this does both, in float64 so nothing else adds error:
  --weights rtn   per-output-channel symmetric INT8, round to nearest (what the engine does)
  --weights gptq  the same grid, rounded column by column with the error carried into the columns
                  not yet rounded through the inverse Hessian of calibration inputs (GPTQ,
                  Frantar et al. 2022); the calibration pairs come from --calib, after --calib-skip
  --act all|none|NAME,...  round the inputs of all, no, or the named encoder linears (substrings of the
                  tensor names, e.g. "intermediate" for FFN-in) per row, asymmetric u8 with a
                  zero point, as every engine kernel does
Prints max / mean / std of (logit - reference) and the worst per-query Spearman and top-10 overlap.
Needs numpy and torch (CPU); about 80 s per 600 pairs of minilm-l6 on one core.

  bench/int8_sim.py --model ../shared/models/minilm-l6-random \
      --golden ../shared/golden/scores_l6_dl19.jsonl --weights gptq --act all \
      --calib ../shared/golden/tokenize_dl19.jsonl --calib-skip 600
"""
import argparse
import json
import os
import struct
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from accuracy import worst_per_query  # noqa: E402


def load_safetensors(path):
    blob = open(path, "rb").read()
    n = struct.unpack("<Q", blob[:8])[0]
    header = json.loads(blob[8 : 8 + n])
    types = {"F32": np.float32, "F16": np.float16, "F64": np.float64, "I64": np.int64}
    out = {}
    for name, v in header.items():
        if name == "__metadata__":
            continue
        s, e = v["data_offsets"]
        raw = np.frombuffer(blob[8 + n + s : 8 + n + e], dtype=types[v["dtype"]])
        out[name] = torch.from_numpy(raw.reshape(v["shape"]).astype(np.float64))
    return out


def read_pairs(path, skip=0, limit=None):
    pairs = []
    with open(path) as f:
        for i, line in enumerate(f):
            if i < skip:
                continue
            if limit is not None and len(pairs) >= limit:
                break
            d = json.loads(line)
            ids, types = d["input_ids"], d["token_type_ids"]
            ids = json.loads(ids) if isinstance(ids, str) else ids
            types = json.loads(types) if isinstance(types, str) else types
            pairs.append((d.get("qid"), ids, types, d.get("logit")))
    return pairs


def round_rows_u8(x):
    """Per-row asymmetric u8 over [min(0, min), max(0, max)], as the engine's quantizers."""
    lo = torch.clamp(x.min(-1, keepdim=True).values, max=0)
    hi = torch.clamp(x.max(-1, keepdim=True).values, min=0)
    scale = (hi - lo) / 255
    scale[scale == 0] = 1
    zero = torch.round(-lo / scale)
    return (torch.clamp(torch.round(x / scale) + zero, 0, 255) - zero) * scale


def channel_scales(w):
    s = w.abs().max(1, keepdim=True).values / 127
    s[s == 0] = 1
    return s


def round_weight_rtn(w):
    s = channel_scales(w)
    return torch.clamp(torch.round(w / s), -127, 127) * s


def round_weight_gptq(w, hessian, damp=0.01):
    """GPTQ on the RTN grid (same scales): each input column's rounding error is spread over the
    later columns so that the layer's output on the calibration inputs moves least."""
    w = w.clone()
    s = channel_scales(w)[:, 0]
    h = hessian.clone()
    dead = torch.diag(h) == 0
    h[dead, dead] = 1
    w[:, dead] = 0
    h += damp * torch.mean(torch.diag(h)) * torch.eye(h.shape[0], dtype=h.dtype)
    hinv = torch.linalg.cholesky(torch.cholesky_inverse(torch.linalg.cholesky(h)), upper=True)
    q = torch.zeros_like(w)
    for i in range(w.shape[1]):
        q[:, i] = torch.clamp(torch.round(w[:, i] / s), -127, 127) * s
        err = (w[:, i] - q[:, i]) / hinv[i, i]
        w[:, i + 1 :] -= err[:, None] * hinv[i, i + 1 :][None, :]
    return q


class CrossEncoder:
    def __init__(self, model_dir):
        self.cfg = json.load(open(os.path.join(model_dir, "config.json")))
        self.t = load_safetensors(os.path.join(model_dir, "model.safetensors"))
        self.prefix = "bert." if any(k.startswith("bert.") for k in self.t) else ""
        self.weights = {}  # rounded weights by linear name
        self.round_inputs = lambda name: False
        self.observe = None  # called with (linear name, its input) during calibration

    def linears(self):
        """The encoder's matrices: the engine keeps the pooler and the classifier in F32."""
        return [k[: -len(".weight")] for k, v in self.t.items()
                if k.endswith(".weight") and v.dim() == 2 and "encoder." in k]

    def linear(self, name, x):
        if self.observe:
            self.observe(name, x)
        if "encoder." in name and self.round_inputs(name):
            x = round_rows_u8(x)
        return x @ self.weights.get(name, self.t[name + ".weight"]).T + self.t[name + ".bias"]

    def layer_norm(self, name, x):
        eps = self.cfg.get("layer_norm_eps", 1e-12)
        m = x.mean(-1, keepdim=True)
        v = ((x - m) ** 2).mean(-1, keepdim=True)
        return (x - m) / torch.sqrt(v + eps) * self.t[name + ".weight"] + self.t[name + ".bias"]

    def logit(self, ids, types):
        t, p, heads = self.t, self.prefix, self.cfg["num_attention_heads"]
        ids, types = torch.tensor(ids), torch.tensor(types)
        n = len(ids)
        x = (t[p + "embeddings.word_embeddings.weight"][ids]
             + t[p + "embeddings.position_embeddings.weight"][:n]
             + t[p + "embeddings.token_type_embeddings.weight"][types])
        x = self.layer_norm(p + "embeddings.LayerNorm", x)
        for layer in range(self.cfg["num_hidden_layers"]):
            a = f"{p}encoder.layer.{layer}."
            q, k, v = (self.linear(a + "attention.self." + w, x) for w in ("query", "key", "value"))
            d = q.shape[1] // heads
            q, k, v = (z.view(n, heads, d).transpose(0, 1) for z in (q, k, v))
            ctx = (torch.softmax(q @ k.transpose(1, 2) / d**0.5, -1) @ v).transpose(0, 1)
            x = self.layer_norm(a + "attention.output.LayerNorm",
                                self.linear(a + "attention.output.dense", ctx.reshape(n, -1)) + x)
            h = self.linear(a + "intermediate.dense", x)
            h = 0.5 * h * (1 + torch.erf(h / 2**0.5))
            x = self.layer_norm(a + "output.LayerNorm", self.linear(a + "output.dense", h) + x)
        pooled = torch.tanh(self.linear(p + "pooler.dense", x[0:1]))
        return self.linear("classifier", pooled)[0, 0].item()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True, help="Hugging Face model folder (config.json, model.safetensors)")
    ap.add_argument("--golden", required=True, help="pairs with input_ids, token_type_ids and the float64 logit")
    ap.add_argument("--limit", type=int, default=600, help="pairs scored from --golden (default 600)")
    ap.add_argument("--weights", choices=["float", "rtn", "gptq"], default="rtn",
                    help="the encoder's weights: float64, round to nearest, or GPTQ (default rtn)")
    ap.add_argument("--act", default="all", help="all, none, or comma-separated linear-name substrings")
    ap.add_argument("--calib", help="pairs (input_ids, token_type_ids) for GPTQ's Hessians")
    ap.add_argument("--calib-skip", type=int, default=0, help="lines of --calib to skip (keep them apart from --golden)")
    ap.add_argument("--calib-n", type=int, default=32, help="calibration pairs (default 32)")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)

    model = CrossEncoder(args.model)
    if args.weights == "gptq":
        if not args.calib:
            ap.error("--weights gptq needs --calib")
        gram = {}
        counts = {}

        def observe(name, x):
            gram[name] = gram.get(name, 0) + x.T @ x
            counts[name] = counts.get(name, 0) + x.shape[0]

        model.observe = observe
        calib = read_pairs(args.calib, args.calib_skip, args.calib_n)
        if len(calib) < args.calib_n:
            sys.exit(f"--calib: {len(calib)} pairs after skipping {args.calib_skip}, {args.calib_n} asked")
        for _, ids, types, _ in calib:
            model.logit(ids, types)
        model.observe = None
        for name in model.linears():
            model.weights[name] = round_weight_gptq(model.t[name + ".weight"], gram[name] / counts[name])
    elif args.weights == "rtn":
        model.weights = {name: round_weight_rtn(model.t[name + ".weight"]) for name in model.linears()}
    if args.act == "all":
        model.round_inputs = lambda name: True
    elif args.act != "none":
        parts = args.act.split(",")
        model.round_inputs = lambda name: any(s in name for s in parts)

    start = time.time()
    pairs = read_pairs(args.golden, 0, args.limit)
    scored = [(qid, ref, model.logit(ids, types)) for qid, ids, types, ref in pairs]
    errors = np.array([ours - ref for _, ref, ours in scored])
    _, rho, top = worst_per_query(scored)
    print(f"weights {args.weights}, inputs rounded: {args.act}; {len(errors)} pairs in {time.time() - start:.0f} s")
    print(f"max |err| {abs(errors).max():.4f}  mean {errors.mean():+.4f}  std {errors.std():.4f}  "
          f"worst Spearman {rho[0]:.4f} (query {rho[1]})" + (f"  worst top-10 {top[0]}/10" if top else ""))


if __name__ == "__main__":
    main()
