"""Time axes and the series laid out along them.

A time axis is a run of at least three cells in a row or a column that count periods: period
numbers under a label such as "Year" or "Quarter", calendar years (2026, 2027, ...), dates a
month, a quarter, half a year or a year apart, or labels such as ``Q1 2026``, ``FY27``,
``Year 3``, ``Jan-26``. Its frequency (periods a year) comes from the dates, the labels or the
axis's own heading; plain numbers without a heading that says otherwise are taken as years.

A series is a run of at least three numbers (typed or computed) beside an axis: a row under a
row axis, a column beside a column axis. Its label is the text to its left (rows) or above it
(columns). A sheet without any axis still gives series for rows and columns whose label says
what they are (rent, depreciation, DSCR, ...), with an unknown frequency.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

from ..engine.cellmap import Cell, SheetCells
from .labels import HALF_WORDS, MONTH_WORDS, MONTHS, QUARTER_WORDS, TIME_WORDS, normalise

__all__ = ["Axis", "Series", "find_axes", "find_series", "cell_label", "is_number", "MIN_RUN"]

MIN_RUN = 3            # periods in an axis or a series
MAX_LABEL_CELLS = 4    # text cells joined into one label
_SPAN_LIMIT = 5_000    # cells looked at along one axis


@dataclass
class Axis:
    sheet: str
    orient: str                 # "row": periods run along a row (one column per period)
    line: int                   # the row (orient row) or column (orient col) of the axis
    start: int                  # first and last column (orient row) or row (orient col)
    end: int
    freq: int                   # periods a year (1, 2, 4, 12)
    kind: str                   # numbers, years, dates, labels, year fractions
    label: str = ""
    first: Any = None           # the first period as shown (for messages)
    freq_known: bool = True

    @property
    def years_per_period(self) -> float:
        return 1.0 / self.freq

    def where(self) -> str:
        from ..engine.sheetxml import coord
        a = coord(self.line, self.start) if self.orient == "row" else coord(self.start,
                                                                            self.line)
        b = coord(self.line, self.end) if self.orient == "row" else coord(self.end, self.line)
        return f"{a}:{b}"


@dataclass
class Series:
    sheet: str
    orient: str                 # "row" (values along a row) or "col"
    line: int                   # row or column number
    start: int
    end: int
    label: str                  # as written (joined text cells)
    norm: str                   # normalised label
    cells: list[tuple[int, int]]
    values: list[Any]           # floats, or None where a formula has no value
    formulas: list[str | None]
    axis: Axis | None
    names: list[str] = field(default_factory=list)   # defined names covering it

    def where(self) -> str:
        from ..engine.sheetxml import coord
        a, b = self.cells[0], self.cells[-1]
        return f"{coord(*a)}:{coord(*b)}"

    @property
    def freq(self) -> int:
        return self.axis.freq if self.axis is not None else 1


def is_number(cell: Cell | None) -> bool:
    """A number (not a date, not a bool), or a formula cell without a number yet (no cached
    value, or an error the engine gave it)."""
    if cell is None:
        return False
    v = cell.value
    if isinstance(v, float) and not cell.date:
        return True
    from ..engine.sheetxml import ErrorValue
    return cell.formula is not None and (v is None or isinstance(v, ErrorValue))


# --------------------------------------------------------------------------------------------
# period keys

_Q1 = re.compile(r"^(?:q|qtr|quarter|quartal|trimestre|t)\s*([1-4])\s*(?:fy|cy)?\s*'?(\d{2}|\d{4})$")
_Q2 = re.compile(r"^(?:fy|cy)?\s*(\d{4}|\d{2})\s*(?:q|qtr)\s*([1-4])$")
_H1 = re.compile(r"^(?:h|hy|half|s)\s*([12])\s*(?:fy|cy)?\s*'?(\d{2}|\d{4})$")
_H2 = re.compile(r"^(\d{4}|\d{2})\s*(?:h|s)\s*([12])$")
_M1 = re.compile(r"^([a-z]{3,5})\.?\s*'?(\d{2}|\d{4})$")
_P = re.compile(r"^([a-z]{1,9})\s*#?\s*(\d{1,4})$")
# (pattern, kind, periods a year, group of the year; the other group is the period in the year)
_LABELS = ((_Q1, "label-q", 4, 2), (_Q2, "label-q", 4, 1), (_H1, "label-h", 2, 2),
           (_H2, "label-h", 2, 1), (_M1, "label-m", 12, 2))
_YEAR = re.compile(r"^(?:fy|cy)?\s*'?(\d{4})(?:\s*[ae])?$")
_PREFIX_FREQ = {"q": 4, "qtr": 4, "quarter": 4, "quartal": 4, "trimestre": 4, "m": 12,
                "month": 12, "mo": 12, "monat": 12, "mois": 12, "mes": 12, "h": 2, "half": 2,
                "s": 2}
_PREFIX_PERIOD = {"y", "yr", "year", "fy", "cy", "p", "per", "period", "t", "jahr", "annee",
                  "an", "ano", "anno", "jaar", "periode", "periodo"} | set(_PREFIX_FREQ)


def _year(s: str) -> int:
    y = int(s)
    return y + 2000 if y < 100 else y


def _key(cell: Cell | None) -> tuple[str, float, int] | None:
    """(kind, ordinal, periods a year or 0 if unknown) of a cell that could count a period."""
    if cell is None:
        return None
    v = cell.value
    if isinstance(v, bool):
        return None
    if isinstance(v, float):
        if cell.date and 1 <= v <= 2_958_465:
            return "date", v, 0
        if v.is_integer() and 1900 <= v <= 2200:
            return "year", v, 1
        return "number", v, 0
    if not isinstance(v, str):
        return None
    s = normalise(v).replace("/", " ").replace(".", " ").strip()
    s = re.sub(r"\s*-\s*", " ", s)
    s2 = s.replace(" ", "")
    for pattern, kind, per, year_group in _LABELS:
        m = pattern.match(s) or pattern.match(s2)
        if m:
            period = m.group(3 - year_group)
            n = MONTHS.get(period) if per == 12 else int(period)
            if n is not None:
                return kind, _year(m.group(year_group)) * per + n, per
    m = _YEAR.match(s)
    if m and 1900 <= int(m.group(1)) <= 2200:
        return "year", float(m.group(1)), 1
    m = _P.match(s) or _P.match(s2)
    if m and m.group(1) in _PREFIX_PERIOD:
        return "label-" + m.group(1), float(m.group(2)), _PREFIX_FREQ.get(m.group(1), 0)
    return None


def _date_freq(step: float) -> int:
    for lo, hi, f in ((27, 32, 12), (88, 93, 4), (180, 185, 2), (364, 367, 1)):
        if lo <= step <= hi:
            return f
    return 0


def _heading_freq(label: str) -> int:
    if QUARTER_WORDS.search(label):
        return 4
    if MONTH_WORDS.search(label):
        return 12
    if HALF_WORDS.search(label):
        return 2
    return 0


def _axis_of(keys: list[tuple[str, float, int]], label: str) -> tuple[str, int, bool] | None:
    """(kind, frequency, frequency known) if ``keys`` count periods regularly, else None."""
    kinds = {k[0] for k in keys}
    if len(kinds) != 1:
        return None
    kind = keys[0][0]
    xs = [k[1] for k in keys]
    steps = [b - a for a, b in zip(xs, xs[1:])]
    if kind == "date":
        f = _date_freq(steps[0])
        if not f or any(_date_freq(s) != f for s in steps):
            return None
        return "dates", f, True
    if any(abs(s - steps[0]) > 1e-9 for s in steps) or steps[0] <= 0:
        return None
    step = steps[0]
    if kind == "year":
        return ("years", 1, True) if step == 1 else None
    if kind.startswith("label-"):
        per = keys[0][2]   # labels a year (12 months, 4 quarters, 2 halves; 0: periods)
        if step != 1:      # every third month, every fourth quarter, ...: fewer periods a year
            if not per or per % step:
                return None
            return "labels", per // int(step), True
        f = per or _heading_freq(label)
        return "labels", f or 1, bool(f) or kind in ("label-y", "label-yr", "label-year",
                                                     "label-fy", "label-cy", "label-jahr")
    # plain numbers: period counters under a heading that says so, or fractions of a year
    timed = bool(TIME_WORDS.search(label))
    for frac, f in ((1.0, 0), (0.5, 2), (0.25, 4), (1 / 12, 12)):
        if abs(step - frac) < 1e-9:
            if f and (timed or (not label and xs[0] == 0.0)):
                return "year fractions", f, True
            if not f and timed and xs[0] == int(xs[0]) and 0 <= xs[0] <= 1000:
                hf = _heading_freq(label)
                return "numbers", hf or 1, bool(hf) or bool(re.match(r"^(year|yr|fy|jahr|"
                                                                    r"annee|ano|anno)", label))
    return None


def find_axes(sheet: SheetCells, skip: set[tuple[int, int]]) -> list[Axis]:
    """The time axes of one sheet (cells in ``skip``, our own outputs, are left out)."""
    by_row: dict[int, list[int]] = {}
    by_col: dict[int, list[int]] = {}
    for (r, c), cell in sheet.cells.items():
        if (r, c) in skip or _key(cell) is None:
            continue
        by_row.setdefault(r, []).append(c)
        by_col.setdefault(c, []).append(r)
    axes: list[Axis] = []
    for orient, lines in (("row", by_row), ("col", by_col)):
        for line, positions in lines.items():
            positions.sort()
            for run in _runs(positions):
                if len(run) < MIN_RUN:
                    continue
                cells = [(line, p) if orient == "row" else (p, line) for p in run]
                keys = [_key(sheet.cells[rc]) for rc in cells]
                label = _line_label(sheet, cells[0], orient)
                got = _axis_of(keys, normalise(label))
                if got is None:
                    continue
                kind, freq, known = got
                axes.append(Axis(sheet.name, orient, line, run[0], run[-1], freq, kind, label,
                                 sheet.cells[cells[0]].value, known))
    # a period counter (1, 2, 3 under "Period #") beside dates or labels that say the
    # frequency counts the same periods: it takes their frequency
    for a in axes:
        if a.freq_known:
            continue
        twin = next((b for b in axes if b.freq_known and b.orient == a.orient and
                     b.start == a.start and b.end == a.end and abs(b.line - a.line) <= 3),
                    None)
        if twin is not None:
            a.freq, a.freq_known = twin.freq, True
    return axes


def _runs(positions: list[int]) -> list[list[int]]:
    runs: list[list[int]] = []
    for p in positions:
        if runs and p == runs[-1][-1] + 1:
            runs[-1].append(p)
        else:
            runs.append([p])
    return runs


def _text(cell: Cell | None) -> str | None:
    if cell is None or not isinstance(cell.value, str):
        return None
    t = cell.value.strip()
    return t or None


def _line_label(sheet: SheetCells, first: tuple[int, int], orient: str) -> str:
    """Text before a run: to its left (a row) or above it (a column)."""
    r, c = first
    texts: list[str] = []
    if orient == "row":
        for cc in range(c - 1, max(0, c - 12), -1):
            cell = sheet.get(r, cc)
            t = _text(cell)
            if t:
                texts.append(t)
                if len(texts) >= MAX_LABEL_CELLS:
                    break
            elif cell is not None and is_number(cell) and (texts or cell.formula is None):
                # a typed number between the row and a text is an input of that text
                # ("Utilisation | 0.70"), not this row's label; a formula (a total) is crossed
                break
    else:
        for rr in range(r - 1, max(0, r - 4), -1):
            t = _text(sheet.get(rr, c))
            if t:
                texts.append(t)
            elif texts:
                break
    return " ".join(reversed(texts))


def cell_label(sheet: SheetCells, r: int, c: int) -> str:
    """The label of a single input cell: the text to its left in the row, else the heading
    above it."""
    texts: list[str] = []
    for cc in range(c - 1, max(0, c - 9), -1):
        cell = sheet.get(r, cc)
        t = _text(cell)
        if t:
            texts.append(t)
            if len(texts) >= MAX_LABEL_CELLS:
                break
        elif cell is not None and texts:
            break
    if texts:
        return " ".join(reversed(texts))
    for rr in range(r - 1, max(0, r - 3), -1):
        t = _text(sheet.get(rr, c))
        if t:
            return t
    return ""


# --------------------------------------------------------------------------------------------
# series

def find_series(sheet: SheetCells, axes: list[Axis], skip: set[tuple[int, int]],
                labelled: Any = None) -> list[Series]:
    """Series along the sheet's axes; without axes, rows and columns whose label satisfies
    ``labelled(normalised label)``."""
    out: list[Series] = []
    axis_cells = set()
    for a in axes:
        for p in range(a.start, a.end + 1):
            axis_cells.add((a.line, p) if a.orient == "row" else (p, a.line))
    rows: dict[int, list[int]] = {}
    cols: dict[int, list[int]] = {}
    for (r, c), cell in sheet.cells.items():
        if (r, c) in skip or (r, c) in axis_cells or not is_number(cell):
            continue
        rows.setdefault(r, []).append(c)
        cols.setdefault(c, []).append(r)
    row_axes = [a for a in axes if a.orient == "row"]
    col_axes = [a for a in axes if a.orient == "col"]
    for orient, lines, ax_list in (("row", rows, row_axes), ("col", cols, col_axes)):
        for line, positions in lines.items():
            positions.sort()
            if len(positions) < MIN_RUN:
                continue
            best: tuple[int, list[int], Axis | None] | None = None
            for a in ax_list:
                if a.line == line:
                    continue
                inside = [p for p in positions if a.start <= p <= a.end]
                for run in _runs(inside):
                    # the longest run; then an axis whose frequency is known; then the nearest
                    score = (len(run), a.freq_known, -abs(a.line - line))
                    if len(run) >= MIN_RUN and (best is None or score > best[0]):
                        best = (score, run, a)
            if best is None and not ax_list and labelled is not None:
                for run in _runs(positions):
                    if len(run) >= MIN_RUN + 1 and (best is None or len(run) > best[0][0]):
                        best = ((len(run), False, 0), run, None)
            if best is None:
                continue
            _, run, axis = best
            run = run[:_SPAN_LIMIT]
            cells = [(line, p) if orient == "row" else (p, line) for p in run]
            if _input_block(sheet, cells, orient):
                continue
            label = _line_label(sheet, cells[0], orient)
            norm = normalise(label)
            if axis is None and not labelled(norm):
                continue
            out.append(Series(sheet.name, orient, line, run[0], run[-1], label, norm, cells,
                              [sheet.cells[rc].value for rc in cells],
                              [sheet.cells[rc].formula for rc in cells], axis))
    return out


def _input_block(sheet: SheetCells, cells: list[tuple[int, int]], orient: str) -> bool:
    """True when most cells of a would-be series carry their own text label just before them
    (to the left of a column's cells, above a row's): a block of inputs (GPUs, cost, life,
    ...) that happens to sit beside a time axis, not one quantity over time."""
    own = 0
    for r, c in cells:
        before = sheet.get(r, c - 1) if orient == "col" else sheet.get(r - 1, c)
        if _text(before) is not None and _key(before) is None:
            own += 1
    return own * 2 > len(cells)


def pattern(values: list[Any]) -> dict[str, Any]:
    """What a run of numbers does: constant, linear (a fixed step, maybe down to a floor),
    growth (a fixed ratio), other; ``unknown`` when a value is missing."""
    if any(not isinstance(v, float) for v in values):
        return {"shape": "unknown"}
    vals = list(values)
    n = len(vals)
    scale = max(abs(v) for v in vals)
    if scale == 0:
        return {"shape": "zero"}
    tol = 1e-7 * scale
    lead = 0
    while lead < n and abs(vals[lead]) <= tol:
        lead += 1
    body = vals[lead:]
    trail = len(body)
    while trail > 0 and abs(body[trail - 1]) <= tol:
        trail -= 1
    core = body[:trail]
    if len(core) >= MIN_RUN and max(core) - min(core) <= tol:
        return {"shape": "constant", "value": core[0], "lead": lead,
                "tail": len(body) - trail}
    d = [b - a for a, b in zip(vals, vals[1:])]
    d0 = d[0]
    if abs(d0) > tol:
        k = 0
        while k < len(d) and abs(d[k] - d0) <= 1e-6 * abs(d0) + tol:
            k += 1
        rest = d[k:]
        if k >= MIN_RUN - 1 and all(abs(x) <= tol for x in rest):
            return {"shape": "linear", "step": d0, "first": vals[0],
                    "floor": vals[k] if rest else None, "steps": k}
    if all(v != 0 for v in vals) and (all(v > 0 for v in vals) or all(v < 0 for v in vals)):
        ratios = [b / a for a, b in zip(vals, vals[1:])]
        r0 = ratios[0]
        if abs(r0 - 1) > 1e-9 and all(abs(r - r0) <= 1e-6 * abs(r0) for r in ratios) \
                and math.isfinite(r0):
            return {"shape": "growth", "ratio": r0, "first": vals[0]}
    return {"shape": "other"}
