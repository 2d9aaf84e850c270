#!/usr/bin/env python3
"""Slow/idle-client attacks on an HTTP server while a probe measures what normal clients see.

Loopback only, bounded: opens --connections attacking sockets for --seconds, while one probe
client sends a small request every --probe-interval seconds on a fresh connection, then probes
for --recover seconds more once the attack is over. Prints one JSON line: probe latency
(p50/p99/max ms), probes that failed, the server's peak RSS (with --pid) and how many attacking
connections the server had closed by the end.

  python3 bench/http_attack.py --port 8080 --mode idle --connections 1000 --seconds 10 --pid PID

Modes: idle (connect, send nothing), trickle (a header byte every --interval s), header (a
huge header sent slowly: 1 KB every --interval s), body (a large Content-Length, the body at
10 bytes/s), none (probe only).
"""
import argparse
import asyncio
import json
import time

PROBE_BODY = b'{"query": "what is a flea", "texts": ["A flea is a small wingless insect."]}'


def probe_request(host, path):
    return (
        f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(PROBE_BODY)}\r\nConnection: close\r\n\r\n"
    ).encode() + PROBE_BODY


async def probe_once(args):
    t0 = time.monotonic()
    try:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(args.host, args.port), args.probe_timeout)
        writer.write(probe_request(args.host, args.path))
        await writer.drain()
        data = await asyncio.wait_for(reader.read(), args.probe_timeout)
        writer.close()
        ok = data.startswith(b"HTTP/1.1 200")
    except (OSError, asyncio.TimeoutError):
        ok = False
    return ok, (time.monotonic() - t0) * 1000.0


async def probes(args, until, out):
    while time.monotonic() < until:
        start = time.monotonic()
        out.append(await probe_once(args))
        await asyncio.sleep(max(0.0, args.probe_interval - (time.monotonic() - start)))


async def attacker(args, mode, until, stats):
    try:
        reader, writer = await asyncio.open_connection(args.host, args.port)
    except OSError:
        stats["refused"] += 1
        return
    stats["opened"] += 1
    head = f"POST {args.path} HTTP/1.1\r\nHost: {args.host}\r\n".encode()
    try:
        if mode == "trickle":
            for byte in head:
                writer.write(bytes([byte]))
                await writer.drain()
                await asyncio.sleep(args.interval)
                if time.monotonic() > until:
                    break
        elif mode == "header":
            writer.write(head + b"X-Big: ")
            while time.monotonic() < until:
                writer.write(b"a" * 1024)
                await writer.drain()
                await asyncio.sleep(args.interval)
        elif mode == "body":
            writer.write(head + b"Content-Type: application/json\r\nContent-Length: 1000000\r\n\r\n")
            while time.monotonic() < until:
                writer.write(b"x" * 10)
                await writer.drain()
                await asyncio.sleep(1.0)
        # idle, or a stalled attack: hold the socket until the attack ends or the server closes it.
        remaining = until - time.monotonic()
        if remaining > 0:
            await asyncio.wait_for(reader.read(), remaining)
        if reader.at_eof():
            stats["closed_by_server"] += 1
    except (OSError, asyncio.TimeoutError):
        if reader.at_eof() or writer.is_closing():
            stats["closed_by_server"] += 1
    finally:
        writer.close()


def rss_kb(pid):
    if not pid:
        return 0
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


async def sample_rss(args, until, peak):
    while time.monotonic() < until:
        peak[0] = max(peak[0], rss_kb(args.pid))
        await asyncio.sleep(0.2)


def percentile(values, p):
    if not values:
        return None
    values = sorted(values)
    return round(values[min(len(values) - 1, int(p / 100.0 * len(values)))], 2)


async def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--path", default="/rerank", help="probe and attack target")
    ap.add_argument("--mode", choices=["idle", "trickle", "header", "body", "none"], default="idle")
    ap.add_argument("--connections", type=int, default=1000)
    ap.add_argument("--seconds", type=float, default=10.0, help="attack duration")
    ap.add_argument("--interval", type=float, default=2.0, help="seconds between attack bytes/chunks")
    ap.add_argument("--probe-interval", type=float, default=0.1)
    ap.add_argument("--probe-timeout", type=float, default=10.0)
    ap.add_argument("--recover", type=float, default=2.0, help="probe this long after the attack")
    ap.add_argument("--pid", type=int, default=0, help="server process, for its RSS")
    args = ap.parse_args()
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit("loopback only")

    stats = {"opened": 0, "refused": 0, "closed_by_server": 0}
    rss_before = rss_kb(args.pid)
    peak = [rss_before]
    start = time.monotonic()
    until = start + args.seconds
    attackers = []
    if args.mode != "none":
        for i in range(args.connections):
            attackers.append(asyncio.create_task(attacker(args, args.mode, until, stats)))
            if i % 50 == 49:
                await asyncio.sleep(0.01)  # let the accept queue drain
    during, after = [], []
    await asyncio.gather(probes(args, until, during), sample_rss(args, until, peak), *attackers)
    await probes(args, time.monotonic() + args.recover, after)
    lat = [ms for ok, ms in during if ok]
    print(json.dumps({
        "mode": args.mode, "connections": args.connections, "seconds": args.seconds, **stats,
        "probes": len(during), "probe_failures": sum(1 for ok, _ in during if not ok),
        "probe_p50_ms": percentile(lat, 50), "probe_p99_ms": percentile(lat, 99),
        "probe_max_ms": round(max(lat), 2) if lat else None,
        "recovery_probes": len(after), "recovery_failures": sum(1 for ok, _ in after if not ok),
        "rss_kb_before": rss_before, "rss_kb_peak": peak[0], "rss_kb_after": rss_kb(args.pid),
    }))


if __name__ == "__main__":
    asyncio.run(main())
