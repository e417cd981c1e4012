"""Cost of bad rows in a loan-tape call. Run: python benchmarks/bench_tape_errors.py

A tape call (GPU_RV, LGD_CORR over columns) with bad rows returns each bad row's error and
computes the others: the adapter computes halves of the tape in one model call each and splits
only the failing halves. Prints, for a 10,000-row tape (median of repeats), the time of one
array call through the Excel adapter with 0, 1, 10 and 100 bad rows, next to the floor (the
model's vectorised function on the clean tape, no cell conversion).
"""

from __future__ import annotations

import platform
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _timing import bench, fmt  # noqa: E402

import numpy as np  # noqa: E402

import addin.udfs as x  # noqa: E402
from pymodel import lgd, residual  # noqa: E402

N = 10_000


def tape(bad: int, seed: int = 1):
    rng = np.random.default_rng(seed)
    rent = (2.0 + rng.random(N)).tolist()
    pd = (0.005 + 0.05 * rng.random(N)).tolist()
    for i in rng.choice(N, size=bad, replace=False):
        rent[i] = -1.0  # out of domain: that row's #NUM!
        pd[i] = 1.5
    return [[v] for v in rent], [[v] for v in pd], rent, pd


def main() -> None:
    print(f"# bad rows in a {N:,}-row tape ({platform.python_version()}, numpy "
          f"{np.__version__})")
    _, _, rent0, pd0 = tape(0)
    floor_rv = bench(lambda: residual.income_value(rent0, 0.85, 0.45, 0.3, 0.1), 3)
    floor_lgd = bench(lambda: lgd.lgd_corr(pd0, 0.8, 0.5, 6.0, 0.5), 3)
    print(f"floor (model, clean tape): GPU_RV {fmt(floor_rv)}, LGD_CORR {fmt(floor_lgd)}")
    for bad in (0, 1, 10, 100):
        rent, pd, _, _ = tape(bad)
        rv = x.GPU_RV(rent, 0.85, 0.45, 0.3, 0.1)
        lc = x.LGD_CORR(pd, 0.8, 0.5, 6.0, 0.5)
        assert len(rv) == len(lc) == N
        assert sum(isinstance(r[0], str) for r in rv) == bad
        assert sum(isinstance(r[0], str) for r in lc) == bad
        t_rv = bench(lambda: x.GPU_RV(rent, 0.85, 0.45, 0.3, 0.1), 1, repeat=5)
        t_lgd = bench(lambda: x.LGD_CORR(pd, 0.8, 0.5, 6.0, 0.5), 1, repeat=5)
        print(f"{bad:>4} bad rows: GPU_RV {fmt(t_rv)}, LGD_CORR {fmt(t_lgd)}")


if __name__ == "__main__":
    main()
