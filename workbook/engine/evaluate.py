"""Evaluate a checked package in memory: read it (:mod:`.book`), prepare every formula for the
engine, compute with ``formulas``, complete what its single pass leaves (:mod:`.completion`),
and collect the values.

Steps (:func:`evaluate_package`):

1. the package is read into sparse sheets, with limits checked while reading;
2. each formula is prepared: our functions saved as references to the add-in get plain names
   (:func:`~.formulatext.rewrite_formula`), a range with the sheet on both ends becomes one
   range, ``FORMULATEXT`` its text, skipped arguments of ours get a marker
   (:func:`~.formulatext.mark_skipped`), sheets the engine cannot name get aliases, whole
   columns and rows are bounded by the used range and references to other files are checked
   (:func:`~.ranges.prepare`); ``OFFSET``/``INDIRECT`` become the references they give
   (:mod:`.dynrefs`);
3. the engine evaluates from memory (the model serves only this workbook and the values cached
   for its links; asked for any other file, it refuses);
4. the pass is completed: circular references iterated as Excel does when the workbook enables
   it, computed references checked (the engine runs again if one moved), data tables evaluated;
5. the values are indexed by (sheet, cell); array formulas are spread over their range.

A formula the engine cannot evaluate (a function it does not know, a construct it cannot
represent, a loop without iterative calculation) keeps the value Excel saved, and so do the
cells that depend on it; :attr:`Evaluation.kept` lists them with the reason. With
``strict=True`` such a workbook is refused instead, as before.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from .book import EngineBook, Workbook, read_book
from .calcchain import Graph, Iteration
from .completion import CellValues, Completion, Kept, node_id, raw_value
from .formulatext import (double_negation, function_names, join_sheet_ranges, mark_skipped,
                          rewrite_formula)
from .functions import cell_class, engine, our_names, plain
from .package import LIMITS, Package, WorkbookRefused
from .ranges import NameRange, Refused, prepare
from .tables import structured_to_a1
from .sheetxml import (MAX_COL, MAX_ROW, ErrorValue, FormulaCell, SheetXMLError,
                       cells_of_range, col_letters, coord, range_bounds, split_coord)

__all__ = ["Evaluation", "evaluate_package", "Budget", "DATE_SYSTEM_FUNCTIONS", "MAIN_BOOK",
           "Model", "complete", "activate"]

MAIN_BOOK = "__CC_BOOK__.XLSX"

#: Excel functions whose result depends on the workbook's date system (1900 or 1904): they
#: turn serial numbers into calendar dates or back.
DATE_SYSTEM_FUNCTIONS = frozenset("""DATE DATEVALUE DAY MONTH YEAR WEEKDAY WEEKNUM ISOWEEKNUM
    EDATE EOMONTH TODAY NOW WORKDAY WORKDAY.INTL NETWORKDAYS NETWORKDAYS.INTL YEARFRAC DATEDIF
    DAYS360 TEXT DATESTRING NUMBERSTRING ACCRINT ACCRINTM COUPDAYBS COUPDAYS COUPDAYSNC COUPNCD
    COUPNUM COUPPCD DISC DURATION INTRATE MDURATION ODDFPRICE ODDFYIELD ODDLPRICE ODDLYIELD
    PRICE PRICEDISC PRICEMAT RECEIVED TBILLEQ TBILLPRICE TBILLYIELD YIELD YIELDDISC
    YIELDMAT AMORDEGRC AMORLINC""".split())
_SAFE_SHEET = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 _.-")


@dataclass
class Evaluation:
    """Formula cells per sheet and every evaluated value, keyed by (sheet name, cell)."""
    formulas: dict[str, dict[str, FormulaCell]]
    values: dict[tuple[str, str], Any]
    missing: list[tuple[str, str]]
    notes: list[str]   # what the report should say (values read from link caches, ...)
    kept: dict[tuple[str, str], str] = field(default_factory=dict)  # cell -> why not computed
    volatile: list[str] = field(default_factory=list)   # volatile functions the formulas call
    layouts: dict[str, Any] = field(default_factory=dict)  # sheet -> its part's Layout
    model: Any = None     # the compiled model, when asked to keep it (:class:`Model`)
    edited: dict[tuple[str, str], Any] = field(default_factory=dict)  # value cells typed in

#: Constructs the engine evaluates that are not entries of its function table: LET and LAMBDA
#: (and lambda parameters called as functions), spill references, and the computed references
#: resolved before evaluation (:mod:`.dynrefs`).
_ENGINE_CONSTRUCTS = frozenset({"LET", "LAMBDA", "ANCHORARRAY", "OFFSET", "INDIRECT"})
_PREFIXES = ("_XLFN._XLWS.", "_XLFN.", "_XLWS.")


def _date_functions() -> frozenset[str]:
    """Excel's date-system functions and ours that take dates."""
    import inspect

    from addin.registry import REGISTRY
    ours = {name.upper() for name, spec in REGISTRY.items()
            if any("date" in p.lower() for p in inspect.signature(spec.func).parameters)}
    return DATE_SYSTEM_FUNCTIONS | ours


def _aliases(wb: Workbook) -> dict[str, str]:
    """Sheet names the engine cannot handle (an apostrophe, a percent sign, ...) -> an alias;
    the sheets' engine titles are set accordingly. Keys: upper-case name, or "[N]|NAME" for a
    sheet of linked workbook N."""
    taken = {s.name.upper() for s in wb.sheets}
    out: dict[str, str] = {}
    books = [("", wb.sheets)] + [(f"[{i}]", e.book.worksheets) for i, e in wb.external.items()]
    n = 0
    for prefix, sheets in books:
        for s in sheets:
            if set(s.name) <= _SAFE_SHEET and s.name.strip() == s.name and s.name:
                continue
            n += 1
            alias = f"CC_SHEET_{n}"
            while alias.upper() in taken:
                n += 1
                alias = f"CC_SHEET_{n}"
            taken.add(alias.upper())
            s.title = alias
            out[(prefix + "|" if prefix else "") + s.name.upper()] = alias
    return out


