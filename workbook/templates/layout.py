"""The layout engine: check a template description, size its blocks and place them with a cursor.

:func:`plan` takes a :class:`~workbook.templates.blocks.Template`:

1. collect every defined name the blocks declare (one definition each) and check that every
   formula uses only defined names and known functions;
2. size each block; a :class:`Table` is sized by evaluating its formula on the template's own
   values (:mod:`workbook.templates.formula`), so its range can never drift from its inputs;
3. place blocks with a cursor: a sheet is a stack from row 4 down, one empty row between blocks;
   :class:`Beside` puts blocks side by side.

:mod:`workbook.templates.writer` then writes the placed blocks with openpyxl.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Iterator

from openpyxl.utils import get_column_letter

from addin.registry import REGISTRY, is_cell_reference

from .blocks import (Beside, Chart, Grid, Inputs, InputTable, Note, Outputs, Sheet, Stack,
                     Table, Tape, Template)
from .formula import Evaluator, FormulaError, functions_in, names_in

__all__ = ["plan", "select", "Plan", "BuildError", "Frame", "Placed", "SUMMARY_TOP", "sheet_ref"]

#: Summary and Checks start their table at row 3 (rows 1-2: title and note).
SUMMARY_TOP = 3
ROW_CM, COLUMN_CM = 0.53, 1.69  # default row height and column width, for chart footprints
_SHEET_OK = re.compile(r"^[^\[\]:*?/\\']{1,31}$")
_NAME_OK = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*$")
_SELECT = re.compile(r"^(?P<key>[^\[]*?)\s*(?:\[(?P<idx>[^\]]*)\])?$")


class BuildError(ValueError):
    """A template description that cannot be built (the message names the block)."""


@dataclass
class Frame:
    """Where a block's parts sit, relative to its top-left cell (0-based offsets)."""
    rows: int
    cols: int
    body: tuple[int, int, int, int] = (0, 0, 0, 0)  # row offset, col offset, n rows, n cols
    col_keys: list[str] = field(default_factory=list)
    row_keys: list[str] = field(default_factory=list)
    header: int | None = None  # row offset of the column headers
    row_header: bool = False  # a column of row headers left of the body (selector "rows")


@dataclass
class Placed:
    """A block placed on a sheet: its frame plus the 1-based top-left cell."""
    block: Any
    sheet: str
    top: int
    left: int
    frame: Frame

    def body_cell(self, i: int, j: int) -> tuple[int, int]:
        return self.top + self.frame.body[0] + i, self.left + self.frame.body[1] + j


def abs_ref(row: int, col: int) -> str:
    return f"${get_column_letter(col)}${row}"


def sheet_ref(sheet: str, r0: int, c0: int, r1: int, c1: int) -> str:
    quoted = sheet if re.match(r"^\w+$", sheet) else "'" + sheet.replace("'", "''") + "'"
    a = abs_ref(r0, c0)
    return f"{quoted}!{a}" if (r0, c0) == (r1, c1) else f"{quoted}!{a}:{abs_ref(r1, c1)}"


def _index(part: str, n: int, what: str) -> tuple[int, int]:
    """A Python index or slice over ``n`` items as (first, last) inclusive."""
    part = part.strip()
    try:
        if ":" in part:
            lo, hi = (p.strip() for p in part.split(":", 1))
            a, b, _ = slice(int(lo) if lo else None, int(hi) if hi else None).indices(n)
            first, last = a, b - 1
        else:
            k = int(part)
            first = last = k + n if k < 0 else k
    except ValueError:
        raise BuildError(f"{what}: cannot read the index {part!r}") from None
    if not (0 <= first <= last < n):
        raise BuildError(f"{what}: index {part!r} selects nothing of {n}")
    return first, last


