"""Evaluate a checked package in memory: read it (:mod:`.book`), prepare every formula for the
engine, compute with ``formulas``, and collect the values (refusing cycles by name).

Steps (:func:`evaluate_package`):

1. the package is read into sparse sheets, with limits checked while reading;
2. each formula is prepared: our functions saved as references to the add-in get plain names
   (:func:`~.formulatext.rewrite_formula`), unknown functions are refused, skipped arguments of
   ours get a marker (:func:`~.formulatext.mark_skipped`), sheets the engine cannot name get
   aliases, whole columns and rows are bounded by the used range and references to other
   files are checked (:func:`~.ranges.prepare`);
3. the engine evaluates from memory (:class:`_Model` serves only this workbook and the values
   cached for its links; asked for any other file, it refuses);
4. the values are indexed by (sheet, cell); array formulas are spread over their range.
"""

from __future__ import annotations

import contextlib
import io
import os
import threading
import time
from dataclasses import dataclass
from typing import Any

from .book import EngineBook, Workbook, read_book
from .formulatext import function_names, mark_skipped, rewrite_formula
from .functions import cell_class, engine, our_names, plain
from .package import LIMITS, Package, WorkbookRefused
from .ranges import NameRange, Refused, prepare
from .sheetxml import MAX_COL, MAX_ROW, ErrorValue, FormulaCell, cells_of_range, split_coord

__all__ = ["Evaluation", "evaluate_package", "Budget", "DATE_SYSTEM_FUNCTIONS", "MAIN_BOOK"]

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


def _prepare(wb: Workbook, addin_links: set[int]) -> list[str]:
    """Prepare names and formulas in place; return notes for the report."""
    ours = our_names()
    ours_upper = frozenset(ours)
    _, functions = engine()
    aliases = _aliases(wb)
    links = {i: {s.title.upper() for s in e.book.worksheets} for i, e in wb.external.items()}
    used = (wb.used_rows, wb.used_cols)
    date_fns = _date_functions() if wb.date1904 else frozenset()
    # defined names: the engine reads the global ones
    names: dict[str, NameRange] = {}
    for dn in wb.names:
        if dn.hidden or dn.localSheetId is not None or not dn.value:
            continue
        where = f"the defined name {dn.name}"
        text = rewrite_formula(dn.value, addin_links, ours)
        try:
            got = prepare(text, used=used, aliases=aliases, names={}, allowed=ours_upper,
                          links=links, where=where, definition=True)
        except Refused as exc:
            raise WorkbookRefused(str(exc)) from None
        dn.value = got.text
        if len(got.refs) == 1 and got.refs[0].cut is not None:
            names[dn.name.upper()] = NameRange(got.refs[0], got.text)
        wb.book.defined_names[dn.name] = dn
    unknown: list[str] = []
    areas: dict[tuple, int] = {}
    uses_links = False
    for f in wb.formulas:
        where = f"{f.sheet}!{f.coord}"
        text = rewrite_formula(f.text, addin_links, ours)
        for fn in function_names(text):
            up = fn.upper()
            if up not in functions:
                unknown.append(f"{fn} in {where}")
            elif up.removeprefix("_XLFN.") in date_fns:
                raise WorkbookRefused(f"{where} calls {fn} in a workbook that uses the 1904 date "
                                      f"system; the headless engine computes dates in the 1900 "
                                      f"system only (dates would be four years off)")
        if unknown:
            continue
        text = mark_skipped(text, ours_upper)
        try:
            got = prepare(text, used=used, aliases=aliases, names=names, allowed=ours_upper,
                          links=links, where=where)
        except Refused as exc:
            raise WorkbookRefused(str(exc)) from None
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
    notes = []
    if uses_links:
        shown = ", ".join(f"[{i}] {e.target or 'unnamed'}" for i, e in sorted(wb.external.items()))
        notes.append(f"links to other workbooks were read from the values cached in this file, "
                     f"not from the files: {shown}")
    return notes


def _fill_cells(wb: Workbook) -> None:
    """Put the prepared formula texts into the engine's cells."""
    by_sheet: dict[str, dict[str, str]] = {}
    for f in wb.formulas:
        by_sheet.setdefault(f.sheet, {})[f.coord] = f.text
    for s in wb.sheets:
        texts = by_sheet.get(s.name, {})
        for cell in s.formula_cells:
            cell.value = "=" + texts[cell.coordinate]