def _refuse_edges(wb: Workbook) -> None:
    if wb.used_rows >= MAX_ROW or wb.used_cols >= MAX_COL:
        for s in wb.sheets:
            if s.max_row >= MAX_ROW or s.max_column >= MAX_COL:
                last = "row 1,048,576" if s.max_row >= MAX_ROW else "column XFD"
                raise WorkbookRefused(f"sheet {s.name!r} uses the last {last}; the headless "
                                      f"engine needs the data to end before the last row and "
                                      f"column of the sheet")
        raise WorkbookRefused("a linked workbook's cached values reach the last row or column "
                              "of the sheet, which the headless engine cannot represent")


def _known(fn: str, functions: dict[str, Any], lambda_names: set[str]) -> bool:
    """Whether the engine evaluates a call of ``fn``: a function of its table (ours and
    Excel's), LET/LAMBDA, a lambda parameter or a name defined with LAMBDA, a spill reference,
    a computed reference resolved before evaluation."""
    from formulas.functions import not_implemented
    up = fn.upper()
    if up.startswith("_XLPM."):
        return True
    if up.startswith("_XLETA."):
        up = up[len("_XLETA."):]
    if functions.get(up, not_implemented) is not not_implemented:
        return True
    bare = up
    for p in _PREFIXES:
        if bare.startswith(p):
            bare = bare[len(p):]
            break
    if bare in _ENGINE_CONSTRUCTS or up in lambda_names:
        return True
    return functions.get(bare, not_implemented) is not not_implemented


def _let_written_out(text: str) -> str:
    """LET and called LAMBDAs written out (:mod:`.lambdas`); left as written if it cannot be."""
    from .lambdas import Unexpandable, expand_let
    try:
        return expand_let(text)
    except Unexpandable:
        return text


def _reason(message: str, where: str) -> str:
    """A refusal message as the reason a cell keeps its value (without the cell's name)."""
    return message[len(where):].lstrip(" :") if message.startswith(where) else message


def _prepare(wb: Workbook, addin_links: set[int], strict: bool = True,
             kept: dict[tuple[str, str], Kept] | None = None,
             budget: "Budget | None" = None,
             defer: "frozenset[tuple[str, str]] | set[tuple[str, str]]" = frozenset()
             ) -> list[str]:
    """Prepare names and formulas in place; return notes for the report. A formula that cannot
    be prepared is refused (``strict``) or recorded in ``kept``. The formulas in ``defer``
    (cells of a column evaluated as one call, whose first cell stands for them) are only
    checked for length."""
    from .dynrefs import resolve_formulatext
    kept = {} if kept is None else kept
    ours = our_names()
    ours_upper = frozenset(ours)
    _, functions = engine()
    aliases = _aliases(wb)
    links = {i: {s.title.upper() for s in e.book.worksheets} for i, e in wb.external.items()}
    used = (wb.used_rows, wb.used_cols)
    date_fns = _date_functions() if wb.date1904 else frozenset()
    # defined names: the engine reads the global ones
    names: dict[str, NameRange] = {}
    lambda_names = set()
    for dn in wb.names:
        if dn.hidden or dn.localSheetId is not None or not dn.value:
            continue
        where = f"the defined name {dn.label or dn.name}"
        try:
            value = structured_to_a1(dn.value, wb.tables)
        except ValueError:
            value = dn.value
        text = _let_written_out(double_negation(join_sheet_ranges(
            rewrite_formula(value, addin_links, ours))))
        if text.lstrip("=").upper().startswith(("_XLFN.LAMBDA(", "LAMBDA(")):
            lambda_names.add(dn.name.upper())
        try:
            got = prepare(text, used=used, aliases=aliases, names={}, allowed=ours_upper,
                          links=links, where=where, definition=True)
        except Refused as exc:
            raise WorkbookRefused(str(exc)) from None
        dn.value = got.text
        if len(got.refs) == 1 and got.refs[0].cut is not None:
            names[dn.name.upper()] = NameRange(got.refs[0], got.text)
        wb.book.defined_names[dn.name] = dn
    stored = {(f.sheet, f.coord): f.stored if f.stored is not None else
              (f.text if f.kind == "shared" else None) for f in wb.formulas}
    sheet_names = {s.name.upper(): s.name for s in wb.sheets}
    unknown: list[str] = []
    areas: dict[tuple, int] = {}
    uses_links = False
    for f in wb.formulas:
        if budget is not None:
            try:
                budget.tick()
            except _OverBudget as exc:
                raise WorkbookRefused(str(exc)) from None
        if f.kind == "dataTable":
            continue
        where = f"{f.sheet}!{f.coord}"
        if len(f.text or "") > LIMITS["formula_chars"]:
            raise WorkbookRefused(f"{where}: the formula is longer than "
                                  f"{LIMITS['formula_chars']:,} characters (Excel's limit)")
        if (f.sheet, f.coord) in defer:
            continue
        try:
            text = structured_to_a1(f.text, wb.tables, split_coord(f.coord)[0])
        except ValueError:
            msg = f"{where}: a reference to a table that cannot be read"
            if strict:
                raise WorkbookRefused(msg) from None
            kept[(f.sheet, f.coord)] = Kept(_reason(msg, where))
            continue
        text = double_negation(join_sheet_ranges(rewrite_formula(text, addin_links, ours)))
        text = _let_written_out(resolve_formulatext(text, f.sheet, sheet_names, stored))
        bad = sorted({fn for fn in function_names(text)
                      if not _known(fn, functions, lambda_names)}, key=str.upper)
        if bad:
            if strict:
                unknown += [f"{fn} in {where}" for fn in bad]
            else:
                kept[(f.sheet, f.coord)] = Kept(
                    f"calls {', '.join(bad)}, which the headless engine does not evaluate")
            continue
        dated = [fn for fn in function_names(text)
                 if fn.upper().removeprefix("_XLFN.") in date_fns]
        if dated:
            msg = (f"{where} calls {dated[0]} in a workbook that uses the 1904 date system; the "
                   f"headless engine computes dates in the 1900 system only (dates would be "
                   f"four years off)")
            if strict:
                raise WorkbookRefused(msg)
            kept[(f.sheet, f.coord)] = Kept(_reason(msg, where))
            continue
        text = mark_skipped(text, ours_upper)
        try:
            got = prepare(text, used=used, aliases=aliases, names=names, allowed=ours_upper,
                          links=links, where=where)
        except Refused as exc:
            if strict:
                raise WorkbookRefused(str(exc)) from None
            kept[(f.sheet, f.coord)] = Kept(_reason(str(exc), where))
            continue
        uses_links = uses_links or bool(got.books)
        for r in got.refs:
            if r.area > 1:
                key = (r.book or "", (r.sheet or f.sheet).upper(), r.cut or r.bounds, r.name)
                areas[key] = r.area
        f.text = got.text
    if unknown:
        more = f" and {len(unknown) - 3} more" if len(unknown) > 3 else ""
        raise WorkbookRefused("unknown function " + ", ".join(unknown[:3]) + more +
                              " (neither an Excel function the engine knows nor a "
                              "ComputeCredit function)")
    total = sum(areas.values())
    if total > LIMITS["range_cells"]:
        raise WorkbookRefused(f"the formulas refer to ranges of {total:,} cells in all (limit "
                              f"{LIMITS['range_cells']:,}, after bounding whole columns and "
                              f"rows by the used range); refer to the cells that hold data")

    def reprepare(text: str, where: str) -> str:
        """A formula whose OFFSET/INDIRECT calls became references, prepared like any other
        (a range they give to the edge of the sheet is bounded, corrected or refused)."""
        got = prepare(text, used=used, aliases={}, names=names, allowed=ours_upper,
                      links=links, where=where)
        area = sum(r.area for r in got.refs if r.area > 1)
        if area > LIMITS["range_cells"]:
            raise Refused(f"{where}: OFFSET or INDIRECT gives ranges of {area:,} cells (limit "
                          f"{LIMITS['range_cells']:,})")
        return got.text
    wb.reprepare = reprepare
    notes = []
    if uses_links:
        shown = ", ".join(f"[{i}] {e.target or 'unnamed'}" for i, e in sorted(wb.external.items()))
        notes.append(f"links to other workbooks were read from the values cached in this file "
                     f"(as Excel shows them when links are not updated), not from the files: "
                     f"{shown}")
    return notes


