"""Completing the engine's pass: what ``formulas`` computes in one pass over a fixed graph, and
what Excel does besides.

After the engine's pass (:class:`Completion`):

1. **loops**: formula cells the pass could not reach are evaluated here
   (:class:`~.calcchain.Graph`); a circular reference is iterated with the workbook's settings
   when ``calcPr`` enables iterative calculation, as Excel does; otherwise its cells, and every
   cell that depends on them, keep the values the file holds, and the loop is reported
   (``Model!E59 -> E57 -> E71 -> E59``);
2. **computed references** (OFFSET, INDIRECT) are checked against the computed values
   (:mod:`.dynrefs`); the caller re-runs the engine when one moved;
3. **what-if data tables** are evaluated (:mod:`.datatable`) and what depends on them updated;
4. **kept cells**: a formula the engine cannot evaluate keeps the value Excel saved, and so do
   the cells that depend on it (they would otherwise mix new and old numbers); each is listed
   with the reason.

:class:`CellValues` gives any cell's current value (the pass's result where there is one, else
the value or last result the file holds) and evaluates an expression at a cell with the
engine's own compiled code, for the computed references and the data tables.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable

from .calcchain import Graph, Iteration, Loop, LoopError
from .sheetxml import ErrorValue, SheetXMLError, cells_of_range, coord, range_bounds, \
    split_coord

__all__ = ["CellValues", "Completion", "Kept", "node_id", "raw_value"]

_NODE = re.compile(r"^'\[(?P<book>[^\]]*)\](?P<sheet>(?:[^']|'')*)'!(?P<ref>[A-Z]+[0-9]+"
                   r"(?::[A-Z]+[0-9]+)?)$")


def node_id(book: str, title: str, ref: str) -> str:
    """The engine's name for a cell or range of a sheet (``'[BOOK]SHEET'!A1``)."""
    return f"'[{book}]{title.upper()}'!{ref}"


def raw_value(v: Any) -> Any:
    """A plain value (float, str, bool, None, ErrorValue) as the engine holds it in a cell."""
    import schedula as sh
    from formulas.tokens.operand import Error
    if v is None:
        return sh.EMPTY
    if isinstance(v, ErrorValue):
        return Error.errors.get(v.code, Error.errors["#VALUE!"])
    return v


@dataclass
class Kept:
    """A formula cell that keeps the value the file holds, and why."""
    reason: str
    cause: tuple[str, str] | None = None   # the kept cell it depends on, if that is the reason
    failed: bool = False   # its formula failed with these values (others may not fail)