def select(frame: Frame, selector: str, what: str) -> tuple[int, int, int, int]:
    """Body (first row, first col, last row, last col), 0-based, picked by a selector:
    ``"key"`` a column (or the value of the row labelled key), ``"key[1:]"`` rows of it,
    ``"[i, j]"`` / ``"[a:b, c:d]"`` a rectangle of the body, ``""`` the whole body."""
    m = _SELECT.match(selector.strip())
    if not m:
        raise BuildError(f"{what}: cannot read the selector {selector!r}")
    key, idx = m.group("key").strip(), m.group("idx")
    nr, nc = frame.body[2], frame.body[3]
    rows, cols = (0, nr - 1), (0, nc - 1)
    parts = [p for p in idx.split(",")] if idx is not None else []
    if key:
        if key == "rows" and frame.row_header:
            cols = (-1, -1)
        elif key in frame.col_keys:
            j = frame.col_keys.index(key)
            cols = (j, j)
        elif key in frame.row_keys:
            i = frame.row_keys.index(key)
            if parts:
                raise BuildError(f"{what}: {key!r} is one cell; no index after it")
            return i, 0, i, 0
        else:
            known = frame.col_keys or frame.row_keys
            raise BuildError(f"{what}: no column or row {key!r} (known: {', '.join(known)})")
        if len(parts) > 1:
            raise BuildError(f"{what}: a column takes one index (rows), got {idx!r}")
    elif len(parts) > 2:
        raise BuildError(f"{what}: at most [rows, columns], got {idx!r}")
    if parts:
        rows = _index(parts[0], nr, what)
    if len(parts) == 2 and not key:
        cols = _index(parts[1], nc, what)
    return rows[0], cols[0], rows[1], cols[1]


# --------------------------------------------------------------------------------------------
# the builder


def _leaves(blocks: Any) -> Iterator[Any]:
    for b in blocks:
        if isinstance(b, (Beside, Stack)):
            yield from _leaves(b.blocks)
        else:
            yield b