def _may_call(text: str, names: frozenset[str]) -> bool:
    """Whether ``text`` may call one of ``names`` (it holds one of them, in any case; a cheap
    test before tokenizing)."""
    up = text.upper()
    return any(n in up for n in names)


def _value_cell(cell: Any, value: Any) -> None:
    """Make an engine cell hold a plain value (the file's value of a kept formula)."""
    if value is None:
        cell.value, cell.data_type = None, "n"
    elif isinstance(value, ErrorValue):
        cell.value, cell.data_type = value.code, "e"
    elif isinstance(value, bool):
        cell.value, cell.data_type = value, "b"
    elif isinstance(value, str):
        cell.value, cell.data_type = value, "s"
    else:
        cell.value, cell.data_type = float(value), "n"


def _fill_cells(wb: Workbook, kept: dict[tuple[str, str], Kept] | None = None) -> None:
    """Put the prepared formula texts into the engine's cells; a kept formula or a data
    table's first cell holds the file's value instead (and is no formula to the engine)."""
    kept = kept or {}
    info: dict[str, dict[str, Any]] = {}
    for f in wb.formulas:
        info.setdefault(f.sheet, {})[f.coord] = f
    for s in wb.sheets:
        cells = info.get(s.name, {})
        if not hasattr(s, "all_formula_cells"):
            s.all_formula_cells = list(s.formula_cells)
            s.all_array_formulae = dict(s.array_formulae)
        active = []
        for cell in s.all_formula_cells:
            f = cells[cell.coordinate]
            if f.kind == "dataTable" or (s.name, cell.coordinate) in kept:
                _value_cell(cell, f.cached)
                if f.kind == "array":
                    s.array_formulae.pop(cell.coordinate, None)
                continue
            cell.value, cell.data_type = "=" + f.text, "f"
            if cell.coordinate in s.all_array_formulae:
                s.array_formulae[cell.coordinate] = s.all_array_formulae[cell.coordinate]
            active.append(cell)
        s.formula_cells = active


_NODE_ID = re.compile(r"^'\[(?P<book>[^\]]*)\](?P<sheet>(?:[^']|'')*)'!"
                      r"(?P<ref>[A-Z]+[0-9]+(?::[A-Z]+[0-9]+)?)$")
#: How many times the engine may run to settle computed references (OFFSET, INDIRECT) and
#: formulas it could not read.
MAX_ROUNDS = 4


def _without_gc(fn: Any) -> Any:
    """Run ``fn`` with the cyclic garbage collector paused (and restored as it was after).

    The engine allocates millions of small objects while it builds and runs its model and
    frees almost none before the end: the collector's passes over them were a third of the
    time and reclaimed nothing (reference counting still frees what is dropped). The
    evaluation budget bounds the memory as before."""
    import functools
    import gc

    @functools.wraps(fn)
    def run(*args: Any, **kwargs: Any) -> Any:
        was = gc.isenabled()
        gc.disable()
        try:
            return fn(*args, **kwargs)
        finally:
            if was:
                gc.enable()
    return run


class _ColumnsDiffer(Exception):
    """A column evaluated as one call might differ from the cell-by-cell evaluation."""


