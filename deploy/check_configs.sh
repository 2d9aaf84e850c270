#!/usr/bin/env bash
# Offline checks of everything in deploy/ that is configuration, not code:
#   - Prometheus: `promtool check config` and `promtool check rules`;
#   - nginx: the template rendered for 2 replicas passes `nginx -t` (own prefix, no root paths);
#   - Kubernetes: every manifest against the API schema (deploy/kubernetes/validate, npm ci);
#   - every metric the rules, the dashboard and the autoscaler name is one the server exports
#     (server/prometheus.cc), so a renamed metric cannot silently empty a panel.
set -euo pipefail
DEPLOY_DIR=$(cd "$(dirname "$0")" && pwd)
SOURCE_DIR=$(cd "$DEPLOY_DIR/.." && pwd)
source "$DEPLOY_DIR/lib.sh"
for tool in promtool nginx node npm; do
  command -v "$tool" >/dev/null || die "$tool is not installed (scripts/install-deps.sh installs it)"
done
RUN_DIR=$(mktemp -d "${TMPDIR:-/tmp}/crossenc-check-configs.XXXXXX")
trap 'rm -rf "$RUN_DIR"' EXIT

# Prometheus: the config with a targets file as run_local.sh writes it.
cp "$DEPLOY_DIR/prometheus/prometheus.yml" "$DEPLOY_DIR/prometheus/crossenc-rules.yml" "$RUN_DIR/"
echo '[{"targets": ["127.0.0.1:8080"]}]' >"$RUN_DIR/crossenc-targets.json"
promtool check config "$RUN_DIR/prometheus.yml"
promtool check rules "$DEPLOY_DIR/prometheus/crossenc-rules.yml"

# nginx: two fake replicas (nothing has to listen for `nginx -t`).
HOST=127.0.0.1 LISTEN_HOST=127.0.0.1 UPSTREAM_TIMEOUT=10s RETRY_BUDGET=10s WORKERS=1
mkdir -p "$RUN_DIR/state"
echo "1 18080 15051" >"$RUN_DIR/state/replica-0"
echo "2 18081 15052" >"$RUN_DIR/state/replica-1"
render_nginx 8080 50051 2
rm -r "$RUN_DIR/state"
nginx -t -p "$RUN_DIR/nginx" -c "$RUN_DIR/nginx/nginx.conf" -g 'daemon off;'
grep -q 'proxy_next_upstream error timeout http_503 non_idempotent' "$RUN_DIR/nginx/nginx.conf" ||
  die "the nginx configuration lost its retry rule"

# Kubernetes: schema check with pinned packages (package-lock.json), installed on first use.
validate="$DEPLOY_DIR/kubernetes/validate"
[ -d "$validate/node_modules" ] || npm ci --prefix "$validate" --no-audit --no-fund --loglevel=error
node "$validate/validate.mjs" "$DEPLOY_DIR"/kubernetes/*.yaml

# Metric names: those used in deploy/ against those the server writes.
exported=$(grep -o '"\(crossenc\|process\)_[a-z_]*"' "$SOURCE_DIR/server/prometheus.cc" | tr -d '"' | sort -u)
used=$(cat "$DEPLOY_DIR/prometheus/crossenc-rules.yml" "$DEPLOY_DIR/grafana/crossenc-dashboard.json" \
  "$DEPLOY_DIR/kubernetes/hpa.yaml" "$DEPLOY_DIR/kubernetes/prometheus-adapter-rules.yaml" |
  grep -v '^ *#' | grep -o '[^:a-z_]\(crossenc\|process\)_[a-z_]*' | cut -c2- |
  sed -E 's/_(bucket|sum|count)$//' | sort -u) # recording rules (a:b:c) excluded by the [^:]
missing=$(comm -23 <(echo "$used") <(echo "$exported"))
[ -z "$missing" ] || die "metrics used in deploy/ but not exported by server/prometheus.cc: $(echo $missing)"
node -e 'JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))' "$DEPLOY_DIR/grafana/crossenc-dashboard.json"
log "configuration checks passed ($(echo "$used" | wc -l) metric names, all exported)"
