"""Build once, recalculate many: a workbook opened and compiled once, its inputs changed and its
formulas recalculated in this process as often as needed.

    from workbook.engine.session import Session

    with Session("neocloud_facility.xlsx", today=date(2025, 6, 30)) as s:
        s.set({"deal_deflation": 0.35, "Inputs!B20": 0.8})
        s.get("Coverage!C8")        # recalculates what depends on the two inputs, then reads
        s.save("stressed.xlsx")     # the recalculated copy, written as ``recalc`` writes it

Opening a session does what ``computecredit recalc`` does to the file, once: the package is
checked (:func:`~.package.open_package`: a hostile workbook stays hostile until parsed, nothing
in it is run, no other file is opened), every formula is prepared and compiled by the engine
and evaluated (:func:`~.evaluate.evaluate_package`, which keeps its compiled model for the
session). The session then holds the model:

* :meth:`Session.set` types values into input cells, by cell (``"Inputs!C5"``), range or
  defined name, several at once; a formula cell, a cell of an array formula or data table, an
  unknown sheet, cell or name and a value that is not a number, text, TRUE/FALSE or date are
  refused with a message naming the argument and the value, and nothing is changed;
* the next read (:meth:`get`, :meth:`report`, :meth:`save`, or :meth:`recalc`) recalculates only
  the formulas downstream of the inputs that differ from the file, with the engine's own
  compiled functions (:meth:`.calcchain.Graph.evaluate`, the mechanism the what-if data tables
  use); volatile functions (TODAY, NOW, RAND) are recomputed on every recalculation as Excel
  does; then what a pass leaves is completed as in a fresh evaluation
  (:func:`~.evaluate.complete`): data tables, dynamic arrays, cells kept at the file's values;
* :meth:`save` writes the recalculated copy with the typed inputs, with the writer of
  ``recalc`` (:func:`~.output.write_output`).

The values are those a fresh ``recalc`` of the workbook with the same inputs typed in gives
(tests compare them on every template, with data tables, iterative calculation and kept
cells). Where recalculating in place could differ, the session builds the model again with the
inputs typed in, which is a fresh evaluation: a blank cell given a value that a range reads or
that lies beyond the used range (the engine's graph has no node for it), OFFSET or INDIRECT
references that move with the new values, and a column of formulas evaluated as one call whose
values are no longer all numbers (it is then evaluated cell by cell for the rest of the
session). :attr:`Session.rebuilds` counts them.

A circular reference is iterated again from the values the file holds, as a fresh evaluation
starts it, with the workbook's own settings; one the workbook does not let Excel iterate keeps
the file's values, as in ``recalc``.

Limits: opening is a fresh evaluation within the time and memory budget of ``recalc``
(:data:`~.package.LIMITS`); a recalculation runs under the same memory ceiling and does at most
the work of that evaluation (the formulas the inputs reach, the data tables, the loops), so it
has no watchdog of its own.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["Session", "SessionError"]

_NO = object()
_ADDRESS = re.compile(r"^(?:'((?:[^']|'')+)'|([^'!]+))!(\$?[A-Za-z]{1,3}\$?[0-9]{1,7}"
                      r"(?::\$?[A-Za-z]{1,3}\$?[0-9]{1,7})?)$")
_LOCAL_NAME = re.compile(r"^(?:'((?:[^']|'')+)'|([^'!]+))!([A-Za-z_\\][A-Za-z0-9_.\\]*)$")
#: The most characters a cell holds (Excel's limit).
MAX_TEXT = 32_767


class SessionError(ValueError):
    """A session's workbook was refused, or an argument it was given is wrong; ``str(exc)`` is
    one plain line naming the argument and the value."""


@dataclass(frozen=True)
class _Area:
    """A block of cells of one sheet, as the caller named it."""
    label: str
    sheet: str
    r1: int
    c1: int
    r2: int
    c2: int

    @property
    def single(self) -> bool:
        return self.r1 == self.r2 and self.c1 == self.c2

    @property
    def shape(self) -> tuple[int, int]:
        return self.r2 - self.r1 + 1, self.c2 - self.c1 + 1

    def cells(self) -> list[tuple[str, str]]:
        from .sheetxml import coord
        return [(self.sheet, coord(r, c)) for r in range(self.r1, self.r2 + 1)
                for c in range(self.c1, self.c2 + 1)]


def _shown(value: Any, limit: int = 40) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


class Session:
    """A workbook compiled once and recalculated with other inputs (see the module docstring).

    ``strict``: refuse a workbook with anything the engine cannot evaluate (else those cells
    keep the values Excel saved, as in ``recalc``); ``today``: the date TODAY() and NOW() see
    (default: the real date). Raises :class:`SessionError` when the workbook is refused."""

    def __init__(self, path: str | os.PathLike[str], *, strict: bool = False,
                 today: dt.date | None = None) -> None:
        from .package import WorkbookRefused, open_package
        self.path = os.fspath(path)
        self.strict = strict
        self.today = today
        self.rebuilds = 0
        self._inputs: dict[tuple[str, str], Any] = {}    # cell -> value, where not the file's
        self._file: dict[tuple[str, str], Any] = {}      # cell -> the file's value (None: blank)
        self._names: dict[str, str] | None = None        # NAME -> definition, as in the file
        self._local: dict[tuple[int, str], str] = {}     # (sheet index, NAME) -> definition
        self._use_columns = True
        self._model: Any = None
        self._ev: Any = None
        self._dirty = False
        try:
            self._pkg = open_package(self.path)
        except WorkbookRefused as exc:
            raise SessionError(f"{self.path}: refused: {exc}") from None
        except OSError as exc:
            raise SessionError(f"{self.path}: cannot be read ({exc.strerror or exc})") from None
        self.sheets = [name for name, _ in self._pkg.sheets]
        self._sheet_of = {name.upper(): name for name in self.sheets}
        try:
            self._build()
        except BaseException:
            self._pkg.close()
            raise

    # -- the model -------------------------------------------------------------------------------
    def _build(self) -> None:
        """Evaluate the package with the current inputs typed in, keeping the model."""
        from .evaluate import evaluate_package
        from .recalc import memory_ceiling, refusal
        try:
            with _clock(self.today), memory_ceiling():
                ev = evaluate_package(self._pkg, strict=self.strict, keep=True,
                                      edit=self._type_inputs, use_columns=self._use_columns)
        except BaseException as exc:
            if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                raise
            raise SessionError(f"{self.path}: refused: {refusal(exc)}") from None
        m = ev.model
        self._model, self._ev, self._build_ev, self._dirty = m, ev, ev, False
        self._built = dict(self._inputs)
        self._file_inputs = dict(m.inputs)
        self._formulas = {(f.sheet, f.coord): f for f in m.wb.formulas}
        self._areas: dict[str, list[tuple[int, int, int, int, str]]] = {}
        from .sheetxml import range_bounds
        for f in m.wb.formulas:
            if f.ref and ":" in f.ref and f.kind in ("array", "dataTable"):
                self._areas.setdefault(f.sheet, []).append((*range_bounds(f.ref), f.coord))
        self._blocks = self._block_nodes()
        self._volatile = self._volatile_functions()
        ev.edited = dict(self._inputs)

    def _type_inputs(self, wb: Any) -> None:
        """The edit hook of the evaluation: remember the file's names, type the inputs in."""
        if self._names is None:
            self._names = {}
            for dn in wb.names:
                if dn.hidden or not dn.value:
                    continue
                if dn.localSheetId is None:
                    self._names[dn.name.upper()] = dn.value
                else:
                    self._local[(int(dn.localSheetId), dn.name.upper())] = dn.value
        by_name = {s.name: s for s in wb.sheets}
        for (sheet, cc), value in self._inputs.items():
            _put(by_name[sheet], cc, value)

    def _block_nodes(self) -> dict[str, list[tuple[int, int, int, int, str]]]:
        """Ranges of plain values the engine was given as one array (:mod:`.valueblocks`), by
        sheet title: (bounds, node)."""
        g = self._model.graph
        out: dict[str, list[tuple[int, int, int, int, str]]] = {}
        defaults = g.dsp.default_values
        for node in defaults:
            if not isinstance(node, str) or ":" not in node or \
                    any(p not in g.skip for p in g.pred.get(node, ())):
                continue   # (a defined name's inverse may point at it: not a producer)
            b = g.bounds(node)
            if b is None:
                continue
            title, r1, c1, r2, c2 = b
            out.setdefault(title.upper(), []).append((r1, c1, r2, c2, node))
        return out

    def _volatile_functions(self) -> set[Any]:
        """The function nodes of formulas calling a volatile function (TODAY, NOW, RAND...)."""
        from .formulatext import function_names
        from .xlfunctions import VOLATILE
        m = self._model
        fns = m.graph.formula_cells()
        out = set()
        for f in m.wb.formulas:
            text = f.stored or f.text
            if not text or not any(v in text.upper() for v in VOLATILE):
                continue
            if not {n.upper().removeprefix("_XLFN.") for n in function_names(text)} & VOLATILE:
                continue
            ref = f.ref.replace("$", "") if f.ref and ":" in f.ref else f.coord
            fid = fns.get(m.node_of(f.sheet, ref))
            if fid is not None:
                out.add(fid)
        return out

    # -- targets ---------------------------------------------------------------------------------
    def _area(self, target: Any, what: str) -> _Area:
        """The cells ``target`` names: ``Sheet!A1``, ``'My sheet'!A1:C3``, a defined name, or
        ``Sheet!name`` for a name local to a sheet."""
        from .sheetxml import SheetXMLError, range_bounds
        if not isinstance(target, str) or not target.strip():
            raise SessionError(f"{what}: a cell or name must be text such as 'Inputs!C5' or "
                               f"'deal_deflation'; got {_shown(target)}")
        text = target.strip()
        m = _ADDRESS.match(text)
        if m is not None:
            sheet = self._sheet(m.group(1), m.group(2), text, what)
            try:
                r1, c1, r2, c2 = range_bounds(m.group(3).replace("$", "").upper())
            except SheetXMLError:
                raise SessionError(f"{what}: {text!r} is not a cell or range of the sheet") \
                    from None
            if r1 > r2 or c1 > c2:
                r1, r2, c1, c2 = min(r1, r2), max(r1, r2), min(c1, c2), max(c1, c2)
            return _Area(text, sheet, r1, c1, r2, c2)
        m = _LOCAL_NAME.match(text)
        if m is not None:
            sheet = self._sheet(m.group(1), m.group(2), text, what)
            key = (self.sheets.index(sheet), m.group(3).upper())
            if key not in self._local:
                raise SessionError(f"{what}: sheet {sheet!r} has no name {m.group(3)!r}")
            return self._name_area(text, self._local[key], what)
        names = self._names or {}
        if text.upper() in names:
            return self._name_area(text, names[text.upper()], what)
        local = [self.sheets[i] for (i, n) in self._local if n == text.upper()
                 and i < len(self.sheets)]
        hint = (f" (it is defined on sheet {local[0]!r}: write '{local[0]}!{text}')" if local
                else " (give a cell as Sheet!A1)" if "!" not in text else "")
        raise SessionError(f"{what}: {text!r} is neither a cell (Sheet!A1) nor a name defined "
                           f"in the workbook{hint}")

    def _sheet(self, quoted: str | None, bare: str | None, text: str, what: str) -> str:
        name = (quoted.replace("''", "'") if quoted is not None else (bare or "").strip())
        sheet = self._sheet_of.get(name.upper())
        if sheet is None:
            raise SessionError(f"{what}: {text!r} names the sheet {name!r}, which the workbook "
                               f"does not have (sheets: {', '.join(self.sheets)})")
        return sheet

    def _name_area(self, label: str, definition: str, what: str) -> _Area:
        from .sheetxml import SheetXMLError, range_bounds
        body = definition.strip().lstrip("=")
        m = _ADDRESS.match(body)
        if m is not None:
            name = (m.group(1).replace("''", "'") if m.group(1) is not None
                    else m.group(2).strip())
            sheet = self._sheet_of.get(name.upper())
            if sheet is not None:
                try:
                    r1, c1, r2, c2 = range_bounds(m.group(3).replace("$", "").upper())
                    return _Area(label, sheet, r1, c1, r2, c2)
                except SheetXMLError:
                    pass
        raise SessionError(f"{what}: the name {label!r} is defined as {_shown(definition)}, "
                           f"not as one cell or range of this workbook")

    # -- inputs ----------------------------------------------------------------------------------
    def set(self, changes: Any, value: Any = _NO) -> "Session":
        """Type values into input cells: ``set({"deal_deflation": 0.35, "Inputs!B20": 0.8})``
        or ``set("deal_deflation", 0.35)``. A range (or a name of one) takes a list of rows
        (or one flat list) of its shape. Values: numbers, text, True/False, dates (stored as
        Excel serial numbers). Everything is checked before anything changes; the formulas
        are recalculated at the next read."""
        for cell, v in self._checked(changes, value).items():
            self._stage(cell, v)
        return self

    def check(self, changes: Any, value: Any = _NO) -> None:
        """Check inputs as :meth:`set` does, without typing them in (a scenario grid checks
        every scenario before it runs the first)."""
        self._checked(changes, value)

    def _checked(self, changes: Any, value: Any) -> dict[tuple[str, str], Any]:
        if self._model is None:
            raise SessionError("the session is closed")
        if isinstance(changes, str):
            if value is _NO:
                raise SessionError(f"set: give the value for {changes!r}: "
                                   f"set({changes!r}, value)")
            changes = {changes: value}
        elif value is not _NO:
            raise SessionError("set: give either a mapping {cell or name: value} or one cell "
                               "or name and its value")
        if not isinstance(changes, Mapping):
            raise SessionError(f"set: expected a mapping {{cell or name: value}}; got "
                               f"{_shown(changes)}")
        staged: dict[tuple[str, str], Any] = {}
        for target, v in changes.items():
            area = self._area(target, "set")
            self._check_input(area)
            cells = area.cells()
            for cell, x in zip(cells, self._spread(area, v)):
                staged[cell] = self._typed(area, cell, x)
        return staged

    def reset(self, targets: Iterable[str] | str | None = None) -> "Session":
        """Give input cells back the file's values (all of them, or those of ``targets``)."""
        if targets is None:
            cells = list(self._inputs)
        else:
            if isinstance(targets, str):
                targets = [targets]
            cells = [c for t in targets for c in self._area(t, "reset").cells()]
        for cell in cells:
            if cell in self._inputs:
                self._stage(cell, self._file.get(cell))
        return self

    @property
    def inputs(self) -> dict[str, Any]:
        """The cells whose values differ from the file's (``Sheet!A1`` -> value)."""
        return {f"{_quote(s)}!{c}": v for (s, c), v in self._inputs.items()}

    def _check_input(self, area: _Area) -> None:
        from .sheetxml import coord
        for sheet, cc in area.cells():
            f = self._formulas.get((sheet, cc))
            if f is not None:
                kind = "a data table" if f.kind == "dataTable" else "a formula cell"
                text = f" (={f.stored.lstrip('=')[:60]})" if f.stored else ""
                raise SessionError(f"set: {area.label!r}: {_quote(sheet)}!{cc} is {kind}"
                                   f"{text}; only cells holding values can be set")
        for r1, c1, r2, c2, anchor in self._areas.get(area.sheet, ()):
            if r1 <= area.r2 and area.r1 <= r2 and c1 <= area.c2 and area.c1 <= c2:
                f = self._formulas[(area.sheet, anchor)]
                kind = "data table" if f.kind == "dataTable" else "array formula"
                raise SessionError(f"set: {area.label!r} overlaps the {kind} "
                                   f"{_quote(area.sheet)}!{coord(r1, c1)}:{coord(r2, c2)}; only "
                                   f"cells holding values can be set")

    def _spread(self, area: _Area, v: Any) -> list[Any]:
        """The values for the cells of ``area`` (row by row) from what the caller gave."""
        if area.single:
            if _is_sequence(v):
                flat = _flatten(v)
                if len(flat) != 1:
                    raise SessionError(f"set: {area.label!r} is one cell; got {len(flat)} "
                                       f"values {_shown(v)}")
                return flat
            return [v]
        rows, cols = area.shape
        if not _is_sequence(v):
            raise SessionError(f"set: {area.label!r} is a range of {rows} x {cols} cells; "
                               f"give a list of {rows} rows of {cols} values (or one list of "
                               f"{rows * cols}); got {_shown(v)}")
        items = list(v)
        if len(items) == rows and all(_is_sequence(r) for r in items):
            grid = [list(r) for r in items]
            if any(len(r) != cols for r in grid):
                raise SessionError(f"set: {area.label!r} has {cols} columns; a row of "
                                   f"{_shown(v)} has another length")
            return [x for r in grid for x in r]
        flat = _flatten(items)
        if len(flat) != rows * cols:
            raise SessionError(f"set: {area.label!r} has {rows * cols} cells ({rows} x {cols});"
                               f" got {len(flat)} values")
        return flat

    def _typed(self, area: _Area, cell: tuple[str, str], x: Any) -> Any:
        """The value a cell holds for ``x``: float, str or bool (a date as its serial)."""
        where = area.label if area.single else f"{area.label} ({_quote(cell[0])}!{cell[1]})"
        try:
            import numpy as np
            if isinstance(x, np.generic):
                x = x.item()
        except ImportError:  # pragma: no cover - numpy is a dependency
            pass
        if isinstance(x, bool):
            return x
        if isinstance(x, (int, float)):
            f = float(x)
            if not math.isfinite(f):
                raise SessionError(f"set: {where}: {x!r} is not a finite number (a cell holds "
                                   f"numbers, text, TRUE/FALSE)")
            return f
        if isinstance(x, str):
            if len(x) > MAX_TEXT:
                raise SessionError(f"set: {where}: the text has {len(x):,} characters; a cell "
                                   f"holds at most {MAX_TEXT:,}")
            return x
        if isinstance(x, dt.date):
            return _serial(x, self._model.wb.date1904)
        if x is None:
            raise SessionError(f"set: {where}: None is not a value; to give a cell back the "
                               f"file's value use reset({area.label!r})")
        raise SessionError(f"set: {where}: expected a number, text, True/False or a date; got "
                           f"{type(x).__name__} {_shown(x)}")

    def _stage(self, cell: tuple[str, str], v: Any) -> None:
        """Type ``v`` into the cell (the model's sheet too: data tables and OFFSET/INDIRECT
        read the sheet); it counts as an input while it differs from the file's value."""
        if cell not in self._file:   # first typed into: the model was built with the file's
            self._file[cell] = self._file_inputs.get(cell)
        if _same(v, self._file[cell]):
            self._inputs.pop(cell, None)
        else:
            self._inputs[cell] = v
        sheet = next(s for s in self._model.wb.sheets if s.name == cell[0])
        _put(sheet, cell[1], v)
        self._dirty = True

    # -- recalculation ---------------------------------------------------------------------------
    def recalc(self) -> "Session":
        """Recalculate now (reads recalculate by themselves when an input changed)."""
        if self._model is None:
            raise SessionError("the session is closed")
        if self._dirty or self._volatile:
            self._recalculate()
        return self

    def _ensure(self) -> Any:
        if self._model is None:
            raise SessionError("the session is closed")
        if self._dirty:
            self._recalculate()
        return self._ev

    def _recalculate(self) -> None:
        from .recalc import memory_ceiling, refusal
        try:
            with _clock(self.today), memory_ceiling():
                self._ev = self._evaluate()
        except SessionError:
            raise
        except BaseException as exc:
            if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                raise
            raise SessionError(f"{self.path}: the recalculation failed: {refusal(exc)}") \
                from None
        self._ev.edited = dict(self._inputs)
        self._dirty = False

    def _evaluate(self) -> Any:
        from .evaluate import _without_gc
        return _without_gc(self._evaluate_in_place)()

    def _evaluate_in_place(self) -> Any:
        """The evaluation with the current inputs, recomputing from the model's pass only what
        depends on the inputs that differ from those it was built with."""
        from .calcchain import LoopError
        from .evaluate import _cell_value, activate, complete
        from .sheetxml import split_coord
        m = self._model
        g = m.graph
        diff = [c for c in set(self._inputs) | set(self._built)
                if not _same(self._inputs.get(c, self._file.get(c)),
                             self._built.get(c, self._file.get(c)))]
        if not diff and not self._volatile:
            return self._ev_of_build()
        values = dict(m.values)
        changed: list[Any] = []
        blocks: dict[str, list[tuple[int, int, Any]]] = {}
        by_name = {s.name: s for s in m.wb.sheets}
        inputs = dict(self._file_inputs)   # the value cells the model was built with
        for cell in diff:
            v = self._inputs.get(cell, self._file.get(cell))
            sheet, cc = cell
            s = by_name[sheet]
            r, c = split_coord(cc)
            node = m.node_of(sheet, cc)
            raw = _raw(v)
            read = False
            if node in g.nodes:
                values[node] = g.start_value(node, raw)
                changed.append(node)
                read = True
            for r1, c1, r2, c2, blk in self._blocks.get(s.title.upper(), ()):
                if r1 <= r <= r2 and c1 <= c <= c2:
                    blocks.setdefault(blk, []).append((r - r1, c - c1, raw))
                    if not read:   # reported at the value the engine reads, as it does
                        values.pop(node, None)
                        if isinstance(v, float) and raw != v:
                            values[node] = _cell_value(node, raw)
                    read = True
            if not read and self._structural(r, c, node, cell):
                self.rebuilds += 1
                return self._rebuild()
            if v is None:
                inputs.pop(cell, None)
            else:
                inputs[cell] = v
        for blk, edits in blocks.items():
            import numpy as np
            arr = np.array(g.dsp.default_values[blk]["value"], dtype=object, copy=True)
            for i, j, raw in edits:
                arr[i, j] = _engine_empty() if raw is None else raw
            for flt in g.nodes[blk].get("filters", ()) or ():
                arr = flt(arr)
            values[blk] = arr
            changed.append(blk)
        activate(m.wb)
        funcs = g.downstream(changed + list(self._volatile)) - m.done.blocked
        outs = {o for f in funcs for o in g.nodes[f].get("outputs", ())}
        failed = {n: why for n, why in m.done.failed.items() if n not in outs}
        try:
            loops = g.evaluate(values, funcs, m.iteration, m.start, failed)
        except LoopError:
            self.rebuilds += 1
            return self._rebuild()
        done = m.done.copy()
        done.values, done.failed, done.notes = values, failed, []
        done.kept = {w: k for w, k in m.done.kept.items() if not k.failed}
        done.loops = [lp for lp in m.done.loops if not set(lp.cells) & outs] + loops
        done.keep_failed()
        done.note_loops()
        m.cells.values = values
        if any(m.resolver.stale(r) for r in m.resolutions):
            self.rebuilds += 1
            return self._rebuild()   # OFFSET/INDIRECT now point elsewhere: a new graph
        if m.groups and not m.groups.check(values, bool(done.loops or done.kept)):
            self._use_columns = False   # a column no longer all numbers: cell by cell
            self.rebuilds += 1
            return self._rebuild()
        saved = m.inputs
        m.inputs = inputs
        try:
            return complete(m, values, dict(m.kept), done)
        finally:
            m.inputs = saved

    def _structural(self, r: int, c: int, node: str, cell: tuple[str, str]) -> bool:
        """Whether typing into this cell, which the graph has no node for, changes the graph:
        a blank cell that a range reads (the range was assembled without it) or that lies
        beyond the used range (whole columns and rows were bounded without it)."""
        m = self._model
        if self._file.get(cell) is not None or cell in self._built:
            return False   # a value cell nothing reads
        if r > m.wb.used_rows or c > m.wb.used_cols:
            return True
        return bool(m.graph.readers(node))

    def _rebuild(self) -> Any:
        """A fresh evaluation with the current inputs typed in (the session keeps it)."""
        self._model = None
        self._build()
        return self._ev

    def _ev_of_build(self) -> Any:
        """The evaluation the model was built with (its inputs are the current ones)."""
        return self._build_ev

    # -- reading ---------------------------------------------------------------------------------
    def get(self, target: str) -> Any:
        """The value of a cell (float, str, bool, None for a blank, or an
        :class:`~.sheetxml.ErrorValue` with the code and the reason), or the rows of values of
        a range, by cell (``Sheet!A1``), range or defined name; recalculated first if an input
        changed."""
        area = self._area(target, "get")
        ev = self._ensure()
        if area.single:
            return ev.values.get((area.sheet, area.cells()[0][1]))
        rows, cols = area.shape
        flat = [ev.values.get(cell) for cell in area.cells()]
        return [flat[i * cols:(i + 1) * cols] for i in range(rows)]

    @property
    def evaluation(self) -> Any:
        """The current :class:`~.evaluate.Evaluation` (every value by (sheet, cell), the
        formula cells per sheet), recalculated first if an input changed."""
        return self._ensure()

    def report(self) -> Any:
        """What a recalculation with the current inputs found (:class:`~.report.RecalcResult`:
        error cells, FALSE checks, cells kept at the file's values, notes), as ``recalc``
        reports it."""
        from .recalc import volatile_note
        from .report import RecalcResult, build_report
        from .xlfunctions import today as clock
        ev = self._ensure()
        res = RecalcResult(self.path)
        build_report(res, self.sheets, ev)
        volatile_note(res, ev.volatile, self.today, clock())
        if self._inputs:
            shown = ", ".join(f"{k} = {_shown(v, 24)}" for k, v in list(self.inputs.items())[:6])
            more = f" and {len(self._inputs) - 6} more" if len(self._inputs) > 6 else ""
            res.notes.insert(0, f"{len(self._inputs)} input cell"
                                f"{'s' if len(self._inputs) > 1 else ''} set by the session: "
                                f"{shown}{more}")
        return res

    def save(self, out: str | os.PathLike[str]) -> str:
        """Write the recalculated copy (the inputs typed in, every formula's value) to ``out``,
        as ``recalc`` writes it; the input file is never written. Returns ``out``."""
        from .output import write_output
        from .package import WorkbookRefused
        out = os.fspath(out)
        try:
            if os.path.exists(out) and os.path.samefile(out, self.path):
                raise SessionError(f"save: {out!r} is the session's own workbook; the input is "
                                   f"never written, choose another file")
        except OSError:
            pass
        if not out.lower().endswith((".xlsx", ".xlsm", ".xltx")):
            raise SessionError(f"save: the copy must be an .xlsx file; got {out!r}")
        ev = self._ensure()
        try:
            write_output(self._pkg, ev, out)
        except WorkbookRefused as exc:
            raise SessionError(f"save: {exc}") from None
        except OSError as exc:
            raise SessionError(f"save: cannot write {out!r} ({exc.strerror or exc})") from None
        return out

    # -- life ------------------------------------------------------------------------------------
    def close(self) -> None:
        """Release the model and the package (the session cannot be used after)."""
        if self._model is not None or self._ev is not None:
            self._model = self._ev = None
            self._pkg.close()

    def __enter__(self) -> "Session":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self._model is None else f"{len(self._inputs)} inputs set"
        return f"<Session {os.path.basename(self.path)!r}: {state}>"


