"""A column of formulas filled down, evaluated as one vectorised call instead of cell by cell.

A loan tape written one formula per cell (``=GPU_RV(G5,H5,I5,J5,discount_rate,...)`` in O5,
the same with row 6 in O6, and so on; saved as shared formulas or as separate texts) gives the
``formulas`` engine one compiled formula and one graph node per cell, and most of the time goes
to that bookkeeping. The cells of such a column differ only in their row (the same R1C1 form),
so the column is the array formula ``=GPU_RV(G5:G5004,H5:H5004,...,discount_rate,...)`` over
O5:O5004, which our functions compute in one vectorised call through their array forms.

:func:`find` picks the groups, :meth:`Groups.apply` hands each to the engine as one array
formula (the file and the copy written keep the cells' own formulas), :meth:`Groups.check`
verifies after the engine's pass that nothing in the group could have come out differently
cell by cell, and :meth:`Groups.spread` gives each cell its value. Anything else keeps the
engine's cell-by-cell path; the caller evaluates the whole workbook again cell by cell when a
check fails. The hardening is untouched: the limits are checked while reading, the evaluation
budget covers the engine's run, and a group reads only cells of this workbook.

A group is made only of what gives the same numbers either way:

* at least :data:`MIN_ROWS` consecutive formula cells of one column, ordinary or shared (not
  array formulas, data tables or kept cells), with the same R1C1 form;
* the form uses only numbers, arithmetic operators, parentheses, the functions of
  :data:`VECTOR_FUNCTIONS` (ours, scalar in and out), references to single cells of the same
  sheet and defined names of single cells; at least one reference is relative to the row and
  every such reference is to the same row (no dependency within the column, no running
  totals);
* a reference to the same row reads a column whose cells over the group's rows are either all
  values or exactly another group; an absolute reference or name reads a cell outside every
  group;
* the workbook has no data table, no iterative calculation, no link to another workbook, no
  OFFSET/INDIRECT, and no cell kept at the file's value.

After the pass (:meth:`Groups.check`), every group's inputs and results must be finite numbers
(no blank, text, boolean or error anywhere: an error cell carries a message that names its own
arguments, and blanks map to defaults row by row), and the pass must have found no loop;
otherwise the workbook is evaluated again cell by cell.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

from .formulatext import tokens
from .sheetxml import coord, range_bounds, split_coord

__all__ = ["Group", "Groups", "find", "ENABLED", "MIN_ROWS", "VECTOR_FUNCTIONS",
           "ROWWISE_PREFIX"]

#: Off: every formula is evaluated cell by cell (the reference the tests compare against).
ENABLED = True
#: The engine's name of the row-wise variant of one of our functions: the same function
#: computing each row exactly as a call on that row alone (:class:`pymodel.bivariate.rowwise`).
ROWWISE_PREFIX = "_CC_ROWWISE_"
#: The fewest cells a group has (shorter runs gain nothing).
MIN_ROWS = 8
#: Our functions whose array form, given columns, computes each row exactly as the function
#: called on that row's cells (scalar arguments, a scalar result; checked bit for bit by
#: tests/workbook/engine/test_speed.py).
VECTOR_FUNCTIONS = frozenset("""GPU_RV BASEL_CORR IRB_K IRB_RW VASICEK_PD
    LGD_CORR LGD_DOWNTURN LGD_CAPITAL EXPECTED_LOSS FAIR_SPREAD HURDLE_SPREAD RAROC""".split())

_CELL = re.compile(r"^(\$?)([A-Za-z]{1,3})(\$?)([0-9]{1,7})$")
_NUMBER = re.compile(r"^(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE])?$")
_NAME = re.compile(r"^[A-Za-z_\\][A-Za-z0-9_.]*$")
_NAME_CELL = re.compile(r"^=?(?:'((?:[^']|'')+)'|([A-Za-z0-9_.]+))!\$([A-Za-z]{1,3})\$([0-9]{1,7})$")
_OPS = frozenset("+-*/^&=<>%")


@dataclass
class Group:
    """Consecutive formula cells of one column with the same R1C1 form."""
    sheet: str                 # sheet name
    title: str                 # the engine's sheet title
    col: int
    r1: int
    r2: int
    text: str                  # the array formula the engine evaluates
    read: str = ""             # the first cell's formula as read
    inputs: list[tuple[str, str]] = field(default_factory=list)  # (title, range) read per row
    scalars: list[tuple[str, str]] = field(default_factory=list)  # (title, cell) read by all

    @property
    def anchor(self) -> str:
        return coord(self.r1, self.col)

    @property
    def ref(self) -> str:
        return f"{coord(self.r1, self.col)}:{coord(self.r2, self.col)}"

    def cells(self) -> list[str]:
        return [coord(r, self.col) for r in range(self.r1, self.r2 + 1)]


@dataclass
class _Form:
    """A formula read as its R1C1 form: the key, the references relative to the row (column,
    absolute column?) and the absolute ones (title, row, column) and names."""
    key: str
    same_row: list[tuple[int, bool]]
    fixed: list[tuple[int, int]]
    names: list[str]
    pieces: list[Any]
    source: list[Any]

    def at(self, row: int) -> str:
        """The formula's text in another row of its column."""
        return "".join(p if isinstance(p, str) else f"{p[1]}{p[2]}{row}" for p in self.source)


