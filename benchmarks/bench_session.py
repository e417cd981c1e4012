"""Benchmark the build-once, recalculate-many session against a fresh build.

Run from the repository root::

    python benchmarks/bench_session.py             # the three shipped templates
    python benchmarks/bench_session.py --no-docs   # print only

Writes its section of docs/benchmarks.md (see benchmarks/_timing.py). For each shipped template:
a fresh build (``recalc_file`` in this process, evaluation only, warmed up first so imports and
the engine's function table are not counted, nor simulations the portfolio model remembers
from an earlier run), the session's opening (a fresh build that keeps
its model), and one recalculation of the session after changing one input and after changing
several (:class:`workbook.engine.session.Session`: ``set`` then ``recalc``), each run giving
the inputs values no run gave before, so that every run recomputes. The session keeps what the
model remembers, as it does in use (deal paths; the last few portfolio simulations, keyed on what
each simulation reads: the validated tape's columns of the model, the settings, the seed), so
an input that reaches none of them (``hurdle``) recomputes the formulas it reaches without
simulating again, and one that does (``discount_rate``: collateral values and the workout
discount rate) simulates with its new values. Next to each, the
time spent inside ComputeCredit functions during it: the model's own maths, which a
recalculation cannot skip for the formulas that depend on the inputs (the floor of a
recalculation).
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _timing import ROOT, Report, fmt, parser  # noqa: E402
from bench_recalc import CLOCK, instrument_functions  # noqa: E402

TODAY = dt.date(2025, 6, 30)

#: Per template: (what, {input: factor applied to its value in the file}). "One input" feeds
#: the whole deal model (or the portfolio Monte Carlo); "one light input" only its pricing or
#: loss block; "several" five inputs across the workbook.
CASES = {
    "neocloud_facility": [
        ("one input (deal_deflation: the whole coverage model)", {"deal_deflation": 1.2}),
        ("one light input (margin: pricing)", {"margin": 1.2}),
        ("several inputs (deflation, utilisation, debt rate, PD, margin)",
         {"deal_deflation": 1.2, "deal_utilization": 0.9, "deal_debt_rate": 1.1,
          "borrower_pd": 1.3, "margin": 1.2}),
    ],
    "miner_convertible": [
        ("one input (btc_price: collateral, LGD, coverage)", {"btc_price": 0.7}),
        ("one light input (borrower_pd: loss and pricing)", {"borrower_pd": 1.3}),
        ("several inputs (BTC price and volatility, stock price, PD, deflation)",
         {"btc_price": 0.7, "btc_vol": 1.2, "stock_price": 0.8, "borrower_pd": 1.3,
          "deal_deflation": 1.2}),
    ],
    "portfolio": [
        ("one input (discount_rate: every facility and the portfolio Monte Carlo)",
         {"discount_rate": 1.2}),
        ("one light input (hurdle: pricing against capital)", {"hurdle": 1.2}),
        ("several inputs (discount rate, salvage, haircut, hurdle, one facility's PD)",
         {"discount_rate": 1.2, "salvage": 0.8, "workout_haircut": 1.2, "hurdle": 1.2,
          "Tape!F7": 1.5}),
    ],
}


def _timed(fn) -> tuple[float, float]:
    """(seconds, seconds inside ComputeCredit functions) of one call of ``fn``."""
    CLOCK.update(seconds=0.0, calls=0)
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0, CLOCK["seconds"]


def _cold() -> None:
    """Forget the portfolio simulations (and the scores of their draws) and the deal paths
    remembered from earlier runs (the model keeps the last few, so that formulas reading the
    same simulation or deal path compute it once): a fresh build computes them as the first
    run of a process does."""
    from pymodel import portfolio
    from pymodel.dscr import cashflows
    portfolio.clear_memo()
    memo = getattr(cashflows, "_MEMO", None)
    if memo is not None:
        memo.clear()


def _median(runs: list[tuple[float, float]]) -> tuple[float, float]:
    i = sorted(range(len(runs)), key=lambda k: runs[k][0])[len(runs) // 2]
    return runs[i]


def main(argv: list[str] | None = None) -> int:
    ap = parser(__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5, help="runs per figure (median)")
    ap.add_argument("--templates", nargs="*", default=list(CASES),
                    help="templates to time (default: all three)")
    args = ap.parse_args(argv)
    import addin.udfs  # noqa: F401  (fills the registry the timing wraps)
    instrument_functions()
    from workbook.engine.recalc import recalc_file
    from workbook.engine.session import Session

    rows, notes = [], []
    worst = None
    for name in args.templates:
        path = str(ROOT / "workbook" / f"{name}.xlsx")
        recalc_file(path, None, today=TODAY)    # warm up: imports, function table, caches
        fresh = _median([_timed(lambda: (_cold(), recalc_file(path, None, today=TODAY)))
                         for _ in range(args.repeat)])
        _cold()
        t0 = time.perf_counter()
        s = Session(path, today=TODAY)
        opened = time.perf_counter() - t0
        rows.append([name, "fresh build (`recalc_file`, evaluation only)", fmt(fresh[0]),
                     fmt(fresh[1]), "1.0x"])
        rows.append(["", "session opened (a fresh build that keeps its model; one run)",
                     fmt(opened), "-", f"{fresh[0] / opened:.1f}x"])
        for what, factors in CASES[name]:
            s.reset()                  # each case from the file's inputs
            base = {k: s.get(k) for k in factors}
            runs = []
            for i in range(args.repeat + 1):
                # values no run used before: every run recomputes, and no result of an earlier
                # run is remembered for an input that reaches the simulation (the file's own
                # values would give back the opening's)
                s.set({k: base[k] * f * (1 + 0.001 * i) for k, f in factors.items()})
                runs.append(_timed(s.recalc))
            runs = runs[1:]            # the first recalculation after opening: warm-up
            t, inside = _median(runs)
            ratio = fresh[0] / t
            rows.append(["", f"recalculation after {what}", fmt(t), fmt(inside),
                         f"{ratio:.1f}x"])
            if worst is None or ratio < worst[0]:
                worst = (ratio, name, what)
            if s.rebuilds:
                notes.append(f"{name}: {s.rebuilds} rebuild(s) during '{what}'")
        s.close()
    report = Report("bench_session", "Build once, recalculate many: the session",
                    intro=" ".join(__doc__.split("\n\n", 3)[3].split()))
    report.table(("template", "what", "time (median of "
                  f"{args.repeat})", "inside ComputeCredit functions (the maths)",
                  "fresh build / this"), rows)
    text = ("A recalculation recomputes only the formulas downstream of the changed inputs, "
            "with the compiled model, so what it saves is the build: reading, preparing and "
            "compiling every formula, and evaluating what the inputs do not reach. Its floor "
            "is the maths of the formulas the inputs reach (the column beside it): an input "
            "feeding the whole deal model or the portfolio Monte Carlo recomputes most of the "
            "maths and gains least.")
    if worst is not None:
        text += (f" Smallest gain in this run: {worst[0]:.1f}x ({worst[1]}, {worst[2]}).")
    report.text(text)
    if notes:
        report.text("Rebuilds: " + "; ".join(notes) + ".")
    report.publish(args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
