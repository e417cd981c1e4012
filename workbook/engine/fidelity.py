"""``computecredit fidelity``: how closely the headless recalculation reproduces Excel on given
workbooks, measured against the values Excel saved in them.

For every formula cell that holds a saved value (Excel's last result), the recalculated value is
compared with it: numbers within a relative tolerance (default 1e-9, absolute below 1), text,
booleans and error codes exactly. Cells the engine kept at the saved value (it cannot evaluate
them) are counted apart, not as matches. A workbook whose inputs were changed after Excel last
calculated it, or that uses TODAY()/NOW() (see ``--today``) or RAND(), differs for good reason.

Exit status: 0 every compared cell matched and none was kept; 1 some cell differs or was kept;
2 a file was refused or could not be read.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from dataclasses import dataclass, field
from typing import Any

__all__ = ["FileFidelity", "compare_file", "same", "add_arguments", "run", "TOLERANCE"]

TOLERANCE = 1e-9


@dataclass
class FileFidelity:
    """One workbook's comparison."""
    path: str
    formula_cells: int = 0
    compared: int = 0          # formula cells with a saved value
    matched: int = 0
    kept: int = 0              # kept at the saved value (not recomputed)
    mismatched: list[tuple[str, str, Any, Any]] = field(default_factory=list)
    seconds: float = 0.0
    exit_code: int = 0         # recalc's
    refused: str | None = None


def same(got: Any, saved: Any, tolerance: float = TOLERANCE) -> bool:
    """Whether a recalculated value equals Excel's saved one (numbers within ``tolerance``
    relative, absolute below 1)."""
    from .sheetxml import ErrorValue
    if isinstance(saved, ErrorValue) or isinstance(got, ErrorValue):
        return isinstance(saved, ErrorValue) and isinstance(got, ErrorValue) and \
            saved.code == got.code
    if isinstance(saved, bool) or isinstance(got, bool):
        return isinstance(saved, bool) and isinstance(got, bool) and saved == got
    if isinstance(saved, (int, float)) and isinstance(got, (int, float)):
        if not (math.isfinite(got) and math.isfinite(saved)):
            return False
        return abs(got - saved) <= tolerance * max(1.0, abs(saved))
    if saved in (None, "") and got in (None, ""):
        return True
    return got == saved


def _saved_values(pkg: Any) -> tuple[dict[tuple[str, str], Any], int]:
    """Excel's saved value of every formula cell (array and data-table ranges spread), and the
    number of formula cells."""
    from .book import read_book
    from .sheetxml import ErrorValue, cells_of_range, split_coord
    wb = read_book(pkg)
    out: dict[tuple[str, str], Any] = {}
    n = 0
    sheets = {s.name: s for s in wb.sheets}
    for f in wb.formulas:
        if f.kind in ("array", "dataTable") and f.ref and ":" in f.ref:
            sheet = sheets[f.sheet]
            for cc in cells_of_range(f.ref):
                n += 1
                if cc == f.coord:
                    if f.cached is not None:
                        out[(f.sheet, cc)] = f.cached
                    continue
                r, c = split_coord(cc)
                cell = sheet.rows.get(r, {}).get(c)
                if cell is not None and cell.data_type != "f" and cell.value is not None:
                    out[(f.sheet, cc)] = (ErrorValue(cell.value) if cell.data_type == "e"
                                          else cell.value)
        else:
            n += 1
            if f.cached is not None:
                out[(f.sheet, f.coord)] = f.cached
    return out, n