class Plan:
    """A template checked, sized and placed: ``placed`` maps each block to a :class:`Placed`;
    ``result(table)`` is a table's value on the template's own inputs."""

    def __init__(self, template: Template):
        self.t = template
        self.sheets: list[Sheet] = list(template.sheets)
        self.defs: dict[str, tuple[str, Any]] = {}  # NAME (upper) -> (kind, payload)
        self.spelling: dict[str, str] = {}
        self.ids: dict[str, Any] = {}
        self.memo: dict[str, Any] = {}
        self.tape_values: dict[tuple[int, str], list[Any]] = {}
        self.busy: set[str] = set()
        self.results: dict[int, list[list[Any]]] = {}
        self.placed: dict[int, Placed] = {}
        self.evaluate = Evaluator(self.value)
        self.summary, self.checks = _summary_and_checks(template)
        for sheet in self.all_sheets():
            for b in _leaves(sheet.blocks):
                self._declare(b)
        self._define("all_checks", "checks", None)

    def all_sheets(self) -> list[Sheet]:
        """Summary, the model sheets, Checks: the workbook's sheet order."""
        return [self.summary] + self.sheets + [self.checks]

    # ---- names

    def _define(self, name: str, kind: str, payload: Any) -> None:
        if not _NAME_OK.match(name) or is_cell_reference(name) or name.upper() in REGISTRY \
                or name.upper() in ("TRUE", "FALSE"):
            raise BuildError(f"{name!r} cannot be a defined name (a cell address, a function "
                             "or not a name)")
        if name.upper() in self.defs:
            raise BuildError(f"the name {name} is defined twice")
        self.defs[name.upper()] = (kind, payload)
        self.spelling[name.upper()] = name

    def _declare(self, b: Any) -> None:
        bid = getattr(b, "id", None)
        if bid:
            if bid in self.ids:
                raise BuildError(f"two blocks have the id {bid}")
            self.ids[bid] = b
        if isinstance(b, Inputs):
            if b.row_names:
                for i, row in enumerate(b.rows):
                    self._define(b.prefix + row.name, "select", (b, f"[{i}]"))
            if b.name:
                self._define(b.name, "pairs", b)
        elif isinstance(b, Outputs):
            for i, row in enumerate(b.rows):
                if row.name:
                    self._define(row.name, "select", (b, f"[{i}]"))
        elif isinstance(b, Table) and b.name:
            self._define(b.name, "table", b)
        elif isinstance(b, Grid) and b.name:
            self._define(b.name, "select", (b, ""))
        elif isinstance(b, Tape):
            for col in list(b.inputs) + list(b.outputs):
                self._define(b.prefix + col.key, "select", (b, col.key))
            if b.table_name:
                self._define(b.table_name, "tape_table", b)
        elif isinstance(b, InputTable):
            widths = {len(r) for r in b.rows}
            if widths - {len(b.columns)}:
                raise BuildError(f"input table {label_of(b)}: every row needs "
                                 f"{len(b.columns)} values")
            if b.name:
                self._define(b.name, "input_table", b)
        for name, sel in getattr(b, "names", {}).items():
            self._define(name, "select", (b, sel))

    def check_formulas(self) -> None:
        """Every formula uses only defined names and known functions."""
        for where, f in self._formulas():
            try:
                unknown = sorted(n for n in names_in(f) if n.upper() not in self.defs)
                calls = [c for c in functions_in(f) if c.upper() not in _excel_functions()
                         and c not in REGISTRY]
            except FormulaError as exc:
                raise BuildError(f"{where}: {exc}") from None
            if unknown:
                raise BuildError(f"{where}: {f!r} uses undefined name(s) {', '.join(unknown)}")
            if calls:
                raise BuildError(f"{where}: {f!r} calls unknown function(s) "
                                 f"{', '.join(calls)}")

    def _formulas(self) -> Iterator[tuple[str, str]]:
        for sheet in self.all_sheets():
            for b in _leaves(sheet.blocks):
                what = f"{sheet.name}: {type(b).__name__} {label_of(b)}"
                if isinstance(b, Inputs):
                    yield from ((what, r.value) for r in b.rows if is_formula(r.value))
                elif isinstance(b, Outputs):
                    yield from ((what, r.formula) for r in b.rows)
                elif isinstance(b, Table):
                    yield what, b.formula
                    yield from ((what, c.formula) for c in b.extra if c.formula)
                elif isinstance(b, Grid):
                    for i in range(len(b.rows)):
                        for j in range(len(b.columns)):
                            yield what, grid_formula(b, i, j).format(row="$A1", col="A$1")
                elif isinstance(b, Tape):
                    yield from ((what, c.formula) for c in b.outputs if c.formula)
                elif isinstance(b, InputTable):
                    yield from ((what, v) for r in b.rows for v in r if is_formula(v))
        yield from (("Checks", c.formula) for c in self.t.checks)

    # ---- build-time values (only what a table's size depends on)

    def value(self, name: str) -> Any:
        key = name.upper()
        if key not in self.defs:
            raise FormulaError(f"no defined name {name}")
        if key in self.memo:
            return self.memo[key]
        if key in self.busy:
            raise FormulaError(f"the name {name} depends on itself")
        self.busy.add(key)
        try:
            kind, payload = self.defs[key]
            if kind == "pairs":
                v = [[row.name, self._input_value(row)] for row in payload.rows]
            elif kind == "input_table":
                v = [[c.key for c in payload.columns]] + [
                    [self.evaluate(x) if is_formula(x) else x for x in r] for r in payload.rows]
            elif kind == "table":
                v = self.result(payload)
            elif kind == "tape_table":   # header row, then the body
                frame = self.frame(payload)
                cols = list(payload.inputs) + list(payload.outputs)
                v = [[c.header or c.key for c in cols]] + [
                    [self._cell_value(payload, frame, i, j) for j in range(len(cols))]
                    for i in range(len(payload.records))]
            elif kind == "select":
                block, selector = payload
                frame = self.frame(block)
                r0, c0, r1, c1 = select(frame, selector, f"name {name}")
                v = [[self._cell_value(block, frame, i, j) for j in range(c0, c1 + 1)]
                     for i in range(r0, r1 + 1)]
                if r0 == r1 and c0 == c1:
                    v = v[0][0]
            else:
                raise FormulaError(f"{name} is not known before recalculation")
        finally:
            self.busy.discard(key)
        self.memo[key] = v
        return v

    def _input_value(self, row: Any) -> Any:
        return self.evaluate(row.value) if is_formula(row.value) else row.value

    def _cell_value(self, block: Any, frame: Frame, i: int, j: int) -> Any:
        if isinstance(block, Inputs):
            return self._input_value(block.rows[i])
        if isinstance(block, Outputs):
            return self.evaluate(block.rows[i].formula)
        if isinstance(block, Table):
            res = self.result(block)
            if block.keyed:
                return res[i][1]
            if j < len(res[0]):
                return res[i + 1][j]
        if isinstance(block, Tape) and j < len(block.inputs):
            return block.records[i][block.inputs[j].key]
        if isinstance(block, Tape):   # an output column: its array formula, evaluated once
            col = block.outputs[j - len(block.inputs)]
            key = (id(block), col.key)
            if key not in self.tape_values:
                out = self.evaluate(col.formula)
                rows = out if isinstance(out, list) else [[out]] * len(block.records)
                if len(rows) != len(block.records):
                    raise FormulaError(f"tape column {col.key}: {col.formula} gives "
                                       f"{len(rows)} rows for {len(block.records)} records")
                self.tape_values[key] = [r[0] if isinstance(r, list) else r for r in rows]
            return self.tape_values[key][i]
        if isinstance(block, InputTable):
            x = block.rows[i][j]
            return self.evaluate(x) if is_formula(x) else x
        raise FormulaError(f"values of {type(block).__name__} {label_of(block)} column "
                           f"{frame.col_keys[j] if frame.col_keys else j} are known only "
                           "after recalculation")

    def result(self, table: Table) -> list[list[Any]]:
        """The value of a table's formula on the template's own inputs (sizes its range)."""
        if id(table) not in self.results:
            try:
                out = self.evaluate(table.formula)
            except FormulaError as exc:
                raise BuildError(f"table {label_of(table)}: {exc}") from None
            if not isinstance(out, list):
                out = [[out]]
            if not out or not out[0] or any(len(r) != len(out[0]) for r in out):
                raise BuildError(f"table {label_of(table)}: {table.formula} is not a rectangle")
            self.results[id(table)] = out
        return self.results[id(table)]

    # ---- sizes

    def frame(self, b: Any) -> Frame:
        t = 1 if getattr(b, "title", None) else 0
        if isinstance(b, Inputs):
            n = len(b.rows)
            return Frame(t + 1 + n, 2 if b.compact else 4, (t + 1, 1, n, 1),
                         row_keys=[r.name for r in b.rows])
        if isinstance(b, Outputs):
            h = 1 if b.header else 0
            n = len(b.rows)
            return Frame(t + h + n, b.span + 2, (t + h, b.span, n, 1),
                         row_keys=[r.label for r in b.rows])
        if isinstance(b, Table):
            res = self.result(b)
            nr, nc = len(res), len(res[0])
            if b.keyed:
                if nc != 2:
                    raise BuildError(f"keyed table {label_of(b)} has {nc} columns, not 2")
                return Frame(t + nr, 2, (t, 1, nr, 1), row_keys=[str(r[0]) for r in res])
            keys = [str(h) for h in res[0]] + [c.key for c in b.extra]
            return Frame(t + nr, len(keys), (t + 1, 0, nr - 1, len(keys)), col_keys=keys,
                         header=t)
        if isinstance(b, Grid):
            nr, nc = len(b.rows), len(b.columns)
            return Frame(t + 1 + nr, 1 + nc, (t + 1, 1, nr, nc),
                         col_keys=[str(c) for c in b.columns], header=t, row_header=True)
        if isinstance(b, Tape):
            cols = list(b.inputs) + list(b.outputs)
            n = len(b.records)
            return Frame(2 + n, len(cols), (2, 0, n, len(cols)), col_keys=[c.key for c in cols],
                         header=1)
        if isinstance(b, InputTable):
            n, nc = len(b.rows), len(b.columns)
            return Frame(t + 2 + n, nc, (t + 2, 0, n, nc), col_keys=[c.key for c in b.columns],
                         header=t + 1)
        if isinstance(b, Note):
            return Frame(1, 1)
        if isinstance(b, Chart):
            return Frame(math.ceil(b.height / ROW_CM) + 1, math.ceil(b.width / COLUMN_CM))
        raise BuildError(f"unknown block {b!r}")

    def place(self, b: Any, sheet: str, top: int, left: int) -> tuple[int, int]:
        """Place ``b`` with its top-left cell at (top, left); return its (rows, cols)."""
        if isinstance(b, Stack):
            y, width = top, 0
            for k, child in enumerate(b.blocks):
                rows, cols = self.place(child, sheet, y, left)
                y += rows + (b.gap if k < len(b.blocks) - 1 else 0)
                width = max(width, cols)
            return y - top, width
        if isinstance(b, Beside):
            x, height = left, 0
            for k, child in enumerate(b.blocks):
                rows, cols = self.place(child, sheet, top, x)
                x += cols + (b.gap if k < len(b.blocks) - 1 else 0)
                height = max(height, rows)
            return height, x - left
        frame = self.frame(b)
        self.placed[id(b)] = Placed(b, sheet, top, left, frame)
        return frame.rows, frame.cols

    def array_range(self, table: Table) -> tuple[str, int, int, int, int]:
        """(sheet, first row, first col, last row, last col) of a table's array formula."""
        p, res = self.placed[id(table)], self.result(table)
        top = p.top + (1 if table.title else 0)
        return p.sheet, top, p.left, top + len(res) - 1, p.left + len(res[0]) - 1

    def name_ranges(self) -> Iterator[tuple[str, tuple[str, int, int, int, int]]]:
        """Every defined name but ``all_checks`` (the writer places it) and its range."""
        for key, (kind, payload) in self.defs.items():
            name = self.spelling[key]
            if kind == "pairs":  # field | value columns of an Inputs block
                p = self.placed[id(payload)]
                r0 = p.top + p.frame.body[0]
                yield name, (p.sheet, r0, p.left, r0 + p.frame.body[2] - 1, p.left + 1)
            elif kind == "table":
                yield name, self.array_range(payload)
            elif kind == "tape_table":   # from the header row to the last record
                p = self.placed[id(payload)]
                ncols = len(payload.inputs) + len(payload.outputs)
                yield name, (p.sheet, p.top + 1, p.left, p.top + 1 + len(payload.records),
                             p.left + ncols - 1)
            elif kind == "input_table":  # header row and rows
                p = self.placed[id(payload)]
                r0 = p.top + p.frame.header
                yield name, (p.sheet, r0, p.left, r0 + len(payload.rows),
                             p.left + len(payload.columns) - 1)
            elif kind == "select":
                yield name, self.range_of(*payload, f"name {name}")

    def range_of(self, block: Any, selector: str, what: str) -> tuple[str, int, int, int, int]:
        p = self.placed[id(block)]
        r0, c0, r1, c1 = select(p.frame, selector, what)
        (a, b), (c, d) = p.body_cell(r0, c0), p.body_cell(r1, c1)
        return p.sheet, a, b, c, d


