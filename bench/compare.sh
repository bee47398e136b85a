#!/usr/bin/env bash
# Times the same Mult-VAE / Mult-DAE training step in VaeCf and in PyTorch on this machine, in one
# run, and prints VaeCf / PyTorch per batch. PyTorch runs twice: with OpenBLAS told its core type
# (tuned) and with OpenBLAS's defaults. Needs: dotnet; Debian's python3-torch and an optimized BLAS
# (apt-get install -y python3-torch libopenblas0-pthread). Not used by the build or the tests.
#
#   bench/compare.sh [--items N] [--batches N] [--threads N] [--model vae|dae|both]
#   CORETYPE=SkylakeX L2_SIZE=2097152 bench/compare.sh     # the tuned configuration's settings
set -euo pipefail
cd "$(dirname "$0")/.."
items=20108 batches=10 threads=$(nproc) model=both
while [ $# -gt 0 ]; do
  case "$1" in
    --items) items=$2; shift 2 ;;
    --batches) batches=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --model) model=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
coretype=${CORETYPE:-SkylakeX}
l2=${L2_SIZE:-}
py=/usr/bin/python3
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

dotnet build -c Release src/VaeCf.Cli -v q -nologo >/dev/null
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
src/VaeCf.Cli/bin/Release/net10.0/VaeCf.Cli bench --json --items "$items" --batches "$batches" --threads "$threads" \
  --model "$model" --eval-users 0 > "$out/vaecf.json"
# Tuned: OpenBLAS told the core type (and, where given, the L2 size) of this CPU, which its build may not recognise.
env OPENBLAS_CORETYPE="$coretype" ${l2:+OPENBLAS_L2_SIZE="$l2"} \
  "$py" bench/pytorch_step.py --items "$items" --batches "$batches" --threads "$threads" --model "$model" > "$out/torch_tuned.json"
# Defaults: whatever OpenBLAS picks by itself (both variables unset for this command only).
env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE \
  "$py" bench/pytorch_step.py --items "$items" --batches "$batches" --threads "$threads" --model "$model" > "$out/torch_default.json"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

"$py" - "$out" "$coretype" <<'PY'
import json, sys
out, coretype = sys.argv[1], sys.argv[2]
ours = json.load(open(f"{out}/vaecf.json"))
tuned = json.load(open(f"{out}/torch_tuned.json"))
default = json.load(open(f"{out}/torch_default.json"))
def by_model(report): return {m["model"]: m for m in report["models"]}
o, t, d = by_model(ours), by_model(tuned), by_model(default)
print(f"{ours['cpu']}, {ours['threads']} thread(s); torch {tuned['torch']}; {ours['items']} items, batch {ours['batch_size']}")
print(f"{'model':6} {'VaeCf s/batch':>14} {'torch tuned':>12} {'torch default':>14} {'VaeCf/tuned':>12} {'VaeCf/default':>14} {'speed-up vs tuned':>18}")
for name, m in o.items():
    a, b, c = m["batch_seconds"], t[name]["batch_seconds"], d[name]["batch_seconds"]
    print(f"{name:6} {a:14.3f} {b:12.3f} {c:14.3f} {a / b:12.3f} {a / c:14.3f} {b / a:17.1f}x")
print(f"tuned = OPENBLAS_CORETYPE={coretype}; default = OpenBLAS's own choice; medians of each run's timed batches")

PY
