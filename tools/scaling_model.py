#!/usr/bin/env python3
"""Scaling model for synchronous data-parallel training (docs/distributed.md).

Per global batch: every process computes its 1/P share, then a ring allreduce sums the dense
gradient: 2 (P - 1) / P * S / bandwidth + 2 (P - 1) * latency. Compute and communication do not
overlap (the training loop reduces after the backward pass). Plain Python, no dependencies.
"""
import argparse

def batch_seconds(p, compute, gradient_bytes, gbit, latency):
    bandwidth = gbit * 1e9 / 8
    comm = 0.0 if p == 1 else 2 * (p - 1) / p * gradient_bytes / bandwidth + 2 * (p - 1) * latency
    return compute / p + comm, comm

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--compute", type=float, default=0.243, help="seconds per global batch on one process (ML-20M VAE on 2 quiet cores, vaecf bench: 0.243 s; one core 0.431 s)")
    ap.add_argument("--latency", type=float, default=10e-6, help="per-message latency, seconds")
    ap.add_argument("--batches", type=int, default=234, help="batches per epoch (116,677 users / 500)")
    ap.add_argument("--touched-rows", type=int, default=7100, help="input rows a batch of 500 touches (ML-20M shape: about 7,100 measured; at most its ~43,000 clicks)")
    ap.add_argument("--dense", action="store_true", help="reduce the whole input-layer gradient instead of its touched rows")
    a = ap.parse_args()
    hidden, latent = 600, 200
    def parameters(items):  # [items-600-200-600-items] Mult-VAE: the encoder's last layer outputs mean and log-variance
        return items * hidden + hidden + hidden * 2 * latent + 2 * latent + latent * hidden + hidden + hidden * items + items
    shapes = [("ML-20M (20,108 items)", 20108), ("1M-item catalogue", 1_000_000)]
    for name, items in shapes:
        touched = items if a.dense else min(items, a.touched_rows if items == 20108 else 43000)
        s = 4 * (parameters(items) - (items - touched) * hidden)
        compute = a.compute * items / 20108  # the output layer dominates, so compute grows with the items
        print(f"\n{name}: {touched:,} input rows reduced, {s / 1e6:,.0f} MB per batch, one process {compute:.2f} s per batch, {a.batches * compute:,.0f} s per epoch")
        print("| P | " + " | ".join(f"{g} Gb/s: epoch s (efficiency)" for g in (10, 25, 100)) + " |")
        print("|---|" + "---|" * 3)
        for p in (1, 2, 4, 8, 16, 32, 64):
            cells = []
            for g in (10, 25, 100):
                t, _ = batch_seconds(p, compute, s, g, a.latency)
                cells.append(f"{a.batches * t:,.0f} ({compute / (p * t):.2f})")
            print(f"| {p} | " + " | ".join(cells) + " |")
        for g in (10, 25, 100):
            print(f"  {g} Gb/s: per-batch time tends to 2 S / bandwidth = {2 * s / (g * 1e9 / 8):.3f} s, so the speed-up is bounded by {compute / (2 * s / (g * 1e9 / 8)):.1f}")

if __name__ == "__main__":
    main()
