# Shell helpers shared by deploy/run_local.sh and deploy/test_scaleout.sh (sourced, not run):
# starting a replica, rendering the nginx configuration, starting nginx and Prometheus.
# Every process started here is recorded in $RUN_DIR so that the caller can stop exactly those.

DEPLOY_DIR=${DEPLOY_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)}

log() { echo "[deploy] $*" >&2; }
die() {
  echo "[deploy] error: $*" >&2
  exit 1
}

# Option parsing: `need "$@"` before reading an option's value.
need() { [ $# -ge 2 ] || die "$1 needs a value (see --help)"; }

# pairs_only IN OUT: the {"query", "passage"} of each JSONL line (other fields, such as
# input_ids or a golden score, dropped so that `crossenc score` tokenizes the texts).
pairs_only() {
  node -e '
    const fs = require("fs");
    const out = fs.readFileSync(process.argv[1], "utf8").split("\n").filter((l) => l.trim())
      .map((l) => { const j = JSON.parse(l); return JSON.stringify({query: j.query, passage: j.passage}); });
    fs.writeFileSync(process.argv[2], out.join("\n") + "\n");' "$1" "$2"
}

# A TCP port nothing listens on now (the kernel's pick for port 0).
free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})' 2>/dev/null ||
    python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'
}

# Waits until $1 answers HTTP 200, for at most $2 seconds.
wait_http_ok() {
  local url=$1 limit=${2:-30} t=0
  until curl -fsS -o /dev/null --max-time 2 "$url" 2>/dev/null; do
    t=$((t + 1))
    [ "$t" -le $((limit * 5)) ] || return 1
    sleep 0.2
  done
}

# start_replica INDEX HTTP_PORT GRPC_PORT: one `crossenc serve` in the background (ports 0 = any
# free port). Reads CROSSENC, MODEL, THREADS, HOST, SERVE_ARGS (array). Waits for its ports,
# then writes "PID HTTP GRPC" to $RUN_DIR/state/replica-INDEX.
start_replica() {
  local i=$1 http=$2 grpc=$3 out="$RUN_DIR/replica-$1.out" pid line t=0
  : >"$out"
  "$CROSSENC" serve --model "$MODEL" --threads "$THREADS" --host "$HOST" \
    --http-port "$http" --grpc-port "$grpc" "${SERVE_ARGS[@]}" >"$out" 2>>"$RUN_DIR/replica-$i.log" &
  pid=$!
  until line=$(grep -m1 '^listening ' "$out"); do
    kill -0 "$pid" 2>/dev/null || die "replica $i exited at start; see $RUN_DIR/replica-$i.log"
    t=$((t + 1))
    [ "$t" -le 300 ] || die "replica $i did not start listening within 60 s"
    sleep 0.2
  done
  grpc=${line#*grpc=}
  grpc=${grpc%% *}
  http=${line#*http=}
  mkdir -p "$RUN_DIR/state"
  echo "$pid $http $grpc" >"$RUN_DIR/state/replica-$i"
  wait_http_ok "http://$HOST:$http/health" 60 || die "replica $i is not healthy"
}

replica_field() { # replica_field INDEX pid|http|grpc
  local pid http grpc
  read -r pid http grpc <"$RUN_DIR/state/replica-$1"
  case $2 in pid) echo "$pid" ;; http) echo "$http" ;; grpc) echo "$grpc" ;; esac
}

