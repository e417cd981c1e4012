"""Benchmark hostile inputs of ``computecredit recalc``: time and peak memory per attack file.

Run from the repository root::

    python benchmarks/bench_hostile.py                  # tiny-file attacks and the formula limit
    python benchmarks/bench_hostile.py --formulas 20000 # a smaller formula-limit case

Every attack file is built at run time by the same builders the tests use
(``tests/workbook/engine/hostile/attacks.py``), then recalculated in a fresh Python process so
the peak resident memory (``ru_maxrss`` of the child) is that run's alone. Reported per file:
its size, the outcome (OK, or the first words of the refusal), the wall time of the whole
process (start-up and imports included) and its peak resident memory. The formula-limit case
is a sheet of filled-down formulas at the limit (100,000 by default): it must end, computed or
refused by the evaluation budget, in bounded time and memory.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _timing import Report, parser, run_child  # noqa: E402

from tests.workbook.engine.hostile import attacks  # noqa: E402

_CHILD = """
import json, resource, sys, time
from workbook.engine import recalc
t0 = time.perf_counter()
res = recalc.recalc_file(sys.argv[1], sys.argv[2])
print(json.dumps({"refused": res.refused, "exit": res.exit_code, "formulas": res.n_formulas,
                  "seconds": time.perf_counter() - t0,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def _run(path: Path, out: Path) -> dict:
    got, wall, err = run_child(_CHILD, path, out)
    if got is None:
        got = {"refused": f"crashed: {err.strip().splitlines()[-1:]}", "exit": None,
               "peak_mb": None}
    got["wall"] = wall
    return got


def main(argv: list[str] | None = None) -> int:
    ap = parser(__doc__.splitlines()[0])
    ap.add_argument("--formulas", type=int, default=100_000,
                    help="formula cells of the formula-limit case (default 100,000)")
    args = ap.parse_args(argv)
    cases = sorted(attacks.tiny_attacks().items()) + list(attacks.engine_attacks().items())
    cases.append((f"{args.formulas:,} formulas filled down (the formula limit)",
                  attacks.many_formulas(args.formulas)))
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for k, (name, kw) in enumerate(cases):
            src = attacks.build(tmp / f"attack{k}.xlsx", **kw)
            got = _run(src, tmp / f"out{k}.xlsx")
            if got.get("exit") == 0:
                outcome = "computed"
            elif got.get("refused"):
                outcome = "refused: " + got["refused"][:90]
            elif got.get("exit") in (1, 3):
                outcome = "computed with the cell as an error" if got["exit"] == 1 else \
                    "the cell keeps Excel's value"
            else:
                outcome = f"exit {got.get('exit')}"
            peak = f"{got['peak_mb']:,.0f}" if got.get("peak_mb") else "n/a"
            rows.append([name, f"{src.stat().st_size / 1024:,.1f}", outcome,
                         f"{got['wall']:.1f}", peak])
            print(" | ".join(rows[-1]), flush=True)
    report = Report("bench_hostile", "Hostile inputs", intro=(
        "Tiny attack files and the formula limit, each recalculated in a fresh process "
        "(start-up and imports included in the time; peak resident memory of that process). "
        "Limits are checked while the sheets are read, before anything is expanded; the "
        "evaluation budget (300 s, 3 GB by default) bounds what is left. See "
        "[security](security.md)."))
    report.table(("Attack", "File (KB)", "Outcome", "Time (s)", "Peak memory (MB)"), rows)
    report.publish(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
