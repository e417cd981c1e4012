"""Ranges of plain values given to the engine as one array each, instead of one node per cell.

The ``formulas`` engine builds a range a formula reads from one graph node per cell: every cell
is compiled (its text checked by the formula parser), added to the dispatcher, visited when the
model runs and assembled back into the range's array. For a loan tape that is 5,000 nodes per
input column, and the bookkeeping, not the maths, is the time (and about 100 KB of memory per
facility).

A range whose cells are all plain values (numbers, text, booleans, blanks) never changes while
the workbook is evaluated: :class:`ValueBlocks` gives its node the array the engine would have
assembled, as the node's default value, and the engine's own filter turns it into the range's
value exactly as it does for the assembled array. The engine then never sees its cells.

A range is given as a block only when that changes nothing but the time:

* every cell in it is a number, a text, a boolean or blank (an error cell is compiled by the
  engine's parser, so it keeps the engine's path);
* no formula cell lies in it (a formula, an array formula's range, a formula kept at the
  file's value, a data table), so nothing in it is computed or substituted;
* the workbook has no what-if data table (a data table substitutes values into input cells
  and recomputes what reads them, cell by cell);
* it is a range of this workbook (not of a link's cached values) of at least two cells.

A range that also holds formulas (a loan tape read whole by a function: its input columns and
its array-formula output columns) is given one function instead: it fills the results of the
formulas inside the range into the array of its plain values, as the engine's own assembler
places them. Only when each such formula lies wholly inside the range, is an ordinary formula
or an array formula of fixed range already compiled by the engine (not a spilling formula, a
data table or a formula kept at the file's value), and every other cell is plain.

Numbers are rounded to 15 decimals as the engine rounds a value cell (and the evaluation
reports such a cell at its rounded value, as it does for a cell the engine read); a blank is
the engine's empty value.
"""

from __future__ import annotations

import bisect
import re
from typing import Any

from .sheetxml import range_bounds

__all__ = ["ValueBlocks", "ENABLED"]

#: Off: every range is assembled by the engine from its cells (the reference the tests compare
#: the blocks against).
ENABLED = True

_NODE = re.compile(r"^'\[(?P<book>[^\]]*)\](?P<sheet>(?:[^']|'')*)'!"
                   r"(?P<ref>[A-Z]+[0-9]+:[A-Z]+[0-9]+)$")
_PLAIN = frozenset("nsb")