# ------------------------------------------------------------------------------------------------
# helpers

class _clock:
    """TODAY()/NOW() at ``today`` while evaluating (the real clock after, as ``recalc``)."""

    def __init__(self, today: dt.date | None) -> None:
        self.today = today

    def __enter__(self) -> None:
        from .xlfunctions import set_today
        set_today(self.today)

    def __exit__(self, *exc: Any) -> None:
        from .xlfunctions import set_today
        set_today(None)


def _put(sheet: Any, cc: str, value: Any) -> None:
    """Type ``value`` into a value cell of an engine sheet (None: blank)."""
    from .book import EngineCell
    from .sheetxml import split_coord
    r, c = split_coord(cc)
    if value is None:
        sheet.rows.get(r, {}).pop(c, None)
        return
    kind = "b" if isinstance(value, bool) else "s" if isinstance(value, str) else "n"
    cell = sheet.rows.get(r, {}).get(c)
    if cell is not None and cell.data_type != "f":
        cell.value, cell.data_type = value, kind
    else:
        sheet.add(r, c, EngineCell(cc, value, kind))


def _raw(v: Any) -> Any:
    """A cell's value as the engine reads it (numbers rounded to 15 decimals, as it rounds a
    value cell)."""
    if isinstance(v, float):
        return round(v, 15)
    return v


