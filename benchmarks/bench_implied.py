"""Timing of the market-implied deflation solver. Run: python benchmarks/bench_implied.py

Prints the median of several repeats for:
* GPU_IMPLIED_DEFLATION through the Excel adapter, one scalar call (one cell, without the
  xlwings/COM transport), without and with two step-downs;
* the same solve with scipy.optimize.brentq on the scalar income value (a per-call reference);
* pymodel.implied.implied_deflation over a 10,000-row tape in one vectorised call, without and
  with two step-downs, and a per-row scipy brentq loop over the same tape (the unvectorised
  alternative);
* the floor: one income_value evaluation of the 10,000 rows (the solver needs about 21 grid
  evaluations plus the Brent iterations).
"""

from __future__ import annotations

import platform
import sys
from pathlib import Path

import numpy as np
from scipy.optimize import brentq

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _timing import bench, fmt  # noqa: E402

import addin.udfs as x  # noqa: E402
from pymodel import implied, residual  # noqa: E402


def main():
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
    rows = [
        ("GPU_IMPLIED_DEFLATION, one call through the adapter",
         bench(lambda: x.GPU_IMPLIED_DEFLATION(20000.0, 2.35, 0.85, 0.5, 0.1, 900.0, 7.0), 300)),
        ("GPU_IMPLIED_DEFLATION with 2 step-downs, one call",
         bench(lambda: x.GPU_IMPLIED_DEFLATION(20000.0, 2.35, 0.85, 0.5, 0.1, 900.0, 7.0,
                                               [[0.5], [1.5]], [[0.15], [0.10]]), 300)),
        ("scipy brentq on income_value, one scalar solve",
         bench(lambda: brentq_one(price[0]), 100)),
        ("implied_deflation, 10,000-row tape in one call",
         bench(lambda: implied.implied_deflation(price, rent0, util, cost, r, salvage=sv), 5)),
        ("implied_deflation, 10,000 rows, 2 step-downs",
         bench(lambda: implied.implied_deflation(price_s, rent0, util, cost, r, salvage=sv,
                                                 **steps), 5)),
        ("scipy brentq per row, 10,000 rows (scaled from 200)",
         bench(brentq_loop, 1, repeat=3) * n / m),
        ("floor: income_value, 10,000 rows, one evaluation",
         bench(lambda: residual.income_value(rent0, util, cost, g_true, r, salvage=sv), 20)),
    ]
    print(f"Python {platform.python_version()}, numpy {np.__version__}, "
          f"{platform.machine()}; median of repeats")
    width = max(len(k) for k, _ in rows)
    for name, t in rows:
        extra = f"  ({t / n * 1e6:,.2f} us per row)" if "10,000" in name else ""
        print(f"{name.ljust(width)}  {fmt(t):>10}{extra}")
    print(f"largest |g - g_true| over the tape: {err:.1e}")


if __name__ == "__main__":
    main()
