"""The workbook as the formula engine sees it: sparse in-memory sheets read from a checked package.

:func:`read_book` reads every worksheet once (streaming, :func:`~.sheetxml.scan_cells`), with the
shared strings, the defined names and, for each link to another workbook, the values Excel
cached in the link part. Limits (:data:`~.package.LIMITS`) are checked while reading, before
anything is expanded. The result offers the few things ``formulas`` reads from an openpyxl
workbook (sheets, cells by row, array-formula ranges, defined names, external links), so the
engine evaluates from memory: no file is opened again, and nothing in the workbook can make it
open another one.
"""

from __future__ import annotations

import bisect
import gc
import math
from dataclasses import dataclass, field
from typing import Any, Iterator

from .package import LIMITS, Package, WorkbookRefused
from .sheetxml import (CellRecord, ErrorValue, LimitExceeded, SheetXMLError, col_letters, coord,
                       excel_unescape, new_parser, range_bounds, scan_cells, split_coord)

__all__ = ["EngineCell", "EngineSheet", "EngineBook", "DefinedName", "Workbook", "ExternalBook",
           "FormulaInfo", "read_book"]

_NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


@dataclass(slots=True)
class EngineCell:
    """One cell as openpyxl would present it: ``data_type`` n, s, b, e or f (formula)."""
    coordinate: str
    value: Any
    data_type: str


@dataclass(slots=True)
class FormulaInfo:
    """A formula cell as stored (kind, range) and the text the engine evaluates."""
    sheet: str
    coord: str
    stored: str | None   # the text in the file (None: a dependent cell of a shared formula)
    kind: str            # normal, shared, array, dataTable
    ref: str | None      # the range of an array formula
    style: str | None
    text: str = ""       # the text evaluated (translated, rewritten)
    cached: Any = None   # the value the file holds for it (Excel's last result; None: none)
    dynamic: bool = False  # a dynamic-array formula (it spills; Excel marks it with cm=)
    attrs: dict[str, str] | None = None   # a data table's <f> attributes


class EngineSheet:
    """A sparse worksheet: only the cells the file holds."""

    def __init__(self, name: str) -> None:
        self.name = name                      # the name in the workbook
        self.title = name                     # the name the engine uses (an alias if needed)
        self.rows: dict[int, dict[int, EngineCell]] = {}
        self.array_formulae: dict[str, str] = {}   # anchor coordinate -> range
        self.formula_cells: list[EngineCell] = []
        self.hidden_rows: frozenset[int] = frozenset()   # rows marked hidden
        # an AutoFilter with criteria: the hidden rows in its range are filtered out
        self.filter_ref: str | None = None
        self.max_row = 0
        self.max_column = 0
        self._keys: list[int] | None = None
        self.layout: Any = None   # the part's sheetxml.Layout (sheets with formulas)

    def add(self, row: int, col: int, cell: EngineCell) -> None:
        self.rows.setdefault(row, {})[col] = cell
        if row > self.max_row:
            self.max_row = row
        if col > self.max_column:
            self.max_column = col
        self._keys = None

    def iter_rows(self, min_row: int | None = None, max_row: int | None = None,
                  min_col: int | None = None, max_col: int | None = None
                  ) -> Iterator[tuple[EngineCell, ...]]:
        """Without bounds: the formula cells (the engine starts from them and pulls in the
        cells they refer to). With bounds: the cells the file holds inside them, by row."""
        if min_row is None and max_row is None and min_col is None and max_col is None:
            yield tuple(self.formula_cells)
            return
        if self._keys is None:
            self._keys = sorted(self.rows)
        lo, hi = min_row or 1, max_row or self.max_row
        c_lo, c_hi = min_col or 1, max_col or self.max_column
        keys = self._keys
        for i in range(bisect.bisect_left(keys, lo), bisect.bisect_right(keys, hi)):
            row = self.rows[keys[i]]
            if len(row) <= c_hi - c_lo + 1:
                cells = [row[c] for c in sorted(row) if c_lo <= c <= c_hi]
            else:
                cells = [row[c] for c in range(c_lo, c_hi + 1) if c in row]
            if cells:
                yield tuple(cells)