@_without_gc
def evaluate_package(pkg: Package, strict: bool = False, keep: bool = False,
                     edit: Callable[[Workbook], None] | None = None,
                     use_columns: bool = True) -> Evaluation:
    """Evaluate every formula of a checked package (see the module docstring). Columns of
    formulas filled down are evaluated as one call each (:mod:`.columns`); when that might
    differ from the cell-by-cell evaluation, the workbook is evaluated again cell by cell,
    within the same budget.

    ``keep``: the evaluation keeps its compiled model (:attr:`Evaluation.model`, a
    :class:`Model`) for :mod:`.session` to recalculate; ``edit``: called with the workbook as
    read, before anything is prepared (the session's inputs typed into their cells)."""
    budget = Budget(LIMITS["seconds"], LIMITS["memory_bytes"])  # reading included
    if use_columns:
        try:
            return _evaluate_package(pkg, strict, budget, True, keep, edit)
        except _ColumnsDiffer:
            pass
    return _evaluate_package(pkg, strict, budget, False, keep, edit)


def activate(wb: Workbook) -> None:
    """Point the engine's process-wide settings at this workbook (its date system, the cells
    SUBTOTAL leaves out) and clear any stop of an earlier evaluation."""
    from .excelfns import DATE1904, STOP
    DATE1904[0] = wb.date1904   # text read as a date gives the workbook's serial numbers
    STOP[:] = []                # no stop of an earlier evaluation applies to this one
    _subtotal_context(wb)


@dataclass
class Model:
    """An evaluation's compiled model and what completing a pass needs, kept for
    recalculating with other inputs (:mod:`.session`). ``values`` and ``done`` are the state
    after the engine's pass and its completion (loops), before data tables and kept cells."""
    wb: Workbook
    graph: Graph
    values: dict[Any, Any]
    cells: CellValues
    iteration: Iteration
    start: Callable[[Any], Any]
    node_of: Callable[[str, str], str]
    strict: bool
    kept: dict[tuple[str, str], Kept]        # cells kept before the pass (cannot be evaluated)
    done: Completion
    notes: list[str]
    groups: Any                              # columns evaluated as one call (or None)
    resolver: Any                            # OFFSET/INDIRECT references and their resolutions
    resolutions: list[Any]
    inputs: dict[tuple[str, str], Any]       # every value cell (the report's and charts' labels)


def _evaluate_package(pkg: Package, strict: bool, budget: Budget, use_columns: bool,
                      keep: bool = False, edit: Callable[[Workbook], None] | None = None
                      ) -> Evaluation:
    from . import columns
    wb = read_book(pkg)
    if edit is not None:
        edit(wb)
    _refuse_edges(wb)
    addin_links = {i for i, link in pkg.links.items() if link.is_addin}
    kept: dict[tuple[str, str], Kept] = {}
    # the cells of a column evaluated as one call are prepared only if it falls back
    groups = columns.find(wb, MAIN_BOOK) if use_columns else None
    notes = _prepare(wb, addin_links, strict, kept, budget,
                     groups.members() if groups else frozenset())
    if groups and (kept or not groups.prepared_as_read(wb)):
        raise _ColumnsDiffer
    groups = groups or None
    if wb.calc_mode != "auto":
        what = "manually" if wb.calc_mode == "manual" else "automatically except data tables"
        notes.append(f"the workbook is set to calculate {what}: every formula was recomputed, "
                     f"as Calculate Now (F9) does, so values Excel saved before the last "
                     f"calculation may differ")
    link_map = {str(i): ("", ext.key) for i, ext in wb.external.items()}
    cells = CellValues(wb, MAIN_BOOK, link_map)
    titles = {s.title.upper(): s.name for s in wb.sheets}
    by_name = {s.name: s for s in wb.sheets}
    tab = {s.title.upper(): i for i, s in enumerate(wb.sheets)}
    infos = {(f.sheet, f.coord): f for f in wb.formulas}
    iteration = Iteration(wb.iterate, wb.iterate_count, wb.iterate_delta)
    activate(wb)

    def node_of(sheet: str, ref: str) -> str:
        return node_id(MAIN_BOOK, by_name[sheet].title, ref)

    def parts(node: Any) -> tuple[str, str] | None:
        m = _NODE_ID.match(str(node))
        if m is None or m.group("book") != MAIN_BOOK:
            return None
        return m.group("sheet").replace("''", "'"), m.group("ref")

    def cell_of(node: Any) -> tuple[str, str] | None:
        p = parts(node)
        if p is None or p[0] not in titles:
            return None
        return titles[p[0]], p[1].split(":")[0]

    def order(node: Any) -> tuple[int, int, int] | None:
        p = parts(node)
        if p is None or p[0] not in tab:
            return None
        r, c = split_coord(p[1].split(":")[0])
        return tab[p[0]], r, c

    def bounds(node: Any) -> tuple[str, int, int, int, int] | None:
        p = parts(node)
        if p is None:
            return None
        r1, c1, r2, c2 = range_bounds(p[1])
        return p[0], r1, c1, r2, c2

    def start(node: Any) -> Any:
        where = cell_of(node)
        f = infos.get(where) if where else None
        return raw_value(f.cached if f is not None else None)

    resolver, resolutions = _resolve_references(wb, cells, kept, strict)
    for attempt in range(MAX_ROUNDS):
        _fill_cells(wb, kept)
        if groups:
            groups.apply(wb)
        try:
            # a kept model (a Session types inputs into it) assembles ranges that hold
            # formulas cell by cell: its input edits reach them through their cells
            model, sol, bad = _run_engine(wb, pkg, strict, budget, mixed=not keep)
        finally:
            if groups:
                groups.undo()
        if bad and groups:
            raise _ColumnsDiffer   # evaluate cell by cell, which finds the cells at fault
        if bad:
            for title, crd in bad:
                where = (titles.get(title.upper(), title), crd.split(":")[0])
                kept[where] = Kept("the formula engine cannot read this formula")
            continue
        values = dict(sol)
        graph = Graph(model.dsp, order, bounds)
        done = Completion(graph, values, iteration, start, cell_of, strict)
        done.finish_pass()
        if groups and not groups.check(values, bool(done.loops or done.kept)):
            raise _ColumnsDiffer   # something in a column could differ
        cells.values = values
        stale = [i for i, r in enumerate(resolutions) if resolver.stale(r)]
        if not stale:
            break
        for i in stale:
            r = resolutions[i]
            f = infos[(titles[r.sheet.upper()], r.cell)]
            resolutions[i] = resolver.resolve(r.original, r.sheet, r.cell)
            where = f"{f.sheet}!{f.coord}"
            try:
                f.text = wb.reprepare(resolutions[i].text, where)
            except Refused as exc:
                if strict:
                    raise WorkbookRefused(str(exc)) from None
                kept[(f.sheet, f.coord)] = Kept(_reason(str(exc), where))
    else:
        raise WorkbookRefused("the references computed by OFFSET or INDIRECT did not settle "
                              "(each evaluation moves them again)")
    model = Model(wb, graph, values, cells, node_of=node_of, iteration=iteration, start=start,
                  strict=strict, kept=kept, done=done, notes=notes, groups=groups,
                  resolver=resolver, resolutions=resolutions, inputs=_input_values(wb))
    if not keep:
        return complete(model, values, dict(kept), done)
    ev = complete(model, dict(values), dict(kept), done.copy())
    ev.model = model
    return ev


