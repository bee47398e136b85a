#!/usr/bin/env bash
# Reruns experiments/paper-stages.yaml (resumable: finished runs are skipped) and rewrites
# docs/figures/ (figures, results.csv, summary.csv, report.md). Model weights stay in
# experiments/out/, which git ignores. Extra arguments go to `vaecf experiment` (e.g. --seeds 1,2,3).
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build src/VaeCf.Cli -c Release -v quiet --nologo
vaecf() { dotnet src/VaeCf.Cli/bin/Release/net10.0/VaeCf.Cli.dll "$@"; }
vaecf experiment --grid experiments/paper-stages.yaml --output experiments/out "$@"
mkdir -p docs/figures
rm -f docs/figures/*.png
# The annealing figure of each anneal-to-1 run (the report adds the top runs and the summary figures after).
for run in experiments/out/runs/anneal-to-1-*; do vaecf plot --runs "$run" --output docs/figures >/dev/null; done
vaecf report --runs experiments/out --output docs/figures/report.md --figures docs/figures --top 3 --title "paper-stages on ml-latest-small"
cp experiments/out/results.csv experiments/out/summary.csv docs/figures/