@dataclass
class DefinedName:
    """A defined name as openpyxl presents it to the engine."""
    name: str
    value: str
    localSheetId: int | None = None  # noqa: N815 (the engine reads this attribute name)
    hidden: bool = False
    scope: str | None = None   # the sheet a sheet-scoped name belongs to (see localnames)
    label: str | None = None   # how messages name it (an alias: the name and its sheet)


@dataclass
class _FileLink:
    Target: str  # noqa: N815


@dataclass
class _ExternalLink:
    file_link: _FileLink


class EngineBook:
    """A workbook the engine reads: sheets by name, defined names, external links."""

    def __init__(self, sheets: list[EngineSheet]) -> None:
        self.worksheets = sheets
        self.defined_names: dict[str, DefinedName] = {}
        self._external_links: list[_ExternalLink] = []

    @property
    def sheetnames(self) -> list[str]:
        return [s.title for s in self.worksheets]

    def __getitem__(self, name: str) -> EngineSheet:
        for s in self.worksheets:
            if s.title == name:
                return s
        raise KeyError(name)


@dataclass
class ExternalBook:
    """Another workbook a link points at, as the values Excel cached in the link part."""
    index: int                 # the N of [N] in formulas
    target: str                # the path Excel recorded (never opened)
    book: EngineBook
    key: str                   # the file name the engine knows it by


@dataclass
class Workbook:
    """Everything read from a package for evaluation."""
    book: EngineBook
    sheets: list[EngineSheet]
    formulas: list[FormulaInfo]
    names: list[DefinedName]               # every defined name (local ones too)
    external: dict[int, ExternalBook] = field(default_factory=dict)
    date1904: bool = False
    used_rows: int = 0                     # the largest row / column holding anything
    used_cols: int = 0
    n_cells: int = 0
    iterate: bool = False                  # calcPr: iterative calculation on
    iterate_count: int = 100               # calcPr iterateCount (Excel's default)
    iterate_delta: float = 0.001           # calcPr iterateDelta (Excel's default)
    tables: dict[str, Any] = field(default_factory=dict)   # Excel tables by upper-case name
    calc_mode: str = "auto"                # calcPr calcMode: auto, autoNoTable or manual


# --------------------------------------------------------------------------------------------
# reading

def _shared_strings(pkg: Package) -> list[str]:
    part = pkg.part_of_type("xl/workbook.xml", "/sharedStrings")
    if part is None:
        return []
    xml = pkg.xml_bytes(part)
    strings: list[str] = []
    stack: list[str] = []
    buf: list[str] = []
    state = {"in_t": False}
    p = new_parser()

    def start(name: str, attrs: dict[str, str]) -> None:
        local = name.rpartition(" ")[2]
        parent = stack[-1] if stack else ""
        stack.append(local)
        if local == "si" and parent == "sst":
            buf.clear()
        elif local == "t" and (parent == "si"
                               or (parent == "r" and len(stack) >= 3 and stack[-3] == "si")):
            state["in_t"] = True

    def end(name: str) -> None:
        local = stack.pop()
        if local == "t":
            state["in_t"] = False
        elif local == "si" and stack and stack[-1] == "sst":
            strings.append(excel_unescape("".join(buf)))

    def chars(text: str) -> None:
        if state["in_t"]:
            buf.append(text)

    p.StartElementHandler, p.EndElementHandler, p.CharacterDataHandler = start, end, chars
    try:
        p.Parse(xml, True)
    except Exception as exc:  # expat errors and our DTD refusal
        raise WorkbookRefused(f"the shared strings ({part}) cannot be read: "
                              f"{_plain_error(exc)}") from None
    return strings


def _plain_error(exc: BaseException) -> str:
    import xml.parsers.expat as expat
    if isinstance(exc, expat.ExpatError):
        return f"not well-formed XML ({expat.ErrorString(exc.code)}, line {exc.lineno})"
    return str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__


def _number(text: str | None, where: str) -> float:
    try:
        x = float(text or 0)
    except ValueError:
        raise WorkbookRefused(f"{where} stores {text[:20]!r} where a number belongs") from None
    if not math.isfinite(x):
        raise WorkbookRefused(f"{where} stores {text[:20]!r}, which is not a finite number")
    return x


