"""Benchmark the engine's speed targets: loan tapes, a tape filled down cell by cell, start-up.

Run from the repository root::

    python benchmarks/bench_speed.py                    # tapes of 5,000 and 20,000
    python benchmarks/bench_speed.py --sizes 1000 4000 --book 1000   # other sizes
    python benchmarks/bench_speed.py --no-docs          # print only

Writes its section of docs/benchmarks.md (see benchmarks/_timing.py). Every workbook is built
at run time (the portfolio template over a tape of N facilities, one array formula per output
column, without its Portfolio sheet and whole; and the same tape written one formula per
cell, six formula columns of our functions and arithmetic filled down, saved as Excel saves a
fill-down) and recalculated by
``computecredit recalc`` in a fresh Python process, so the peak resident memory is that run's
alone. Reported: the recalculation (evaluate and write the copy) timed inside the process, the
whole process (start-up and imports included), its peak memory, and for the tapes the floor,
the direct vectorised ``pymodel`` calls computing every output column (and, for the whole
template, one portfolio simulation), timed in this run.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _timing import (PACKAGES, ROOT, Report, compile_sources, fmt, parser,  # noqa: E402
                     run_child)

_CHILD = """
import json, resource, sys, time

def peak_mb():
    # VmHWM: this process's own peak (ru_maxrss also counts the parent's memory at the fork)
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

t0 = time.perf_counter()
from workbook.engine import recalc
recalc.recalc_file("workbook/portfolio.xlsx", None)  # imports and the engine warmed up
t1, c1 = time.perf_counter(), time.process_time()
res = recalc.recalc_file(sys.argv[1], sys.argv[2])
t2, c2 = time.perf_counter(), time.process_time()
print(json.dumps({"refused": res.refused, "exit": res.exit_code, "formulas": res.n_formulas,
                  "imports": t1 - t0, "seconds": t2 - t1, "cpu": c2 - c1,
                  "peak_mb": peak_mb()}))
