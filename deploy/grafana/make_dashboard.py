#!/usr/bin/env python3
"""Writes crossenc-dashboard.json, the Grafana dashboard (panels of the seed system's reports:
throughput, latency percentiles, queue wait, tokenize and inference time, padding waste, CPU,
memory, per-replica statistics) over the metrics `crossenc serve` exports (server/prometheus.cc)
and the recording rules in deploy/prometheus/crossenc-rules.yml. Run it after changing a panel:
    python3 deploy/grafana/make_dashboard.py
"""
import json
import pathlib

SCORED = 'endpoint=~"/rerank|/v1/rerank|/score|grpc.Infer"'
panels = []


def panel(title, targets, unit, kind="timeseries", description="", width=12, height=8, **extra):
    n = len(panels)
    p = {
        "id": n + 1,
        "type": kind,
        "title": title,
        "description": description,
        "datasource": {"type": "prometheus", "uid": "${datasource}"},
        "gridPos": {"h": height, "w": width, "x": (sum(q["gridPos"]["w"] for q in panels) % 24), "y": 0},
        "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
        "targets": [{"refId": chr(65 + i), "expr": e, "legendFormat": l, **({"format": "table", "instant": True} if kind == "table" else {})}
                    for i, (e, l) in enumerate(targets)],
        **extra,
    }
    panels.append(p)


def mean(name, by="instance"):
    return (f'sum by ({by}) (rate({name}_sum{{job="$job"}}[$__rate_interval])) / '
            f'sum by ({by}) (rate({name}_count{{job="$job"}}[$__rate_interval]))')


panel("Throughput (pairs/s)", [
    ('sum(rate(crossenc_pairs_total{job="$job",status=~"200|OK"}[$__rate_interval]))', "all replicas"),
    ('sum by (instance) (rate(crossenc_pairs_total{job="$job",status=~"200|OK"}[$__rate_interval]))', "{{instance}}"),
], "short", description="Pairs in answered scoring requests per second (seed: Throughput).")
panel("Request latency percentiles", [
    (f'histogram_quantile({q}, sum by (le) (rate(crossenc_request_duration_seconds_bucket{{job="$job",{SCORED}}}[$__rate_interval])))', f"p{int(q * 100)}")
    for q in (0.5, 0.95, 0.99)
], "s", description="Received to response ready, all scoring endpoints (seed: Latency).")
panel("Queue wait (mean)", [(mean("crossenc_request_queue_wait_seconds"), "{{instance}}")], "s",
      description="Time a request's pairs wait for a batch (seed: Queue Wait).")
panel("Queue depth (pairs)", [('crossenc_queue_depth_pairs{job="$job"}', "{{instance}}")], "short",
      description="Pairs waiting for a batch now: the autoscaler's signal.")
panel("Tokenize time (mean per request)", [(mean("crossenc_request_tokenize_seconds"), "{{instance}}")], "s",
      description="WordPiece tokenization per request (seed: Tokenization).")
panel("Inference time (mean per request)", [(mean("crossenc_request_inference_seconds"), "{{instance}}")], "s",
      description="Encoder time per request (seed: Inference).")
panel("Padding waste", [
    ('crossenc_padded_baseline_waste_ratio{job="$job"}', "padded batches would waste {{instance}}"),
], "percentunit", description="Packed batches compute no padding (seed: Padding Waste, 40-46%).")
panel("CPU (cores in use)", [('rate(process_cpu_seconds_total{job="$job"}[$__rate_interval])', "{{instance}}")], "short",
      description="CPU time per second of each replica process (seed: CPU Usage).")
panel("Memory (resident)", [('process_resident_memory_bytes{job="$job"}', "{{instance}}")], "bytes",
      description="RSS of each replica (seed: GPU Memory; this is a CPU server).")
panel("Engine busy", [('sum by (instance) (rate(crossenc_replica_busy_seconds_total{job="$job"}[$__rate_interval]))', "{{instance}}")], "percentunit",
      description="Share of time the engine replicas run batches (seed: GPU Utilization).")
panel("Requests by status", [(f'sum by (status) (rate(crossenc_requests_total{{job="$job",{SCORED}}}[$__rate_interval]))', "{{status}}")], "reqps",
      description="429: overloaded; 503 / UNAVAILABLE: draining.")
panel("Replicas up", [('sum(up{job="$job"})', "up"), ('count(up{job="$job"})', "known")], "short", kind="stat", width=12)
panel("Per-replica statistics", [
    ('sum by (instance) (rate(crossenc_pairs_total{job="$job",status=~"200|OK"}[5m]))', "pairs/s"),
    (f'histogram_quantile(0.95, sum by (instance, le) (rate(crossenc_request_duration_seconds_bucket{{job="$job",{SCORED}}}[5m])))', "p95 s"),
    (mean("crossenc_request_duration_seconds").replace("$__rate_interval", "5m"), "mean s"),
    (f'sum by (instance) (crossenc_requests_total{{job="$job",{SCORED}}})', "requests"),
], "short", kind="table", width=24, description="Seed: Per-Worker Statistics.",
      transformations=[{"id": "merge"}])

# Lay the panels out two per row in the order above.
x = y = 0
for p in panels:
    w, h = p["gridPos"]["w"], p["gridPos"]["h"]
    if x + w > 24:
        x, y = 0, y + h
    p["gridPos"].update(x=x, y=y)
    x += w

dashboard = {
    "title": "crossenc",
    "uid": "crossenc",
    "description": "crossenc serve replicas: throughput, latency, queue, stages, padding, CPU, memory",
    "schemaVersion": 39,
    "version": 1,
    "editable": True,
    "refresh": "10s",
    "time": {"from": "now-1h", "to": "now"},
    "tags": ["crossenc"],
    "templating": {"list": [
        {"name": "datasource", "type": "datasource", "query": "prometheus", "label": "Prometheus"},
        {"name": "job", "type": "query", "datasource": {"type": "prometheus", "uid": "${datasource}"},
         "query": "label_values(crossenc_build_info, job)", "refresh": 1, "current": {"text": "crossenc", "value": "crossenc"}},
    ]},
    "panels": panels,
}
out = pathlib.Path(__file__).with_name("crossenc-dashboard.json")
out.write_text(json.dumps(dashboard, indent=2) + "\n")
print(f"wrote {out.name}: {len(panels)} panels")