def _value(rec: CellRecord, strings: list[str], where: str, date1904: bool
           ) -> tuple[Any, str] | None:
    """(value, data_type) of a value cell, None for an empty one."""
    t, v = rec.t, rec.value
    if v is None:
        return None
    if t == "s":
        try:
            return strings[int(v)], "s"
        except (ValueError, IndexError):
            raise WorkbookRefused(f"{where} refers to shared string {v[:20]!r}, which the "
                                  f"workbook does not have") from None
    if t in ("str", "inlineStr"):
        return excel_unescape(v), "s"
    if t == "b":
        return v.strip() in ("1", "true"), "b"
    if t == "e":
        return v.strip(), "e"
    if t == "d":
        return _iso_serial(v, where, date1904), "n"
    return _number(v, where), "n"


def _iso_serial(text: str, where: str, date1904: bool) -> float:
    import datetime as dt
    try:
        d = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise WorkbookRefused(f"{where} stores the date {text[:30]!r}, which is not an ISO "
                              f"8601 date") from None
    base = dt.datetime(1904, 1, 1) if date1904 else dt.datetime(1899, 12, 30)
    days = (d.replace(tzinfo=None) - base).total_seconds() / 86400.0
    return days


def _formula_range(rec: CellRecord, where: str, what: str) -> tuple[int, int, int, int]:
    """The bounds of the range of an array formula or data table (``what``); a range that is
    not one of the sheet refuses the workbook."""
    try:
        return range_bounds(rec.f_ref)
    except SheetXMLError:
        raise WorkbookRefused(f"{where}: the {what}'s range {rec.f_ref!r} is not a range of "
                              f"the sheet") from None


def _read_sheet(pkg: Package, name: str, part: str, strings: list[str], budget: dict[str, int],
                wb: Workbook) -> EngineSheet:
    sheet = EngineSheet(name)
    shared: dict[str, tuple[str, str]] = {}   # si -> (anchor coordinate, text)
    n_formulas = budget["formula_cells"]
    n_cells = budget["cells"]
    arrays, tables = budget["array_cells"], budget["table_cells"]

    rows, date1904 = sheet.rows, wb.date1904

    def on_cell(rec: CellRecord) -> None:
        nonlocal n_formulas, n_cells, arrays, tables
        if rec.f_kind is None:   # a value cell (most of them): the short way
            v = rec.value
            if v is None:
                return
            c = rec.ref or coord(rec.row, rec.col)
            t = rec.t
            x = math.nan
            if t is None or t == "n":
                try:
                    x = float(v or 0)
                except ValueError:
                    pass
            if x - x == 0.0:   # a finite number
                cell = EngineCell(c, x, "n")
            else:
                got = _value(rec, strings, f"{name}!{c}", date1904)
                if got is None:
                    return
                cell = EngineCell(c, got[0], got[1])
            n_cells -= 1
            if n_cells < 0:
                raise _Limit("cells")
            row = rows.get(rec.row)
            if row is None:
                row = rows[rec.row] = {}
            row[rec.col] = cell
            return
        c = rec.coord
        where = f"{name}!{c}"
        if rec.f_kind is not None:
            n_formulas -= 1
            if n_formulas < 0:
                raise _Limit("formula_cells")
            info = _formula(rec, where, shared)
            info.cached = _cached(rec, strings, wb.date1904)
            info.dynamic = rec.cm is not None and rec.f_kind == "array"
            if rec.f_kind == "dataTable" and rec.f_ref:
                # each cell of a data table is one more evaluation of the model
                r1, c1, r2, c2 = _formula_range(rec, where, "data table")
                tables -= (r2 - r1 + 1) * (c2 - c1 + 1)
                if tables < 0:
                    raise _Limit("table_cells")
            if rec.f_kind == "array" and rec.f_ref:
                r1, c1, r2, c2 = _formula_range(rec, where, "array formula")
                arrays -= (r2 - r1 + 1) * (c2 - c1 + 1)
                if arrays < 0:
                    raise _Limit("array_cells")
                if (r1, c1) != (rec.row, rec.col):
                    raise WorkbookRefused(f"{where}: the array formula's range {rec.f_ref} "
                                          f"does not start at its cell")
                sheet.array_formulae[c] = f"{coord(r1, c1)}:{coord(r2, c2)}"
                wb.used_rows, wb.used_cols = max(wb.used_rows, r2), max(wb.used_cols, c2)
            info.sheet = name
            wb.formulas.append(info)
            cell = EngineCell(c, info, "f")   # the text is filled in once all sheets are read
            sheet.formula_cells.append(cell)
        else:
            got = _value(rec, strings, where, wb.date1904)
            if got is None:
                return
            cell = EngineCell(c, got[0], got[1])
        n_cells -= 1
        if n_cells < 0:
            raise _Limit("cells")
        sheet.add(rec.row, rec.col, cell)

    try:
        facts = scan_cells(pkg.xml_bytes(part), on_cell, merge_limit=budget["merges"],
                           layout=True)
    except LimitExceeded:
        raise _Limit("merges") from None
    except SheetXMLError as exc:
        raise WorkbookRefused(f"sheet {name!r} cannot be read: {exc}") from None
    if rows:   # what EngineSheet.add keeps, for the value cells added above
        sheet.max_row = max(sheet.max_row, max(rows))
        sheet.max_column = max(sheet.max_column, max(max(r) for r in rows.values() if r))
        sheet._keys = None
    budget["merges"] -= len(facts.merges)
    sheet.hidden_rows, sheet.filter_ref = frozenset(facts.hidden_rows), facts.filter_ref
    # where the cells are, for writing the cached values without parsing the part again
    sheet.layout = facts.layout if sheet.formula_cells else None
    budget["formula_cells"], budget["cells"] = n_formulas, n_cells
    budget["array_cells"], budget["table_cells"] = arrays, tables
    for ref in facts.merges:
        try:
            r1, c1, r2, c2 = range_bounds(ref)
        except SheetXMLError:
            raise WorkbookRefused(f"sheet {name!r} merges {ref[:30]!r}, which is not a range "
                                  f"of the sheet") from None
    wb.used_rows = max(wb.used_rows, sheet.max_row)
    wb.used_cols = max(wb.used_cols, sheet.max_column)
    return sheet


