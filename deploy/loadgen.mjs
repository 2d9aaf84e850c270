#!/usr/bin/env node
// Bounded, closed-loop load of fixed-size rerank requests over HTTP (/score) or gRPC
// (inference.InferenceService/Infer), every answer checked against expected scores.
// Node's own http/http2 modules only: no packages to install. Loopback use in the tests.
//
//   node deploy/loadgen.mjs (--http URL | --grpc HOST:PORT) --pairs SCORED.jsonl
//       [--batch 96] [--concurrency 4] [--requests N] [--duration S] [--tolerance 1e-4]
//       [--timeout S] [--rate R] [--retries N]
//
// SCORED.jsonl: one {"query", "passage", "score"} line per pair (the output of `crossenc score`).
// Request k sends the --batch pairs starting at line k*batch (wrapping), so every answer has
// known expected scores. Prints one JSON summary line on stdout; exit 0 when it ran, whatever
// the answers (the caller judges), 2 on a usage error.
import fs from 'node:fs';
import http from 'node:http';
import http2 from 'node:http2';

const usage = (why) => {
  process.stderr.write(`loadgen: ${why}\nusage: node deploy/loadgen.mjs (--http URL | --grpc HOST:PORT) ` +
    '--pairs SCORED.jsonl [--batch 96] [--concurrency 4] [--requests N] [--duration S] ' +
    '[--tolerance 1e-4] [--timeout S] [--rate R] [--retries N]\n' +
    '  --requests / --duration  stop after N requests or S seconds, whichever comes first\n' +
    '  --rate R                 start at most R requests per second in total (default: closed loop)\n' +
    '  --timeout S              a request unanswered after S seconds counts as failed (default 30)\n' +
    '  --retries N              resend a request that failed with a network error, HTTP 502/503/504\n' +
    '                           or gRPC UNAVAILABLE up to N times, as a gRPC retry policy would (default 0)\n');
  process.exit(2);
};

function parseArgs(argv) {
  const a = { batch: 96, concurrency: 4, requests: 1000, duration: 60, tolerance: 1e-4, timeout: 30, rate: 0, retries: 0 };
  const numeric = new Set(['batch', 'concurrency', 'requests', 'duration', 'tolerance', 'timeout', 'rate', 'retries']);
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, '');
    const value = argv[i + 1];
    if (key === 'help' || key === 'h') usage('help');
    if (value === undefined) usage(`${argv[i]} needs a value`);
    if (numeric.has(key)) {
      a[key] = Number(value);
      if (!Number.isFinite(a[key]) || a[key] < 0) usage(`${argv[i]} must be a non-negative number`);
    } else if (['http', 'grpc', 'pairs'].includes(key)) {
      a[key] = value;
    } else {
      usage(`unknown option ${argv[i]}`);
    }
  }
  if (!a.http === !a.grpc) usage('give exactly one of --http and --grpc');
  if (!a.pairs) usage('--pairs is required');
  if (a.batch < 1 || a.concurrency < 1) usage('--batch and --concurrency must be >= 1');
  return a;
}

function loadPairs(file) {
  const lines = fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.trim());
  return lines.map((l, i) => {
    const j = JSON.parse(l);
    if (typeof j.query !== 'string' || typeof j.passage !== 'string' || typeof j.score !== 'number') {
      throw new Error(`${file}:${i + 1}: needs string "query", "passage" and number "score"`);
    }
    return j;
  });
}

// --- protobuf, just the two messages of inference.proto this tool needs ---
function varint(n) {
  const out = [];
  while (n > 127) { out.push((n & 127) | 128); n >>>= 7; }
  out.push(n);
  return Buffer.from(out);
}
function field(tag, payload) { return Buffer.concat([varint(tag), varint(payload.length), payload]); }
function encodeInferRequest(pairs) {
  return Buffer.concat(pairs.map((p) => field(0x0a, Buffer.concat([
    field(0x0a, Buffer.from(p.query, 'utf8')), field(0x12, Buffer.from(p.passage, 'utf8'))]))));
}
function readVarint(buf, pos) {
  let value = 0, shift = 0, byte;
  do { byte = buf[pos++]; value += (byte & 127) * 2 ** shift; shift += 7; } while (byte & 128);
  return [value, pos];
}
// InferResponse.scores (field 1, repeated float, packed or not); other fields skipped.
function decodeScores(buf) {
  const scores = [];
  for (let pos = 0; pos < buf.length;) {
    let key;
    [key, pos] = readVarint(buf, pos);
    const num = Math.floor(key / 8), wire = key & 7;
    if (wire === 0) { [, pos] = readVarint(buf, pos); }
    else if (wire === 5) { if (num === 1) scores.push(buf.readFloatLE(pos)); pos += 4; }
    else if (wire === 1) { pos += 8; }
    else if (wire === 2) {
      let len;
      [len, pos] = readVarint(buf, pos);
      if (num === 1) for (let o = pos; o < pos + len; o += 4) scores.push(buf.readFloatLE(o));
      pos += len;
    } else throw new Error(`unexpected protobuf wire type ${wire}`);
  }
  return scores;
}

