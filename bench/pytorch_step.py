#!/usr/bin/env python3
"""One Mult-VAE / Mult-DAE training step in PyTorch, timed: the reference for `vaecf bench`.

Written the way the reference implementations do it: a dense batch x items input (L2-normalized,
dropout 0.5), tanh MLPs, the multinomial log-likelihood over all items, KL with beta 0.2 for the
VAE, Adam lr 1e-3 (the DAE with weight decay 2 * 0.01 / batch, as the coupled L2 penalty), and
zero_grad + forward + loss + backward + step per batch. Same shapes as `vaecf bench`. Prints one
JSON object. Needs Debian's python3-torch (1.13); nothing in the repo's build or tests does.
"""
import argparse
import json
import os
import statistics
import time

import torch
import torch.nn.functional as F
from torch import nn


class MultVae(nn.Module):
    def __init__(self, items, hidden=600, latent=200, dropout=0.5):
        super().__init__()
        self.latent = latent
        self.encoder = nn.Linear(items, hidden)
        self.code = nn.Linear(hidden, 2 * latent)
        self.decoder = nn.Linear(latent, hidden)
        self.output = nn.Linear(hidden, items)
        self.drop = nn.Dropout(dropout)

    def forward(self, x):
        h = self.drop(F.normalize(x))
        h = torch.tanh(self.encoder(h))
        mu_logvar = self.code(h)
        mu, logvar = mu_logvar[:, : self.latent], mu_logvar[:, self.latent :]
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
        return self.output(torch.tanh(self.decoder(z))), mu, logvar


class MultDae(nn.Module):
    def __init__(self, items, hidden=200, dropout=0.5):
        super().__init__()
        self.encoder = nn.Linear(items, hidden)
        self.output = nn.Linear(hidden, items)
        self.drop = nn.Dropout(dropout)

    def forward(self, x):
        h = torch.tanh(self.encoder(self.drop(F.normalize(x))))
        return self.output(h), None, None


def synthetic_batches(count, batch, items, clicks, seed):
    """Dense 0/1 batches with Zipf item popularity, about `clicks` per user (the shape is what matters)."""
    g = torch.Generator().manual_seed(seed)
    popularity = 1.0 / torch.arange(1, items + 1, dtype=torch.float64)
    popularity = popularity[torch.randperm(items, generator=g)]
    out = []
    for _ in range(count):
        x = torch.zeros(batch, items)
        idx = torch.multinomial(popularity, batch * clicks, replacement=True, generator=g).view(batch, clicks)
        x.scatter_(1, idx, 1.0)
        out.append(x)
    return out


def time_model(name, args):
    torch.manual_seed(args.seed)
    model = (MultVae if name == "vae" else MultDae)(args.items)
    decay = 0.0 if name == "vae" else 2 * 0.01 / args.batch
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, weight_decay=decay)
    batches = synthetic_batches(4, args.batch, args.items, args.clicks, args.seed)
    times = []
    for b in range(args.warmup + args.batches):
        x = batches[b % len(batches)]
        t0 = time.perf_counter()
        opt.zero_grad()
        logits, mu, logvar = model(x)
        loss = -(F.log_softmax(logits, 1) * x).sum(1).mean()
        if mu is not None:
            kl = torch.mean(torch.sum(0.5 * (-logvar + torch.exp(logvar) + mu ** 2 - 1), dim=1))
            loss = loss + 0.2 * kl
        loss.backward()
        opt.step()
        if b >= args.warmup:
            times.append(time.perf_counter() - t0)
    hidden = 600 if name == "vae" else 200
    flops = 3 * 2.0 * args.batch * hidden * args.items
    median = statistics.median(times)
    return {
        "model": name,
        "batch_seconds": median,
        "batch_seconds_min": min(times),
        "batch_seconds_max": max(times),
        "batches_timed": len(times),
        "output_layer_gflops_effective": flops / median / 1e9,
    }


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--items", type=int, default=20108)
    p.add_argument("--batch", type=int, default=500)
    p.add_argument("--batches", type=int, default=10)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--threads", type=int, default=os.cpu_count())
    p.add_argument("--clicks", type=int, default=86)
    p.add_argument("--model", choices=["vae", "dae", "both"], default="both")
    p.add_argument("--seed", type=int, default=98765)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    names = ["vae", "dae"] if args.model == "both" else [args.model]
    print(json.dumps({
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "openblas_coretype": os.environ.get("OPENBLAS_CORETYPE"),
        "openblas_l2_size": os.environ.get("OPENBLAS_L2_SIZE"),
        "items": args.items,
        "batch": args.batch,
        "models": [time_model(n, args) for n in names],
    }))


if __name__ == "__main__":
    main()
