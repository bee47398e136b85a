#!/usr/bin/python3
"""Writes a MovieLens-20M-sized synthetic ratings.csv (header userId,movieId,rating,timestamp) to time
`vaecf prepare` at full scale: 138,493 users with >= 20 ratings each (heavy-tailed, about 20M rows),
26,744 items with Zipf-like popularity, about half the ratings above 3.5, rows sorted by user
like the real file. Nothing in it is real data.

usage: tools/synthetic_ml20m.py OUT.csv [--users 138493] [--seed 20]
"""
import argparse

import numpy as np
import pandas as pd

ap = argparse.ArgumentParser()
ap.add_argument("out")
ap.add_argument("--users", type=int, default=138_493)
ap.add_argument("--items", type=int, default=26_744)
ap.add_argument("--seed", type=int, default=20)
a = ap.parse_args()
rng = np.random.default_rng(a.seed)

counts = np.minimum(20 + rng.lognormal(mean=4.1, sigma=1.15, size=a.users).astype(np.int64), 9000)
users = np.repeat(np.arange(1, a.users + 1), counts)
weights = 1.0 / np.arange(1, a.items + 1) ** 0.9
item_ids = rng.permutation(np.arange(1, 131_263))[: a.items]  # sparse ids, as movieIds are
items = item_ids[rng.choice(a.items, size=users.size, p=weights / weights.sum())]
frame = pd.DataFrame({"userId": users, "movieId": items}).drop_duplicates()
n = len(frame)
high = rng.random(n) < 0.5
frame["rating"] = np.where(high, rng.choice([4.0, 4.5, 5.0], size=n), rng.choice([0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5], size=n))
frame["timestamp"] = rng.integers(789_652_009, 1_427_784_002, size=n)
frame.sort_values(["userId", "movieId"], kind="stable").to_csv(a.out, index=False)
print(f"{n:,} rows, {frame.userId.nunique():,} users, {frame.movieId.nunique():,} items -> {a.out}")
