#!/usr/bin/env bash
# Runs every serving experiment (bench/experiments/[0-9]*.yaml) one after the other into
# bench/results/<name>/. From the project root:
#   bench/experiments/run_all.sh [--bin build/tools/crossenc] [any crossenc bench flags...]
# e.g. `bench/experiments/run_all.sh --scale 5` for longer runs, or
# `bench/experiments/run_all.sh --model build/minilm-l6-random.cenc` to skip per-config conversion.
set -euo pipefail
bin=build/tools/crossenc
if [[ "${1:-}" == "--bin" ]]; then
  bin=$2
  shift 2
fi
[[ -x "$bin" ]] || { echo "no crossenc binary at $bin (build it, or pass --bin PATH)" >&2; exit 2; }
status=0
for f in bench/experiments/[0-9]*.yaml; do
  [[ "$(basename "$f")" == 00_smoke.yaml ]] && continue
  echo "== $f (load average $(cut -d' ' -f1 /proc/loadavg))" >&2
  "$bin" bench --experiment "$f" "$@" || status=1  # 1: some config skipped (e.g. no Vulkan)
done
exit $status
