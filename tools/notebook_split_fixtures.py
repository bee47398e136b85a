#!/usr/bin/python3
"""Writes the small ratings files under tests/VaeCf.Tests/Fixtures/notebook-split/<case>/ratings.csv.

Each case stresses one rule of the original notebook's split: string ids (sorted by code point),
numeric ids in shuffled file order (sorted by value), a mostly numeric user column made textual by
one filtered-out user, held-out users left with fewer than 5 events (no targets), held-out users
left with no events at all, and held-out sizes given as a count or a share. The expected md5 sums in
expected.json come from running the notebook's preprocessing cells on these files (numpy 1.24.2,
pandas 1.5.3); the tests never call Python.

usage: tools/notebook_split_fixtures.py OUT_FOLDER
"""
import os
import sys

import numpy as np


def write(path, rows):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", newline="\n") as f:
        f.write("userId,movieId,rating,timestamp\n")
        for u, i, r, t in rows:
            f.write(f"{u},{i},{r},{t}\n")


def events(rng, users, items, rare_items, max_events):
    """Each user rates 1..max_events distinct items; a few users also rate an item nobody else has."""
    rows = []
    for k, u in enumerate(users):
        n = int(rng.integers(1, max_events + 1))
        for i in rng.choice(len(items), size=min(n, len(items)), replace=False):
            rows.append((u, items[i], float(rng.choice([1.0, 2.5, 3.5, 4.0, 4.5, 5.0])), int(rng.integers(10**9, 2 * 10**9))))
        if k < len(rare_items):
            rows.append((u, rare_items[k], 5.0, 1))
    return rows


def loners(rng, users, prefix):
    """Users whose 5..7 items nobody else rates: held out, they keep no event at all."""
    rows = []
    for k, u in enumerate(users):
        for j in range(int(rng.integers(5, 8))):
            rows.append((u, f"{prefix}{3 * 10**6 + 10 * k + j}", 5.0, 2))
    return rows


def main():
    out = sys.argv[1]
    rng = np.random.default_rng(2018)

    # 1. String ids with mixed case, digits and non-ASCII; users with few events.
    users = [f"u{k}" for k in range(160)] + [f"U{k:03d}" for k in range(40)] + ["élan", "Zoë", "zed", "ÿ", "用户"]
    items = [f"item-{k}" for k in range(70)] + ["ß", "Ω", "a"]
    rows = events(rng, users, items, [f"rare-{k}" for k in range(40)], 14)
    rows += loners(rng, [f"loner{k}" for k in range(25)], "solo-")
    write(os.path.join(out, "string-ids", "ratings.csv"), rows)

    # 2. Numeric ids spread over a wide range, rows in random order (not grouped by user).
    users = sorted(set(int(x) for x in rng.integers(1, 10**6, size=260)))
    items = [int(x) for x in rng.choice(10**5, size=90, replace=False)]
    rows = events(rng, users, items, [10**6 + k for k in range(30)], 18)
    rows += loners(rng, [2 * 10**6 + k for k in range(25)], "")
    rows = [rows[i] for i in rng.permutation(len(rows))]
    write(os.path.join(out, "numeric-shuffled", "ratings.csv"), rows)

    # 3. Numeric user ids, but one user id is text (and all its ratings are below the threshold, so the
    #    user is filtered out): pandas reads the column as text and sorts "10" before "9".
    users = list(range(1, 230))
    items = list(range(1, 80))
    rows = events(rng, users, items, [900 + k for k in range(25)], 12)
    rows += [("guest", 1, 2.0, 5), ("guest", 2, 1.0, 6)]
    write(os.path.join(out, "text-user-column", "ratings.csv"), rows)


if __name__ == "__main__":
    main()
