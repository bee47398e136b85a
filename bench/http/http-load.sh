#!/usr/bin/env bash
# Load test of `vaecf serve` with wrk: single-user POST /recommend (random ~86-item histories,
# k = 100) against an untrained ML-20M-size Mult-VAE (20,108 items, [200, 600]) at 1, 16 and 64
# connections, with and without micro-batching, and at 64 connections with an 8 ms batching bound. Loopback only; wrk shares the machine's cores with
# the server, so the figures are for both on the same box.
#   usage: bench/http-load.sh [seconds per run, default 10]
set -euo pipefail
cd "$(dirname "$0")/../.."
DURATION="${1:-10}"
PORT="${PORT:-5099}"
MODEL="${MODEL:-/tmp/vaecf-ml20m-synthetic}"
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 1; }

dotnet build -c Release src/VaeCf.Cli -v q -nologo >/dev/null
dotnet build -c Release bench/VaeCf.Bench -v q -nologo >/dev/null
VAECF="dotnet src/VaeCf.Cli/bin/Release/net10.0/VaeCf.Cli.dll"
[ -f "$MODEL/config.json" ] || dotnet bench/VaeCf.Bench/bin/Release/net10.0/VaeCf.Bench.dll synthetic-model --items 20108 --p-dims 200,600 --output "$MODEL"

counters() {  # forward passes and requests so far, from GET /model
  curl -s "http://127.0.0.1:$PORT/model" | grep -o '"batches":[0-9]*,"requests":[0-9]*' | tr -c '0-9' ' ' | xargs
}

run() {  # $1 = label, rest = serve flags
  local label="$1"; shift
  $VAECF serve --model "$MODEL" --urls "http://127.0.0.1:$PORT" "$@" >/tmp/vaecf-serve.log 2>&1 &
  local server=$!
  trap 'kill $server 2>/dev/null || true' RETURN
  for _ in $(seq 50); do curl -sf "http://127.0.0.1:$PORT/health" >/dev/null && break; sleep 0.2; done
  # Warm-up: JIT tiers (several seconds with dynamic PGO) and GEMM buffers, not measured.
  wrk -t2 -c16 -d10s -s bench/http/recommend.lua "http://127.0.0.1:$PORT" >/dev/null
  for c in ${CONNS:-1 16 64}; do
    local threads=$(( c < 2 ? 1 : 2 ))
    local before; before=$(counters)
    echo "== $label, $c connection(s)"
    wrk -t"$threads" -c"$c" -d"${DURATION}s" --latency -s bench/http/recommend.lua "http://127.0.0.1:$PORT" \
      | grep -E "Requests/sec|^ +(50|90|99)%|non-2xx|Latency "
    # Mean batch of this run alone (the /model counters are cumulative over all runs).
    local after; after=$(counters)
    awk -v a="$before" -v b="$after" 'BEGIN { split(a, x, " "); split(b, y, " ");
      if (y[1] > x[1]) printf "mean batch: %.1f requests per forward pass\n", (y[2] - x[2]) / (y[1] - x[1]) }'
  done
  curl -s "http://127.0.0.1:$PORT/model" | grep -o '"batching":{[^}]*}' || true
  kill $server; wait $server 2>/dev/null || true
}

run "micro-batching (max 64, 2 ms)"
run "no batching" --no-batching
# A longer bound lets a whole 64-client round gather (one pass per round): more throughput and a
# tighter latency spread at 64 connections, at up to 8 ms extra for traffic that thins out.
CONNS=64 run "micro-batching (max 64, 8 ms)" --max-wait-ms 8