"""


def _child(path: Path, out: Path) -> dict:
    got, wall, err = run_child(_CHILD, path, out)
    if got is None:
        raise SystemExit(f"{path.name}: the recalculation failed: {err[-400:]}")
    if got["refused"]:
        raise SystemExit(f"{path.name}: refused: {got['refused']}")
    got["wall"] = wall
    return got


def _wall(argv: list[str], repeat: int) -> tuple[float, float]:
    """Best wall time and best CPU time (user and system) of a fresh process running
    ``argv``."""
    import resource
    best, best_cpu = float("inf"), float("inf")
    for _ in range(repeat):
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        subprocess.run(argv, cwd=ROOT, check=True, capture_output=True)
        best = min(best, time.perf_counter() - t0)
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        best_cpu = min(best_cpu, r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime)
    return best, best_cpu


def book_floor(path: Path) -> float:
    """Seconds of one portfolio simulation (pymodel's prepare and simulate) over the tape and
    settings the template's PORTFOLIO_LOSS and PORTFOLIO_CONTRIB read (the values of the
    recalculated copy ``path``)."""
    import openpyxl

    from pymodel import portfolio
    wb = openpyxl.load_workbook(path, data_only=True)

    def block(name):
        sheet, ref = next(iter(wb.defined_names[name].destinations))
        return [[c.value for c in row] for row in wb[sheet][ref.replace("$", "")]]

    tape, settings = block("tape_table"), [tuple(r[:2]) for r in block("portfolio_settings")]
    t0 = time.perf_counter()
    portfolio.simulate_many([portfolio.prepare(tape, settings)])
    return time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    ap = parser(__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="*", default=[5000, 20000],
                    help="sizes (facilities) of the per-facility tapes (array formulas)")
    ap.add_argument("--book", type=int, nargs="*", default=[5000],
                    help="sizes of the whole portfolio template (tape and the Monte Carlo of "
                         "the book)")
    ap.add_argument("--filled", type=int, default=5000,
                    help="facilities of the tape filled down cell by cell (6 formulas each)")
    ap.add_argument("--repeat", type=int, default=3, help="runs of the start-up timings")
    args = ap.parse_args(argv)
    from bench_recalc import _builder, tape_floor

    from tests.workbook.engine.speedcases import FILLED_COLUMNS, filled_down_tape
    build = _builder()
    rows, notes = [], []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        jobs = [(f"per-facility tape, {n:,} facilities (one array formula per output column; "
                 f"no Portfolio sheet)", lambda p, n=n: build.build_portfolio(p, n, book=False),
                 n, False) for n in args.sizes]
        jobs += [(f"portfolio template, {n:,} facilities (the tape and the Portfolio sheet: "
                  f"PORTFOLIO_LOSS and PORTFOLIO_CONTRIB over the whole tape)",
                  lambda p, n=n: build.build_portfolio(p, n), n, True) for n in args.book]
        jobs.append((f"tape filled down, {args.filled:,} facilities x {len(FILLED_COLUMNS)} "
                     f"formulas (shared formulas, as Excel saves a fill-down)",
                     lambda p: filled_down_tape(p, args.filled, shared=True), None, False))
        per_facility = {}
        for label, fn, n, with_book in jobs:
            src = fn(tmp / "in.xlsx")
            got = _child(src, tmp / "out.xlsx")
            floor = tape_floor(src) if n else None
            if with_book:
                floor += book_floor(tmp / "out.xlsx")  # the values as recalculated
            if n and not with_book:
                per_facility[n] = (got["seconds"] / n, got["peak_mb"] / n)
            rows.append((label, f"{got['formulas']:,}", fmt(got["seconds"]), fmt(got["cpu"]),
                         fmt(got["wall"]), f"{got['peak_mb']:,.0f}",
                         fmt(floor),
                         f"{got['seconds'] / floor:,.1f}x" if floor else "-"))
            print(" | ".join(rows[-1]), flush=True)
        neo = build.build_neocloud(tmp / "neocloud_facility.xlsx")
        compile_sources()   # as the set-up does (README, .ci/run): an installed package's state
        t_neo, c_neo = _wall([sys.executable, "-m", "workbook.cli", "recalc", str(neo), "-o",
                              str(tmp / "neo_out.xlsx"), "-q"], args.repeat)
        t_help, c_help = _wall([sys.executable, "-m", "workbook.cli", "--help"], args.repeat)
        notes.append(f"`computecredit recalc neocloud_facility.xlsx` in a fresh process (Python "
                     f"start-up and imports included; our sources compiled to bytecode as the "
                     f"set-up does, `python -m compileall -q {' '.join(PACKAGES)}`), best of "
                     f"{args.repeat}: {fmt(t_neo)} wall, {fmt(c_neo)} CPU. `computecredit "
                     f"--help` in a fresh process, best of {args.repeat}: {fmt(t_help)} wall, "
                     f"{fmt(c_help)} CPU.")
        if len(per_facility) > 1:
            (n1, (t1, m1)), (n2, (t2, m2)) = sorted(per_facility.items())[:2]
            notes.append(f"Per facility, per-facility tape of {n1:,} -> {n2:,} facilities: "
                         f"recalc {fmt(t1)} -> {fmt(t2)}, peak memory {m1 * 1024:,.0f} KB -> "
                         f"{m2 * 1024:,.0f} KB (the process's start-up memory included, so the "
                         f"figure falls with size when the growth is linear).")
        print(" ".join(notes))
    report = Report("bench_speed", "Engine speed targets", intro=(
        "Each workbook is built at run time and recalculated by `computecredit recalc` "
        "(evaluate and write the copy) in a fresh process: *recalc* is timed inside the "
        "process once the imports and the engine are warmed up (by evaluating the shipped "
        "portfolio.xlsx first), *whole process* includes Python start-up, imports and that "
        "warm-up, *peak memory* is that process's own peak resident memory (VmHWM: the "
        "warm-up included, not the benchmark's memory), *recalc, CPU* is the "
        "process's CPU time during the recalculation (less sensitive than the wall time to "
        "other work on the machine). The floor is the "
        "direct vectorised pymodel calls computing what the workbook computes, timed in this "
        "run: for a per-facility tape, every output column (the tape targets: 5,000 "
        "facilities within 3 s and 300 MB, 20,000 linear in time and memory); for the whole "
        "portfolio template, those plus one portfolio simulation (prepare and simulate, "
        "20,000 loss paths and 10,000 loan paths over the whole tape), which PORTFOLIO_LOSS "
        "and PORTFOLIO_CONTRIB share: the Monte Carlo, not the engine, is most of that "
        "workbook's time. The filled-down tape (target: 30,000 formulas within 6 s) has six "
        "formula columns per facility (economic value, coverage, LGD, EL, capital K with a "
        "nested downturn LGD, capital) referring to the facility's inputs in the same row and "
        "to common inputs by name."))
    report.table(("workbook", "formulas (an array formula counts once)", "recalc",
                  "recalc, CPU", "whole process", "peak memory (MB)",
                  "floor: direct vectorised model calls", "recalc / floor"), rows)
    report.text(" ".join(notes))
    report.publish(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
