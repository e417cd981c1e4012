"""Timing of the coverage functions (issue 3). Run: python benchmarks/bench_dscr.py

Prints the median of several repeats for the sample H100 facility
(:func:`pymodel.dscr.sample_deal`) stretched to a 10-year monthly deal (120 periods,
40,000,000 of annuity debt, 10-year contract on 60% of the fleet, two step-downs; the
deflation and rent breakevens bind, full utilisation is not enough), each called through the
Excel adapter as a cell would call it (two-column ``deal_inputs`` block in, spilled rows out;
without the xlwings/COM transport):

* DSCR_TABLE (annuity and sculpted debt);
* DSCR_MIN; DSCR_BREAKEVEN at 1.00x and at a 1.25x covenant; RENT_BREAKEVEN;
  UTILIZATION_BREAKEVEN; DEBT_CAPACITY; DSCR_COMPARE;
* DEBT_SCHEDULE, 120 monthly periods.
"""

from __future__ import annotations

import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _timing import bench, fmt  # noqa: E402

import addin.udfs as x  # noqa: E402
from pymodel import dscr  # noqa: E402


def deal_block(**changes):
    d = dict(dscr.sample_deal(), debt_years=10, payments_per_year=12, contract_years=10,
             contracted_share=0.6, debt=40_000_000.0,
             step_years="1.5; 3", step_downs="0.1; 0.1", **changes)
    return [[k, v] for k, v in d.items()]


def main():
    ten = deal_block()
    sculpted = deal_block(amortization="sculpted")
    table = x.DSCR_TABLE(ten)
    assert isinstance(table, list) and len(table) == 1 + 120 + 1, table
    assert isinstance(x.DSCR_BREAKEVEN(ten), float), x.DSCR_BREAKEVEN(ten)
    rows = [
        ("DSCR_TABLE, 10-year monthly (120 periods), annuity",
         bench(lambda: x.DSCR_TABLE(ten), 50)),
        ("DSCR_TABLE, 10-year monthly, sculpted (tax circularity iterated)",
         bench(lambda: x.DSCR_TABLE(sculpted), 50)),
        ("DSCR_MIN, 10-year monthly", bench(lambda: x.DSCR_MIN(ten), 200)),
        ("DSCR_BREAKEVEN (target 1.00), 10-year monthly",
         bench(lambda: x.DSCR_BREAKEVEN(ten), 50)),
        ("DSCR_BREAKEVEN (covenant 1.25), 10-year monthly",
         bench(lambda: x.DSCR_BREAKEVEN(ten, 1.25), 50)),
        ("RENT_BREAKEVEN, 10-year monthly", bench(lambda: x.RENT_BREAKEVEN(ten), 50)),
        ("UTILIZATION_BREAKEVEN, 10-year monthly",
         bench(lambda: x.UTILIZATION_BREAKEVEN(ten), 50)),
        ("DEBT_CAPACITY (1.30x), 10-year monthly", bench(lambda: x.DEBT_CAPACITY(ten), 50)),
        ("DSCR_COMPARE, 10-year monthly", bench(lambda: x.DSCR_COMPARE(ten), 50)),
        ("DEBT_SCHEDULE, 120 monthly periods",
         bench(lambda: x.DEBT_SCHEDULE(18e6, 0.11, 10, "annuity", 12, 0.1), 500)),
    ]
    print(f"Python {platform.python_version()} on {platform.machine()} "
          f"({platform.system()}); median of 7 repeats")
    print(f"sample values: DSCR_MIN {x.DSCR_MIN(ten):.4f}, "
          f"DSCR_BREAKEVEN {x.DSCR_BREAKEVEN(ten):.6f}, RENT_BREAKEVEN "
          f"{x.RENT_BREAKEVEN(ten)}, UTILIZATION_BREAKEVEN {x.UTILIZATION_BREAKEVEN(ten)}")
    width = max(len(r[0]) for r in rows)
    for name, t in rows:
        print(f"{name:<{width}}  {fmt(t):>10}")


if __name__ == "__main__":
    main()
