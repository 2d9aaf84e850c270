"""Python predict overhead against `crossenc score` on the same pairs (bench/RESULTS.md).

    /usr/bin/python3 python/benchmarks/predict_overhead.py CROSSENC_CLI MODEL.cenc PAIRS.jsonl [THREADS]

Runs `crossenc score` (whole process) and, in this process, CrossEncoder(MODEL).predict on the
pairs of PAIRS.jsonl (one {"query", "passage"} per line), alternating, twice each; prints the
wall times and checks the scores are identical.
"""

import json
import subprocess
import sys
import time

import numpy as np

from crossenc import CrossEncoder


def main() -> None:
    cli, model, pairs_file = sys.argv[1:4]
    threads = sys.argv[4] if len(sys.argv) > 4 else "0"
    pairs = [(d["query"], d["passage"]) for d in map(json.loads, open(pairs_file, encoding="utf-8"))]
    for attempt in range(2):
        t0 = time.monotonic()
        out = subprocess.run([cli, "score", "-m", model, "-i", pairs_file, "--threads", threads],
                             check=True, capture_output=True, text=True).stdout
        cli_s = time.monotonic() - t0
        cli_scores = np.array([json.loads(line)["score"] for line in out.splitlines()], np.float32)
        t0 = time.monotonic()
        encoder = CrossEncoder(model, threads=int(threads))
        t1 = time.monotonic()
        scores = encoder.predict(pairs)
        t2 = time.monotonic()
        same = bool(np.array_equal(scores, cli_scores))
        print(f"run {attempt + 1}: {len(pairs)} pairs; crossenc score (process) {cli_s:.2f} s; "
              f"python open {t1 - t0:.3f} s + predict {t2 - t1:.2f} s "
              f"({len(pairs) / (t2 - t1):.1f} pairs/s); identical scores: {same}")


if __name__ == "__main__":
    main()
