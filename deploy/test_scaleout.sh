#!/usr/bin/env bash
# Fault test of the scale-out setup: N replicas behind nginx (deploy/nginx), a steady load of
# 96-pair requests (deploy/loadgen.mjs), and one replica at a time SIGKILLed, SIGTERMed
# (drain), SIGSTOPped (hang) or restarted. For each fault: requests sent, answered, failed,
# retried by nginx, and whether every answer has the scores `crossenc score` gives.
# Passes when no request is lost or wrong. Loopback only; stops everything it started.
#
#   deploy/test_scaleout.sh --short      2 replicas, one SIGKILL, 200 requests (ctest runs this)
#   deploy/test_scaleout.sh [--model M --pairs JSONL --replicas N --requests R --rate R ...]
set -euo pipefail
DEPLOY_DIR=$(cd "$(dirname "$0")" && pwd)
SOURCE_DIR=$(cd "$DEPLOY_DIR/.." && pwd)
source "$DEPLOY_DIR/lib.sh"

usage() {
  cat <<'USAGE'
usage: deploy/test_scaleout.sh [--short] [options]
  --short             2 replicas, one SIGKILL, 200 requests (the CI form)
  --faults LIST       comma-separated from kill,term,stop,restart (default: all four)
  --transport LIST    http, grpc or http,grpc: the load's protocol (default http; --short: http)
  --model M           model to serve (default: tests/data/tiny-random, converted here)
  --pairs JSONL       {"query", "passage"} lines (default: tests/data/scores_tiny_sample.jsonl)
  --crossenc BIN      the crossenc binary (default: build/tools/crossenc)
  --replicas N        replicas behind nginx (default 3; --short: 2)
  --threads T         threads per replica (default 1)
  --requests R        requests per fault (default 400; --short: 200)
  --rate R            requests started per second (default 40)
  --concurrency C     client connections (default 8)
  --batch B           pairs per request (default 96)
  --upstream-timeout  nginx's wait for a silent replica before retrying (default 2s)
  --grpc-retries N    gRPC client retries on UNAVAILABLE (default 2). nginx cannot retry a gRPC
                      call once it is sent (it streams gRPC bodies unbuffered), so calls in
                      flight on a dying replica need the client's retry policy; HTTP gets none.
  --report FILE       also append the table (markdown) to FILE
USAGE
}

FAULTS=kill,term,stop,restart MODEL="" PAIRS="$SOURCE_DIR/tests/data/scores_tiny_sample.jsonl"
CROSSENC="$SOURCE_DIR/build/tools/crossenc" COUNT=3 THREADS=1 REQUESTS=400 RATE=40
CONCURRENCY=8 BATCH=96 UPSTREAM_TIMEOUT=2s REPORT="" TRANSPORTS=http GRPC_RETRIES=2
while [ $# -gt 0 ]; do
  case $1 in
    --short) FAULTS=kill COUNT=2 REQUESTS=200; shift ;;
    --faults) need "$@"; FAULTS=$2; shift 2 ;;
    --transport) need "$@"; TRANSPORTS=$2; shift 2 ;;
    --model) need "$@"; MODEL=$2; shift 2 ;;
    --pairs) need "$@"; PAIRS=$2; shift 2 ;;
    --crossenc) need "$@"; CROSSENC=$2; shift 2 ;;
    --replicas) need "$@"; COUNT=$2; shift 2 ;;
    --threads) need "$@"; THREADS=$2; shift 2 ;;
    --requests) need "$@"; REQUESTS=$2; shift 2 ;;
    --rate) need "$@"; RATE=$2; shift 2 ;;
    --concurrency) need "$@"; CONCURRENCY=$2; shift 2 ;;
    --batch) need "$@"; BATCH=$2; shift 2 ;;
    --upstream-timeout) need "$@"; UPSTREAM_TIMEOUT=$2; shift 2 ;;
    --report) need "$@"; REPORT=$2; shift 2 ;;
    --grpc-retries) need "$@"; GRPC_RETRIES=$2; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) die "unknown option '$1' (see --help)" ;;
  esac
