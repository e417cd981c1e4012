"""A fidelity case: a workbook built by code, the value each formula cell must have, and where
those values come from; :func:`check` recalculates it and compares."""

from __future__ import annotations

import calendar
import datetime as dt
import math
import os
import time
from dataclasses import dataclass, field
from typing import Any

from .xlsx import Err, Link, XlTable, write_xlsx

__all__ = ["Case", "serial", "close", "TOLERANCE", "Outcome", "check"]

#: Matched means equal within this relative tolerance (absolute below 1).
TOLERANCE = 1e-9


def serial(d: dt.date) -> int:
    """Excel's 1900-system serial number of a date (after 1 March 1900)."""
    return (d - dt.date(1899, 12, 30)).days


@dataclass
class Case:
    name: str
    sheets: dict[str, dict[str, Any]]
    expected: dict[tuple[str, str], Any]      # (sheet, cell) -> value
    source: str                               # how the expected values were derived
    names: dict[str, str] = field(default_factory=dict)
    calc: dict[str, str] = field(default_factory=dict)
    links: list[Link] = field(default_factory=list)
    exit_code: int = 0
    kept: set[tuple[str, str]] = field(default_factory=set)
    today: dt.date | None = None
    note: str | None = None                   # text the report's notes must contain
    libreoffice: bool = False                 # LibreOffice 7.4 computes every formula here
    tables: list[XlTable] = field(default_factory=list)   # Excel tables (structured references)
    hidden: dict[str, set[int]] = field(default_factory=dict)   # hidden rows by sheet
    auto_filter: dict[str, str] = field(default_factory=dict)   # AutoFilter range by sheet

    def write(self, folder: str) -> str:
        path = os.path.join(folder, f"{self.name}.xlsx")
        write_xlsx(path, self.sheets, self.names, self.calc, self.links, tables=self.tables,
                   hidden=self.hidden, auto_filter=self.auto_filter)
        return path

    def formula_cells(self) -> list[tuple[str, str]]:
        """Every formula cell, array and data-table cells spread over their range."""
        from workbook.engine.sheetxml import cells_of_range
        from .xlsx import F
        out = []
        for sheet, cells in self.sheets.items():
            for ref, v in cells.items():
                if isinstance(v, F):
                    if v.kind in ("array", "dataTable") and v.ref:
                        out += [(sheet, c) for c in cells_of_range(v.ref)]
                    else:
                        out.append((sheet, ref))
        return out


def close(got: Any, want: Any, tol: float = TOLERANCE) -> bool:
    if isinstance(want, Err):
        return getattr(got, "code", None) == want.code
    if isinstance(want, bool) or isinstance(got, bool):
        return got is want or got == want and type(got) is type(want)
    if isinstance(want, (int, float)) and isinstance(got, (int, float)):
        if not (math.isfinite(got) and math.isfinite(want)):
            return False
        return abs(got - want) <= tol * max(1.0, abs(want))
    if want is None:
        return got is None or got == ""
    return got == want


@dataclass
class Outcome:
    case: str
    formula_cells: int
    matched: int          # recomputed and equal to the expected value
    kept: int             # kept at the saved value (not recomputed)
    seconds: float
    exit_code: int
    mismatches: list[tuple[str, str, Any, Any]]
    notes: list[str]
    kept_cells: set[tuple[str, str]]


def check(case: Case, folder: str) -> Outcome:
    """Recalculate the case's workbook and compare every formula cell with its value."""
    from workbook.engine.evaluate import evaluate_package
    from workbook.engine.package import open_package
    from workbook.engine.recalc import recalc_file
    path = case.write(folder)
    t0 = time.perf_counter()
    res = recalc_file(path, None, today=case.today)
    seconds = time.perf_counter() - t0
    if res.refused:
        raise AssertionError(f"{case.name}: refused: {res.refused}")
    # the values, as the recalculated copy holds them
    from workbook.engine import xlfunctions
    xlfunctions.set_today(case.today)
    pkg = open_package(path)
    try:
        ev = evaluate_package(pkg)
    finally:
        pkg.close()
        xlfunctions.set_today(None)
    cells = case.formula_cells()
    kept = {(s, c) for s, c, _ in res.kept}
    mism = []
    matched = 0
    for where in cells:
        if where not in case.expected:
            mism.append((*where, ev.values.get(where), "no expected value"))
            continue
        got, want = ev.values.get(where), case.expected[where]
        if not close(got, want):
            mism.append((*where, got, want))
        elif where not in kept:
            matched += 1
    return Outcome(case.name, len(cells), matched, len(kept), seconds, res.exit_code, mism,
                   res.notes, kept)


def days360(a: dt.date, b: dt.date, yearfrac: bool = False) -> int:
    """DAYS360, US (NASD) method, as Excel documents it (a start on the last day of February
    or the 31st is the 30th; an end on the 31st is the 30th when the start is); with
    ``yearfrac``, YEARFRAC basis 0's extra rule (both on the last day of February: the end is
    the 30th too)."""
    d1, d2 = a.day, b.day
    last = lambda d: d.day == calendar.monthrange(d.year, d.month)[1]  # noqa: E731
    feb = lambda d: d.month == 2 and last(d)  # noqa: E731
    if yearfrac and feb(a) and feb(b):
        d2 = 30
    if feb(a) or d1 == 31:
        d1 = 30
    if d2 == 31 and d1 >= 30:
        d2 = 30
    return (b.year - a.year) * 360 + (b.month - a.month) * 30 + (d2 - d1)


def bisect_root(f, lo, hi):
    """The root of ``f`` between ``lo`` and ``hi`` (signs differ) by bisection, to machine
    precision."""
    for _ in range(300):
        mid = (lo + hi) / 2
        if (f(lo) > 0) == (f(mid) > 0):
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2
