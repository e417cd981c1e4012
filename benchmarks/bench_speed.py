"""Benchmark the engine's speed targets: loan tapes, a tape filled down cell by cell, start-up.

Run from the repository root::

    python benchmarks/bench_speed.py                    # 5,000 and 16,000 facilities
    python benchmarks/bench_speed.py --sizes 1000 4000  # other tape sizes
    python benchmarks/bench_speed.py --no-docs          # print only

Writes its section of docs/benchmarks.md (see benchmarks/_timing.py). Every workbook is built
at run time (the portfolio template over a tape of N facilities, one array formula per output
column; and the same tape written one formula per cell, six formula columns of our functions
and arithmetic filled down, saved as Excel saves a fill-down) and recalculated by
``computecredit recalc`` in a fresh Python process, so the peak resident memory is that run's
alone. Reported: the recalculation (evaluate and write the copy) timed inside the process, the
whole process (start-up and imports included), its peak memory, and for the tapes the floor,
the direct vectorised ``pymodel`` calls computing every output column, timed in this run.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _timing import ROOT, Report, fmt, parser  # noqa: E402

_CHILD = """
import json, resource, sys, time
t0 = time.perf_counter()
from workbook.engine import recalc
recalc.recalc_file("workbook/portfolio.xlsx", None)  # imports and the engine warmed up
t1 = time.perf_counter()
res = recalc.recalc_file(sys.argv[1], sys.argv[2])
t2 = time.perf_counter()
print(json.dumps({"refused": res.refused, "exit": res.exit_code, "formulas": res.n_formulas,
                  "imports": t1 - t0, "seconds": t2 - t1,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def _child(path: Path, out: Path) -> dict:
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", _CHILD, str(path), str(out)], cwd=ROOT,
                          capture_output=True, text=True)
    wall = time.perf_counter() - t0
    try:
        got = json.loads(proc.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        raise SystemExit(f"{path.name}: the recalculation failed: {proc.stderr[-400:]}")
    if got["refused"]:
        raise SystemExit(f"{path.name}: refused: {got['refused']}")
    got["wall"] = wall
    return got


def _wall(argv: list[str], repeat: int) -> float:
    """Best wall time of a fresh process running ``argv``."""
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run(argv, cwd=ROOT, check=True, capture_output=True)
        best = min(best, time.perf_counter() - t0)
    return best


def main(argv: list[str] | None = None) -> int:
    ap = parser(__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="*", default=[5000, 16000],
                    help="tape sizes (facilities) of the array-formula tapes (at most 16,666: "
                         "12 output columns within the limit of 200,000 array-formula cells)")
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
        jobs = [(f"portfolio tape, {n:,} facilities (one array formula per column)",
                 lambda p, n=n: build.build_portfolio(p, n), n) for n in args.sizes]
        jobs.append((f"tape filled down, {args.filled:,} facilities x {len(FILLED_COLUMNS)} "
                     f"formulas (shared formulas, as Excel saves a fill-down)",
                     lambda p: filled_down_tape(p, args.filled, shared=True), None))
        per_facility = {}
        for label, fn, n in jobs:
            src = fn(tmp / "in.xlsx")
            got = _child(src, tmp / "out.xlsx")
            floor = None
            if n:
                try:
                    floor = tape_floor(src)
                except (KeyError, ValueError, StopIteration) as exc:
                    notes.append(f"The floor was not computed: bench_recalc's tape floor "
                                 f"does not read this template ({type(exc).__name__}: {exc}).")
            if n:
                per_facility[n] = (got["seconds"] / n, got["peak_mb"] / n)
            rows.append((label, f"{got['formulas']:,}", fmt(got["seconds"]), fmt(got["wall"]),
                         f"{got['peak_mb']:,.0f}", fmt(floor),
                         f"{got['seconds'] / floor:,.0f}x" if floor else "-"))
            print(" | ".join(rows[-1]), flush=True)
        neo = build.build_neocloud(tmp / "neocloud_facility.xlsx")
        t_neo = _wall([sys.executable, "-m", "workbook.cli", "recalc", str(neo), "-o",
                       str(tmp / "neo_out.xlsx"), "-q"], args.repeat)
        t_help = _wall([sys.executable, "-m", "workbook.cli", "--help"], args.repeat)
        notes.append(f"`computecredit recalc neocloud_facility.xlsx` in a fresh process (Python "
                     f"start-up and imports included), best of {args.repeat}: {fmt(t_neo)}. "
                     f"`computecredit --help` in a fresh process, best of {args.repeat}: "
                     f"{fmt(t_help)}.")
        if len(per_facility) > 1:
            (n1, (t1, m1)), (n2, (t2, m2)) = sorted(per_facility.items())[:2]
            notes.append(f"Per facility, {n1:,} -> {n2:,} facilities: time {fmt(t1)} -> "
                         f"{fmt(t2)}, peak memory {m1 * 1024:,.0f} KB -> {m2 * 1024:,.0f} KB "
                         f"(the process's start-up memory included, so the figure falls with "
                         f"size when the growth is linear).")
        print(" ".join(notes))
    report = Report("bench_speed", "Engine speed targets", intro=(
        "Each workbook is built at run time and recalculated by `computecredit recalc` "
        "(evaluate and write the copy) in a fresh process: *recalc* is timed inside the "
        "process once the imports and the engine are warmed up (by evaluating the shipped "
        "portfolio.xlsx first), *whole process* includes Python start-up, imports and that "
        "warm-up, "
        "*peak memory* is the process's peak resident memory. The floor is the direct "
        "vectorised pymodel calls computing every output column of the tape, timed in this "
        "run. The filled-down tape has six formula columns per facility (economic value, "
        "coverage, LGD, EL, capital K with a nested downturn LGD, capital) referring to the "
        "facility's inputs in the same row and to common inputs by name. The largest tape is "
        "16,000 facilities: 20,000 would exceed the limit of 200,000 cells in array-formula "
        "ranges (12 output columns), which refuses it before evaluating (see "
        "[security](security.md))."))
    report.table(("workbook", "formulas (an array formula counts once)", "recalc",
                  "whole process", "peak memory (MB)", "floor: direct vectorised model calls",
                  "recalc / floor"), rows)
    report.text(" ".join(notes))
    report.publish(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