def complete(m: Model, values: dict[Any, Any], kept: dict[tuple[str, str], Kept],
             done: Completion) -> Evaluation:
    """The evaluation from the values of a completed pass: data tables evaluated, dynamic
    arrays sized, kept cells and their dependents at the file's values, the values collected
    by cell. ``values``, ``kept`` and ``done`` are updated in place."""
    from .xlfunctions import VOLATILE
    wb, graph, cells, node_of, iteration, start, strict, groups = (
        m.wb, m.graph, m.cells, m.node_of, m.iteration, m.start, m.strict, m.groups)
    cells.values = values
    notes = list(m.notes)
    titles = {s.title.upper(): s.name for s in wb.sheets}
    by_name = {s.name: s for s in wb.sheets}
    infos = {(f.sheet, f.coord): f for f in wb.formulas}
    tables = _data_tables(wb, graph, values, cells, node_of, iteration, start, strict, kept)
    spilled = _spills(wb, graph, values, node_of, done.kept, kept, strict)
    done.kept.update(kept)
    done.keep_dependents(node_of)
    index = _sol_index(values, titles)
    if groups:
        groups.spread(index)
    per_sheet: dict[str, dict[str, FormulaCell]] = {s.name: {} for s in wb.sheets}
    for f in wb.formulas:
        per_sheet[f.sheet][f.coord] = FormulaCell(f.coord, f.stored, f.kind, f.ref, f.style)
    skip = set(done.kept) | {(f.sheet, f.coord) for f in wb.formulas if f.kind == "dataTable"}
    out, missing = _collect(per_sheet, index, dict(m.inputs), skip)
    out.update(tables)
    out.update(spilled)
    if missing:
        if strict:
            shown = ", ".join(f"{s}!{c}" for s, c in missing[:4])
            raise WorkbookRefused(f"the headless engine could not evaluate {shown}"
                                  + (f" and {len(missing) - 4} more" if len(missing) > 4 else ""))
        for where in missing:
            done.kept[where] = Kept("the headless engine could not evaluate it")
        missing = []
    for where in done.kept:
        f = infos.get(where)
        if f is not None and f.kind == "array" and f.ref:
            for cc in cells_of_range(f.ref):
                saved = f.cached if cc == f.coord else _saved_value(by_name[f.sheet], cc)
                if saved is None:
                    out.pop((f.sheet, cc), None)
                else:
                    out[(f.sheet, cc)] = saved
        elif f is not None and f.cached is not None:
            out[where] = f.cached
        else:
            out.pop(where, None)
    volatile = sorted({fn.upper().removeprefix("_XLFN.") for f in wb.formulas if f.text
                       and _may_call(f.stored or f.text, VOLATILE)
                       for fn in function_names(f.stored or f.text)} & VOLATILE)
    if done.loops or done.notes:
        notes += done.notes
    if tables:
        n = len({(f.sheet, f.coord) for f in wb.formulas if f.kind == "dataTable"})
        notes.append(f"{n} what-if data table{'s' if n > 1 else ''} recomputed by substituting "
                     f"each input into the model, as Excel does")
    ev = Evaluation(per_sheet, out, missing, notes,
                    {w: k.reason for w, k in done.kept.items()}, volatile)
    ev.layouts = {s.name: s.layout for s in wb.sheets if s.layout is not None}
    return ev


def _resolve_references(wb: Workbook, cells: CellValues, kept: dict[tuple[str, str], Kept],
                        strict: bool) -> tuple[Any, list[Any]]:
    """OFFSET and INDIRECT calls replaced by the references they give, from the file's values
    (checked again once the engine has run)."""
    from .dynrefs import Resolver, UnresolvedReference, has_dynamic
    sheets = {s.name.upper(): s.title for s in wb.sheets}
    names = {dn.name.upper(): dn.value for dn in wb.names
             if not dn.hidden and dn.localSheetId is None and dn.value}
    resolver = Resolver(cells.evaluate, sheets, names, (wb.used_rows, wb.used_cols))
    by_name = {s.name: s for s in wb.sheets}
    out = []
    for f in wb.formulas:
        if f.kind == "dataTable" or (f.sheet, f.coord) in kept or not has_dynamic(f.text):
            continue
        try:
            res = resolver.resolve(f.text, by_name[f.sheet].title, f.coord)
        except UnresolvedReference as exc:
            if strict:
                raise WorkbookRefused(f"{f.sheet}!{f.coord}: {exc}") from None
            kept[(f.sheet, f.coord)] = Kept(str(exc))
            continue
        if res.checks:
            where = f"{f.sheet}!{f.coord}"
            try:
                f.text = wb.reprepare(res.text, where)
            except Refused as exc:
                if strict:
                    raise WorkbookRefused(str(exc)) from None
                kept[(f.sheet, f.coord)] = Kept(_reason(str(exc), where))
                continue
            out.append(res)
    return resolver, out