// --- transports: each returns {status, scores} or throws on a network error ---
function httpTransport(url, timeoutMs) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1024 });
  const target = new URL('/score', url);
  return (pairs) => new Promise((resolve, reject) => {
    const body = JSON.stringify({ pairs: pairs.map((p) => [p.query, p.passage]) });
    const req = http.request(target, {
      method: 'POST', agent, timeout: timeoutMs,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let scores = null;
        if (res.statusCode === 200) scores = JSON.parse(text).scores;
        resolve({ status: String(res.statusCode), scores });
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(body);
  });
}

function grpcTransport(hostPort, timeoutMs) {
  let session = null;
  const connect = () => {
    if (!session || session.closed || session.destroyed) {
      session = http2.connect(`http://${hostPort}`);
      session.on('error', () => {});  // reported per stream
    }
    return session;
  };
  return (pairs) => new Promise((resolve, reject) => {
    const message = encodeInferRequest(pairs);
    const frame = Buffer.alloc(5 + message.length);
    frame.writeUInt32BE(message.length, 1);
    message.copy(frame, 5);
    let stream;
    try {
      stream = connect().request({
        ':method': 'POST', ':path': '/inference.InferenceService/Infer',
        'content-type': 'application/grpc', te: 'trailers',
      });
    } catch (e) { session = null; reject(e); return; }
    stream.setTimeout(timeoutMs, () => stream.close(http2.constants.NGHTTP2_CANCEL));
    const chunks = [];
    let grpcStatus = null, httpStatus = null;
    stream.on('response', (h) => {
      httpStatus = h[':status'];
      if (h['grpc-status'] !== undefined) grpcStatus = h['grpc-status'];  // trailers-only answer
    });
    stream.on('trailers', (t) => { grpcStatus = t['grpc-status']; });
    stream.on('data', (c) => chunks.push(c));
    stream.on('error', reject);
    stream.on('close', () => {
      if (grpcStatus === null) {
        reject(new Error(httpStatus ? `HTTP ${httpStatus} without grpc-status` : 'stream closed'));
        return;
      }
      if (grpcStatus !== '0') { resolve({ status: `grpc-${grpcStatus}`, scores: null }); return; }
      const body = Buffer.concat(chunks);
      resolve({ status: 'OK', scores: decodeScores(body.subarray(5, 5 + body.readUInt32BE(1))) });
    });
    stream.end(frame);
  });
}

function percentile(sorted, q) {
  if (!sorted.length) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

async function main() {
  const a = parseArgs(process.argv.slice(2));
  const pairs = loadPairs(a.pairs);
  if (!pairs.length) usage(`${a.pairs} has no pairs`);
  const send = a.http ? httpTransport(a.http, a.timeout * 1000) : grpcTransport(a.grpc, a.timeout * 1000);
  const t0 = performance.now();
  const deadline = t0 + a.duration * 1000;
  const stats = { sent: 0, answered: 0, failed: 0, wrong: 0, pairs_answered: 0, client_retries: 0, max_abs_error: 0, by_status: {}, errors: {} };
  const latencies = [];
  const failures = [];  // when each failure happened (s since start), to line up with faults
  let next = 0;

  const one = async (k) => {
    const start = (k * a.batch) % pairs.length;
    const window = Array.from({ length: a.batch }, (_, i) => pairs[(start + i) % pairs.length]);
    const began = performance.now();
    stats.sent++;
    // Statuses a gRPC client's retry policy would resend (the request never ran to the end).
    const retryable = (st) => ['502', '503', '504', 'grpc-14'].includes(st);
    let r = null, lastError = null;
    for (let attempt = 0; attempt <= a.retries; attempt++) {
      if (attempt > 0) stats.client_retries++;
      try {
        r = await send(window);
        lastError = null;
        if (!retryable(r.status)) break;
      } catch (e) {
        r = null;
        lastError = e;
      }
    }
    if (lastError) {
      stats.failed++;
      failures.push(+((began - t0) / 1000).toFixed(3));
      const why = String(lastError.code || lastError.message || lastError);
      stats.errors[why] = (stats.errors[why] || 0) + 1;
      return;
    }
    stats.by_status[r.status] = (stats.by_status[r.status] || 0) + 1;
    if (!r.scores) { stats.failed++; failures.push(+((began - t0) / 1000).toFixed(3)); return; }
    let bad = r.scores.length !== window.length;
    for (let i = 0; !bad && i < window.length; i++) {
      const err = Math.abs(r.scores[i] - window[i].score);
      stats.max_abs_error = Math.max(stats.max_abs_error, err);
      if (!(err <= a.tolerance)) bad = true;
    }
    stats.answered++;
    stats.pairs_answered += window.length;
    if (bad) stats.wrong++;
    latencies.push(performance.now() - began);
  };
  const worker = async () => {
    for (;;) {
      if (next >= a.requests || performance.now() >= deadline) return;
      const k = next++;
      if (a.rate > 0) {
        const due = t0 + (k * 1000) / a.rate;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        if (performance.now() >= deadline) { next--; return; }
      }
      await one(k);
    }
  };
  await Promise.all(Array.from({ length: a.concurrency }, worker));
  const elapsed = (performance.now() - t0) / 1000;
  latencies.sort((x, y) => x - y);
  const summary = {
    transport: a.http ? 'http' : 'grpc', batch: a.batch, concurrency: a.concurrency, ...stats,
    seconds: +elapsed.toFixed(3), pairs_per_s: +(stats.pairs_answered / elapsed).toFixed(1),
    p50_ms: +percentile(latencies, 0.5).toFixed(2), p95_ms: +percentile(latencies, 0.95).toFixed(2),
    p99_ms: +percentile(latencies, 0.99).toFixed(2), failed_at_s: failures.slice(0, 50),
  };
  process.stdout.write(JSON.stringify(summary) + '\n');
  process.exit(0);  // open keep-alive sockets would otherwise hold the process
}

main().catch((e) => { process.stderr.write(`loadgen: ${e.message}\n`); process.exit(1); });