class CellValues:
    """Current cell values of the workbook and its cached links, by engine node name."""

    def __init__(self, wb: Any, main_book: str, link_map: dict[str, tuple[str, str]]) -> None:
        self.wb = wb
        self.main = main_book
        self.link_map = link_map
        self.books = {main_book: wb.sheets}
        for ext in wb.external.values():
            self.books[ext.key] = ext.book.worksheets
        self._sheets = {(b, s.title.upper()): s for b, sheets in self.books.items()
                        for s in sheets}
        self._cached = {}
        for f in wb.formulas:
            self._cached[(f.sheet, f.coord)] = f.cached
        self.values: dict[Any, Any] | None = None   # the engine's values, once it has run
        self._arrays: dict[tuple[str, str], list[tuple[tuple[int, int, int, int], str]]] = {}
        for s in wb.sheets:
            for anchor, ref in s.array_formulae.items():
                self._arrays.setdefault((main_book, s.title.upper()), []).append(
                    (range_bounds(ref), ref))

    # -- single cells --------------------------------------------------------------------------
    def raw(self, book: str, title: str, row: int, col: int) -> Any:
        """A cell's value as the engine holds it (EMPTY for a blank cell)."""
        import schedula as sh
        ref = coord(row, col)
        if self.values is not None:
            got = self.values.get(node_id(book, title, ref))
            if got is not None:
                return _first(got)
            for bounds, rng in self._arrays.get((book, title.upper()), ()):
                r1, c1, r2, c2 = bounds
                if r1 <= row <= r2 and c1 <= col <= c2:
                    arr = self.values.get(node_id(book, title, rng))
                    if arr is not None:
                        a = getattr(arr, "value", arr)
                        try:
                            return a[row - r1][col - c1]
                        except (IndexError, TypeError):
                            return sh.EMPTY
        sheet = self._sheets.get((book, title.upper()))
        if sheet is None:
            return sh.EMPTY
        cell = sheet.rows.get(row, {}).get(col)
        if cell is None:
            return sh.EMPTY
        if cell.data_type == "f":
            return raw_value(self._cached.get((sheet.name, ref)))
        if cell.data_type == "e":
            return raw_value(ErrorValue(str(cell.value)))
        return cell.value

    def plain(self, sheet: str, ref: str) -> Any:
        """The current value of a cell of this workbook by sheet name, as a plain value."""
        from .functions import plain
        s = next((x for x in self.wb.sheets if x.name == sheet), None)
        if s is None:
            return None
        r, c = split_coord(ref)
        return plain(self.raw(self.main, s.title, r, c))

    def range_value(self, rid: str) -> Any:
        """The engine's value (a Ranges) of a range or cell named by its node id."""
        import numpy as np
        from formulas.ranges import Ranges
        m = _NODE.match(rid)
        if m is None:
            raise KeyError(rid)
        book, title = m.group("book"), m.group("sheet").replace("''", "'")
        r1, c1, r2, c2 = range_bounds(m.group("ref"))
        out = np.empty((r2 - r1 + 1, c2 - c1 + 1), dtype=object)
        for r in range(r1, r2 + 1):
            for c in range(c1, c2 + 1):
                out[r - r1, c - c1] = self.raw(book, title, r, c)
        return Ranges().push(rid, out)

    # -- expressions ---------------------------------------------------------------------------
    def context(self, title: str) -> dict[str, Any]:
        return {"sheet": title.upper(), "excel": self.main, "filename": self.main,
                "directory": "", "external_links": self.link_map}

    def evaluate(self, expr: str, title: str, ref: str) -> Any:
        """The value of an engine expression at a cell (a scalar, a 2-D list, or a dynrefs
        error), computed with the engine's compiled code from the current values."""
        import numpy as np
        from formulas.tokens.operand import XlError

        from .dynrefs import UnresolvedReference, error_value
        from .functions import cell_class
        ctx = self.context(title)
        names = self._name_ids()
        try:
            cell = cell_class()(ref, "=" + expr, context=ctx)
            # the engine's compile takes a mapping (name -> reference, None: none given)
            cell.compile(references=dict.fromkeys(names), context=ctx)
        except Exception as exc:
            raise UnresolvedReference(f"the argument {expr[:40]!r} cannot be read by the "
                                      f"engine ({type(exc).__name__})") from None
        args = []
        for k in cell.inputs:
            if isinstance(k, XlError):
                args.append(k)
            elif k in names:
                args.append(self._name_value(k, names[k], title))
            else:
                try:
                    args.append(self.range_value(k))
                except (KeyError, SheetXMLError):
                    from formulas.tokens.operand import Error
                    args.append(Error.errors["#REF!"])
        try:
            res = cell.func(*args)
        except Exception as exc:
            raise UnresolvedReference(f"the argument {expr[:40]!r} cannot be evaluated "
                                      f"({type(exc).__name__})") from None
        v = getattr(res, "value", res)
        arr = np.atleast_2d(np.asarray(v, dtype=object))

        def conv(x: Any) -> Any:
            from .functions import plain as _plain
            if isinstance(x, XlError):
                return error_value(str(x))
            p = _plain(x)
            return p

        if arr.shape == (1, 1):
            return conv(arr[0, 0])
        return [[conv(x) for x in row] for row in arr.tolist()]

    def _name_ids(self) -> dict[str, str]:
        if not hasattr(self, "_names"):
            from formulas.tokens.operand import range2parts
            out = {}
            for dn in self.wb.names:
                if dn.hidden or dn.localSheetId is not None or not dn.value:
                    continue
                ctx = {"excel": self.main, "filename": self.main, "directory": "",
                       "external_links": self.link_map}
                try:
                    nid = range2parts(["name"], ref=dn.name.upper(), **ctx)["name"]
                except Exception:
                    continue
                out[nid] = dn.value
            self._names = out
        return self._names

    def _name_value(self, nid: str, definition: str, title: str) -> Any:
        if self.values is not None and nid in self.values:
            return self.values[nid]
        text = definition.lstrip("=")
        m = re.match(r"^(?:'((?:[^']|'')*)'|([A-Za-z_][\w.]*))!(\$?[A-Za-z]{1,3}\$?\d+"
                     r"(?::\$?[A-Za-z]{1,3}\$?\d+)?)$", text)
        if m:
            sheet = (m.group(1) or m.group(2)).replace("''", "'")
            return self.range_value(node_id(self.main, sheet, m.group(3).replace("$", "")))
        from formulas.tokens.operand import Error
        return Error.errors["#NAME?"]


def _first(v: Any) -> Any:
    a = getattr(v, "value", v)
    try:
        return a[0][0]
    except (IndexError, TypeError, KeyError):
        return a


