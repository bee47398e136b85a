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
vaecf report --runs experiments/out --output docs/figures/report.md --top 3 --title "paper-stages on ml-latest-small"
cp experiments/out/results.csv experiments/out/summary.csv docs/figures/
