#!/usr/bin/env bash
# Latency of one reranking request from the command line: `crossenc rank` of TREC DL19 query 1
# and its 100 BM25 passages (process start, model load, tokenization and scoring included),
# per dtype, several rounds; prints wall and CPU seconds of each run and the best/median.
#
#   bench/rank_latency.sh MODEL [ROUNDS] [DTYPE...]   (default: 5 rounds of f32 f16 bf16)
#   e.g. bench/rank_latency.sh build/l6.cenc 7 f32 bf16
# Environment: CROSSENC (the CLI, default build/tools/crossenc), THREADS (default 2).
set -euo pipefail
cd "$(dirname "$0")/.."
model=${1:?usage: bench/rank_latency.sh MODEL [ROUNDS] [DTYPE...]}
rounds=${2:-5}
shift $(( $# >= 2 ? 2 : 1 ))
dtypes=("$@")
[ ${#dtypes[@]} -gt 0 ] || dtypes=(f32 f16 bf16)
cli=${CROSSENC:-build/tools/crossenc}
threads=${THREADS:-2}
data=../shared/data/trec-dl-passage-bm25-top100/retrieve_results_dl19_top100.json
[ -f "$data" ] || { echo "missing $data" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 - "$data" "$work" <<'PY'
import json, sys
first = json.load(open(sys.argv[1]))[0]
open(sys.argv[2] + "/query.txt", "w").write(first["query"])
with open(sys.argv[2] + "/passages.jsonl", "w") as f:
    for hit in first["hits"][:100]:
        f.write(json.dumps({"passage": hit["content"]}) + "\n")
PY
query=$(cat "$work/query.txt")
echo "query: $query (100 passages), threads $threads, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
for dtype in "${dtypes[@]}"; do
  walls=()
  for _ in $(seq "$rounds"); do
    /usr/bin/time -f "%e %U %S" -o "$work/time" "$cli" rank -m "$model" -q "$query" \
      -p "$work/passages.jsonl" --threads "$threads" --dtype "$dtype" -k 3 >"$work/out" \
      2>"$work/err"
    read -r wall user sys <"$work/time"
    walls+=("$wall")
    echo "  $dtype: wall ${wall}s, cpu $(echo "$user + $sys" | bc)s; $(tail -n 1 "$work/err")"
  done
  sorted=$(printf '%s\n' "${walls[@]}" | sort -n)
  echo "$dtype: best $(echo "$sorted" | head -1)s, median $(echo "$sorted" | sed -n "$(( (rounds + 1) / 2 ))p")s; top 3:"
  sed 's/^/    /' "$work/out"
done