done
[[ $COUNT =~ ^[0-9]+$ ]] && [ "$COUNT" -ge 2 ] || die "--replicas must be >= 2 (one is faulted)"
for f in ${FAULTS//,/ }; do
  case $f in kill | term | stop | restart) ;; *) die "unknown fault '$f' (kill, term, stop, restart)" ;; esac
done
for t in ${TRANSPORTS//,/ }; do
  case $t in http | grpc) ;; *) die "unknown transport '$t' (http, grpc)" ;; esac
done
[ -x "$CROSSENC" ] || die "no crossenc binary at $CROSSENC (build it, or pass --crossenc)"
for tool in nginx node curl; do
  command -v "$tool" >/dev/null || die "$tool is not installed (scripts/install-deps.sh installs it)"
done
[ -f "$PAIRS" ] || die "pairs file $PAIRS does not exist"

RUN_DIR=$(mktemp -d "${TMPDIR:-/tmp}/crossenc-scaleout.XXXXXX")
HOST=127.0.0.1 LISTEN_HOST=127.0.0.1 WORKERS=1 RETRY_BUDGET=30s FAIL_TIMEOUT=2s SERVE_ARGS=()
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  stop_all
  if [ "$rc" -ne 0 ] && [ -z "${KEEP_LOGS:-}" ]; then
    echo "--- last nginx error log lines" >&2
    tail -n 20 "$RUN_DIR/nginx/error.log" >&2 2>/dev/null || true
  fi
  rm -rf "$RUN_DIR"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The model and the expected scores: `crossenc score` of the same pairs, in one process.
if [ -z "$MODEL" ]; then
  MODEL="$RUN_DIR/tiny-random.cenc"
  "$CROSSENC" convert "$SOURCE_DIR/tests/data/tiny-random" "$MODEL" >/dev/null
fi
pairs_only "$PAIRS" "$RUN_DIR/pairs.jsonl"
"$CROSSENC" score --model "$MODEL" --threads 1 -i "$RUN_DIR/pairs.jsonl" -o "$RUN_DIR/expected.jsonl"

for ((i = 0; i < COUNT; i++)); do start_replica "$i" 0 0; done
NGINX_HTTP=$(free_port)
NGINX_GRPC=$(free_port)
render_nginx "$NGINX_HTTP" "$NGINX_GRPC" "$COUNT"
start_nginx "$NGINX_HTTP"
log "$COUNT replicas behind nginx http=$NGINX_HTTP grpc=$NGINX_GRPC; faults: $FAULTS"

# Requests replica 0 answered so far (its own /metrics): proves a restarted replica is used.
replica_answers() {
  curl -fsS --max-time 2 "http://$HOST:$(replica_field 0 http)/metrics" 2>/dev/null |
    awk '/^crossenc_requests_total\{endpoint="(\/score|grpc.Infer)",status="(200|OK)"\}/ {n += $2}
         END {print n + 0}'
}

