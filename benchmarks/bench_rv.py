"""Timing of the residual value functions. Run: python benchmarks/bench_rv.py [--no-docs]

Writes its section of docs/benchmarks.md (see benchmarks/_timing.py): each Excel function called
as a cell calls it (through the adapter, without the xlwings/COM transport) next to its floor,
the direct vectorised ``pymodel.residual`` call for the same numbers:

* GPU_RV, one cell, without and with two generation step-downs;
* GPU_RV over a 10,000-row loan tape (column ranges, one array formula), without and with
  step-downs, against ``income_value`` on numpy arrays;
* the periodic (monthly) variant over the same 10,000 rows (model only);
* GPU_RV_CURVE (7-row table) and GPU_RENT spilling 1,000 years.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _timing import Figure, Report, bench, parser  # noqa: E402

import addin.udfs as x  # noqa: E402
from pymodel import residual  # noqa: E402

N = 10_000


def col(values):
    """A column range as Excel sends it: a list of one-element rows."""
    return [[float(v)] for v in values]


def main(argv=None):
    args = parser(__doc__.splitlines()[0]).parse_args(argv)
    rng = np.random.default_rng(1)
    rent0 = rng.uniform(1.5, 3.5, N)
    util = rng.uniform(0.6, 0.95, N)
    cost = rng.uniform(0.3, 0.7, N)
    g = rng.uniform(-0.2, 0.5, N)
    r = rng.uniform(0.05, 0.15, N)
    cells = [col(v) for v in (rent0, util, cost, g, r)]
    steps = ([0.5, 1.5], [0.15, 0.10])
    step_cells = ([[0.5], [1.5]], [[0.15], [0.10]])
    kw = dict(salvage=900.0, max_life_years=7.0, step_years=steps[0], step_downs=steps[1])
    tape_kw = dict(step_years=steps[0], step_downs=steps[1])
    years = np.arange(1000) / 100

    # the adapter returns what the model returns (checked before timing)
    tape = x.GPU_RV(*cells)
    assert len(tape) == N and np.allclose([v[0] for v in tape],
                                          residual.income_value(rent0, util, cost, g, r))

    figures = [
        Figure("GPU_RV, one cell",
               bench(lambda: x.GPU_RV(2.35, 0.85, 0.5, 0.3, 0.1), 2000),
               "`residual.income_value`, one GPU",
               bench(lambda: residual.income_value(2.35, 0.85, 0.5, 0.3, 0.1), 2000)),
        Figure("GPU_RV, one cell, 2 step-downs",
               bench(lambda: x.GPU_RV(2.35, 0.85, 0.5, 0.3, 0.1, 900.0, 7.0, *step_cells),
                     2000),
               "`residual.income_value`, one GPU, 2 step-downs",
               bench(lambda: residual.income_value(2.35, 0.85, 0.5, 0.3, 0.1, **kw), 2000)),
        Figure("GPU_RV over a 10,000-row tape (column ranges, one array formula)",
               bench(lambda: x.GPU_RV(*cells), 5),
               "`residual.income_value` on 10,000-row arrays",
               bench(lambda: residual.income_value(rent0, util, cost, g, r), 20), per=N),
        Figure("GPU_RV over a 10,000-row tape, 2 step-downs",
               bench(lambda: x.GPU_RV(*cells, None, None, *step_cells), 5),
               "`residual.income_value` on 10,000-row arrays, 2 step-downs",
               bench(lambda: residual.income_value(rent0, util, cost, g, r, **tape_kw), 20), per=N),
        Figure("`residual.income_value_periodic`, monthly, 10,000 rows (the model itself)",
               bench(lambda: residual.income_value_periodic(rent0, util, cost, g, r,
                                                            periods_per_year=12), 5),
               per=N),
        Figure("GPU_RV_CURVE, 7-row table",
               bench(lambda: x.GPU_RV_CURVE(30000.0, 2.35, 0.85, 0.5, 0.3, 0.1), 200),
               "`residual.value_curve`",
               bench(lambda: residual.value_curve(30000.0, 2.35, 0.85, 0.5, 0.3, 0.1), 200)),
        Figure("GPU_RENT spilling 1,000 years",
               bench(lambda: x.GPU_RENT(2.35, col(years), 0.3), 200),
               "`residual.rent_path` on 1,000 times",
               bench(lambda: residual.rent_path(2.35, years, 0.3), 2000)),
    ]
    report = Report("bench_rv", "Residual value",
                    "Median of 7 repeats. Tape inputs drawn with seed 1: rent 1.5-3.5 per "
                    "GPU-hour, utilisation 0.6-0.95, cash cost 0.3-0.7, deflation -0.2 to 0.5, "
                    "discount rate 0.05-0.15; step-downs of 0.15 and 0.10 at 0.5 and 1.5 "
                    "years.")
    report.figures(figures)
    report.text("Time / floor is the adapter's share: reading the cells (a 10,000-row column "
                "arrives from Excel as 10,000 one-element rows), mapping empty cells to "
                "defaults, and shaping the result into cells.")
    report.publish(args)


if __name__ == "__main__":
    main()
