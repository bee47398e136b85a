#!/usr/bin/python3
"""Prints the expected numbers of tests/VaeCf.Tests/NumpyRandomStateTests.cs from numpy's legacy
RandomState (run once; the tests read the committed JSON and never call Python).

usage: tools/numpy_random_fixtures.py > tests/VaeCf.Tests/Fixtures/numpy/legacy-random.json
"""
import json

import numpy as np

CASES = [
    # (seed, call text evaluated with `rs` = np.random.RandomState(seed))
    (98765, "rs.randint(0, 2**32, size=20, dtype=np.uint32)"),
    (0, "rs.randint(0, 2**32, size=20, dtype=np.uint32)"),
    (4294967295, "rs.randint(0, 2**32, size=10, dtype=np.uint32)"),
    (98765, "rs.randint(0, 2**64, size=10, dtype=np.uint64)"),
    (98765, "rs.random_sample(10)"),
    (98765, "rs.randint(0, 7, size=30)"),
    (98765, "rs.randint(-5, 1000000, size=20)"),
    (12345, "rs.randint(0, 2**40 + 3, size=10)"),
    (98765, "rs.randint(0, 2**32 + 1, size=10, dtype=np.uint64)"),
    (98765, "rs.permutation(10)"),
    (98765, "rs.permutation(603)"),
    (98765, "rs.permutation(1)"),
    (7, "rs.permutation(100000)[:50]"),
    (98765, "[(rs.permutation(n), int(rs.randint(0, 2**32, dtype=np.uint32)))[1] for n in (5, 17, 1000)]"),
    (98765, "rs.choice(23, size=4, replace=False)"),
    (98765, "[rs.choice(n, size=int(0.2 * n), replace=False).tolist() for n in (5, 6, 9, 10, 31, 250)]"),
    (98765, "[rs.choice(5, size=0, replace=False).tolist(), int(rs.randint(0, 2**32, dtype=np.uint32))]"),
    (98765, "(lambda a: (rs.shuffle(a), a)[1])(np.arange(12) * 10)"),
]


def plain(v):
    if isinstance(v, np.ndarray):
        return [plain(x) for x in v.tolist()]
    if isinstance(v, (list, tuple)):
        return [plain(x) for x in v]
    if isinstance(v, float):
        return repr(v)  # shortest round-trip text; the test parses it back to the same double
    return int(v)


out = {"numpy": np.__version__, "generator": "np.random.RandomState(seed) (legacy MT19937, integer seeding)", "cases": []}
for seed, call in CASES:
    rs = np.random.RandomState(seed)
    out["cases"].append({"seed": seed, "call": call, "values": plain(eval(call))})
# One case per line keeps the file readable and its diffs small.
cases = ",\n  ".join(json.dumps(c) for c in out.pop("cases"))
head = json.dumps(out)[:-1]
print(head + ', "cases": [\n  ' + cases + "\n]}")