class ValueBlocks:
    """Which ranges of a workbook may be given to the engine as blocks, and their values."""

    def __init__(self, wb: Any, main_book: str, with_formulas: bool = True) -> None:
        self.main = main_book
        self.with_formulas = with_formulas   # ranges holding formulas too (:meth:`mixed`)
        self.enabled = not any(f.kind == "dataTable" for f in wb.formulas)
        self.sheets = {s.title.upper(): s for s in wb.sheets}
        # formula cells per sheet title: column -> sorted rows; array ranges as bounds
        self._formula_rows: dict[str, dict[int, list[int]]] = {}
        self._areas: dict[str, list[tuple[int, int, int, int]]] = {}
        # formulas per sheet title as (bounds, reference of their node, plain): a cell, or
        # an array formula's range; plain is false for a dynamic (spilling) formula and a
        # data table, whose extent the file does not fix
        self._parts: dict[str, list[tuple[tuple[int, int, int, int], str, bool]]] = {}
        by_name = {s.name: s.title.upper() for s in wb.sheets}
        from .sheetxml import split_coord
        for f in wb.formulas:
            title = by_name.get(f.sheet)
            if title is None:
                continue
            r, c = split_coord(f.coord)
            self._formula_rows.setdefault(title, {}).setdefault(c, []).append(r)
            bounds, ref = (r, c, r, c), f.coord
            if f.ref and ":" in f.ref:
                try:
                    area = bounds = range_bounds(f.ref)
                except ValueError:
                    self.enabled = False
                    continue
                self._areas.setdefault(title, []).append(area)
                if f.kind == "shared":   # the group's range: the cell is the part
                    bounds = (r, c, r, c)
                else:
                    ref = f.ref.replace("$", "")
            self._parts.setdefault(title, []).append(
                (bounds, ref, f.kind in ("normal", "shared", "array") and not f.dynamic))
        self._arrays: dict[str, list[tuple[int, int, int, int]]] = {}
        for s in wb.sheets:
            for ref in getattr(s, "all_array_formulae", s.array_formulae).values():
                self._areas.setdefault(s.title.upper(), []).append(range_bounds(ref))
                self._arrays.setdefault(s.title.upper(), []).append(range_bounds(ref))
        for cols in self._formula_rows.values():
            for rows in cols.values():
                rows.sort()
        self.given = 0
        #: cell node -> value, for the cells of blocks whose number the engine rounds: the
        #: engine reports a cell it reads at its rounded value, and so does the evaluation
        self.rounded: dict[str, float] = {}

    def _has_formula(self, title: str, r1: int, c1: int, r2: int, c2: int) -> bool:
        for c, rows in self._formula_rows.get(title, {}).items():
            if c1 <= c <= c2:
                i = bisect.bisect_left(rows, r1)
                if i < len(rows) and rows[i] <= r2:
                    return True
        for a1, b1, a2, b2 in self._areas.get(title, ()):
            if a1 <= r2 and r1 <= a2 and b1 <= c2 and c1 <= b2:
                return True
        return False

    def _node(self, node: str) -> tuple[str, str, Any, tuple[int, int, int, int]] | None:
        """(sheet as in the node, title, sheet, bounds) of a range node of this workbook."""
        if not self.enabled:
            return None
        m = _NODE.match(node)
        if m is None or m.group("book") != self.main:
            return None
        title = m.group("sheet").replace("''", "'")
        sheet = self.sheets.get(title)
        if sheet is None:
            return None
        try:
            bounds = range_bounds(m.group("ref"))
        except ValueError:
            return None
        r1, c1, r2, c2 = bounds
        if (r2 - r1 + 1) * (c2 - c1 + 1) < 2:
            return None
        return m.group("sheet"), title, sheet, bounds

    def value(self, node: str) -> Any:
        """The array the engine would assemble for ``node``, or None if it is not a block."""
        got = self._node(node)
        if got is None or self._has_formula(got[1], *got[3]):
            return None
        return self._fill(node, got[0], got[2], got[3], skip=False)

    def _fill(self, node: str, quoted: str, sheet: Any, bounds: tuple[int, int, int, int],
              skip: bool) -> Any:
        """The range's plain values (blank elsewhere); None if a cell is not plain (with
        ``skip``, formula cells are left blank for their parts to fill)."""
        import numpy as np
        import schedula as sh
        r1, c1, r2, c2 = bounds
        out = np.empty((r2 - r1 + 1, c2 - c1 + 1), dtype=object)
        out[:] = sh.EMPTY
        rows = sheet.rows
        rounded: list[tuple[str, float]] = []
        plain = _PLAIN
        if len(rows) > r2 - r1:
            keys = [r for r in range(r1, r2 + 1) if r in rows]
        else:
            keys = [r for r in rows if r1 <= r <= r2]
        for r in keys:
            row = rows[r]
            i = r - r1
            cols = (range(c1, c2 + 1) if len(row) > c2 - c1 else sorted(row))
            for c in cols:
                cell = row.get(c)
                if cell is None or not c1 <= c <= c2:
                    continue
                kind = cell.data_type
                if kind not in plain:
                    if skip and kind == "f":
                        continue
                    return None
                v = cell.value
                if kind == "n" and isinstance(v, float):
                    x = round(v, 15)
                    if x != v:
                        rounded.append((cell.coordinate, x))
                    v = x
                out[i, c - c1] = v
        for ref, x in rounded:
            self.rounded[f"'[{self.main}]{quoted}'!{ref}"] = x
        return out

    def mixed(self, node: str, model: Any) -> bool:
        """Give a range of plain values and formulas (a loan tape read whole: its input columns
        and its array-formula output columns) a function that fills the formulas' results
        into the array of its plain values, instead of one node per cell. Only when every
        formula in the range lies wholly inside it, is an ordinary formula or a fixed array
        formula already compiled, and every other cell is plain; otherwise False (the engine
        assembles the range from its cells). Each result is placed as the engine's own
        assembler places a range's parts."""
        got = self._node(node)
        if got is None:
            return False
        quoted, title, sheet, bounds = got
        r1, c1, r2, c2 = bounds
        parts, seen = [], set()
        for (a1, b1, a2, b2), ref, ok in self._parts.get(title, ()):
            if a2 < r1 or r2 < a1 or b2 < c1 or c2 < b1:
                continue
            if not (ok and r1 <= a1 and a2 <= r2 and c1 <= b1 and b2 <= c2):
                return False
            name = f"'[{self.main}]{quoted}'!{ref}"
            if name not in model.cells:
                return False
            parts.append(name)
            seen.add((a1, b1, a2, b2))
        if not parts:
            return False
        for a1, b1, a2, b2 in self._arrays.get(title, ()):   # every array range is a part
            if not (a2 < r1 or r2 < a1 or b2 < c1 or c2 < b1) and (a1, b1, a2, b2) not in seen:
                return False
        base = self._fill(node, quoted, sheet, bounds, skip=True)
        if base is None:
            return False
        model.dsp.add_function(function_id=f"=BLOCK({node})", function=_Assemble(node, base),
                               inputs=parts, outputs=[node])
        return True

    def give(self, model: Any, stack: set[Any]) -> set[Any]:
        """Give every block among the nodes ``stack`` (and the nodes the defined names among
        them refer to) its value; return the nodes given."""
        import schedula as sh
        references = model.references
        seen, todo = set(), list(stack)
        while todo:
            node = todo.pop()
            if isinstance(node, sh.Token) or node in seen:
                continue
            seen.add(node)
            if node in references:
                todo.extend(model.cells[node].inputs or ())
        given = set()
        for node in seen:
            if node in model.cells or node in references:
                continue
            if not isinstance(node, str) or ":" not in node:
                continue
            value = self.value(node)
            if value is None:
                if self.with_formulas and self.mixed(node, model):
                    given.add(node)
                continue
            model.dsp.set_default_value(node, value, initial_dist=sh.inf(1, 0))
            given.add(node)
        self.given += len(given)
        return given



class _Assemble:
    """A range's value from its plain values and the results of the formulas inside it."""

    def __init__(self, node: str, base: Any) -> None:
        from formulas.ranges import Ranges
        self.base = Ranges().push(node).ranges[0]
        self.values = base

    def __call__(self, *parts: Any) -> Any:
        from formulas.ranges import _assemble_values
        out = self.values.copy()
        for part in parts:
            _assemble_values(self.base, part.values, out)
        return out
