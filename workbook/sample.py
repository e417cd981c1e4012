"""``computecredit sample``: the main job on the shipped sample deal.

Prints the residual value curve of the sample H100 fleet (``pymodel/data/sample_h100.csv``)
next to its straight-line book value. Formatting only: the numbers come from
:func:`pymodel.samples.sample_report`.
"""

from __future__ import annotations

import argparse
import sys

from pymodel.errors import ComputeCreditError
from pymodel.samples import sample_report

__all__ = ["add_arguments", "run", "format_report"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of the ``sample`` command."""
    parser.add_argument("--curve-years", "--horizon-years", dest="curve_years", type=float,
                        default=None, help="last year of the curve (default: the sample's 6)")
    parser.add_argument("--points-per-year", "--periods-per-year", dest="points_per_year",
                        type=int, default=None,
                        help="curve points per year, 1-12 (default: the sample's 1)")
    parser.add_argument("--deflation", type=float, default=None,
                        help="annual rent decline g as a decimal (default: the sample's 0.30)")
    parser.add_argument("--csv", metavar="PATH", default=None,
                        help="also write the per-GPU curve to this CSV file")


def _money(v: float) -> str:
    return f"{v:,.0f}"


def format_report(report: dict) -> str:
    """The report as readable text (a header with the inputs, then the curve table)."""
    x = report["inputs"]
    steps = ", ".join(f"{j:.0%} at {t:g}y" for t, j in zip(x["step_years"], x["step_downs"]))
    lines = [
        f"ComputeCredit sample: {x['fleet']}",
        f"  {x['gpus']:,} x {x['sku']}, valued {x['valuation_date'].isoformat()}, "
        f"age {x['age_years']:g} years, cost {_money(x['gpu_cost'])} per GPU",
        f"  rent {x['rent0']:.2f} per GPU-hour, utilisation {x['utilization']:.0%}, "
        f"cash cost {x['cash_cost']:.2f} per GPU-hour, deflation {x['deflation']:.0%} a year, "
        f"discount rate {x['discount_rate']:.0%}",
        f"  step-downs: {steps or 'none'}; salvage {_money(x['salvage'])} per GPU; "
        f"physical life left {x['max_life_years']:g} years; book life "
        f"{x['book_life_years']:g} years straight-line",
        "",
        f"Economic life T* = {report['economic_life']:.2f} years; income value today "
        f"{_money(report['value_per_gpu'])} per GPU "
        f"({_money(report['value_per_gpu'] * x['gpus'])} for the fleet)",
        "",
        "Residual value curve per GPU (currency; rent per GPU-hour):",
    ]
    header = ["year", "market rent", "economic value", "book value", "gap (book-econ)",
              "econ/book", "fleet economic", "fleet book"]
    rows = []
    for (_, r), (_, f) in zip(report["curve"].iterrows(), report["fleet_curve"].iterrows()):
        ratio = r["economic/book"]
        rows.append([f"{r['year']:g}", f"{r['market rent']:.2f}", _money(r["economic value"]),
                     _money(r["book value"]), _money(r["gap"]),
                     "n/a" if ratio != ratio else f"{ratio:.0%}",
                     _money(f["economic value"]), _money(f["book value"])])
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(header)]
    lines.append("  ".join(h.rjust(w) for h, w in zip(header, widths)))
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.rjust(w) for c, w in zip(row, widths)) for row in rows]
    lines += ["", "gap > 0: the straight line books more than the GPU's rental economics "
                  "support; econ/book n/a where the book value is 0."]
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    """Print the sample report; exit code 0, or 2 with a clean message on bad options."""
    overrides = {k: v for k, v in (("curve_years", args.curve_years),
                                   ("points_per_year", args.points_per_year),
                                   ("deflation", args.deflation)) if v is not None}
    try:
        report = sample_report(**overrides)
    except ComputeCreditError as exc:
        print(f"computecredit sample: {exc.message}", file=sys.stderr)
        return 2
    print(format_report(report))
    if args.csv:
        report["curve"].to_csv(args.csv, index=False)
        print(f"\nwrote {args.csv}")
    return 0