def _engine_empty() -> Any:
    import schedula as sh
    return sh.EMPTY


def _same(a: Any, b: Any) -> bool:
    return type(a) is type(b) and a == b


def _is_sequence(v: Any) -> bool:
    if isinstance(v, (str, bytes, Mapping)):
        return False
    try:
        import numpy as np
        if isinstance(v, np.ndarray):
            return True
    except ImportError:  # pragma: no cover
        pass
    return isinstance(v, (list, tuple))


def _flatten(v: Any) -> list[Any]:
    out: list[Any] = []
    for x in (v.tolist() if hasattr(v, "tolist") else v):
        if _is_sequence(x):
            out += _flatten(x)
        else:
            out.append(x)
    return out


def _serial(d: dt.date, date1904: bool) -> float:
    """Excel's serial number of a date or date-time (1900 or 1904 date system)."""
    if not isinstance(d, dt.datetime):
        d = dt.datetime(d.year, d.month, d.day)
    base = dt.datetime(1904, 1, 1) if date1904 else dt.datetime(1899, 12, 30)
    return (d.replace(tzinfo=None) - base).total_seconds() / 86400.0


def _quote(sheet: str) -> str:
    if re.match(r"^[A-Za-z_][A-Za-z0-9_.]*$", sheet):
        return sheet
    return "'" + sheet.replace("'", "''") + "'"
