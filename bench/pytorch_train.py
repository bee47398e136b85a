#!/usr/bin/python3
"""Trains Mult-VAE or Mult-DAE in PyTorch on a split folder in the notebook layout, the way the
common PyTorch reimplementations do (dense batch input, validation NDCG@100 after every epoch),
and reports its quality, time and peak resident memory beside `vaecf train`'s on the same split.

    vaecf prepare -i data/ml-latest-small -o /tmp/split
    /usr/bin/python3 bench/pytorch_train.py --data /tmp/split [--model vae|dae] [--epochs 200] [--threads 2]

Settings follow `vaecf train`'s defaults: [I-600-200-600-I] (DAE [I-200-I]), tanh, input dropout
0.5, batch 500, Adam lr 1e-3, the VAE's beta annealed by 1 / 200,000 per update up to 0.2, the
DAE's L2 penalty 0.01 / batch on the weights. Prints one JSON object. Needs Debian's
python3-torch; nothing in the repo's build or tests runs it.
"""
import argparse
import csv
import json
import os
import resource
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


def read_pairs(path):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))[1:]
    return np.array([int(r[0]) for r in rows]), np.array([int(r[1]) for r in rows])


def dense(users, items, n_users, n_items, first_user):
    x = np.zeros((n_users, n_items), dtype=np.float32)
    x[users - first_user, items] = 1.0
    return x


def held_out(folder, name, n_items):
    tr_u, tr_i = read_pairs(os.path.join(folder, f"{name}_tr.csv"))
    te_u, te_i = read_pairs(os.path.join(folder, f"{name}_te.csv"))
    first, last = min(tr_u.min(), te_u.min()), max(tr_u.max(), te_u.max())
    n = last - first + 1
    return dense(tr_u, tr_i, n, n_items, first), dense(te_u, te_i, n, n_items, first)


class MultVae(nn.Module):
    def __init__(self, items, hidden=600, latent=200, dropout=0.5):
        super().__init__()
        self.latent = latent
        self.encoder, self.code = nn.Linear(items, hidden), nn.Linear(hidden, 2 * latent)
        self.decoder, self.output = nn.Linear(latent, hidden), nn.Linear(hidden, items)
        self.drop = nn.Dropout(dropout)
        for layer in (self.encoder, self.code, self.decoder, self.output):
            nn.init.xavier_uniform_(layer.weight)
            nn.init.normal_(layer.bias, std=0.001)

    def forward(self, x):
        h = torch.tanh(self.encoder(self.drop(F.normalize(x))))
        mu, logvar = self.code(h).split(self.latent, dim=1)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar) if self.training else mu
        return self.output(torch.tanh(self.decoder(z))), mu, logvar


class MultDae(nn.Module):
    def __init__(self, items, hidden=200, dropout=0.5):
        super().__init__()
        self.encoder, self.output = nn.Linear(items, hidden), nn.Linear(hidden, items)
        self.drop = nn.Dropout(dropout)
        for layer in (self.encoder, self.output):
            nn.init.xavier_uniform_(layer.weight)
            nn.init.normal_(layer.bias, std=0.001)

    def forward(self, x):
        return self.output(torch.tanh(self.encoder(self.drop(F.normalize(x))))), None, None


def ndcg_at_k(scores, targets, k=100):
    """Mean NDCG@k over users with at least one target (binary relevance, log2 discounts)."""
    top = np.argpartition(-scores, k, axis=1)[:, :k]
    order = np.take_along_axis(scores, top, axis=1).argsort(axis=1)[:, ::-1]
    top = np.take_along_axis(top, order, axis=1)
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    hits = np.take_along_axis(targets, top, axis=1)
    dcg = (hits * discounts).sum(axis=1)
    counts = targets.sum(axis=1).astype(int)
    idcg = np.array([discounts[: min(c, k)].sum() for c in counts])
    keep = counts > 0
    return float((dcg[keep] / idcg[keep]).mean())


def evaluate(model, fold_in, targets, batch=2000):
    model.eval()
    results = []
    with torch.no_grad():
        for start in range(0, fold_in.shape[0], batch):
            x = torch.from_numpy(fold_in[start:start + batch])
            logits, _, _ = model(x)
            scores = logits.numpy().copy()
            scores[fold_in[start:start + batch] > 0] = -np.inf
            results.append(scores)
    model.train()
    return ndcg_at_k(np.concatenate(results), targets)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True, help="split folder (train.csv, validation_tr/te.csv, test_tr/te.csv, unique_sid.txt)")
    ap.add_argument("--model", choices=["vae", "dae"], default="vae")
    ap.add_argument("--epochs", type=int, default=200)
    ap.add_argument("--batch", type=int, default=500)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--seed", type=int, default=98765)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    rng = np.random.default_rng(a.seed)

    with open(os.path.join(a.data, "unique_sid.txt")) as f:
        n_items = sum(1 for line in f if line.strip())
    tr_u, tr_i = read_pairs(os.path.join(a.data, "train.csv"))
    train = dense(tr_u, tr_i, tr_u.max() + 1, n_items, 0)
    val_in, val_out = held_out(a.data, "validation", n_items)
    test_in, test_out = held_out(a.data, "test", n_items)

    model = MultVae(n_items) if a.model == "vae" else MultDae(n_items)
    decay = 0.0 if a.model == "vae" else 0.01 / a.batch
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    updates, best, best_epoch, best_state = 0, -1.0, 0, None
    started = time.perf_counter()
    for epoch in range(1, a.epochs + 1):
        order = rng.permutation(train.shape[0])
        for start in range(0, len(order), a.batch):
            x = torch.from_numpy(train[order[start:start + a.batch]])
            logits, mu, logvar = model(x)
            nll = -(F.log_softmax(logits, dim=1) * x).sum(dim=1).mean()
            if a.model == "vae":
                beta = min(0.2, updates / 200000)
                kl = (0.5 * (-logvar + logvar.exp() + mu.pow(2) - 1).sum(dim=1)).mean()
                loss = nll + beta * kl
            else:
                loss = nll + decay * sum(p.pow(2).sum() for n, p in model.named_parameters() if n.endswith("weight"))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            updates += 1
        ndcg = evaluate(model, val_in, val_out)
        if ndcg > best:
            best, best_epoch = ndcg, epoch
            best_state = {k: v.clone() for k, v in model.state_dict().items()}
    seconds = time.perf_counter() - started
    model.load_state_dict(best_state)
    print(json.dumps({
        "model": a.model, "items": n_items, "train_users": int(train.shape[0]), "epochs": a.epochs, "threads": a.threads,
        "best_epoch": best_epoch, "val_ndcg100": round(best, 4), "test_ndcg100": round(evaluate(model, test_in, test_out), 4),
        "seconds": round(seconds, 1), "seconds_per_epoch": round(seconds / a.epochs, 3),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "torch": torch.__version__,
    }))


if __name__ == "__main__":
    main()