@dataclass
class Completion:
    """The work after the engine's pass (see the module docstring)."""
    graph: Graph
    values: dict[Any, Any]
    iteration: Iteration
    start: Callable[[str], Any]          # node -> the raw value the file holds (loops' start)
    cell_of: Callable[[str], tuple[str, str] | None]   # node -> (sheet name, cell)
    strict: bool = False
    kept: dict[tuple[str, str], Kept] = field(default_factory=dict)
    loops: list[Loop] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    failed: dict[Any, str] = field(default_factory=dict)   # output node -> why it failed
    blocked: set[Any] = field(default_factory=set)   # function nodes of loops not iterated
    #                                                  and of what depends on them

    def copy(self) -> "Completion":
        """A copy whose lists and dicts can be changed without changing this one."""
        import dataclasses
        return dataclasses.replace(self, kept=dict(self.kept), loops=list(self.loops),
                                   notes=list(self.notes), failed=dict(self.failed),
                                   blocked=set(self.blocked))

    def finish_pass(self) -> None:
        """Evaluate what the engine's pass left: loops (iterated or kept) and what follows."""
        from .package import WorkbookRefused
        pending = self.graph.pending(self.values)
        if not pending:
            return
        failed = self.failed
        try:
            self.loops = self.graph.evaluate(self.values, pending, self.iteration, self.start,
                                             failed)
        except LoopError as exc:
            loops = exc.args[0]
            text = "; ".join(self.describe(lp) for lp in loops[:3])
            more = f" and {len(loops) - 3} more" if len(loops) > 3 else ""
            if self.strict:
                raise WorkbookRefused(f"circular reference {text}{more}; the workbook does "
                                      f"not enable iterative calculation") from None
            in_loops = set()
            for lp in loops:
                for cell in lp.cells:
                    where = self.cell_of(cell)
                    if where:
                        self.kept[where] = Kept(f"circular reference {self.describe(lp)} and "
                                                f"the workbook does not enable iterative "
                                                f"calculation (File > Options > Formulas)")
                    in_loops.add(cell)
            loop_fns = {f for f in pending if set(self.graph.nodes[f].get("outputs", ()))
                        & in_loops}
            after = self.graph.downstream(in_loops) | loop_fns
            self.blocked = after
            self.graph.evaluate(self.values, pending - after, Iteration(False), None, failed)
            self._keep_outputs(after - loop_fns, "depends on the circular reference "
                                                 f"{self.describe(loops[0])}")
        self.keep_failed()
        self.note_loops()

    def keep_failed(self) -> None:
        """The cells whose formula failed (:attr:`failed`) keep their saved values."""
        for node, why in self.failed.items():
            where = self.cell_of(node)
            if where and where not in self.kept:
                self.kept[where] = Kept(f"the engine could not evaluate it ({why})",
                                        failed=True)

    def note_loops(self) -> None:
        """The report's note on the circular references iterated (:attr:`loops`)."""
        if self.loops:
            passes = max(lp.passes for lp in self.loops)
            ok = all(lp.converged for lp in self.loops)
            worst = max(lp.max_change for lp in self.loops)
            self.notes.append(
                f"iterative calculation (as the workbook asks): {len(self.loops)} circular "
                f"reference{'s' if len(self.loops) > 1 else ''} "
                f"({self.describe(self.loops[0])}) "
                + (f"converged in {passes} pass{'es' if passes > 1 else ''}, largest last "
                   f"change {worst:.3g} < {self.iteration.delta:g}" if ok else
                   f"stopped after {passes} passes (iterateCount) with a last change of "
                   f"{worst:.3g}, as Excel stops"))

    def _keep_outputs(self, funcs: set[Any], reason: str) -> None:
        formulas = self.graph.formula_functions()
        for f in funcs:
            if f not in formulas:
                continue   # a range assembled from cells, a name: not a cell of its own
            for o in self.graph.nodes[f].get("outputs", ()):
                where = self.cell_of(o)
                if where and where not in self.kept:
                    self.kept[where] = Kept(reason)

    def describe(self, loop: Loop) -> str:
        """``Model!E59 -> E57 -> E71 -> Model!E59`` (the sheet named where it changes)."""
        cells = [self.cell_of(n) for n in loop.path]
        cells = [c for c in cells if c]
        if not cells:
            return "(cells unknown)"
        out, prev = [], None
        if len(cells) > 9:
            cells = cells[:6] + [None] + cells[-2:]
        for c in cells:
            if c is None:
                out.append("...")
                continue
            sheet, ref = c
            out.append(ref if sheet == prev else f"{_quote(sheet)}!{ref}")
            prev = sheet
        return " -> ".join(out)

    def keep_dependents(self, node_of: Callable[[str, str], str]) -> None:
        """Cells that depend on a kept cell keep their file values too (listed with why)."""
        sources = {}
        for where in list(self.kept):
            readers = self.graph.readers(node_of(*where))
            if readers:
                sources[where] = readers
        formulas = self.graph.formula_functions()
        for where, readers in sources.items():
            for f in self.graph.downstream(readers):
                if f not in formulas:
                    continue
                for o in self.graph.nodes[f].get("outputs", ()):
                    dep = self.cell_of(o)
                    if dep and dep not in self.kept:
                        self.kept[dep] = Kept(f"depends on {_quote(where[0])}!{where[1]}, "
                                              f"which keeps its saved value", where)


def _quote(sheet: str) -> str:
    if re.match(r"^[A-Za-z_][A-Za-z0-9_.]*$", sheet):
        return sheet
    return "'" + sheet.replace("'", "''") + "'"


def array_cells(ref: str) -> list[str]:
    return cells_of_range(ref)