class _Limit(Exception):
    """A limit of :data:`LIMITS` reached while reading (the key)."""


def _cached(rec: CellRecord, strings: list[str], date1904: bool) -> Any:
    """The value a formula cell holds in the file (its last result), or None; a damaged one is
    None (it is only a starting point or a fallback)."""
    if rec.t in (None, "n") and not (rec.value or "").strip():
        return None   # <v/>: no result saved (as writers other than Excel leave it), not 0
    try:
        got = _value(rec, strings, "", date1904)
    except WorkbookRefused:
        return None
    if got is None:
        return None
    value, kind = got
    return ErrorValue(value) if kind == "e" else value


def _formula(rec: CellRecord, where: str, shared: dict[str, tuple[str, str]]) -> FormulaInfo:
    kind = rec.f_kind or "normal"
    text = rec.f_text
    info = FormulaInfo("", rec.coord, text, kind, rec.f_ref, rec.s)
    if kind == "dataTable":
        info.attrs = dict(rec.f_attrs or {})
        return info
    if kind == "shared":
        si = rec.f_si or ""
        if text:  # the master cell of the group
            shared[si] = (rec.coord, text)
            info.text = text
        elif si in shared:
            anchor, master = shared[si]
            info.text = _shift(master, anchor, rec.coord) or _translate(master, anchor,
                                                                         rec.coord, where)
        else:
            raise WorkbookRefused(f"{where}: shared formula {si[:10]!r} is used before it is "
                                  f"defined")
    else:
        info.text = text or ""
    return info


_SIMPLE_REF = __import__("re").compile(r"^(\$?)([A-Za-z]{1,3})(\$?)([0-9]{1,7})$")
_SHIFT_CACHE: dict[str, Any] = {}


