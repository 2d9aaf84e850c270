#!/usr/bin/env bash
# Plain keep-alive load (wrk, 256 connections, one-pair /rerank, 10 s) against two builds, back to back.
set -u
cd "$(dirname "$0")/.."
ulimit -n 8192
body='{"query": "what is a flea", "texts": ["A flea is a small wingless insect."]}'
lua=$(mktemp --suffix=.lua)
printf 'wrk.method = "POST"\nwrk.body = %s\nwrk.headers["Content-Type"] = "application/json"\n' "'$body'" >"$lua"
for pair in "old:${1:?usage: bench/http_old_vs_new.sh OLD_CROSSENC NEW_CROSSENC}" "new:${2:?usage: bench/http_old_vs_new.sh OLD_CROSSENC NEW_CROSSENC}"; do
  label=${pair%%:*}; bin=${pair#*:}
  "$bin" serve --model tests/data/tiny-random --grpc-port -1 --http-port 18491 --threads 2 >/tmp/wrk_$label.out 2>&1 &
  pid=$!
  for _ in $(seq 100); do curl -s -o /dev/null localhost:18491/health && break; sleep 0.1; done
  wrk -t2 -c256 -d10s --latency -s "$lua" http://127.0.0.1:18491/rerank > /tmp/wrk_$label.txt 2>&1
  rss=$(awk '/VmRSS/ {print $2}' /proc/$pid/status)
  kill -TERM $pid; wait $pid
  echo "$label rps=$(awk '/Requests\/sec/ {print $2}' /tmp/wrk_$label.txt) p99=$(awk '$1 == "99%" {print $2}' /tmp/wrk_$label.txt) rss_kb=$rss errors: $(grep -E 'Socket errors|Non-2xx' /tmp/wrk_$label.txt | tr '\n' ' ')"
done
rm -f "$lua"
