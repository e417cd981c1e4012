"""Timing of the residual value functions (issue 2). Run: python benchmarks/bench_rv.py

Prints the median of several repeats for:
* GPU_RV called through the Excel adapter, one scalar call (what one cell costs in Python,
  without the xlwings/COM transport);
* pymodel.residual.income_value over a 10,000-row vectorised input (a loan tape in one call),
  without and with two generation step-downs;
* the periodic (monthly) variant over the same 10,000 rows;
* GPU_RV_CURVE through the adapter (7-row table) and GPU_RENT spilling 1,000 years.
"""

from __future__ import annotations

import platform
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _timing import bench, fmt  # noqa: E402

import addin.udfs as x  # noqa: E402
from pymodel import residual  # noqa: E402


def main():
    rng = np.random.default_rng(1)
    n = 10_000
    rent0 = rng.uniform(1.5, 3.5, n)
    util = rng.uniform(0.6, 0.95, n)
    cost = rng.uniform(0.3, 0.7, n)
    g = rng.uniform(-0.2, 0.5, n)
    r = rng.uniform(0.05, 0.15, n)
    steps = dict(step_years=[0.5, 1.5], step_downs=[0.15, 0.10])
    col = [[float(t)] for t in np.arange(1000) / 100]

    rows = [
        ("GPU_RV, one call through the adapter",
         bench(lambda: x.GPU_RV(2.35, 0.85, 0.5, 0.3, 0.1), 2000)),
        ("GPU_RV with 2 step-downs, one call",
         bench(lambda: x.GPU_RV(2.35, 0.85, 0.5, 0.3, 0.1, 900.0, 7.0, [[0.5], [1.5]],
                                [[0.15], [0.10]]), 2000)),
        ("income_value, 10,000 rows in one call",
         bench(lambda: residual.income_value(rent0, util, cost, g, r), 20)),
        ("income_value, 10,000 rows, 2 step-downs",
         bench(lambda: residual.income_value(rent0, util, cost, g, r, **steps), 20)),
        ("income_value_periodic monthly, 10,000 rows",
         bench(lambda: residual.income_value_periodic(rent0, util, cost, g, r,
                                                      periods_per_year=12), 5)),
        ("GPU_RV_CURVE (7-row table) through the adapter",
         bench(lambda: x.GPU_RV_CURVE(30000.0, 2.35, 0.85, 0.5, 0.3, 0.1), 200)),
        ("GPU_RENT spilling 1,000 years",
         bench(lambda: x.GPU_RENT(2.35, col, 0.3), 200)),
    ]
    print(f"Python {platform.python_version()}, numpy {np.__version__}, "
          f"{platform.machine()}; median of 7 repeats")
    width = max(len(k) for k, _ in rows)
    for name, t in rows:
        extra = f"  ({t / n * 1e9:,.0f} ns per row)" if "10,000" in name else ""
        print(f"{name.ljust(width)}  {fmt(t):>10}{extra}")


if __name__ == "__main__":
    main()