def _shift(text: str, origin: str, dest: str) -> str | None:
    """A shared formula copied to ``dest`` when it is simple (cell references without sheet or
    range, names, numbers, calls, operators): its relative references moved as Excel moves
    them; None for anything else (the general translator handles it)."""
    parts = _SHIFT_CACHE.get(text)
    if parts is None:
        from .formulatext import tokens
        parts = []
        for t in tokens(text):
            if t.kind in ("str", "quoted", "bracket", "bang", "lbrace", "rbrace", "error") or \
                    (t.kind == "op" and t.text in ":#@;"):
                parts = False
                break
            m = _SIMPLE_REF.match(t.text) if t.kind == "word" else None
            parts.append((m.group(1), m.group(2).upper(), m.group(3), int(m.group(4)))
                         if m else t.text)
        if len(_SHIFT_CACHE) > 4096:
            _SHIFT_CACHE.clear()
        _SHIFT_CACHE[text] = parts
    if parts is False:
        return None
    r0, c0 = split_coord(origin)
    r1, c1 = split_coord(dest)
    dr, dc = r1 - r0, c1 - c0
    out = []
    for i, p in enumerate(parts):
        if isinstance(p, str):
            out.append(p)
            continue
        if i + 1 < len(parts) and parts[i + 1] == "(":
            return None   # a name like a reference, called: leave it to the translator
        cabs, letters, rabs, row = p
        col = _col_number(letters) + (0 if cabs else dc)
        row = row + (0 if rabs else dr)
        if not (1 <= col <= 16_384 and 1 <= row <= 1_048_576):
            return None
        out.append(f"{cabs}{col_letters(col)}{rabs}{row}")
    return "".join(out)


