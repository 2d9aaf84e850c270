#!/usr/bin/env bash
# The HTTP front end under attack and under load, on loopback, bounded (about 2 minutes):
#   bench/http_front_end.sh CROSSENC_BINARY [MODEL] [LABEL]
# Starts `crossenc serve` (HTTP only, port 18480), then
#   - the four attacks of bench/http_attack.py while a probe sends one small /rerank every
#     100 ms: 1,000 idle connections; 200 trickling one header byte every 2 s; 200 sending a
#     huge header slowly (1 KB/s each); 100 uploading bodies at 10 bytes/s (20 s each);
#   - plain load: wrk, 256 keep-alive connections on a one-pair /rerank for 15 s;
# and prints one JSON line per part. Run it with an older build as the first argument to get
# the figures of that server in the same session.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:?usage: bench/http_front_end.sh CROSSENC_BINARY [MODEL] [LABEL]}
model=${2:-tests/data/tiny-random}
label=${3:-$bin}
port=18480
seconds=${ATTACK_SECONDS:-20}
ulimit -n 8192

"$bin" serve --model "$model" --grpc-port -1 --http-port "$port" --threads 2 \
  >/tmp/crossenc_http_bench.out 2>/tmp/crossenc_http_bench.err &
pid=$!
trap 'kill -TERM $pid 2>/dev/null; wait $pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  grep -q listening /tmp/crossenc_http_bench.out 2>/dev/null && break
  sleep 0.1
done

attack() {
  python3 bench/http_attack.py --port "$port" --pid "$pid" --seconds "$seconds" --recover 3 "$@" |
    sed "s|^{|{\"server\": \"$label\", |"
}
attack --mode idle --connections 1000
attack --mode trickle --connections 200 --interval 2
attack --mode header --connections 200 --interval 1
attack --mode body --connections 100

body='{"query": "what is a flea", "texts": ["A flea is a small wingless insect."]}'
lua=$(mktemp --suffix=.lua)
printf 'wrk.method = "POST"\nwrk.body = %s\nwrk.headers["Content-Type"] = "application/json"\n' \
  "'$body'" >"$lua"
wrk -t2 -c256 -d15s --latency -s "$lua" "http://127.0.0.1:$port/rerank" >/tmp/crossenc_http_wrk.txt
rm -f "$lua"
rps=$(awk '/Requests\/sec/ {print $2}' /tmp/crossenc_http_wrk.txt)
p99=$(awk '$1 == "99%" {print $2}' /tmp/crossenc_http_wrk.txt)
errors=$(grep -E "Socket errors|Non-2xx" /tmp/crossenc_http_wrk.txt | tr '\n' ' ' || true)
rss=$(awk '/VmRSS/ {print $2}' /proc/$pid/status)
echo "{\"server\": \"$label\", \"mode\": \"wrk\", \"connections\": 256, \"requests_per_s\": $rps, \"p99\": \"$p99\", \"errors\": \"$errors\", \"rss_kb\": $rss}"