def _subtotal_context(wb: Workbook) -> None:
    """What SUBTOTAL leaves out in this workbook: cells holding SUBTOTAL or AGGREGATE, hidden
    rows, and rows hidden by a filter (the sheet's AutoFilter or a table's)."""
    from .xlfunctions import set_subtotal_context
    titles = {s.name: s.title.upper() for s in wb.sheets}
    nested = set()
    for f in wb.formulas:
        up = (f.stored or f.text or "").upper()
        if "SUBTOTAL(" in up or "AGGREGATE(" in up:
            r, c = split_coord(f.coord)
            nested.add((titles[f.sheet], r, c))
    hidden = {titles[s.name]: s.hidden_rows for s in wb.sheets if s.hidden_rows}
    filtered: dict[str, frozenset[int]] = {}
    for s in wb.sheets:
        if not s.hidden_rows:
            continue
        spans = [(t.top, t.bottom) for t in wb.tables.values()
                 if t.sheet == s.name and t.auto_filter]
        if s.filter_ref:
            try:
                top, _, bottom, _ = range_bounds(s.filter_ref)
                spans.append((top, bottom))
            except SheetXMLError:
                spans.append((1, MAX_ROW))
        rows = {r for top, bottom in spans for r in s.hidden_rows if top < r <= bottom}
        if rows:
            filtered[titles[s.name]] = frozenset(rows)
    set_subtotal_context(frozenset(nested), hidden, filtered)


def _saved_value(sheet: Any, ref: str) -> Any:
    """The value a (non-formula) cell holds in the file, or None."""
    r, c = split_coord(ref)
    cell = sheet.rows.get(r, {}).get(c)
    if cell is None or cell.data_type == "f":
        return None
    return ErrorValue(str(cell.value)) if cell.data_type == "e" else cell.value


def _spills(wb: Workbook, graph: Graph, values: dict[Any, Any], node_of: Any,
            done_kept: dict[tuple[str, str], Kept], kept: dict[tuple[str, str], Kept],
            strict: bool) -> dict[tuple[str, str], Any]:
    """Dynamic arrays whose result no longer has the size Excel saved: a smaller one leaves
    the rest of the saved range blank, as Excel's spill shrinks; a larger one would spill over
    cells the file does not give it: its cells keep their saved values (or, ``strict``,
    the workbook is refused)."""
    import numpy as np
    out: dict[tuple[str, str], Any] = {}
    for f in wb.formulas:
        if not f.dynamic or not f.ref or (f.sheet, f.coord) in done_kept or \
                (f.sheet, f.coord) in kept:
            continue
        r1, c1, r2, c2 = range_bounds(f.ref)
        rid = node_of(f.sheet, f.ref.replace("$", "") if ":" in f.ref else f.ref)
        fid = graph.formula_cells().get(rid)
        if fid is None:
            continue
        try:
            res = graph.raw_call(fid, values)
        except Exception:  # the engine's pass computed it; its size is what we cannot tell
            continue
        arr = np.asarray(getattr(res, "value", res), dtype=object)
        shape = arr.shape if arr.ndim == 2 else (1, 1) if arr.ndim == 0 else (arr.shape[0], 1)
        rows, cols = r2 - r1 + 1, c2 - c1 + 1
        if shape == (rows, cols):
            continue
        if shape[0] > rows or shape[1] > cols:
            msg = (f"the dynamic array now has {shape[0]} x {shape[1]} values and would spill "
                   f"beyond the range {f.ref} that Excel saved for it")
            if strict:
                raise WorkbookRefused(f"{f.sheet}!{f.coord}: {msg}")
            kept[(f.sheet, f.coord)] = Kept(msg)
            done_kept[(f.sheet, f.coord)] = kept[(f.sheet, f.coord)]
            continue
        for r in range(r1, r2 + 1):
            for c in range(c1, c2 + 1):
                if r - r1 >= shape[0] or c - c1 >= shape[1]:
                    out[(f.sheet, coord(r, c))] = None
    return out


def _cell_value(node: str, raw: Any) -> Any:
    """A cell's value as the engine's range assemblers read it (a Ranges of one cell)."""
    import numpy as np
    from formulas.ranges import Ranges
    v = np.empty((1, 1), dtype=object)
    v[0, 0] = raw
    return Ranges().push(node, v)


def _data_tables(wb: Workbook, graph: Graph, values: dict[Any, Any], cells: CellValues,
                 node_of: Any, iteration: Iteration, start: Any, strict: bool,
                 kept: dict[tuple[str, str], Kept]) -> dict[tuple[str, str], Any]:
    """Every what-if data table's results (cell -> value); what depends on them is
    recomputed in ``values``."""
    from .calcchain import LoopError
    from .datatable import data_table, evaluate_table
    out: dict[tuple[str, str], Any] = {}
    for f in wb.formulas:
        if f.kind != "dataTable":
            continue
        try:
            table = data_table(f.sheet, f.ref, f.attrs or {})
            got = evaluate_table(table, graph, values, node_of, cells.plain,
                                 lambda v: plain(getattr(v, "value", v)), iteration, start)
        except (ValueError, LoopError, SheetXMLError) as exc:
            reason = (f"the data table {f.ref} cannot be evaluated "
                      f"({exc if not isinstance(exc, LoopError) else 'a circular reference'})")
            if strict:
                raise WorkbookRefused(f"{f.sheet}!{f.coord}: {reason}") from None
            for cc in cells_of_range(f.ref) if f.ref else [f.coord]:
                kept[(f.sheet, cc)] = Kept(reason)
            continue
        changed = []
        for cc, v in got.items():
            out[(f.sheet, cc)] = v
            node = node_of(f.sheet, cc)
            readers = graph.readers(node)
            if readers:
                values[node] = (graph.start_value(node, raw_value(v)) if node in graph.nodes
                                else _cell_value(node, raw_value(v)))
                changed += readers
        if changed:
            graph.recompute(values, changed, iteration, start)
    return out


