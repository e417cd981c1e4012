"""Fidelity of ``computecredit recalc``: per workbook, formula cells, cells matched within 1e-9,
cells kept at Excel's saved value (unsupported), and time.

Run from the repository root::

    python benchmarks/bench_fidelity.py                  # the corpus: writes its section of
                                                         # docs/benchmarks.md
    python benchmarks/bench_fidelity.py DIR [DIR ...]    # also workbooks saved by Excel,
                                                         # compared with their saved values

The corpus (tests/workbook/engine/fidelity) is built by code: feature workbooks (each function
family, arrays and spills, computed references, iteration, loops, data tables, links, partial
evaluation, a frozen date) and real-style models (a loan schedule, a project-finance model with a
circular interest-during-construction loop, an LBO with data tables, a three-statement model).
Every formula cell is compared with a value derived without the engine: by hand,
numpy-financial, closed forms, the calendar (the source is named per workbook); LibreOffice
recomputes the cases it can and must agree (tests/workbook/engine/fidelity/test_libreoffice.py).
A workbook given on the command line is compared with the values Excel saved in it
(``computecredit fidelity``).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks._timing import Report, parser  # noqa: E402
from tests.workbook.engine.fidelity.cases import TOLERANCE, check  # noqa: E402
from tests.workbook.engine.fidelity.features import FEATURES  # noqa: E402
from tests.workbook.engine.fidelity.models import MODELS  # noqa: E402
from workbook.engine.fidelity import _files, compare_file  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = parser(__doc__.splitlines()[0])
    ap.add_argument("dirs", nargs="*", help="folders (or files) of workbooks saved by Excel")
    args = ap.parse_args(argv)
    header = ("Workbook", "Formula cells", f"Matched within {TOLERANCE:g}",
              "Kept (unsupported)", "Differ", "Time (s)", "Expected values from")
    rows = []
    total = {"cells": 0, "matched": 0, "kept": 0, "differ": 0, "seconds": 0.0}

    def add(name, cells, matched, kept, differ, seconds, source):
        rows.append((name, f"{cells:,}", f"{matched:,}", f"{kept:,}", f"{differ:,}",
                     f"{seconds:.2f}", source))
        for k, v in zip(("cells", "matched", "kept", "differ", "seconds"),
                        (cells, matched, kept, differ, seconds)):
            total[k] += v
        print(" | ".join(rows[-1][:6]), flush=True)

    from workbook.engine.recalc import recalc_file
    with tempfile.TemporaryDirectory() as tmp:
        recalc_file(FEATURES[0]().write(tmp), None)   # imports and the engine, once
        for build in FEATURES + MODELS:
            case = build()
            got = check(case, tmp)
            add(case.name, got.formula_cells, got.matched, got.kept, len(got.mismatches),
                got.seconds, case.source)
            for sheet, cell, v, want in got.mismatches[:5]:
                print(f"  {case.name}: {sheet}!{cell}: {v!r}, expected {want!r}",
                      file=sys.stderr)
    for path in _files(args.dirs):
        got = compare_file(path)
        if got.refused:
            rows.append((Path(path).name, "-", "-", "-", "-", f"{got.seconds:.2f}",
                         f"refused: {got.refused}"))
            continue
        add(Path(path).name, got.formula_cells, got.matched, got.kept, len(got.mismatched),
            got.seconds, f"Excel's saved values ({got.compared:,} cells have one)")
    rows.append(("**all**", f"{total['cells']:,}", f"{total['matched']:,}",
                 f"{total['kept']:,}", f"{total['differ']:,}", f"{total['seconds']:.2f}", ""))
    share = 100.0 * total["matched"] / total["cells"] if total["cells"] else 0.0
    report = Report("bench_fidelity", "Recalculation fidelity", intro=(
        "How closely `computecredit recalc` reproduces Excel, per workbook of the fidelity "
        "corpus (tests/workbook/engine/fidelity): formula cells (array and data-table results "
        "counted cell by cell), cells recomputed and equal to the expected value within "
        f"{TOLERANCE:g} (relative; absolute below 1), cells kept at Excel's saved value "
        "because the engine cannot evaluate them (a loop without iterative calculation, a "
        "function it lacks, a spill larger than the saved one; the corpus expects exactly "
        "those), cells that differ, and the time of the recalculation (reading, evaluation, "
        "writing nothing). Expected values are derived without the engine, as the last column "
        "says; LibreOffice recomputes the cases it can and agrees. "
        "`computecredit fidelity FILE...` makes the same comparison against the values Excel "
        "saved in any workbook."))
    report.table(header, rows)
    report.text(f"{total['matched']:,} of {total['cells']:,} formula cells ({share:.1f}%) "
                f"recomputed and matched within {TOLERANCE:g}; {total['kept']:,} kept at "
                f"the saved value as expected; {total['differ']:,} differ.")
    report.publish(args)
    return 0 if total["differ"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
