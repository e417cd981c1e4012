"""Every cell of a checked package with its value, for readers that look at a whole deal
(``computecredit audit``, ``computecredit retrofit``).

:func:`read_cellmap` reads each worksheet part once with :func:`~.sheetxml.iter_cells` (the
same parser the engine uses: no DTD, no entities, byte-exact), resolves shared strings, copies
each shared formula to its dependent cells (reference translation on the text only), reads the
defined names and marks cells whose number format is a date. Cached values are taken as the
file holds them; :func:`fill_values` computes the formula cells the file holds no value for
(a workbook written by a library rather than by Excel) with the headless engine.

Nothing is executed and no other file is opened; sizes are bounded by :data:`LIMITS`.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from posixpath import basename, dirname, join, normpath
from typing import Any, Iterator
from xml.etree import ElementTree as ET

from .package import Package, WorkbookRefused
from .sheetxml import ErrorValue, SheetXMLError, coord, excel_unescape, iter_cells, split_coord

__all__ = ["Cell", "SheetCells", "DefinedName", "CellMap", "read_cellmap", "fill_values",
           "LIMITS"]

#: Bounds on what is read (a deal workbook holds a few thousand cells).
LIMITS = {"cells": 2_000_000, "name_chars": 10_000, "names": 20_000}

_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_NS_R = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_NS_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"

#: Built-in number formats that show dates or times.
_DATE_FORMAT_IDS = frozenset(range(14, 23)) | frozenset(range(45, 48)) | frozenset(
    range(27, 37)) | frozenset(range(50, 59))


@dataclass(slots=True)
class Cell:
    """One non-empty cell: its value (number, text, bool, :class:`ErrorValue`, or None when a
    formula has no cached value) and its formula text (no leading ``=``; shared formulas
    copied to each cell)."""
    value: Any
    formula: str | None = None
    array_ref: str | None = None   # the range of the array formula anchored here
    date: bool = False             # formatted as a date


@dataclass
class SheetCells:
    name: str
    part: str
    cells: dict[tuple[int, int], Cell] = field(default_factory=dict)
    array_members: dict[tuple[int, int], tuple[int, int]] = field(default_factory=dict)

    def get(self, row: int, col: int) -> Cell | None:
        return self.cells.get((row, col))

    def value(self, row: int, col: int) -> Any:
        c = self.cells.get((row, col))
        return None if c is None else c.value

    def rows(self) -> list[int]:
        return sorted({r for r, _ in self.cells})


@dataclass(frozen=True)
class DefinedName:
    name: str
    text: str                  # what the name refers to (a reference or a formula)
    scope: str | None = None   # the sheet of a sheet-local name


@dataclass
class CellMap:
    sheets: list[SheetCells]
    names: list[DefinedName]
    notes: list[str] = field(default_factory=list)

    def sheet(self, name: str) -> SheetCells | None:
        up = name.upper()
        return next((s for s in self.sheets if s.name.upper() == up), None)

    def name(self, name: str, scope: str | None = None) -> DefinedName | None:
        """The defined name ``name`` as seen from sheet ``scope`` (a local name first)."""
        up = name.upper()
        found = None
        for n in self.names:
            if n.name.upper() != up:
                continue
            if n.scope is not None and scope is not None and n.scope.upper() == scope.upper():
                return n
            if n.scope is None:
                found = n
        return found

    def iter_cells(self) -> Iterator[tuple[SheetCells, int, int, Cell]]:
        for s in self.sheets:
            for (r, c), cell in s.cells.items():
                yield s, r, c, cell


# --------------------------------------------------------------------------------------------
# reading

def _rels(pkg: Package, part: str) -> dict[str, tuple[str, str]]:
    name = join(dirname(part), "_rels", basename(part) + ".rels")
    if name not in pkg.zf.NameToInfo:
        return {}
    out = {}
    for r in _xml(pkg, name).iter(f"{_NS_REL}Relationship"):
        target = r.get("Target", "")
        if r.get("TargetMode") != "External":
            target = target.lstrip("/") if target.startswith("/") else \
                normpath(join(dirname(part), target))
        out[r.get("Id", "")] = (r.get("Type", ""), target)
    return out


def _xml(pkg: Package, part: str) -> ET.Element:
    try:
        return ET.fromstring(pkg.read(part))  # read() refuses DTDs and entities
    except ET.ParseError as exc:
        raise WorkbookRefused(f"the part {part} is not well-formed XML ({exc})") from None


def _shared_strings(pkg: Package) -> list[str]:
    part = next((t for typ, t in _rels(pkg, "xl/workbook.xml").values()
                 if typ.endswith("/sharedStrings")), None)
    if part is None or part not in pkg.zf.NameToInfo:
        return []
    out = []
    for si in _xml(pkg, part).iter(f"{_NS}si"):
        # plain <t>, or rich-text runs <r><t>; phonetic runs (<rPh>) are not part of the text
        t = si.find(f"{_NS}t")
        text = t.text or "" if t is not None else \
            "".join(x.text or "" for r in si.findall(f"{_NS}r") for x in r.findall(f"{_NS}t"))
        out.append(excel_unescape(text))
    return out


def _date_styles(pkg: Package) -> set[int]:
    """Indices of cell formats (``s=``) that show a date."""
    part = next((t for typ, t in _rels(pkg, "xl/workbook.xml").values()
                 if typ.endswith("/styles")), None)
    if part is None or part not in pkg.zf.NameToInfo:
        return set()
    root = _xml(pkg, part)
    custom = {}
    for nf in root.iter(f"{_NS}numFmt"):
        try:
            custom[int(nf.get("numFmtId", "-1"))] = nf.get("formatCode", "")
        except ValueError:
            continue
    out = set()
    xfs = root.find(f"{_NS}cellXfs")
    for i, xf in enumerate(xfs.findall(f"{_NS}xf") if xfs is not None else []):
        try:
            fid = int(xf.get("numFmtId", "0"))
        except ValueError:
            continue
        if fid in _DATE_FORMAT_IDS or (fid in custom and _is_date_code(custom[fid])):
            out.add(i)
    return out


def _is_date_code(code: str) -> bool:
    code = re.sub(r'"[^"]*"|\\.|\[[^\]]*\]', "", code)  # quoted text, escapes, colours
    return bool(re.search(r"[dmyDMY]", code)) and not re.search(r"[#0?]", code)


def _number(text: str) -> Any:
    try:
        x = float(text)
    except ValueError:
        return ErrorValue("#VALUE!", f"stored {text[:20]!r} where a number belongs")
    return x if math.isfinite(x) else ErrorValue("#NUM!", "not a finite number")


def _value(t: str | None, v: str | None, strings: list[str]) -> Any:
    if v is None or (v == "" and t not in ("str", "inlineStr")):
        return None  # no cached value (libraries write an empty <v/> for formulas)
    if t == "s":
        try:
            return strings[int(v)]
        except (ValueError, IndexError):
            return ErrorValue("#REF!", f"shared string {v[:20]!r} is missing")
    if t in ("str", "inlineStr"):
        return excel_unescape(v)
    if t == "b":
        return v.strip() in ("1", "true")
    if t == "e":
        return ErrorValue(v.strip())
    if t == "d":
        return v  # an ISO date as text; rare in files Excel writes
    return _number(v)


def _translate(text: str, origin: str, dest: str) -> str | None:
    """A shared formula copied from ``origin`` to ``dest`` (text only), None if it cannot be."""
    from openpyxl.formula.translate import Translator, TranslatorError
    try:
        return Translator("=" + text, origin=origin).translate_formula(dest)[1:]
    except (TranslatorError, ValueError, IndexError, KeyError):
        return None


def read_cellmap(pkg: Package) -> CellMap:
    """Every non-empty cell of every worksheet of ``pkg`` (see the module docstring).

    Raises :class:`~.package.WorkbookRefused` for a part that cannot be read or a workbook
    above :data:`LIMITS`."""
    strings = _shared_strings(pkg)
    dates = _date_styles(pkg)
    names = _defined_names(pkg)
    sheets = []
    n = 0
    for name, part in pkg.sheets:
        sc = SheetCells(name, part)
        shared: dict[str, tuple[str, str]] = {}
        try:
            for rec in iter_cells(pkg.read(part)):
                formula = None
                if rec.f_kind is not None:
                    formula = rec.f_text
                    if rec.f_kind == "shared":
                        si = rec.f_si or ""
                        if rec.f_text:
                            shared[si] = (rec.coord, rec.f_text)
                        elif si in shared:
                            formula = _translate(shared[si][1], shared[si][0], rec.coord)
                value = _value(rec.t, rec.value, strings)
                if value is None and formula is None:
                    continue
                n += 1
                if n > LIMITS["cells"]:
                    raise WorkbookRefused(f"the workbook has more than {LIMITS['cells']:,} "
                                          f"non-empty cells")
                s = int(rec.s) if rec.s and rec.s.isdigit() else 0
                cell = Cell(value, formula, None, s in dates and isinstance(value, float))
                if rec.f_kind == "array" and rec.f_ref:
                    cell.array_ref = rec.f_ref
                    _mark_array(sc, rec.row, rec.col, rec.f_ref)
                sc.cells[(rec.row, rec.col)] = cell
        except SheetXMLError as exc:
            raise WorkbookRefused(f"sheet {name!r} cannot be read: {exc}") from None
        sheets.append(sc)
    return CellMap(sheets, names)


def _mark_array(sc: SheetCells, row: int, col: int, ref: str) -> None:
    from .sheetxml import range_bounds
    try:
        r1, c1, r2, c2 = range_bounds(ref)
    except SheetXMLError:
        return
    if (r2 - r1 + 1) * (c2 - c1 + 1) > 100_000:
        return
    for r in range(r1, r2 + 1):
        for c in range(c1, c2 + 1):
            sc.array_members[(r, c)] = (row, col)


def _defined_names(pkg: Package) -> list[DefinedName]:
    root = _xml(pkg, "xl/workbook.xml")
    sheet_names = [s.get("name", "") for s in root.iter(f"{_NS}sheet")]
    out = []
    for dn in root.iter(f"{_NS}definedName"):
        text = (dn.text or "").strip()
        if len(text) > LIMITS["name_chars"] or len(out) >= LIMITS["names"]:
            continue
        local = dn.get("localSheetId")
        scope = None
        if local is not None and local.isdigit() and int(local) < len(sheet_names):
            scope = sheet_names[int(local)]
        out.append(DefinedName(dn.get("name", ""), text, scope))
    return out


def fill_values(pkg: Package, cm: CellMap) -> bool:
    """Compute the formula cells that hold no cached value with the headless engine.

    Returns True when every formula cell has a value afterwards. A workbook the engine cannot
    evaluate keeps what the file holds, and a note says so (readers then work from formulas
    and typed values)."""
    todo = [(s.name, coord(r, c)) for s, r, c, cell in cm.iter_cells()
            if cell.formula is not None and cell.value is None]
    if not todo and not any(s.array_members for s in cm.sheets):
        return True
    if not todo:
        return True
    from .evaluate import evaluate_package
    try:
        ev = evaluate_package(pkg)
    except WorkbookRefused as exc:
        cm.notes.append(f"formula values were not computed ({exc}); the file holds no "
                        f"cached values for {len(todo)} formula cells")
        return False
    except Exception as exc:  # the engine's own failure is a note, never a crash
        cm.notes.append(f"formula values were not computed ({type(exc).__name__}); the file "
                        f"holds no cached values for {len(todo)} formula cells")
        return False
    for (sheet, ref), v in ev.values.items():
        sc = cm.sheet(sheet)
        if sc is None:
            continue
        try:
            r, c = split_coord(ref)
        except SheetXMLError:
            continue
        cell = sc.cells.get((r, c))
        if cell is None:
            if (r, c) in sc.array_members:
                sc.cells[(r, c)] = Cell(v, None)
        elif cell.value is None:
            cell.value = v
    return True