def evaluate_package(pkg: Package) -> Evaluation:
    """Evaluate every formula of a checked package (see the module docstring)."""
    wb = read_book(pkg)
    _refuse_edges(wb)
    addin_links = {i for i, link in pkg.links.items() if link.is_addin}
    notes = _prepare(wb, addin_links)
    _fill_cells(wb)
    model, sol = _run_engine(wb, pkg)
    titles = {s.title.upper(): s.name for s in wb.sheets}
    index = _sol_index(sol, titles)
    per_sheet: dict[str, dict[str, FormulaCell]] = {s.name: {} for s in wb.sheets}
    for f in wb.formulas:
        per_sheet[f.sheet][f.coord] = FormulaCell(f.coord, f.stored, f.kind, f.ref, f.style)
    values, missing = _collect(per_sheet, index, _input_values(wb))
    if missing:
        _refuse_cycles(model, {s.title.upper(): s.name for s in wb.sheets})
    return Evaluation(per_sheet, values, missing, notes)


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
        values cached for its links. Asked for any other file, it refuses (and records it)."""

        def __init__(self, allowed: set[str], budget: Budget) -> None:
            super().__init__()
            self.allowed = allowed
            self.refused: list[str] = []
            self.budget = budget

        def compile_cell(self, *args: Any, **kwargs: Any) -> Any:
            self.budget.tick()
            return super().compile_cell(*args, **kwargs)

        @staticmethod
        def _compile_cell(crd: str, val: Any, context: Any, check_formula: bool,
                          references: Any) -> Any:
            try:
                cell = cell_class()(crd, val, context=context, check_formula=check_formula)
                cell.compile(references=references, context=context)
            except (_OverBudget, RecursionError, MemoryError):
                raise
            except Exception:
                raise _BadFormula(str((context or {}).get("sheet", "")), crd, val) from None
            return cell

        def add_book(self, book: Any = None, context: Any = None, data_only: bool = False
                     ) -> Any:
            if isinstance(book, str) and book.replace("\\", "/").upper() not in self.allowed:
                self.refused.append(book)
                raise _OtherFile(book)
            return super().add_book(book, context, data_only)

    return Model


def _run_engine(wb: Workbook, pkg: Package) -> tuple[Any, Any]:
    from formulas.excel import BOOK
    formulas_mod, _ = engine()
    books: dict[str, tuple[EngineBook, dict[str, tuple[str, str]]]] = {}
    link_map = {}
    for i, ext in wb.external.items():
        books[ext.key] = (ext.book, {})
        link_map[str(i)] = ("", ext.key)
    books[MAIN_BOOK] = (wb.book, link_map)
    budget = Budget(LIMITS["seconds"], LIMITS["memory_bytes"])
    model = _model_class(formulas_mod)(set(books), budget)
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
        except (_OverBudget, DispatcherAbort):
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
    if model.refused:
        raise WorkbookRefused(f"a formula refers to another file ({model.refused[0][:80]}); "
                              f"no file but the one given is opened")
    return model, sol


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
             values: dict[tuple[str, str], Any]
             ) -> tuple[dict[tuple[str, str], Any], list[tuple[str, str]]]:
    import numpy as np
    missing = []
    for (sheet, ref), raw in index.items():
        if ":" not in ref:
            values[(sheet, ref)] = plain(raw)
    for sheet, cells in per_sheet.items():
        for c in cells.values():
            if c.kind == "array" and c.ref and ":" in c.ref:
                raw = index.get((sheet, c.ref.replace("$", "")))
                if raw is None:
                    missing.append((sheet, c.coord))
                    continue
                arr = np.atleast_2d(np.asarray(raw, dtype=object))
                span = cells_of_range(c.ref)
                r0, q0 = split_coord(span[0])
                for cc in span:
                    r, q = split_coord(cc)
                    i, j = r - r0, q - q0
                    inside = i < arr.shape[0] and j < arr.shape[1]
                    values[(sheet, cc)] = plain(arr[i, j]) if inside else ErrorValue("#N/A")
            elif (sheet, c.coord) not in values:
                missing.append((sheet, c.coord))
    return values, missing


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


def _refuse_cycles(model: Any, titles: dict[str, str]) -> None:
    cycles = _cycles(model.dsp.dmap)
    cells = sorted({_cell_label(n, titles) for comp in cycles for n in comp
                    if not str(n).startswith("=")})
    if cells:
        shown = ", ".join(cells[:4])
        more = f" and {len(cells) - 4} more" if len(cells) > 4 else ""
        raise WorkbookRefused(f"circular reference through {shown}{more}; the headless "
                              f"engine does not iterate")


def _cycles(dmap: Any) -> list[list[str]]:
    """Strongly connected components with more than one node (or a self-loop), iteratively."""
    succ = dmap.succ
    index, low, on, stack, comps, counter = {}, {}, set(), [], [], [0]
    for root in list(succ):
        if root in index:
            continue
        work = [(root, iter(succ.get(root, ())))]
        index[root] = low[root] = counter[0]
        counter[0] += 1
        stack.append(root)
        on.add(root)
        while work:
            node, it = work[-1]
            advanced = False
            for nxt in it:
                if nxt not in index:
                    index[nxt] = low[nxt] = counter[0]
                    counter[0] += 1
                    stack.append(nxt)
                    on.add(nxt)
                    work.append((nxt, iter(succ.get(nxt, ()))))
                    advanced = True
                    break
                if nxt in on:
                    low[node] = min(low[node], index[nxt])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == node:
                        break
                if len(comp) > 1 or node in succ.get(node, ()):
                    comps.append(comp)
    return comps


def _cell_label(node: str, titles: dict[str, str]) -> str:
    node = str(node)
    i = node.rfind("'!")
    if node.startswith("'[") and i > 0:
        title = node[2:i].split("]", 1)[-1].replace("''", "'")
        return titles.get(title, title) + "!" + node[i + 2:]
    return node