class _OtherFile(Exception):
    pass


class _BadFormula(Exception):
    """A formula the engine's parser does not accept: (engine sheet title, cell, text)."""


def _rss() -> int:
    """This process's resident memory in bytes (0 where it cannot be read)."""
    try:
        with open("/proc/self/statm", "rb") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError, AttributeError):
        try:
            import resource
            return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        except (ImportError, OSError):
            return 0


class _OverBudget(Exception):
    pass


class Budget:
    """The time and memory one evaluation may take (:data:`LIMITS` ``seconds`` and
    ``memory_bytes``): checked every few hundred cells while the engine builds its model, and
    by a watchdog thread that stops the engine's calculation when either runs out."""

    def __init__(self, seconds: float, memory: int) -> None:
        self.seconds, self.memory = seconds, memory
        self.deadline = time.monotonic() + seconds
        self.start_rss = _rss()
        self.stop = threading.Event()
        self.done = threading.Event()
        self.reason: str | None = None
        self.n = 0

    def exceeded(self) -> str | None:
        if time.monotonic() > self.deadline:
            return (f"the evaluation was stopped after {self.seconds:,.0f} s (limit); the "
                    f"engine's time grows with every formula: split the workbook")
        if self.memory and _rss() - self.start_rss > self.memory:
            return (f"the evaluation was stopped at {self.memory / 2**30:.1f} GB of memory "
                    f"(limit); the engine's memory grows with every formula: split the "
                    f"workbook")
        return None

    def tick(self) -> None:
        self.n += 1
        if self.n % 256 == 0:
            self.reason = self.reason or self.exceeded()
            if self.reason:
                raise _OverBudget(self.reason)

    def watch(self) -> None:
        while not self.done.wait(0.2):
            reason = self.exceeded()
            if reason:
                self.reason = reason
                self.stop.set()
                return


def _model_class(formulas_mod: Any) -> type:
    class Model(formulas_mod.ExcelModel):
        """The engine's model, serving only the books given to it: this workbook and the
        values cached for its links. Asked for any other file, it refuses (and records it).
        A formula its parser does not accept is refused (``strict``) or recorded in ``bad``
        and left empty for this pass."""

        def __init__(self, allowed: set[str], budget: Budget, strict: bool = True) -> None:
            super().__init__()
            self.allowed = allowed
            self.refused: list[str] = []
            self.budget = budget
            self.strict = strict
            self.bad: list[tuple[str, str]] = []
            self.blocks: Any = None   # ValueBlocks of the workbook, if given

        def compile_cell(self, *args: Any, **kwargs: Any) -> Any:
            self.budget.tick()
            return super().compile_cell(*args, **kwargs)

        def _compile_cell(self, crd: str, val: Any, context: Any, check_formula: bool,
                          references: Any) -> Any:
            try:
                cell = cell_class()(crd, val, context=context, check_formula=check_formula)
                cell.compile(references=references, context=context)
            except (_OverBudget, RecursionError, MemoryError):
                raise
            except Exception:
                title = str((context or {}).get("sheet", ""))
                if self.strict:
                    raise _BadFormula(title, crd, val) from None
                self.bad.append((title, crd))
                cell = cell_class()(crd, None, context=context, check_formula=False)
                cell.compile(references=references, context=context)
            return cell

        def complete(self, stack: Any = None) -> Any:
            """The engine's completion, after giving the ranges of plain values their arrays
            (:mod:`.valueblocks`)."""
            if stack is None and self.blocks is not None:
                done = set(self.cells)
                stack = {k for k in self.dsp.data_nodes if k not in self.references} - done
                stack -= self.blocks.give(self, stack)
            return super().complete(stack)

        def add_book(self, book: Any = None, context: Any = None, data_only: bool = False
                     ) -> Any:
            if isinstance(book, str) and book.replace("\\", "/").upper() not in self.allowed:
                self.refused.append(book)
                raise _OtherFile(book)
            return super().add_book(book, context, data_only)

    return Model


