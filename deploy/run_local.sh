#!/usr/bin/env bash
# Runs N `crossenc serve` replicas on this machine behind nginx (HTTP + gRPC), optionally
# scraped by Prometheus; prints the endpoints and stops everything on Ctrl-C or SIGTERM.
#
#   deploy/run_local.sh N --model MODEL [options] [-- extra `crossenc serve` flags]
set -euo pipefail
DEPLOY_DIR=$(cd "$(dirname "$0")" && pwd)
source "$DEPLOY_DIR/lib.sh"

usage() {
  cat <<'USAGE'
usage: deploy/run_local.sh N --model MODEL [options] [-- crossenc serve flags]

Starts N replicas of `crossenc serve` on --host (any free ports), nginx in front of them
and, with --prometheus, a Prometheus server scraping each replica's /metrics. Runs in the
foreground; Ctrl-C or SIGTERM drains the replicas and stops everything.

  N                       number of replicas (1-64)
  --model MODEL           .cenc file or Hugging Face folder (required)
  --crossenc BIN          the crossenc binary (default: build/tools/crossenc, then PATH)
  --threads T             threads per replica (default: CPU cores / N, at least 1)
  --host ADDR             address the replicas bind (default 127.0.0.1)
  --listen ADDR           address nginx (and Prometheus) bind (default 127.0.0.1)
  --http-port P           nginx HTTP port (default 8080; 0 = any free port)
  --grpc-port P           nginx gRPC port (default 50051; 0 = any free port)
  --prometheus P          also run Prometheus on port P (0 = any free port; default: off)
  --upstream-timeout T    nginx gives up on a replica that sends nothing for T (default 10s)
  --fail-timeout T        a failed replica gets no requests for T (default 5s)
  --workers W             nginx worker processes (default 1)
  --run-dir DIR           keep logs and state in DIR (default: a temp folder, removed at exit)
  -h, --help              this text
Everything after -- goes to every replica's `crossenc serve` (e.g. --max-batch-tokens 8192).
USAGE
}

[ $# -ge 1 ] || { usage >&2; exit 2; }
case $1 in -h | --help) usage; exit 0 ;; esac
COUNT=$1
shift
[[ $COUNT =~ ^[0-9]+$ ]] && [ "$COUNT" -ge 1 ] && [ "$COUNT" -le 64 ] ||
  die "N must be a number of replicas from 1 to 64, not '$COUNT'"

MODEL="" CROSSENC="" THREADS="" HOST=127.0.0.1 LISTEN_HOST=127.0.0.1 HTTP_PORT=8080
GRPC_PORT=50051 PROM_PORT="" UPSTREAM_TIMEOUT=10s FAIL_TIMEOUT=5s WORKERS=1 RUN_DIR=""
SERVE_ARGS=()
while [ $# -gt 0 ]; do
  case $1 in
    --model) need "$@"; MODEL=$2; shift 2 ;;
    --crossenc) need "$@"; CROSSENC=$2; shift 2 ;;
    --threads) need "$@"; THREADS=$2; shift 2 ;;
    --host) need "$@"; HOST=$2; shift 2 ;;
    --listen) need "$@"; LISTEN_HOST=$2; shift 2 ;;
    --http-port) need "$@"; HTTP_PORT=$2; shift 2 ;;
    --grpc-port) need "$@"; GRPC_PORT=$2; shift 2 ;;
    --prometheus) need "$@"; PROM_PORT=$2; shift 2 ;;
    --upstream-timeout) need "$@"; UPSTREAM_TIMEOUT=$2; shift 2 ;;
    --fail-timeout) need "$@"; FAIL_TIMEOUT=$2; shift 2 ;;
    --workers) need "$@"; WORKERS=$2; shift 2 ;;
    --run-dir) need "$@"; RUN_DIR=$2; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    --) shift; SERVE_ARGS=("$@"); break ;;
    *) die "unknown option '$1' (see --help)" ;;
  esac
done
[ -n "$MODEL" ] || die "--model is required (a .cenc file or a Hugging Face folder)"
[ -e "$MODEL" ] || die "model '$MODEL' does not exist"
if [ -z "$CROSSENC" ]; then
  CROSSENC="$DEPLOY_DIR/../build/tools/crossenc"
  [ -x "$CROSSENC" ] || CROSSENC=$(command -v crossenc || true)
fi
[ -n "$CROSSENC" ] && [ -x "$CROSSENC" ] || die "no crossenc binary; build it or pass --crossenc"
command -v nginx >/dev/null || die "nginx is not installed (Debian: apt-get install nginx)"
[ -z "$PROM_PORT" ] || command -v prometheus >/dev/null ||
  die "prometheus is not installed (Debian: apt-get install prometheus)"
for p in "$HTTP_PORT" "$GRPC_PORT" ${PROM_PORT:+"$PROM_PORT"}; do
  [[ $p =~ ^[0-9]+$ ]] && [ "$p" -le 65535 ] || die "'$p' is not a port number"
done
[[ $WORKERS =~ ^[0-9]+$ ]] && [ "$WORKERS" -ge 1 ] || die "--workers must be a positive number"
if [ -z "$THREADS" ]; then
  THREADS=$(($(nproc) / COUNT))
  [ "$THREADS" -ge 1 ] || THREADS=1
fi
[[ $THREADS =~ ^[0-9]+$ ]] && [ "$THREADS" -ge 1 ] || die "--threads must be a positive number"
[ "$HTTP_PORT" -ne 0 ] || HTTP_PORT=$(free_port)
[ "$GRPC_PORT" -ne 0 ] || GRPC_PORT=$(free_port)
[ "${PROM_PORT:-1}" -ne 0 ] || PROM_PORT=$(free_port)
RETRY_BUDGET=$UPSTREAM_TIMEOUT

keep_run_dir=1
if [ -z "$RUN_DIR" ]; then
  RUN_DIR=$(mktemp -d "${TMPDIR:-/tmp}/crossenc-deploy.XXXXXX")
  keep_run_dir=0
fi
mkdir -p "$RUN_DIR"
RUN_DIR=$(cd "$RUN_DIR" && pwd)

cleanup() {
  trap - INT TERM EXIT
  log "stopping: draining $COUNT replica(s), nginx${PROM_PORT:+, Prometheus}"
  stop_all
  [ "$keep_run_dir" = 1 ] || rm -rf "$RUN_DIR"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

for ((i = 0; i < COUNT; i++)); do
  start_replica "$i" 0 0
  log "replica $i: pid $(replica_field "$i" pid), HTTP $HOST:$(replica_field "$i" http)," \
    "gRPC $HOST:$(replica_field "$i" grpc), $THREADS thread(s)"
done
render_nginx "$HTTP_PORT" "$GRPC_PORT" "$COUNT"
start_nginx "$HTTP_PORT"
[ -z "$PROM_PORT" ] || start_prometheus "$PROM_PORT" "$COUNT"

echo "HTTP  http://$LISTEN_HOST:$HTTP_PORT  (POST /rerank /v1/rerank /score, GET /health /info)"
echo "gRPC  $LISTEN_HOST:$GRPC_PORT  (inference.InferenceService/Infer)"
[ -z "$PROM_PORT" ] || echo "Prometheus  http://$LISTEN_HOST:$PROM_PORT"
echo "logs  $RUN_DIR$([ "$keep_run_dir" = 1 ] || echo ' (removed at exit)')"
log "running; Ctrl-C stops everything"

# Wait until a signal arrives or nginx (the front door) exits on its own.
wait "$(cat "$RUN_DIR/state/nginx")" || true
log "nginx exited; see $RUN_DIR/nginx/error.log"
