#!/usr/bin/env bash
# Scale-out measurements for bench/RESULTS.md (loopback, bounded): pairs/s of 96-pair /score
# requests (a) straight to one replica x 2 threads, (b) through nginx to it, (c) through nginx to
# 2 replicas x 1 thread; then, against the tiny model (many requests per second, the same
# 96-pair bodies), nginx's own CPU time per request from its worker's /proc counters and its
# added latency (one request at a time, direct vs through nginx, twice each).
#
#   deploy/bench_scaleout.sh --model minilm.cenc --pairs scored.jsonl [--seconds 20]
#       [--concurrency 4] [--crossenc BIN] [--tiny tiny.cenc]
# --pairs: {"query", "passage"} lines (e.g. the DL19 pairs); expected scores are made here.
set -euo pipefail
DEPLOY_DIR=$(cd "$(dirname "$0")" && pwd)
SOURCE_DIR=$(cd "$DEPLOY_DIR/.." && pwd)
source "$DEPLOY_DIR/lib.sh"

MODEL="" PAIRS="" SECONDS_EACH=20 CONCURRENCY=4 CROSSENC="$SOURCE_DIR/build/tools/crossenc" TINY=""
while [ $# -gt 0 ]; do
  case $1 in
    --model) need "$@"; MODEL=$2; shift 2 ;;
    --pairs) need "$@"; PAIRS=$2; shift 2 ;;
    --seconds) need "$@"; SECONDS_EACH=$2; shift 2 ;;
    --concurrency) need "$@"; CONCURRENCY=$2; shift 2 ;;
    --crossenc) need "$@"; CROSSENC=$2; shift 2 ;;
    --tiny) need "$@"; TINY=$2; shift 2 ;;
    -h | --help) sed -n 2,9p "$0"; exit 0 ;;
    *) die "unknown option '$1'" ;;
  esac
done
[ -n "$MODEL" ] && [ -n "$PAIRS" ] || die "--model and --pairs are required (see --help)"
[ -x "$CROSSENC" ] || die "no crossenc binary at $CROSSENC"

RUN_DIR=$(mktemp -d "${TMPDIR:-/tmp}/crossenc-bench-scaleout.XXXXXX")
HOST=127.0.0.1 LISTEN_HOST=127.0.0.1 WORKERS=1 UPSTREAM_TIMEOUT=30s RETRY_BUDGET=30s SERVE_ARGS=()
trap 'stop_all; rm -rf "$RUN_DIR"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

pairs_only "$PAIRS" "$RUN_DIR/pairs.jsonl"

# cluster NAME COUNT THREADS MODEL: COUNT replicas of MODEL behind a fresh nginx.
cluster() {
  stop_all
  MODEL_NOW=$4 THREADS=$3
  local i
  for ((i = 0; i < $2; i++)); do MODEL=$MODEL_NOW start_replica "$i" 0 0; done
  NGINX_HTTP=$(free_port)
  NGINX_GRPC=$(free_port)
  render_nginx "$NGINX_HTTP" "$NGINX_GRPC" "$2"
  start_nginx "$NGINX_HTTP"
}
load() { # load URL EXPECTED [CONCURRENCY REQUESTS]: one JSON summary
  node "$DEPLOY_DIR/loadgen.mjs" --http "$1" --pairs "$2" --batch 96 --concurrency "${3:-$CONCURRENCY}" \
    --requests "${4:-1000000}" --duration "$SECONDS_EACH"
}
field() { node -e 'console.log(JSON.parse(process.argv[1])[process.argv[2]])' "$1" "$2"; }
worker_cpu_ticks() { # utime + stime of nginx's worker processes
  local master total=0 w
  master=$(<"$RUN_DIR/state/nginx")
  for w in $(pgrep -P "$master"); do
    total=$((total + $(awk '{print $14 + $15}' "/proc/$w/stat")))
  done
  echo "$total"
}

"$CROSSENC" score --model "$MODEL" --threads 2 -i "$RUN_DIR/pairs.jsonl" -o "$RUN_DIR/expected.jsonl"
echo "date: $(date -u '+%Y-%m-%d %H:%M UTC'); CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)," \
  "$(nproc) cores; load average: $(cut -d' ' -f1-3 /proc/loadavg)"