def is_formula(v: Any) -> bool:
    return isinstance(v, str) and v.startswith("=")


def label_of(b: Any) -> str:
    return getattr(b, "id", None) or getattr(b, "name", None) or repr(
        getattr(b, "title", None) or getattr(b, "formula", "") or "")


def per_column(v: Any, j: int) -> Any:
    return v if v is None or isinstance(v, str) else v[j]


def grid_formula(g: Grid, i: int, j: int) -> str:
    if isinstance(g.body, str):
        return g.body
    row = g.body[j] if isinstance(g.body[0], str) else g.body[i][j]
    return row


@lru_cache(maxsize=1)
def _excel_functions() -> frozenset[str]:
    """Excel's own functions (those the headless engine knows)."""
    import formulas
    return frozenset(k.upper() for k in formulas.get_functions())


def _summary_and_checks(t: Template) -> tuple[Sheet, Sheet]:
    summary = Sheet("Summary", t.summary_title, [Outputs(
        t.summary, header=("output", "value", "unit"), label_width=52)],
        "Key outputs. Every value is a formula pointing at the model sheets; computecredit "
        "recalc prints this sheet.", top=SUMMARY_TOP)
    checks = Sheet("Checks", "Checks", [], "Each cell must be TRUE. computecredit recalc lists "
                   "every FALSE and exits non-zero.", top=SUMMARY_TOP)
    return summary, checks


def plan(template: Template) -> Plan:
    """Check a description's names and formulas, size and place every block (no writing)."""
    b = Plan(template)
    b.check_formulas()
    names = [s.name.upper() for s in b.all_sheets()]
    for sheet in b.all_sheets():
        if names.count(sheet.name.upper()) > 1 or not _SHEET_OK.match(sheet.name):
            raise BuildError(f"sheet name {sheet.name!r} is used twice (Summary and Checks are "
                             "made from the template) or is not a valid Excel sheet name")
    for sheet in b.all_sheets():
        b.place(Stack(sheet.blocks), sheet.name, sheet.top, 1)
    return b