def _form(text: str, row: int, ours: frozenset[str], names: dict[str, tuple[str, int, int]]
          ) -> _Form | None:
    """The R1C1 form of ``text`` at ``row``, or None if it is not eligible."""
    toks = list(tokens(text))
    key: list[str] = []
    pieces: list[Any] = []
    source: list[Any] = []
    same_row: list[tuple[int, bool]] = []
    fixed: list[tuple[int, int]] = []
    used_names: list[str] = []
    for i, t in enumerate(toks):
        if t.kind in ("lparen", "rparen", "comma", "ws"):
            key.append(t.text)
            pieces.append(t.text)
            continue
        if t.kind == "op":
            if t.text not in _OPS:
                return None
            key.append(t.text)
            pieces.append(t.text)
            continue
        if t.kind != "word":
            return None
        w = t.text
        nxt = toks[i + 1] if i + 1 < len(toks) else None
        if nxt is not None and nxt.kind == "lparen":
            if w.upper() not in ours:
                return None
            key.append(w.upper())
            pieces.append(ROWWISE_PREFIX + w.upper())
            continue
        if nxt is not None and nxt.kind in ("bang", "op") and nxt.text in ("!", ":"):
            return None
        if i and toks[i - 1].kind in ("bang",) or (i and toks[i - 1].text == ":"):
            return None
        m = _CELL.match(w)
        if m is not None:
            from .sheetxml import _col_index
            col = _col_index(m.group(2).upper())
            r = int(m.group(4))
            if m.group(3):        # absolute row: the same cell for the whole column
                key.append(f"R{r}C{col}")
                fixed.append((r, col))
                pieces.append(w)
            elif r != row:        # another row, relative: not handled
                return None
            else:
                key.append(f"R[0]C{col}")
                same_row.append((col, bool(m.group(1))))
                pieces.append(("ref", m.group(1), m.group(2).upper()))
            continue
        if _NUMBER.match(w):
            key.append(w)
            pieces.append(w)
            continue
        if _NAME.match(w) and w.upper() in names:
            key.append("N:" + w.upper())
            used_names.append(w.upper())
            pieces.append(w)
            continue
        return None
    if not same_row:
        return None
    significant = [t.kind for t in toks if t.kind != "ws"]
    for a, b in zip(significant, significant[1:]):
        if a in ("lparen", "comma") and b in ("comma", "rparen") and (a, b) != ("lparen",
                                                                              "rparen"):
            return None   # a skipped argument (the engine is given a marker for it)
    for t, p in zip(toks, pieces):
        source.append(("ref", p[1], t.text[len(p[1]):].rstrip("0123456789"))
                      if isinstance(p, tuple) else t.text)
    return _Form("".join(key), same_row, fixed, used_names, pieces, source)