def _run_engine(wb: Workbook, pkg: Package, strict: bool = True, budget: "Budget | None" = None,
                blocks: bool = True, mixed: bool = True) -> tuple[Any, Any, list[tuple[str, str]]]:
    formulas_mod, _ = engine()     # (first: it imports the engine's model as it should be)
    from formulas.excel import BOOK
    books: dict[str, tuple[EngineBook, dict[str, tuple[str, str]]]] = {}
    link_map = {}
    for i, ext in wb.external.items():
        books[ext.key] = (ext.book, {})
        link_map[str(i)] = ("", ext.key)
    books[MAIN_BOOK] = (wb.book, link_map)
    if budget is None:
        budget = Budget(LIMITS["seconds"], LIMITS["memory_bytes"])
    budget.stop, budget.done = threading.Event(), threading.Event()  # one watch per run
    from .excelfns import STOP, Stopped
    STOP[:] = [budget.stop]   # LAMBDA loops inside one function check it too
    model = _model_class(formulas_mod)(set(books), budget, strict)
    from . import valueblocks
    if blocks and valueblocks.ENABLED:
        model.blocks = valueblocks.ValueBlocks(wb, MAIN_BOOK, with_formulas=mixed)
    for key, (book, links) in books.items():
        model.books[key] = {BOOK: book, "external_links": links}
    # (the links are given to the engine already resolved, so it never maps a path itself)
    # the engine draws a progress bar and logs warnings on stderr: keep them off the
    # user's terminal (the report says what matters)
    from schedula.utils.exc import DispatcherAbort
    watchdog = threading.Thread(target=budget.watch, daemon=True)
    watchdog.start()
    with contextlib.redirect_stderr(io.StringIO()):
        try:
            _, ctx = model.add_book(MAIN_BOOK)
            model.pushes(*wb.book.worksheets, context=ctx)
            model.finish()
            sol = model.dsp.dispatch(stopper=budget.stop)
        except (_OverBudget, DispatcherAbort, Stopped):
            raise WorkbookRefused(budget.reason or "the evaluation was stopped") from None
        except _BadFormula as exc:
            title, crd, text = exc.args
            sheet = next((s.name for s in wb.sheets if s.title.upper() == title.upper()), title)
            shown = str(text)[:80].lstrip("=")
            raise WorkbookRefused(f"{sheet}!{crd}: the formula engine cannot read the formula "
                                  f"{shown!r}") from None
        except WorkbookRefused:
            raise
        except RecursionError:
            raise WorkbookRefused("the formulas nest too deeply to evaluate") from None
        except MemoryError:
            raise
        except Exception as exc:  # the engine's own parse errors: one line, no traceback
            detail = str(exc).splitlines()[0][:160] if str(exc) else ""
            raise WorkbookRefused(f"the formula engine cannot read this workbook "
                                  f"({type(exc).__name__}: {detail})") from None
        finally:
            budget.done.set()
    if budget.reason:
        raise WorkbookRefused(budget.reason)
    if model.blocks is not None:
        for node, x in model.blocks.rounded.items():
            if node not in sol:
                sol[node] = _cell_value(node, x)
    if model.refused:
        raise WorkbookRefused(f"a formula refers to another file ({model.refused[0][:80]}); "
                              f"no file but the one given is opened")
    return model, sol, model.bad


def _input_values(wb: Workbook) -> dict[tuple[str, str], Any]:
    """Every value cell of the workbook (labels, inputs), for the report and the charts."""
    values: dict[tuple[str, str], Any] = {}
    for s in wb.sheets:
        for row in s.rows.values():
            for cell in row.values():
                if cell.data_type == "f":
                    continue
                v = cell.value
                values[(s.name, cell.coordinate)] = (ErrorValue(v) if cell.data_type == "e"
                                                     else v)
    return values


def _collect(per_sheet: dict[str, dict[str, FormulaCell]], index: dict[tuple[str, str], Any],
             values: dict[tuple[str, str], Any], skip: set[tuple[str, str]] | None = None
             ) -> tuple[dict[tuple[str, str], Any], list[tuple[str, str]]]:
    import numpy as np
    skip = skip or set()
    missing = []
    for (sheet, ref), raw in index.items():
        if ":" not in ref:
            values[(sheet, ref)] = raw if type(raw) in _PLAIN else plain(raw)
    for sheet, cells in per_sheet.items():
        for c in cells.values():
            if (sheet, c.coord) in skip:
                continue
            if c.kind == "array" and c.ref and ":" in c.ref:
                raw = index.get((sheet, c.ref.replace("$", "")))
                if raw is None:
                    missing.append((sheet, c.coord))
                    continue
                _spread(sheet, c.ref, np.atleast_2d(np.asarray(raw, dtype=object)), values)
            elif (sheet, c.coord) not in values:
                missing.append((sheet, c.coord))
    return values, missing


#: The engine's values that are already plain (:func:`~.functions.plain` returns them as
#: they are): exactly these types, not their subclasses (an engine error is a str).
_PLAIN = frozenset((float, str, bool))


def _spread(sheet: str, ref: str, arr: Any, values: dict[tuple[str, str], Any]) -> None:
    """The cells of the range ``ref`` from the array ``arr`` of an array formula's values,
    from its top-left corner (row by row); a cell beyond the array is #N/A."""
    r1, c1, r2, c2 = range_bounds(ref)
    letters = [col_letters(col) for col in range(c1, c2 + 1)]
    rows = range(r1, r2 + 1)
    # the very objects arr[i, j] gives (tolist of an object array of two dimensions)
    lines = arr.tolist() if arr.ndim == 2 else [list(line) for line in arr]
    if arr.ndim == 2 and arr.shape[0] >= len(rows) and arr.shape[1] >= len(letters):
        w = len(letters)   # the usual case: the array covers the range
        flat = [x for line in lines[:len(rows)] for x in line[:w]]
        values.update(zip([(sheet, f"{a}{r}") for r in rows for a in letters],
                          [x if type(x) in _PLAIN else plain(x) for x in flat]))
        return
    for r in rows:
        i = r - r1
        line = lines[i] if i < len(lines) else []
        for j, a in enumerate(letters):
            if j < len(line):
                x = line[j]
                values[(sheet, f"{a}{r}")] = x if type(x) in _PLAIN else plain(x)
            else:
                values[(sheet, f"{a}{r}")] = ErrorValue("#N/A")


def _sol_index(sol: dict[str, Any], titles: dict[str, str]) -> dict[tuple[str, str], Any]:
    """Engine node -> (sheet name, cell) for the cells of this workbook."""
    out = {}
    head = f"'[{MAIN_BOOK}]"
    for key, rng in sol.items():
        key = str(key)
        if not key.startswith(head):
            continue
        i = key.rfind("'!")
        if i < 0:
            continue
        name = titles.get(key[len(head):i].replace("''", "'"))
        if name is None:
            continue
        out[(name, key[i + 2:])] = getattr(rng, "value", rng)
    return out
