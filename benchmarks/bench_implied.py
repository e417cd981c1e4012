"""Timing of the market-implied deflation solver. Run: python benchmarks/bench_implied.py

Writes its section of docs/benchmarks.md (see benchmarks/_timing.py), each figure next to its
floor, the direct vectorised ``pymodel`` call:

* GPU_IMPLIED_DEFLATION through the Excel adapter, one cell (without the xlwings/COM
  transport), without and with two step-downs, and over a 10,000-row tape of column ranges;
* pymodel.implied.implied_deflation over the 10,000-row tape in one vectorised call, without
  and with two step-downs, against one income_value evaluation of the same rows (the solver
  needs about 21 grid evaluations plus the Brent iterations);
* a per-row scipy brentq loop over the tape (the unvectorised alternative), and one scalar
  brentq solve, against the vectorised solver;
* the largest error in g over the tape (prices generated from known g).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from scipy.optimize import brentq

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _timing import Figure, Report, bench, parser  # noqa: E402

import addin.udfs as x  # noqa: E402
from pymodel import implied, residual  # noqa: E402


def col(v):
    """A column range as Excel sends it."""
    return [[float(t)] for t in v]


def main(argv=None):
    args = parser(__doc__.splitlines()[0]).parse_args(argv)
    rng = np.random.default_rng(1)
    n = 10_000
    rent0 = rng.uniform(1.5, 3.5, n)
    util = rng.uniform(0.6, 0.95, n)
    cost = rng.uniform(0.3, 0.7, n)
    g_true = rng.uniform(-0.2, 0.6, n)
    r = rng.uniform(0.05, 0.15, n)
    sv = rng.uniform(0, 1500, n)
    steps = dict(step_years=[0.5, 1.5], step_downs=[0.15, 0.10])
    price = residual.income_value(rent0, util, cost, g_true, r, salvage=sv)
    price_s = residual.income_value(rent0, util, cost, g_true, r, salvage=sv, **steps)

    def brentq_one(p, i=0):
        return brentq(lambda g: residual.income_value(rent0[i], util[i], cost[i], g, r[i],
                                                      salvage=sv[i]) - p, -0.999999, 0.999999,
                      xtol=1e-11)

    m = 200   # rows for the per-row scipy loop (timed, then scaled to 10,000)

    def brentq_loop():
        for i in range(m):
            brentq(lambda g, i=i: residual.income_value(rent0[i], util[i], cost[i], g, r[i],
                                                        salvage=sv[i]) - price[i],
                   -0.999999, 0.999999, xtol=1e-11)

    got = implied.implied_deflation(price, rent0, util, cost, r, salvage=sv)
    err = float(np.max(np.abs(got - g_true)))
    cells = [col(v) for v in (price, rent0, util, cost, r, sv)]
    out = x.GPU_IMPLIED_DEFLATION(*cells)
    assert len(out) == n and np.allclose([v[0] for v in out], got, atol=1e-9)
    kw = dict(salvage=900.0, max_life_years=7.0)
    t_tape = bench(lambda: implied.implied_deflation(price, rent0, util, cost, r, salvage=sv), 5)
    figures = [
        Figure("GPU_IMPLIED_DEFLATION, one cell",
               bench(lambda: x.GPU_IMPLIED_DEFLATION(20000.0, 2.35, 0.85, 0.5, 0.1, 900.0, 7.0),
                     300),
               "`implied.implied_deflation`, one GPU",
               bench(lambda: implied.implied_deflation(20000.0, 2.35, 0.85, 0.5, 0.1, **kw),
                     300)),
        Figure("GPU_IMPLIED_DEFLATION, one cell, 2 step-downs",
               bench(lambda: x.GPU_IMPLIED_DEFLATION(20000.0, 2.35, 0.85, 0.5, 0.1, 900.0, 7.0,
                                                     [[0.5], [1.5]], [[0.15], [0.10]]), 300),
               "`implied.implied_deflation`, one GPU, 2 step-downs",
               bench(lambda: implied.implied_deflation(20000.0, 2.35, 0.85, 0.5, 0.1, **kw,
                                                       **steps), 300)),
        Figure("GPU_IMPLIED_DEFLATION over a 10,000-row tape (column ranges)",
               bench(lambda: x.GPU_IMPLIED_DEFLATION(*cells), 3),
               "`implied.implied_deflation` on 10,000-row arrays", t_tape, per=n),
        Figure("`implied.implied_deflation`, 10,000 rows in one call", t_tape,
               "`residual.income_value`, one evaluation of the 10,000 rows",
               bench(lambda: residual.income_value(rent0, util, cost, g_true, r, salvage=sv),
                     20), per=n),
        Figure("`implied.implied_deflation`, 10,000 rows, 2 step-downs",
               bench(lambda: implied.implied_deflation(price_s, rent0, util, cost, r,
                                                       salvage=sv, **steps), 5),
               "`residual.income_value`, one evaluation, 2 step-downs",
               bench(lambda: residual.income_value(rent0, util, cost, g_true, r, salvage=sv,
                                                   **steps), 20), per=n),
        Figure("scipy `brentq` per row on `income_value`, 10,000 rows (timed on 200, scaled)",
               bench(brentq_loop, 1, repeat=3) * n / m,
               "`implied.implied_deflation` on the 10,000 rows", t_tape, per=n),
        Figure("scipy `brentq` on `income_value`, one scalar solve",
               bench(lambda: brentq_one(price[0]), 100)),
    ]
    report = Report("bench_implied", "Market-implied deflation",
                    "Median of 7 repeats (3 for the per-row loop). Tape drawn with seed 1: rent "
                    "1.5-3.5, utilisation 0.6-0.95, cash cost 0.3-0.7, discount rate 0.05-0.15, "
                    "salvage 0-1,500; prices are the income values at a known g in -0.2 to 0.6, "
                    "so the solver's error is measured.")
    report.figures(figures)
    report.text(f"Largest |g - g_true| over the tape: {err:.1e}.")
    report.publish(args)


if __name__ == "__main__":
    main()