def _array_text(form: _Form, r1: int, r2: int) -> str:
    out = []
    for p in form.pieces:
        if isinstance(p, tuple):
            _, dollar, letters = p
            out.append(f"{dollar}{letters}{r1}:{dollar}{letters}{r2}")
        else:
            out.append(p)
    return "".join(out)


class Groups:
    """The groups of a workbook, handed to the engine and checked after its pass."""

    def __init__(self, groups: list[Group], main_book: str) -> None:
        self.groups = groups
        self.main = main_book
        self._applied: list[tuple[Any, Group]] = []

    def __bool__(self) -> bool:
        return bool(self.groups)

    def prepared_as_read(self, wb: Any) -> bool:
        """Whether preparing each group's first cell for the engine left its formula as read
        (the group's array formula is made from the formula as read; a formula that needs
        preparing is evaluated cell by cell)."""
        infos = {(f.sheet, f.coord): f for f in wb.formulas}
        return all(infos[(g.sheet, g.anchor)].text == g.read for g in self.groups)

    def members(self) -> set[tuple[str, str]]:
        """The cells the first cell of their group stands for: (sheet, cell)."""
        return {(g.sheet, c) for g in self.groups for c in g.cells()[1:]}

    def apply(self, wb: Any) -> None:
        """Make each group one array formula for the engine (after the cells are filled)."""
        by_name = {s.name: s for s in wb.sheets}
        self._applied = []
        for g in self.groups:
            s = by_name[g.sheet]
            members = set(g.cells())
            anchor = g.anchor
            active = []
            for cell in s.formula_cells:
                if cell.coordinate == anchor:
                    cell.value, cell.data_type = "=" + g.text, "f"
                    active.append(cell)
                elif cell.coordinate in members:
                    cell.value, cell.data_type = None, "n"
                else:
                    active.append(cell)
            s.formula_cells = active
            s.array_formulae[anchor] = g.ref
            self._applied.append((s, g))

    def undo(self) -> None:
        """Forget the array formulas (the cells are filled again by the caller)."""
        for s, g in self._applied:
            s.array_formulae.pop(g.anchor, None)
        self._applied = []

    def _node(self, title: str, ref: str) -> str:
        return f"'[{self.main}]{title.upper()}'!{ref}"

    def check(self, values: dict[Any, Any], loops: bool) -> bool:
        """Whether every group's inputs and results are finite numbers after the pass."""
        if loops:
            return False
        for g in self.groups:
            got = values.get(self._node(g.title, g.ref))
            if got is None or not _numbers(getattr(got, "value", got), g.r2 - g.r1 + 1):
                return False
            for title, ref in g.inputs:
                got = values.get(self._node(title, ref))
                if got is None or not _numbers(getattr(got, "value", got), g.r2 - g.r1 + 1):
                    return False
            for title, ref in g.scalars:
                got = values.get(self._node(title, ref))
                if got is None or not _numbers(getattr(got, "value", got), 1):
                    return False
        return True

    def spread(self, index: dict[tuple[str, str], Any]) -> None:
        """Each group's cells get their row of the array (``index``: (sheet, cell) -> raw)."""
        import numpy as np
        for g in self.groups:
            arr = index.pop((g.sheet, g.ref), None)
            if arr is None:
                continue
            arr = np.asarray(arr, dtype=object)
            for i, c in enumerate(g.cells()):
                index[(g.sheet, c)] = arr[i, 0]


def _numbers(arr: Any, rows: int) -> bool:
    import numpy as np
    a = np.asarray(arr, dtype=object)
    if a.ndim == 0:
        a = a.reshape(1, 1)
    if a.ndim != 2 or a.shape != (rows, 1):
        return False
    for x in a.ravel().tolist():
        if type(x) is bool or not isinstance(x, (int, float)) or not math.isfinite(x):
            return False
    return True