def compare_file(path: str, tolerance: float = TOLERANCE, today: Any = None) -> FileFidelity:
    """Recalculate ``path`` (nothing written) and compare with Excel's saved values."""
    from .evaluate import evaluate_package
    from .package import WorkbookRefused, open_package
    from .report import RecalcResult, build_report
    from .xlfunctions import set_today
    out = FileFidelity(path)
    t0 = time.perf_counter()
    pkg = None
    set_today(today)
    try:
        pkg = open_package(path)
        saved, out.formula_cells = _saved_values(pkg)
        ev = evaluate_package(pkg)
        res = RecalcResult(path)
        build_report(res, [name for name, _ in pkg.sheets], ev)
        out.exit_code = res.exit_code
    except WorkbookRefused as exc:
        out.refused = str(exc)
    except (MemoryError, RecursionError) as exc:
        out.refused = f"the workbook could not be evaluated ({type(exc).__name__})"
    finally:
        set_today(None)
        if pkg is not None:
            pkg.close()
        out.seconds = time.perf_counter() - t0
    if out.refused:
        out.exit_code = 2
        return out
    kept = set(ev.kept)
    out.kept = len(kept)
    for where, value in saved.items():
        if where in kept:
            continue
        out.compared += 1
        got = ev.values.get(where)
        if same(got, value, tolerance):
            out.matched += 1
        else:
            out.mismatched.append((*where, got, value))
    return out


# --------------------------------------------------------------------------------------------
# command line

def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="+", metavar="PATH",
                        help="workbooks (.xlsx) saved by Excel, or folders of them")
    parser.add_argument("--tolerance", type=float, default=TOLERANCE,
                        help=f"relative tolerance for numbers (default {TOLERANCE:g}; "
                             f"absolute below 1)")
    parser.add_argument("--today", metavar="DATE",
                        help="evaluate TODAY()/NOW() as of DATE (YYYY-MM-DD): the day Excel "
                             "last calculated the file")
    parser.add_argument("--show", type=int, default=10,
                        help="differing cells listed per workbook (default 10)")
    parser.description = __doc__.split("\n\n")[0].replace("\n", " ")


def _files(paths: list[str]) -> list[str]:
    out = []
    for p in paths:
        if os.path.isdir(p):
            out += sorted(os.path.join(p, f) for f in os.listdir(p)
                          if f.lower().endswith((".xlsx", ".xlsm")) and not f.startswith("~$"))
        else:
            out.append(p)
    return out


def run(args: argparse.Namespace) -> int:
    from .recalc import parse_today
    from .report import fmt, safe
    today = parse_today(args.today) if args.today else None
    rows = [("workbook", "formula cells", "compared (saved value)",
             f"matched within {args.tolerance:g}", "kept (unsupported)", "differ", "seconds")]
    status = 0
    total = FileFidelity("all")
    details = []
    for path in _files(args.paths):
        got = compare_file(path, args.tolerance, today)
        name = safe(os.path.basename(path), 60)
        if got.refused:
            rows.append((name, "-", "-", "-", "-", "refused", f"{got.seconds:.2f}"))
            details.append(f"{name}: refused: {safe(got.refused, 300)}")
            status = max(status, 2)
            continue
        rows.append((name, str(got.formula_cells), str(got.compared), str(got.matched),
                     str(got.kept), str(len(got.mismatched)), f"{got.seconds:.2f}"))
        for sheet, cell, v, s in got.mismatched[:args.show]:
            details.append(f"{name}: {safe(sheet, 40)}!{cell}: recalculated {fmt(v)}, "
                           f"Excel saved {fmt(s)}")
        if got.mismatched or got.kept:
            status = max(status, 1)
        total.formula_cells += got.formula_cells
        total.compared += got.compared
        total.matched += got.matched
        total.kept += got.kept
        total.mismatched += got.mismatched
        total.seconds += got.seconds
    rows.append(("all", str(total.formula_cells), str(total.compared), str(total.matched),
                 str(total.kept), str(len(total.mismatched)), f"{total.seconds:.2f}"))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        print("  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                        for i, (c, w) in enumerate(zip(r, widths))))
    for line in details:
        print(line)
    if total.compared:
        print(f"matched within {args.tolerance:g}: {total.matched:,} of {total.compared:,} "
              f"formula cells with a saved value ({100 * total.matched / total.compared:.2f}%)",
              file=sys.stdout)
    return status
