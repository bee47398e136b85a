#!/usr/bin/env python3
"""Lone-request latency of two servers side by side (e.g. two builds on the same model).

Sends the same random history to both, alternating which goes first, one request at a time
(keep-alive connections), so both see the same machine; prints p50/p90/min per server, the
/health p50 (the client's own floor) and how many answers were identical.

    python3 bench/http/alternate-recommend.py --a http://127.0.0.1:5071 --b http://127.0.0.1:5072 \
        --items 40981 --history 59 --warmup 200 --requests 300
Item IDs are assumed to be "0".."items-1" (as `vaecf synthetic-model` writes them).
"""
import argparse, http.client, json, random, time, urllib.parse

parser = argparse.ArgumentParser()
parser.add_argument("--a", required=True)
parser.add_argument("--b", required=True)
parser.add_argument("--items", type=int, default=20108)
parser.add_argument("--history", type=int, default=86)
parser.add_argument("--warmup", type=int, default=200)
parser.add_argument("--requests", type=int, default=300)
parser.add_argument("--k", default="100,10")
args = parser.parse_args()

def connect(url):
    u = urllib.parse.urlparse(url)
    return http.client.HTTPConnection(u.hostname, u.port)

servers = {"a": connect(args.a), "b": connect(args.b)}

def timed(name, method, path, body=None):
    c = servers[name]
    t = time.perf_counter()
    c.request(method, path, body, {"Content-Type": "application/json"} if body else {})
    r = c.getresponse()
    data = r.read()
    elapsed = (time.perf_counter() - t) * 1000
    if r.status != 200:
        raise SystemExit(f"{name}: HTTP {r.status}: {data[:200]!r}")
    return elapsed, data

rng = random.Random(7)
for k in (int(x) for x in args.k.split(",")):
    times = {n: [] for n in servers}
    health = {n: [] for n in servers}
    identical = 0
    for i in range(args.warmup + args.requests):
        body = json.dumps({"items": [str(rng.randrange(args.items)) for _ in range(args.history)], "k": k})
        answers = {}
        for name in (["a", "b"] if i % 2 == 0 else ["b", "a"]):
            elapsed, data = timed(name, "POST", "/recommend", body)
            answers[name] = json.loads(data)["items"]
            if i >= args.warmup:
                times[name].append(elapsed)
                health[name].append(timed(name, "GET", "/health")[0])
        identical += answers["a"] == answers["b"]
    for name in servers:
        x, h = sorted(times[name]), sorted(health[name])
        print(f"k={k} {name}: p50 {x[len(x) // 2]:.2f} ms, p90 {x[int(len(x) * 0.9)]:.2f}, min {x[0]:.2f} "
              f"(/health p50 {h[len(h) // 2]:.2f}), {len(x)} requests")
    print(f"k={k}: identical answers {identical}/{args.warmup + args.requests}")