def find(wb: Any, main_book: str) -> Groups:
    """The groups of ``wb`` (none where the workbook is not eligible as a whole), from the
    formulas as read (before they are prepared for the engine: a group's formulas need no
    preparation, and only its first cell is prepared)."""
    from .dynrefs import has_dynamic
    from .functions import our_names
    if (not ENABLED or wb.iterate or wb.external
            or any(f.kind == "dataTable" for f in wb.formulas)
            or any(has_dynamic(f.text or "") for f in wb.formulas)):
        return Groups([], main_book)
    ours = frozenset(n for n in our_names() if n in VECTOR_FUNCTIONS)
    titles = {s.name: s.title for s in wb.sheets}
    upper = {s.name.upper(): s.name for s in wb.sheets}
    names: dict[str, tuple[str, int, int]] = {}
    for dn in wb.names:
        if dn.hidden or dn.localSheetId is not None or not dn.value:
            continue
        m = _NAME_CELL.match(dn.value.strip())
        if m is None:
            continue
        sheet = upper.get((m.group(1) or m.group(2) or "").replace("''", "'").upper())
        if sheet is None:
            continue
        from .sheetxml import _col_index
        names[dn.name.upper()] = (sheet, int(m.group(4)), _col_index(m.group(3).upper()))
    # formula cells per sheet and column, and every formula cell (for the reads' checks)
    formula_at: dict[str, set[tuple[int, int]]] = {}
    columns: dict[tuple[str, int], list[tuple[int, Any]]] = {}
    for f in wb.formulas:
        r, c = split_coord(f.coord)
        formula_at.setdefault(f.sheet, set()).add((r, c))
        if f.ref and ":" in f.ref and f.kind in ("array", "dataTable"):
            r1, c1, r2, c2 = range_bounds(f.ref)
            for rr in range(r1, r2 + 1):
                for cc in range(c1, c2 + 1):
                    formula_at[f.sheet].add((rr, cc))
        if f.kind in ("normal", "shared") and f.text:
            columns.setdefault((f.sheet, c), []).append((r, f))
    runs: list[tuple[str, int, int, int, _Form]] = []
    for (sheet, col), cells in columns.items():
        cells.sort(key=lambda x: x[0])
        start = 0
        forms: list[_Form | None] = []
        for r, f in cells:
            prev = forms[-1] if forms else None
            if prev is not None and f.text == prev.at(r):
                forms.append(prev)   # the same form one row down (no need to read it again)
            else:
                forms.append(_form(f.text, r, ours, names))
        while start < len(cells):
            end = start
            if forms[start] is not None:
                while (end + 1 < len(cells) and forms[end + 1] is not None
                       and cells[end + 1][0] == cells[end][0] + 1
                       and forms[end + 1].key == forms[start].key):
                    end += 1
            if end - start + 1 >= MIN_ROWS:
                runs.append((sheet, col, cells[start][0], cells[end][0], forms[start]))
            start = end + 1
    spans = {(sheet, col): (r1, r2) for sheet, col, r1, r2, _ in runs}
    groups = []
    for sheet, col, r1, r2, form in runs:
        ok = True
        inputs = []
        for c, _ in form.same_row:
            if c == col:
                ok = False
                break
            other = spans.get((sheet, c))
            if other is not None and other != (r1, r2):
                ok = False
                break
            if other is None and any((r, c) in formula_at.get(sheet, ()) for r in
                                     range(r1, r2 + 1)):
                ok = False
                break
            inputs.append((titles[sheet], f"{coord(r1, c)}:{coord(r2, c)}"))
        scalars = []
        for r, c in form.fixed:
            if _in_group(spans, sheet, r, c):
                ok = False
            scalars.append((titles[sheet], coord(r, c)))
        for n in form.names:
            s2, r, c = names[n]
            if _in_group(spans, s2, r, c):
                ok = False
            scalars.append((titles[s2], coord(r, c)))
        if ok:
            groups.append(Group(sheet, titles[sheet], col, r1, r2,
                                _array_text(form, r1, r2), form.at(r1), inputs, scalars))
    return Groups(groups, main_book)


def _in_group(spans: dict[tuple[str, int], tuple[int, int]], sheet: str, r: int, c: int
              ) -> bool:
    got = spans.get((sheet, c))
    return got is not None and got[0] <= r <= got[1]
