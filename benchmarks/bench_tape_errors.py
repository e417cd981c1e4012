"""Cost of bad rows in a loan-tape call. Run: python benchmarks/bench_tape_errors.py

A tape call (GPU_RV, LGD_CORR over columns) with bad rows returns each bad row's error and
computes the others: the adapter computes halves of the tape in one model call each and splits
only the failing halves. Writes its section of docs/benchmarks.md (see benchmarks/_timing.py):
for a 10,000-row tape (median of repeats), the time of one array call through the Excel adapter
with 0, 1, 10 and 100 bad rows, next to the floor (the model's vectorised function on the clean
tape, no cell conversion).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _timing import Figure, Report, bench, parser  # noqa: E402

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


def main(argv=None) -> None:
    args = parser(__doc__.splitlines()[0]).parse_args(argv)
    _, _, rent0, pd0 = tape(0)
    floor_rv = bench(lambda: residual.income_value(rent0, 0.85, 0.45, 0.3, 0.1), 3)
    floor_lgd = bench(lambda: lgd.lgd_corr(pd0, 0.8, 0.5, 6.0, 0.5), 3)
    figures = []
    for bad in (0, 1, 10, 100):
        rent, pd, _, _ = tape(bad)
        rv = x.GPU_RV(rent, 0.85, 0.45, 0.3, 0.1)
        lc = x.LGD_CORR(pd, 0.8, 0.5, 6.0, 0.5)
        assert len(rv) == len(lc) == N
        assert sum(isinstance(r[0], str) for r in rv) == bad
        assert sum(isinstance(r[0], str) for r in lc) == bad
        figures.append(Figure(f"GPU_RV, {N:,}-row tape, {bad} bad rows",
                              bench(lambda: x.GPU_RV(rent, 0.85, 0.45, 0.3, 0.1), 1, repeat=5),
                              "`residual.income_value`, clean tape", floor_rv, per=N))
        figures.append(Figure(f"LGD_CORR, {N:,}-row tape, {bad} bad rows",
                              bench(lambda: x.LGD_CORR(pd, 0.8, 0.5, 6.0, 0.5), 1, repeat=5),
                              "`lgd.lgd_corr`, clean tape", floor_lgd, per=N))
    report = Report("bench_tape_errors", "Bad rows in a loan tape",
                    "Median of 5 repeats (3 for the floors). A bad row (rent -1, PD 1.5) is that "
                    "row's error; every other row is computed.")
    report.figures(figures)
    report.publish(args)


if __name__ == "__main__":
    main()