# run_fault NAME TRANSPORT: load in the background, the fault on replica 0 once a third of the load is
# sent, then replica 0 back in service (restarted or resumed) for the next fault.
rows=()
failures=0
run_fault() {
  local fault=$1 transport=$2 target pid duration_s fault_at log_from retried upstream_errors summary
  pid=$(replica_field 0 pid)
  duration_s=$(((REQUESTS / RATE) + 30))
  fault_at=$(awk -v r="$REQUESTS" -v q="$RATE" 'BEGIN {printf "%.2f", r / q / 3}')
  log_from=$(($(wc -l <"$RUN_DIR/nginx/access.log") + 1))
  target=(--http "http://$LISTEN_HOST:$NGINX_HTTP")
  [ "$transport" = http ] || target=(--grpc "$LISTEN_HOST:$NGINX_GRPC" --retries "$GRPC_RETRIES")
  node "$DEPLOY_DIR/loadgen.mjs" "${target[@]}" --pairs "$RUN_DIR/expected.jsonl" \
    --batch "$BATCH" --concurrency "$CONCURRENCY" --requests "$REQUESTS" --rate "$RATE" \
    --duration "$duration_s" --timeout 60 >"$RUN_DIR/load-$fault-$transport.json" &
  local load=$!
  sleep "$fault_at"
  case $fault in
    kill) kill -KILL "$pid" ;;
    term) kill -TERM "$pid" ;;
    stop) kill -STOP "$pid" ;;
    restart) kill -TERM "$pid" ;;
  esac
  log "$fault: replica 0 (pid $pid) at ${fault_at}s"
  if [ "$fault" = restart ]; then
    wait "$pid" || true
    start_replica 0 "$(replica_field 0 http)" "$(replica_field 0 grpc)"
  fi
  wait "$load" || die "the load generator failed (fault $fault)"
  local restarted_answers=""
  [ "$fault" != restart ] || restarted_answers=$(replica_answers)
  # Back to N healthy replicas for the next fault.
  case $fault in
    stop) kill -CONT "$pid" ;;
    kill | term)
      wait "$pid" 2>/dev/null || true
      start_replica 0 "$(replica_field 0 http)" "$(replica_field 0 grpc)"
      ;;
  esac
  sleep 0.2
  # nginx's view: a request whose $upstream_addr lists two replicas was retried.
  retried=$(tail -n +"$log_from" "$RUN_DIR/nginx/access.log" | grep -c 'upstream="[^"]*,' || true)
  upstream_errors=$(tail -n +"$log_from" "$RUN_DIR/nginx/access.log" | grep -vc '^[^ ]* [A-Z]* [^ ]* 200 ' || true)
  summary=$(<"$RUN_DIR/load-$fault-$transport.json")
  local row
  row=$(node -e '
    const s = JSON.parse(process.argv[1]);
    const [fault, transport, retried, nginxErrors, restartedAnswers] = process.argv.slice(2);
    const lost = s.sent - s.answered;
    const ok = lost === 0 && s.failed === 0 && s.wrong === 0 &&
      (restartedAnswers === "" || Number(restartedAnswers) > 0);
    const restarted = restartedAnswers === "" ? "" : `; restarted replica answered ${restartedAnswers}`;
    console.log([ok ? "PASS" : "FAIL", `| ${fault} | ${transport} | ${s.sent} | ${s.answered} | ${s.failed} | ${retried} | ${s.client_retries} | ` +
      `${s.wrong === 0 && s.answered > 0 ? "yes" : "NO"} (max err ${s.max_abs_error.toExponential(1)}) | ` +
      `${s.pairs_per_s} | ${s.p50_ms} / ${s.p99_ms} | ${nginxErrors} non-200 at nginx${restarted} |`].join("\t"));
  ' "$summary" "$fault" "$transport" "$retried" "$upstream_errors" "$restarted_answers")
  [ "${row%%$'\t'*}" = PASS ] || failures=$((failures + 1))
  rows+=("${row#*$'\t'}")
  log "$fault ($transport): ${row%%$'\t'*} $summary"
}

for transport in ${TRANSPORTS//,/ }; do
  for fault in ${FAULTS//,/ }; do run_fault "$fault" "$transport"; done
done

table="| fault | transport | sent | answered | failed | retried by nginx | retried by client | scores right | pairs/s | p50 / p99 ms | notes |
| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
for r in "${rows[@]}"; do table+=$'\n'"$r"; done
echo "$table"
[ -z "$REPORT" ] || printf '%s\n' "$table" >>"$REPORT"
[ "$failures" -eq 0 ] || die "$failures fault(s) lost or got wrong answers"
log "no request lost, every answer right ($COUNT replicas, $REQUESTS requests per fault)"