def _col_number(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def _translate(text: str, origin: str, dest: str, where: str) -> str:
    from openpyxl.formula.translate import Translator, TranslatorError
    try:
        return Translator("=" + text, origin=origin).translate_formula(dest)[1:]
    except (TranslatorError, ValueError, IndexError) as exc:
        raise WorkbookRefused(f"{where}: the shared formula cannot be copied to this cell "
                              f"({_plain_error(exc)})") from None


def _calc_pr(root: Any, wb: Workbook) -> None:
    """Excel's iterative-calculation settings from ``calcPr`` (defaults: off, 100, 0.001)."""
    pr = root.find(f"{{{_NS_MAIN}}}calcPr")
    if pr is None:
        return
    wb.iterate = pr.get("iterate", "0").strip().lower() in ("1", "true")
    mode = (pr.get("calcMode") or "auto").strip()
    wb.calc_mode = mode if mode in ("auto", "autoNoTable", "manual") else "auto"
    try:
        count = int(float(pr.get("iterateCount", "100")))
        delta = float(pr.get("iterateDelta", "0.001"))
    except ValueError:
        raise WorkbookRefused("the workbook's calculation settings (calcPr) are not numbers") \
            from None
    if not (1 <= count <= 32767) or not (math.isfinite(delta) and delta >= 0):
        raise WorkbookRefused(f"the workbook's iterative-calculation settings are outside "
                              f"Excel's range (iterateCount {count}, iterateDelta {delta})")
    wb.iterate_count, wb.iterate_delta = count, delta


def _workbook_xml(pkg: Package) -> tuple[bool, list[DefinedName]]:
    root = pkg.xml("xl/workbook.xml")
    pr = root.find(f"{{{_NS_MAIN}}}workbookPr")
    date1904 = pr is not None and pr.get("date1904", "0").strip().lower() in ("1", "true")
    names = []
    order = [s.get("name", "") for s in root.iter(f"{{{_NS_MAIN}}}sheet")]  # localSheetId's
    for n in root.iter(f"{{{_NS_MAIN}}}definedName"):
        local = n.get("localSheetId")
        index = int(local) if local and local.isdigit() else None
        names.append(DefinedName(n.get("name", ""), (n.text or "").strip(), index,
                                 n.get("hidden", "0").strip().lower() in ("1", "true"),
                                 order[index] if index is not None and index < len(order)
                                 else None))
    return date1904, names


def _external_book(pkg: Package, index: int, part: str, target: str, budget: dict[str, int]
                   ) -> ExternalBook:
    """The values cached in an external link part, as a book."""
    root = pkg.xml(part)
    ext = root.find(f"{{{_NS_MAIN}}}externalBook")
    names = []
    sheets: dict[int, EngineSheet] = {}
    if ext is not None:
        sn = ext.find(f"{{{_NS_MAIN}}}sheetNames")
        if sn is not None:
            names = [s.get("val", "") for s in sn.findall(f"{{{_NS_MAIN}}}sheetName")]
        for i, nm in enumerate(names):
            sheets[i] = EngineSheet(nm)
        data = ext.find(f"{{{_NS_MAIN}}}sheetDataSet")
        for sd in (data.findall(f"{{{_NS_MAIN}}}sheetData") if data is not None else []):
            sid = sd.get("sheetId", "")
            if not sid.isdigit() or int(sid) not in sheets:
                continue
            sheet = sheets[int(sid)]
            for row in sd.findall(f"{{{_NS_MAIN}}}row"):
                for cell in row.findall(f"{{{_NS_MAIN}}}cell"):
                    r = cell.get("r", "")
                    where = f"the cached values of link [{index}] ({r[:12]})"
                    try:
                        rr, cc = split_coord(r)
                    except SheetXMLError:
                        raise WorkbookRefused(f"{where}: not a cell reference") from None
                    v = cell.find(f"{{{_NS_MAIN}}}v")
                    rec = CellRecord(rr, cc, cell.get("t"), None, v.text if v is not None
                                     else None)
                    if rec.t == "s":
                        rec.t = "str"  # link caches hold the text itself
                    got = _value(rec, [], where, False)
                    if got is None:
                        continue
                    budget["cells"] -= 1
                    if budget["cells"] < 0:
                        raise _Limit("cells")
                    sheet.add(rr, cc, EngineCell(coord(rr, cc), got[0], got[1]))
    book = EngineBook([sheets[i] for i in sorted(sheets)])
    return ExternalBook(index, target, book, f"__CC_LINK_{index}__.XLSX")


_LIMIT_WORDS = {
    "formula_cells": "formula cells",
    "cells": "non-empty cells",
    "array_cells": "cells in array-formula ranges",
    "table_cells": "cells in data-table ranges",
    "merges": "merged ranges",
}


def _array_budget() -> int:
    """Cells array formulas may cover while the sheets are read: as many as the non-empty
    cells a workbook may hold (at least the free allowance); :func:`read_book` then checks the
    part beyond the allowance against the cells the file really holds."""
    return max(LIMITS["array_cells"], LIMITS["cells"])


def read_book(pkg: Package) -> Workbook:
    """Read a checked package into an engine workbook (see the module docstring)."""
    # the cyclic garbage collector would traverse every cell read again and again as their
    # number grows; reading makes no reference cycles, so it waits until the book is read
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _read_book(pkg)
    finally:
        if collecting:
            gc.enable()


def _read_book(pkg: Package) -> Workbook:
    budget = {k: LIMITS[k] for k in _LIMIT_WORDS}
    budget["array_cells"] = _array_budget()
    date1904, names = _workbook_xml(pkg)
    strings = _shared_strings(pkg)
    wb = Workbook(EngineBook([]), [], [], names, date1904=date1904)
    _calc_pr(pkg.xml("xl/workbook.xml"), wb)
    try:
        for name, part in pkg.sheets:
            wb.sheets.append(_read_sheet(pkg, name, part, strings, budget, wb))
        for i, link in pkg.links.items():
            if not link.is_addin:
                wb.external[i] = _external_book(pkg, i, link.part, link.target, budget)
    except _Limit as exc:
        key = exc.args[0]
        limit = _array_budget() if key == "array_cells" else LIMITS[key]
        raise WorkbookRefused(f"the workbook has more than {limit:,} "
                              f"{_LIMIT_WORDS[key]} (limit checked before evaluating)") from None
    wb.n_cells = LIMITS["cells"] - budget["cells"]
    # array formulas beyond the free allowance must be as large as the workbook's own cells
    # (a loan tape's output columns as long as its input columns): a tiny file cannot make
    # the engine expand millions of cells
    n_array = _array_budget() - budget["array_cells"]
    if n_array > LIMITS["array_cells"] and n_array > wb.n_cells:
        raise WorkbookRefused(f"the workbook has {n_array:,} cells in array-formula ranges: "
                              f"more than {LIMITS['array_cells']:,} and more than the "
                              f"{wb.n_cells:,} non-empty cells it holds (limit checked before "
                              f"evaluating)")
    for ext in wb.external.values():
        for s in ext.book.worksheets:
            wb.used_rows = max(wb.used_rows, s.max_row)
            wb.used_cols = max(wb.used_cols, s.max_column)
    from .tables import read_tables
    wb.tables = read_tables(pkg)
    wb.book = EngineBook(wb.sheets)
    from .localnames import globalise
    globalise(wb)
    return wb
