"""Benchmark ``computecredit recalc``: time per template and for loan tapes of growing size.

Run from the repository root::

    python benchmarks/bench_recalc.py                 # templates + tapes of 50, 500, 5000
    python benchmarks/bench_recalc.py --sizes 50 500  # smaller run
    python benchmarks/bench_recalc.py --no-docs       # print only

Writes its section of docs/benchmarks.md (see benchmarks/_timing.py). Each workbook is generated
with the same builder as the shipped templates (workbook/build.py), then recalculated in this
process (imports and the engine's function table are warmed up first, so the figures are per
file, not per Python start-up). Reported: formulas, the time to evaluate only and to evaluate
and write the recalculated copy (best of ``--repeat`` runs), the time spent inside ComputeCredit
functions during the evaluation, and, for the loan tapes, the floor: the direct vectorised
``pymodel`` calls that compute every output column of the tape.
"""

from __future__ import annotations

import argparse
import functools
import importlib.util
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _timing import ROOT, Report, bench, fmt, parser  # noqa: E402

from workbook.engine import recalc  # noqa: E402

CLOCK = {"seconds": 0.0, "calls": 0}


def _builder():
    spec = importlib.util.spec_from_file_location("workbook_build", ROOT / "workbook" / "build.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def instrument_functions():
    """Time every ComputeCredit function the engine calls (before the engine registers them)."""
    from addin.registry import REGISTRY
    for spec in REGISTRY.values():
        def timed(*a, _f=spec.func, **k):
            t0 = time.perf_counter()
            try:
                return _f(*a, **k)
            finally:
                CLOCK["seconds"] += time.perf_counter() - t0
                CLOCK["calls"] += 1
        spec.func = functools.update_wrapper(timed, spec.func)


def _time(path: Path, out: Path | None, repeat: int):
    best, res, inside = float("inf"), None, None
    for _ in range(repeat):
        CLOCK.update(seconds=0.0, calls=0)
        t0 = time.perf_counter()
        res = recalc.recalc_file(str(path), str(out) if out else None)
        elapsed = time.perf_counter() - t0
        if elapsed < best:
            best, inside = elapsed, (CLOCK["seconds"] if CLOCK["calls"] else None)
        if res.refused:
            raise SystemExit(f"{path}: {res.refused}")
    return best, res, inside


def tape_floor(path: Path):
    """Seconds of the direct vectorised pymodel calls computing every output column of a tape.

    Inputs are read back from the generated workbook (Tape sheet by header, common inputs by
    their defined names), so the floor computes exactly what the workbook's formulas compute.
    """
    import openpyxl

    from pymodel import irb, lgd, residual
    wb = openpyxl.load_workbook(path)
    ws = wb["Tape"]
    head_row = next(r for r in range(1, 20) if ws.cell(r, 1).value and any(
        ws.cell(r, c).value == "EAD" for c in range(1, ws.max_column + 1)))
    head = {ws.cell(head_row, c).value: c for c in range(1, ws.max_column + 1)}
    n = sum(1 for r in range(head_row + 1, ws.max_row + 1)
            if isinstance(ws.cell(r, head["EAD"]).value, (int, float)))

    def column(header):
        return np.array([ws.cell(r, head[header]).value
                         for r in range(head_row + 1, head_row + 1 + n)], float)

    def name(key):
        sheet, ref = next(iter(wb.defined_names[key].destinations))
        return float(wb[sheet][ref.replace("$", "")].value)

    pd_, ead, gpus, mat = column("PD"), column("EAD"), column("GPUs"), column("maturity")
    rent0, util, cost, g = (column(h) for h in ("rent at close", "utilisation", "cash cost",
                                                  "rent deflation"))
    vol, rho = column("collateral vol"), column("collateral corr")
    life, margin = column("remaining life"), column("margin")
    r, salvage = name("discount_rate"), name("salvage")
    haircut, years = name("workout_haircut"), name("workout_years")
    horizon = name("default_years") + years   # collateral_horizon is this formula
    hurdle, cost_ratio, funding = name("hurdle"), name("cost_ratio"), name("funding_spread")

    def all_columns():
        from pymodel import pricing
        value = residual.income_value(rent0, util, cost, g, r, salvage=salvage,
                                      max_life_years=life)
        ead / (gpus * value)
        at = residual.economic_value_path(horizon, rent0, util, cost, g, r, salvage=salvage,
                                          max_life_years=life)
        collateral = gpus * at * np.exp(vol ** 2 * horizon / 2)
        coverage = collateral * (1 - haircut) / (1 + r) ** years / ead
        irb.conditional_pd(pd_, irb.basel_corr(pd_))
        lgd_e = lgd.lgd_corr(pd_, coverage, vol, horizon, rho)
        lgd_d = lgd.lgd_downturn(pd_, coverage, vol, horizon, rho)
        irb.expected_loss(pd_, lgd_e, ead)
        k = irb.irb_capital(pd_, lgd_d, maturity=mat)
        k * ead
        margin - irb.fair_spread(pd_, lgd_e)
        margin - pricing.hurdle_spread(pd_, lgd_e, k, hurdle=hurdle, cost_ratio=cost_ratio,
                                       funding_spread=funding)
        pricing.raroc(pd_, lgd_e, k, margin, cost_ratio=cost_ratio, funding_spread=funding)

    return bench(all_columns, 1, repeat=5)


def main(argv: list[str] | None = None) -> int:
    ap = parser(__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="*", default=[50, 500, 5000])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-templates", action="store_true")
    args = ap.parse_args(argv)
    build = _builder()
    instrument_functions()
    report = Report("bench_recalc", "Workbooks: headless recalculation",
                    "Each workbook is generated by the template builder and recalculated in "
                    f"one warmed-up process: best of {args.repeat} run(s) (the 5,000-facility "
                    "tape once). *In our functions* is the time spent inside ComputeCredit "
                    "functions (adapter and model) during the evaluation; the rest is the "
                    "formula engine's own work. For the loan tapes the floor is the direct "
                    "vectorised pymodel calls computing every output column.")
    rows, notes = [], []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        warm = build.build_neocloud(tmp / "warm.xlsx")
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "workbook.cli", "recalc", str(warm), "-o",
                        str(tmp / "cold.xlsx"), "-q"], cwd=ROOT, check=True,
                       capture_output=True)
        notes.append(f"`computecredit recalc neocloud_facility.xlsx` in a fresh process (Python "
                     f"start-up and imports included): {time.perf_counter() - t0:.2f} s.")
        recalc.recalc_file(str(warm), None)  # warm up this process
        jobs = []
        if not args.no_templates:
            jobs += [(name, fn, False) for name, fn in build.TEMPLATES.items()]
        for n in args.sizes:
            jobs.append((f"portfolio tape, {n:,} facilities",
                         lambda p, n=n: build.build_portfolio(p, n), True))
        for label, fn, is_tape in jobs:
            src = fn(tmp / "in.xlsx")
            out = tmp / "out.xlsx"
            repeat = args.repeat if "5,000" not in label else 1
            t_eval, res, inside = _time(src, None, repeat)
            t_full, res, _ = _time(src, out, repeat)
            floor = tape_floor(src) if is_tape else None
            rows.append((label, f"{res.n_formulas:,}", fmt(t_eval), fmt(t_full), fmt(inside),
                         fmt(floor), f"{t_eval / floor:,.0f}x" if floor else "-",
                         f"{out.stat().st_size / 1024:,.0f}",
                         "none" if res.exit_code == 0 else f"exit {res.exit_code}"))
            print(" | ".join(rows[-1]), flush=True)
        if not args.no_templates:
            srcs = [str(build.TEMPLATES[name](tmp / name)) for name in build.TEMPLATES]
            for n_jobs in (1, 2):
                cli = argparse.ArgumentParser()
                recalc.add_arguments(cli)  # the command's own options and their defaults
                ns = cli.parse_args([*srcs, "-o", str(tmp / f"batch{n_jobs}"), "-j",
                                     str(n_jobs), "-q"])
                t0 = time.perf_counter()
                with open(os.devnull, "w") as null:
                    old_out, old_err = sys.stdout, sys.stderr
                    sys.stdout = sys.stderr = null
                    try:
                        recalc.run(ns)
                    finally:
                        sys.stdout, sys.stderr = old_out, old_err
                notes.append(f"The three templates in one `recalc` call, {n_jobs} "
                             f"process(es): {time.perf_counter() - t0:.2f} s.")
    report.table(("workbook", "formulas (an array formula counts once)", "evaluate only",
                  "evaluate + write the copy", "in our functions",
                  "floor: direct vectorised model calls", "evaluate / floor", "copy (KB)",
                  "findings"), rows)
    report.text(" ".join(notes))
    report.publish(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
