"""Fidelity of ``computecredit recalc``: per workbook, formula cells, matched within 1e-9,
kept at Excel's saved value (unsupported), and time.

Run from the repository root::

    python benchmarks/fidelity.py                   # the corpus (tests/workbook/engine/fidelity)
    python benchmarks/fidelity.py DIR [DIR ...]     # also workbooks saved by Excel, compared
                                                    # with the values Excel saved in them
    python benchmarks/fidelity.py --docs            # and rewrite the table in docs/recalc.md

The corpus workbooks are built by code and hold no saved values: every formula cell is compared
with a value derived without the engine (by hand, numpy-financial, closed forms; the source is
named per workbook, and LibreOffice cross-checks them where installed: see the tests). A
workbook of DIR is compared with Excel's own saved values (``computecredit fidelity``).
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks._timing import describe_machine, md_table  # noqa: E402
from tests.workbook.engine.fidelity.cases import TOLERANCE, check  # noqa: E402
from tests.workbook.engine.fidelity.features import FEATURES  # noqa: E402
from tests.workbook.engine.fidelity.models import MODELS  # noqa: E402
from workbook.engine.fidelity import _files, compare_file  # noqa: E402

DOC = ROOT / "docs" / "recalc.md"
BEGIN, END = "<!-- fidelity:begin -->", "<!-- fidelity:end -->"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dirs", nargs="*", help="folders (or files) of workbooks saved by Excel")
    ap.add_argument("--docs", action="store_true", help=f"rewrite the table in {DOC.name}")
    args = ap.parse_args(argv)
    header = ("Workbook", "Formula cells", "Matched within 1e-9", "Kept (unsupported)",
              "Time", "Expected values from")
    rows = []
    totals = [0, 0, 0, 0.0]
    from workbook.engine.recalc import recalc_file
    with tempfile.TemporaryDirectory() as tmp:
        recalc_file(FEATURES[0]().write(tmp), None)   # imports and the engine, once
        for build in FEATURES + MODELS:
            case = build()
            got = check(case, tmp)
            rows.append((case.name, got.formula_cells, got.matched, got.kept,
                         f"{got.seconds:.2f} s", case.source))
            totals[0] += got.formula_cells
            totals[1] += got.matched
            totals[2] += got.kept
            totals[3] += got.seconds
            for sheet, cell, v, want in got.mismatches[:5]:
                print(f"  {case.name}: {sheet}!{cell}: {v!r}, expected {want!r}",
                      file=sys.stderr)
    for path in _files(args.dirs):
        got = compare_file(path)
        name = Path(path).name
        if got.refused:
            rows.append((name, "-", "-", "-", f"{got.seconds:.2f} s", f"refused: {got.refused}"))
            continue
        rows.append((name, got.formula_cells, got.matched, got.kept, f"{got.seconds:.2f} s",
                     f"Excel's saved values ({got.compared} cells have one)"))
        totals[0] += got.formula_cells
        totals[1] += got.matched
        totals[2] += got.kept
        totals[3] += got.seconds
    rows.append(("**all**", totals[0], totals[1], totals[2], f"{totals[3]:.2f} s", ""))
    table = md_table(header, rows)
    share = 100.0 * totals[1] / totals[0] if totals[0] else 0.0
    text = (f"{table}\n\n{totals[1]:,} of {totals[0]:,} formula cells ({share:.2f}%) match "
            f"within {TOLERANCE:g} (relative; absolute below 1); kept cells are the ones the "
            f"corpus expects kept (a loop without iterative calculation, a function the "
            f"engine lacks), counted with their saved values. {describe_machine()}")
    print(text)
    if args.docs:
        page = DOC.read_text()
        new = re.sub(re.escape(BEGIN) + ".*?" + re.escape(END),
                     lambda m: f"{BEGIN}\n{text}\n{END}", page, flags=re.S)
        DOC.write_text(new)
        print(f"\nwrote the table into {DOC.relative_to(ROOT)}")
    return 0 if totals[1] + totals[2] == totals[0] else 1


if __name__ == "__main__":
    sys.exit(main())