cluster one 1 2 "$MODEL"
direct=$(load "http://$HOST:$(replica_field 0 http)" "$RUN_DIR/expected.jsonl")
proxied=$(load "http://$LISTEN_HOST:$NGINX_HTTP" "$RUN_DIR/expected.jsonl")
rss=$(curl -fsS "http://$HOST:$(replica_field 0 http)/metrics" | awk '/^process_resident_memory_bytes/ {printf "%.0f", $2 / 1048576}')
cluster two 2 1 "$MODEL"
two=$(load "http://$LISTEN_HOST:$NGINX_HTTP" "$RUN_DIR/expected.jsonl")
# Direct again, so that a change in the machine's load between runs shows.
cluster one 1 2 "$MODEL"
direct2=$(load "http://$HOST:$(replica_field 0 http)" "$RUN_DIR/expected.jsonl")
proxied2=$(load "http://$LISTEN_HOST:$NGINX_HTTP" "$RUN_DIR/expected.jsonl")

echo "| setup | pairs/s | p50 ms | p99 ms | failed | wrong |"
echo "| --- | --- | --- | --- | --- | --- |"
for row in "direct, 1 replica x 2 threads|$direct" "nginx, 1 replica x 2 threads|$proxied" \
  "nginx, 2 replicas x 1 thread|$two" "direct, 1 replica x 2 threads (again)|$direct2" \
  "nginx, 1 replica x 2 threads (again)|$proxied2"; do
  s=${row#*|}
  echo "| ${row%%|*} | $(field "$s" pairs_per_s) | $(field "$s" p50_ms) | $(field "$s" p99_ms) | $(field "$s" failed) | $(field "$s" wrong) |"
done
echo "replica RSS after the run: ${rss} MiB"

# nginx's CPU per request: the tiny model answers fast, so nginx relays many requests a second.
if [ -z "$TINY" ]; then
  TINY="$RUN_DIR/tiny.cenc"
  "$CROSSENC" convert "$SOURCE_DIR/tests/data/tiny-random" "$TINY" >/dev/null
fi
"$CROSSENC" score --model "$TINY" --threads 2 -i "$RUN_DIR/pairs.jsonl" -o "$RUN_DIR/expected-tiny.jsonl"
cluster tiny 2 1 "$TINY"
t0=$(worker_cpu_ticks)
fast=$(load "http://$LISTEN_HOST:$NGINX_HTTP" "$RUN_DIR/expected-tiny.jsonl")
t1=$(worker_cpu_ticks)
requests=$(field "$fast" answered)
hz=$(getconf CLK_TCK)
node -e '
  const [ticks, hz, requests, seconds, pairs] = process.argv.slice(1).map(Number);
  const us = ticks / hz / requests * 1e6;
  console.log(`nginx: ${requests} requests of 96 pairs in ${seconds} s, worker CPU ${(ticks / hz).toFixed(2)} s` +
    ` = ${us.toFixed(0)} us per request; one nginx core would relay ${(1e6 / us).toFixed(0)} requests/s` +
    ` = ${(1e6 / us * 96).toFixed(0)} pairs/s (pairs/s seen: ${pairs})`);
' "$((t1 - t0))" "$hz" "$requests" "$(field "$fast" seconds)" "$(field "$fast" pairs_per_s)"

# nginx's added latency per request: one request at a time, so no queueing hides it.
lat() { load "$1" "$RUN_DIR/expected-tiny.jsonl" 1 300; }
d1=$(lat "http://$HOST:$(replica_field 0 http)")
n1=$(lat "http://$LISTEN_HOST:$NGINX_HTTP")
d2=$(lat "http://$HOST:$(replica_field 0 http)")
n2=$(lat "http://$LISTEN_HOST:$NGINX_HTTP")
echo "one request at a time (tiny model, 96 pairs), p50 / p99 ms:" \
  "direct $(field "$d1" p50_ms) / $(field "$d1" p99_ms), nginx $(field "$n1" p50_ms) / $(field "$n1" p99_ms)," \
  "direct $(field "$d2" p50_ms) / $(field "$d2" p99_ms), nginx $(field "$n2" p50_ms) / $(field "$n2" p99_ms)"
