#!/usr/bin/env python3
"""Markdown tables from `vaecf bench --json` output (for docs/benchmarks.md).

    bench/tables.py main RUN.json [RUN.json ...]   # the main table, one column pair per run
    bench/tables.py scaling SCALING.json
"""
import json
import sys


def main_table(paths):
    runs = [json.load(open(p)) for p in paths]
    r0 = runs[0]
    print(f"{r0['cpu']}, {r0['logical_cores']} cores, {r0['simd_width_bits']}-bit SIMD, {r0['runtime']}; "
          f"{r0['users']:,} users x {r0['items']:,} items, {r0['non_zeros']:,} clicks, batch {r0['batch_size']}\n")
    header = ["", *[f"Mult-{m['model'].upper()} (run {i + 1}, {r['threads']} thr)" for i, r in enumerate(runs) for m in r["models"]]]
    rows = [
        ("load average before -> after", lambda r, m: f"{r['load_average_before']:.1f} -> {r['load_average_after']:.1f}"),
        ("GEMM peak, wall (ours / oneDNN)", lambda r, m: f"{r['gemm_peak_ours_gflops']:.0f} / {fmt(r.get('gemm_peak_one_dnn_gflops'))}"),
        ("GEMM peak, 1 core CPU time (ours / oneDNN)", lambda r, m: f"{r['gemm_peak_core_ours_gflops']:.0f} / {fmt(r.get('gemm_peak_core_one_dnn_gflops'))}"),
        ("s / batch, median (min-max)", lambda r, m: f"{m['batch_seconds']:.3f} ({m['batch_seconds_min']:.3f}-{m['batch_seconds_max']:.3f})"),
        ("forward / loss / backward / Adam, s", lambda r, m: f"{m['forward_seconds']:.3f} / {m['loss_seconds']:.3f} / {m['backward_seconds']:.3f} / {m['optimizer_seconds']:.3f}"),
        ("output-layer GEMMs: s, GFLOP/s, share", lambda r, m: f"{m['output_gemm_seconds']:.3f}, {m['output_gemm_gflops']:.0f}, {m['output_gemm_share']:.0%}"),
        ("s / epoch (234 batches x median)", lambda r, m: f"{m['epoch_seconds']:.1f}"),
        ("floor s / epoch (wall peak)", lambda r, m: f"{m['floor_seconds']:.1f}"),
        ("**epoch / floor**", lambda r, m: f"**{m['epoch_over_floor']:.2f}**"),
        ("CPU s / batch", lambda r, m: f"{m['batch_cpu_seconds']:.3f}"),
        ("core-s / epoch, floor, **ratio**", lambda r, m: f"{m['epoch_cpu_seconds']:.1f}, {m['cpu_floor_seconds']:.1f}, **{m['epoch_cpu_over_cpu_floor']:.2f}**"),
        ("CPU / wall", lambda r, m: f"{m['cpu_per_wall']:.2f}"),
        ("eval s (users, top-100, all items)", lambda r, m: f"{fmt(m.get('eval_seconds'), '.2f')} ({m['eval_users']:,})"),
        ("allocated / batch", lambda r, m: f"{m['allocated_bytes_per_batch'] / 1024:.1f} KiB"),
        ("peak RSS of training", lambda r, m: f"{m['rss_after_training_mb']:.0f} MB"),
        ("peak RSS with evaluation", lambda r, m: f"{m['peak_rss_mb']:.0f} MB" if 'peak_rss_mb' in m else f"{r['peak_rss_mb']:.0f} MB"),
    ]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for label, cell in rows:
        print("| " + " | ".join([label, *[cell(r, m) for r in runs for m in r["models"]]]) + " |")


def scaling_table(path):
    points = json.load(open(path))["scaling"]
    print("| model | items | threads | s / batch | ms / batch per 1k items | epoch s | floor s | epoch / floor | CPU s / batch | core-s ratio | out-GEMM GFLOP/s | peak RSS MB |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for p in sorted(points, key=lambda p: (p["model"] != "vae", p["threads"], p["items"])):
        print(f"| {p['model']} | {p['items']:,} | {p['threads']} | {p['batch_seconds']:.3f} | {p['milliseconds_per_batch_per1k_items']:.1f} | "
              f"{p['epoch_seconds']:.1f} | {p['floor_seconds']:.1f} | {p['epoch_over_floor']:.2f} | {p['batch_cpu_seconds']:.3f} | "
              f"{p['epoch_cpu_over_cpu_floor']:.2f} | {p['output_gemm_gflops']:.0f} | {p['peak_rss_mb']:.0f} |")


def fmt(x, spec=".0f"):
    return "n/a" if x is None else format(x, spec)


if __name__ == "__main__":
    if len(sys.argv) < 3 or sys.argv[1] not in ("main", "scaling"):
        sys.exit(__doc__)
    main_table(sys.argv[2:]) if sys.argv[1] == "main" else scaling_table(sys.argv[2])