# render_nginx HTTP_PORT GRPC_PORT COUNT: $RUN_DIR/nginx.conf from the template, one upstream
# server line per replica. Reads HOST, LISTEN_HOST, UPSTREAM_TIMEOUT, RETRY_BUDGET, WORKERS.
render_nginx() {
  local http_servers="" grpc_servers="" i
  for ((i = 0; i < $3; i++)); do
    http_servers+="    server $HOST:$(replica_field "$i" http) max_fails=1 fail_timeout=${FAIL_TIMEOUT:-5s};"$'\n'
    grpc_servers+="    server $HOST:$(replica_field "$i" grpc) max_fails=1 fail_timeout=${FAIL_TIMEOUT:-5s};"$'\n'
  done
  mkdir -p "$RUN_DIR/nginx"
  local tmpl
  tmpl=$(<"$DEPLOY_DIR/nginx/crossenc.conf.template")
  tmpl=${tmpl//@HTTP_SERVERS@/${http_servers%$'\n'}}
  tmpl=${tmpl//@GRPC_SERVERS@/${grpc_servers%$'\n'}}
  tmpl=${tmpl//@RUN_DIR@/$RUN_DIR/nginx}
  tmpl=${tmpl//@LISTEN_HOST@/$LISTEN_HOST}
  tmpl=${tmpl//@HTTP_PORT@/$1}
  tmpl=${tmpl//@GRPC_PORT@/$2}
  tmpl=${tmpl//@UPSTREAM_TIMEOUT@/$UPSTREAM_TIMEOUT}
  tmpl=${tmpl//@RETRY_BUDGET@/$RETRY_BUDGET}
  tmpl=${tmpl//@WORKERS@/$WORKERS}
  tmpl=${tmpl//@BODY_LIMIT@/8m}
  printf '%s\n' "$tmpl" >"$RUN_DIR/nginx/nginx.conf"
}

# start_nginx HTTP_PORT: nginx in the foreground of a background job (never the system service:
# its own prefix, pid file, logs and temp paths under $RUN_DIR/nginx).
start_nginx() {
  nginx -t -q -p "$RUN_DIR/nginx" -c "$RUN_DIR/nginx/nginx.conf" -g 'daemon off;' 2>>"$RUN_DIR/nginx/error.log" ||
    die "nginx rejected its configuration; see $RUN_DIR/nginx/error.log"
  nginx -p "$RUN_DIR/nginx" -c "$RUN_DIR/nginx/nginx.conf" -g 'daemon off;' 2>>"$RUN_DIR/nginx/error.log" &
  mkdir -p "$RUN_DIR/state"
  echo $! >"$RUN_DIR/state/nginx"
  wait_http_ok "http://$LISTEN_HOST:$1/health" 20 || die "nginx did not come up; see $RUN_DIR/nginx/error.log"
}

# start_prometheus PORT COUNT: Prometheus scraping every replica (file_sd targets), with the
# recording and alert rules, its data under $RUN_DIR/prometheus.
start_prometheus() {
  local dir="$RUN_DIR/prometheus" targets="" i
  mkdir -p "$dir/data"
  cp "$DEPLOY_DIR/prometheus/prometheus.yml" "$DEPLOY_DIR/prometheus/crossenc-rules.yml" "$dir/"
  for ((i = 0; i < $2; i++)); do
    targets+="${targets:+, }\"$HOST:$(replica_field "$i" http)\""
  done
  printf '[{"targets": [%s], "labels": {"service": "crossenc"}}]\n' "$targets" >"$dir/crossenc-targets.json"
  prometheus --config.file="$dir/prometheus.yml" --storage.tsdb.path="$dir/data" \
    --web.listen-address="$LISTEN_HOST:$1" >"$dir/prometheus.log" 2>&1 &
  mkdir -p "$RUN_DIR/state"
  echo $! >"$RUN_DIR/state/prometheus"
  wait_http_ok "http://$LISTEN_HOST:$1/-/ready" 30 || die "Prometheus did not come up; see $dir/prometheus.log"
}

# Stops every process this run started (each state file's first field is its pid): replicas
# with SIGTERM (they drain), then nginx and Prometheus; each is waited for. Safe to call twice.
stop_all() {
  local f pid rest
  for f in "$RUN_DIR"/state/*; do
    [ -f "$f" ] || continue
    read -r pid rest <"$f"
    kill -CONT "$pid" 2>/dev/null || true  # a stopped process cannot act on SIGTERM
    kill -TERM "$pid" 2>/dev/null || true
  done
  for f in "$RUN_DIR"/state/*; do
    [ -f "$f" ] || continue
    read -r pid rest <"$f"
    wait "$pid" 2>/dev/null || true
    rm -f "$f"
  done
}
