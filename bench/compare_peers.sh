#!/usr/bin/env bash
# Runs ONNX Runtime (and PyTorch) and our engine (FP32, FP16 and BF16) back to back on the same
# pairs and batches through the peers rig (../shared/peers/bench_peers.sh), then prints our
# speed as a ratio of each peer's from the same run, with the machine and its load.
#
# usage: bench/compare_peers.sh [--limit N] [--batch N] [--sort|--no-sort] [--engines ort,torch]
#                               [--cli PATH] [--gemm PATH] [--no-f16] [--no-bf16]
#                               [other bench_peers.sh options]
# Defaults: --limit 1000 --batch 32, unsorted, engines ort, CLI build-perf/tools/crossenc (else
# build/tools/crossenc), gemm auto, reference logits ../shared/golden/scores_l6_dl19.jsonl when
# --limit is at most its 600 lines.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SHARED="$(cd "$ROOT/../shared" && pwd)"
cli=""; gemm=auto; f16=1; bf16=1; limit=1000; batch=32; engines=ort; extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --cli) cli="$2"; shift 2;;
    --gemm) gemm="$2"; shift 2;;
    --no-f16) f16=0; shift;;
    --no-bf16) bf16=0; shift;;
    --limit) limit="$2"; shift 2;;
    --batch) batch="$2"; shift 2;;
    --engines) engines="$2"; shift 2;;
    -h|--help) sed -n '2,12p' "$0"; exit 0;;
    *) extra+=("$1"); shift;;
  esac
done
if [ -z "$cli" ]; then
  for c in "$ROOT/build-perf/tools/crossenc" "$ROOT/build/tools/crossenc"; do
    [ -x "$c" ] && { cli="$c"; break; }
  done
fi
[ -x "$cli" ] || { echo "compare_peers.sh: no crossenc binary (build it or pass --cli)" >&2; exit 1; }
ref=()
golden="$SHARED/golden/scores_l6_dl19.jsonl"
if [ "$limit" -gt 0 ] && [ "$limit" -le "$(wc -l < "$golden")" ]; then ref=(--ref "$golden"); fi

cmds=(--engine-cmd "$cli bench --gemm $gemm")
[ "$f16" = 1 ] && cmds+=(--engine-cmd "$cli bench --gemm $gemm --dtype f16")
[ "$bf16" = 1 ] && cmds+=(--engine-cmd "$cli bench --gemm $gemm --dtype bf16")

echo "[compare] $(date -u '+%Y-%m-%d %H:%M UTC'), $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) CPUs," \
     "load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
results="$("$SHARED/peers/bench_peers.sh" --limit "$limit" --batch "$batch" --engines "$engines" \
           "${ref[@]}" "${extra[@]}" "${cmds[@]}")"
echo "$results"
echo "[compare] load after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
python3 - "$results" <<'PY' >&2
import json, sys
rows = [json.loads(l) for l in sys.argv[1].splitlines() if l.startswith('{')]
peers = [r for r in rows if not r['engine'].startswith('crossenc')]
ours = [r for r in rows if r['engine'].startswith('crossenc')]
for o in ours:
    line = f"{o['engine']:<24} {o['pairs_per_s']:7.1f} pairs/s"
    for p in peers:
        line += f"  x{o['pairs_per_s'] / p['pairs_per_s']:.2f} vs {p['engine']} ({p['pairs_per_s']:.1f})"
    if 'max_abs_diff' in o:
        line += f"  max|d| {o['max_abs_diff']:.2g}"
    print(line)
PY
