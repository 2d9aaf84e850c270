#!/usr/bin/env python3
"""Accuracy of one dtype against float64 reference logits (the README's accuracy table).

Scores a golden file (lines with qid, input_ids/token_type_ids and the reference "logit") with
`crossenc score` and prints: max |logit - reference|, the mean and RMS of logit - reference, the
worst per-query Spearman correlation and the worst per-query top-10 overlap (how many of the
reference's 10 best passages are also in ours), each with the query it comes from. Queries with fewer than 10 pairs give no top-10 figure.

  bench/accuracy.py --model ../shared/models/minilm-l6-outliers \
      --golden ../shared/golden/scores_l6outliers_dl19.jsonl --dtype int8
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time


def ranks(values):
    """Ranks from 1, ties given the mean of their positions (Spearman's convention)."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    out = [0.0] * len(values)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        for t in range(i, j + 1):
            out[order[t]] = (i + j) / 2.0 + 1.0
        i = j + 1
    return out


def spearman(a, b):
    ra, rb = ranks(a), ranks(b)
    n = len(a)
    ma, mb = sum(ra) / n, sum(rb) / n
    cov = sum((x - ma) * (y - mb) for x, y in zip(ra, rb))
    va = sum((x - ma) ** 2 for x in ra)
    vb = sum((y - mb) ** 2 for y in rb)
    return cov / (va * vb) ** 0.5 if va > 0 and vb > 0 else 1.0


def top10_overlap(ref, ours):
    best = lambda v: set(sorted(range(len(v)), key=lambda i: -v[i])[:10])
    return len(best(ref) & best(ours))


def worst_per_query(triples):
    """From (qid, reference, ours) per pair: the number of queries, the worst per-query Spearman
    as (rho, qid) and the worst top-10 overlap as (overlap, qid), None when no query has 10 pairs."""
    by_query = {}
    for qid, ref, ours in triples:
        refs, ourss = by_query.setdefault(qid, ([], []))
        refs.append(ref)
        ourss.append(ours)
    rho = min((spearman(r, o), q) for q, (r, o) in by_query.items() if len(r) > 1)
    top = [(top10_overlap(r, o), q) for q, (r, o) in by_query.items() if len(r) >= 10]
    return len(by_query), rho, (min(top) if top else None)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", required=True, help="model folder or .cenc file")
    p.add_argument("--golden", required=True, help="JSONL with qid, input_ids, token_type_ids, logit")
    p.add_argument("--dtype", default="f32", help="the dtype to measure (what --dtype takes)")
    p.add_argument("--crossenc", default="build/tools/crossenc", help="the CLI to run")
    p.add_argument("--extra", default="", help="more `crossenc score` arguments, space-separated")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    a = p.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "scores.jsonl")
        cmd = [a.crossenc, "score", "-m", a.model, "--dtype", a.dtype, "-i", a.golden, "-o", out]
        cmd += a.extra.split()
        t0 = time.time()
        r = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if r.returncode != 0:
            sys.exit(f"accuracy.py: {' '.join(cmd)} failed ({r.returncode}):\n{r.stderr}")
        seconds = time.time() - t0
        lines = [json.loads(s) for s in open(out, encoding="utf-8")]

    errors = [line["score"] - line["logit"] for line in lines]
    worst_err, worst_err_line = 0.0, -1
    for i, err in enumerate(errors):
        if abs(err) > worst_err:
            worst_err, worst_err_line = abs(err), i
    mean_err = sum(errors) / len(errors)
    rms_err = (sum(e * e for e in errors) / len(errors)) ** 0.5
    queries, rho, top = worst_per_query((l.get("qid", 0), l["logit"], l["score"]) for l in lines)
    result = {
        "model": os.path.basename(os.path.normpath(a.model)),
        "golden": os.path.basename(a.golden),
        "dtype": a.dtype,
        "pairs": len(lines),
        "queries": queries,
        "max_abs_err": worst_err,
        "max_abs_err_line": worst_err_line + 1,
        "mean_err": mean_err,
        "rms_err": rms_err,
        "worst_spearman": rho[0],
        "worst_spearman_qid": rho[1],
        "worst_top10": top[0] if top else None,
        "worst_top10_qid": top[1] if top else None,
        "seconds": round(seconds, 2),
    }
    if a.json:
        print(json.dumps(result))
        return
    print(f"{result['model']} {a.dtype} on {result['golden']} ({len(lines)} pairs, "
          f"{queries} queries, {seconds:.1f} s)")
    print(f"  max |err|        {worst_err:.3g} (line {worst_err_line + 1})")
    print(f"  mean / rms err   {mean_err:+.4f} / {rms_err:.4f}")
    print(f"  worst Spearman   {rho[0]:.4f} (qid {rho[1]})")
    if top:
        print(f"  worst top-10     {top[0]}/10 (qid {top[1]})")


if __name__ == "__main__":
    main()
