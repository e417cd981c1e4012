"""Read worksheet XML and write cached values into it, with an XML parser and byte offsets.

A worksheet part is parsed once with :mod:`xml.parsers.expat` (no DTD, no entities, UTF-8 only).
The parser reports where each element of ``worksheet > sheetData > row > c`` starts and ends, so
reading sees exactly the cells Excel would (never text inside comments, processing instructions
or CDATA), and writing replaces exactly the bytes of the ``<c>`` elements that get a new cached
value. Every other byte (styles ``s=``, merged cells, drawings, conditional formats, extension
lists, namespace declarations, comments) is copied unchanged. Cells of an array-formula range
that the part does not hold yet are inserted in row and column order, with the anchor's style.
Time is linear in the size of the part; memory beyond the part itself is proportional to the
cells read (reading) or to the values written (writing).

Reading a large sheet this way calls Python twice per element, so :func:`scan_cells` first tries
a fast reader (see ``_scan_fast``): expat checks the whole part without Python callbacks, reads
everything but the body of ``sheetData`` as above, and the body is lexed with regular
expressions that accept only what they read exactly as expat does; anything else hands the part
to the expat reader, which then gives the same cells, facts and layout. The layout of a part the
fast reader read keeps only where each row is; a row's cells are lexed again when a writer asks
for them, so no record per cell is held while the workbook is evaluated.
"""

from __future__ import annotations

import bisect
import html
import math
import re
import xml.parsers.expat as expat
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

from pymodel.errors import EXCEL_ERROR_CODES

__all__ = ["FormulaCell", "ErrorValue", "CellRecord", "read_formulas", "iter_cells",
           "write_values", "write_rows", "split_coord", "coord", "cells_of_range",
           "range_bounds", "excel_escape", "excel_unescape", "MAX_ROW", "MAX_COL",
           "SheetXMLError", "LimitExceeded", "new_parser", "set_attribute", "scan_cells",
           "SheetFacts", "Layout", "element_tags"]

MAX_ROW, MAX_COL = 1_048_576, 16_384
MAIN_NS = ("http://schemas.openxmlformats.org/spreadsheetml/2006/main",
           "http://purl.oclc.org/ooxml/spreadsheetml/main")


class SheetXMLError(ValueError):
    """A worksheet part that cannot be read as a worksheet; ``str(exc)`` is one plain line."""


class LimitExceeded(SheetXMLError):
    """A part holds more of something than the caller allows (checked while reading)."""


@dataclass(frozen=True)
class ErrorValue:
    """An Excel error result: ``code`` such as ``#NUM!`` and the message behind it."""
    code: str
    message: str = ""


@dataclass
class FormulaCell:
    coord: str
    text: str | None   # the formula as stored (None: a dependent cell of a shared formula)
    kind: str          # "normal", "shared", "array", "dataTable"
    ref: str | None    # the range of an array (or shared master) formula
    style: str | None = None  # the cell's s= attribute (style index)
    si: str | None = None     # the shared-formula group of a "shared" formula


@dataclass(slots=True)
class CellRecord:
    """One ``<c>`` element as the parser found it: position, type, value and formula."""
    row: int
    col: int
    t: str | None            # the t= attribute (None: a number)
    s: str | None            # the s= attribute (style index)
    value: str | None        # text of <v>, or of <is> for an inline string
    f_kind: str | None = None  # None: no formula; else "normal", "shared", "array", "dataTable"
    f_text: str | None = None
    f_ref: str | None = None
    f_si: str | None = None
    f_attrs: dict[str, str] | None = None  # every attribute of a data table's <f>
    cm: str | None = None      # the cell-metadata index (a dynamic-array formula has one)
    # byte offsets into the part: the element, the end of its start tag, and its <f>/<extLst>
    start: int = 0
    tag_end: int = 0
    end: int = 0
    f_span: tuple[int, int, int, int] | None = None   # start, content start, content end, end
    ext_span: tuple[int, int] | None = None
    ref: str | None = None     # the coordinate, when the reader has it as Excel writes it

    @property
    def coord(self) -> str:
        return self.ref or coord(self.row, self.col)


# --------------------------------------------------------------------------------------------
# coordinates

_COORD = re.compile(r"\$?([A-Za-z]{1,3})\$?([0-9]{1,7})$")
_COLS: dict[int, str] = {}


_COL_INDEX: dict[str, int] = {}


def _col_index(letters: str) -> int:
    n = _COL_INDEX.get(letters)
    if n is None:
        n = 0
        for ch in letters.upper():
            n = n * 26 + ord(ch) - 64
        if len(_COL_INDEX) < 20_000:
            _COL_INDEX[letters] = n
    return n


def col_letters(col: int) -> str:
    """1 -> 'A', 28 -> 'AB' (column letters; cached)."""
    s = _COLS.get(col)
    if s is None:
        n, s = col, ""
        while n:
            n, rem = divmod(n - 1, 26)
            s = chr(65 + rem) + s
        _COLS[col] = s
    return s


def split_coord(c: str) -> tuple[int, int]:
    """'B12' -> (12, 2). Raises :class:`SheetXMLError` outside the sheet's grid."""
    m = _COORD.match(c.strip())
    if not m:
        raise SheetXMLError(f"{c!r} is not a cell reference")
    row, col = int(m.group(2)), _col_index(m.group(1))
    if not (1 <= row <= MAX_ROW and 1 <= col <= MAX_COL):
        raise SheetXMLError(f"{c!r} is outside the sheet (A1:XFD1048576)")
    return row, col


def coord(row: int, col: int) -> str:
    return f"{col_letters(col)}{row}"


def range_bounds(ref: str) -> tuple[int, int, int, int]:
    """'B2:D9' -> (first row, first column, last row, last column); 'B2' is a 1x1 range."""
    a, _, b = ref.replace("$", "").partition(":")
    r1, c1 = split_coord(a)
    r2, c2 = split_coord(b) if b else (r1, c1)
    return min(r1, r2), min(c1, c2), max(r1, r2), max(c1, c2)


def cells_of_range(ref: str) -> list[str]:
    r1, c1, r2, c2 = range_bounds(ref)
    return [coord(r, c) for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)]


# --------------------------------------------------------------------------------------------
# text escapes: characters XML 1.0 cannot hold are written as _xHHHH_, as Excel does

_UNESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")
_NEEDS_ESCAPE = re.compile("_(?=x[0-9A-Fa-f]{4}_)|[\x00-\x08\x0b\x0c\x0d\x0e-\x1f\ufffe\uffff"
                           "\ud800-\udfff]")


def excel_escape(text: str) -> str:
    """Text as Excel stores it in XML: control characters (and CR, lone surrogates) become
    ``_xHHHH_``, and an underscore that would read as such an escape becomes ``_x005F_``."""
    return _NEEDS_ESCAPE.sub(lambda m: f"_x{ord(m.group(0)):04X}_", text)


def excel_unescape(text: str) -> str:
    """The inverse of :func:`excel_escape` (``_x0001_`` -> chr(1), ``_x005F_`` -> ``_``)."""
    if "_x" not in text:
        return text
    return _UNESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)


# --------------------------------------------------------------------------------------------
# the parser

_TAG = re.compile(rb"<[^>\"']*(?:(?:\"[^\"]*\"|'[^']*')[^>\"']*)*>")
_ATTR = re.compile(rb"""\s+([^\s=/>]+)\s*=\s*("[^"]*"|'[^']*')""")
_DECL = re.compile(rb"""^(?:\xef\xbb\xbf)?<\?xml[^>]*?encoding\s*=\s*["']([^"']*)["']""")


def _check_utf8(data: bytes) -> None:
    if data[:2] in (b"\xff\xfe", b"\xfe\xff") or data[:4] in (b"\x00<\x00?", b"<\x00?\x00"):
        raise SheetXMLError("the part is not UTF-8 encoded")
    m = _DECL.match(data[:200])
    if m and m.group(1).lower().replace(b"-", b"").replace(b"_", b"") != b"utf8":
        declared = m.group(1).decode("ascii", "replace")
        raise SheetXMLError(f"the part declares the encoding {declared!r}, not UTF-8")


def _refuse_dtd(*_: Any) -> None:
    raise SheetXMLError("the part declares a DTD or entities")


def new_parser() -> Any:
    """An expat parser with namespaces (``"uri local"`` names) that refuses DTDs and entities."""
    p = expat.ParserCreate(namespace_separator=" ")
    p.StartDoctypeDeclHandler = _refuse_dtd
    p.EntityDeclHandler = _refuse_dtd
    p.UnparsedEntityDeclHandler = _refuse_dtd
    p.ExternalEntityRefHandler = _refuse_dtd
    p.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    p.buffer_text = True
    p.buffer_size = 1 << 16
    return p


@dataclass(slots=True)
class _Row:
    r: int
    start: int
    tag_end: int
    end: int = 0
    empty: bool = False
    body_end: int = 0        # where </row> starts (the end of the start tag for <row/>)
    cells: list[CellRecord] = field(default_factory=list)


_ROW_CELLS = _Row.__dict__["cells"]   # the slot of _Row.cells


class _LazyRow(_Row):
    """A row the fast reader read: its cells are lexed again from the part each time they are
    asked for (a layout then holds no record per cell while the workbook is evaluated)."""
    __slots__ = ("source",)

    @property  # type: ignore[override]
    def cells(self) -> list[CellRecord]:
        got = _ROW_CELLS.__get__(self)
        return got if got is not None else _row_cells(self)

    @cells.setter
    def cells(self, value: list[CellRecord] | None) -> None:
        _ROW_CELLS.__set__(self, value)


_LOCAL = {f"{ns} {local}": local for ns in MAIN_NS
          for local in ("worksheet", "sheetData", "dimension", "row", "c", "f", "v", "is", "r",
                        "t", "extLst", "mergeCells", "mergeCell", "autoFilter",
                        "filterColumn")}


class _Scan:
    """One pass over a worksheet part.

    * ``on_cell`` (reading): every cell is passed to it, with byte spans only if ``positions``;
    * ``rows`` (writing; sorted row numbers): only those rows are kept, with their cells and
      byte spans, and :attr:`insert_at` says where each of them that the part lacks would go
      (the start of the next row).
    """

    def __init__(self, data: bytes, rows: list[int] | None = None,
                 on_cell: Callable[[CellRecord], None] | None = None,
                 positions: bool = False, keep_all: bool = False) -> None:
        _check_utf8(data)
        self.data = data
        self.wanted = rows
        self.keep_all = keep_all   # keep every row with its cells and spans (a layout)
        self.next_wanted = 0
        self.insert_at: dict[int, int] = {}
        self.on_cell = on_cell
        self.positions = positions
        self.rows: list[_Row] = []
        self.sheet_data: tuple[int, int, int, bool] | None = None  # start, tag end, end, empty
        self.dimension: tuple[int, int] | None = None              # start tag span
        self.merges: list[str] = []                                # mergeCell refs
        self.merge_limit: int | None = None
        self.hidden_rows: list[int] = []                           # <row hidden="1">
        self.auto_filter = False                   # an <autoFilter> with criteria is set
        self.filter_ref: str | None = None         # the range it filters
        self.stack: list[str] = []
        self.row: _Row | None = None
        self.keep = False
        self.last_row = 0
        self.last_col = 0
        self.cell: CellRecord | None = None
        self.content = False                 # the open <c> has content (children or text)
        self.text: list[str] | None = None   # character data being collected
        self.text_of = ""                    # "f", "v", "is" or "t" (inline string)
        self.f_start = 0                     # start of the open <f>
        self.ext_start = 0                   # start of the open <extLst> of a cell
        p = self.parser = new_parser()
        p.StartElementHandler = self._start
        p.EndElementHandler = self._end
        p.CharacterDataHandler = self._chars

    # -- helpers ------------------------------------------------------------------------------
    def _tag(self, i: int) -> tuple[int, bool]:
        """(end of the start tag at ``i``, whether it is an empty-element tag)."""
        data = self.data
        end = data.index(b">", i) + 1
        if data.count(b'"', i, end) % 2 or data.find(b"'", i, end) >= 0:
            m = _TAG.match(data, i)  # perhaps a ">" inside a quoted attribute value
            if m is None:  # pragma: no cover - expat accepted the element, so it matches
                raise SheetXMLError("unreadable start tag")
            end = m.end()
        return end, data[end - 2] == 0x2F  # '/'

    def _end_of(self, i: int, content: bool) -> tuple[int, bool]:
        """At an end event at ``i``: (end of the element, whether it was an empty tag)."""
        if not content and self.data[i - 2:i] == b"/>":
            return i, True  # expat reports an empty element's end just after "/>"
        return self.data.index(b">", i) + 1, False

    def _cell_coord(self, r: str | None) -> tuple[int, int]:
        row = self.row
        if r:
            letters = r.rstrip("0123456789")
            digits = r[len(letters):]
            if letters.isalpha() and len(letters) <= 3 and digits.isdigit() \
                    and len(digits) <= 7:
                rnum, col = int(digits), _col_index(letters)
                if not (1 <= rnum <= MAX_ROW and 1 <= col <= MAX_COL):
                    raise SheetXMLError(f"{r!r} is outside the sheet (A1:XFD1048576)")
            else:
                rnum, col = split_coord(r)
            if rnum != row.r:
                raise SheetXMLError(f"cell {r} is inside row {row.r}")
            if col <= self.last_col:
                raise SheetXMLError(f"cell {r} is out of order in row {rnum}")
        else:  # a cell without r= follows its left neighbour
            rnum, col = row.r, self.last_col + 1
            if col > MAX_COL:
                raise SheetXMLError(f"row {rnum} has more than {MAX_COL:,} cells")
        self.last_col = col
        return rnum, col

    # -- expat callbacks ------------------------------------------------------------------
    def _start(self, name: str, attrs: dict[str, str]) -> None:
        local = _LOCAL.get(name, "")
        stack = self.stack
        parent = stack[-1] if stack else ""
        stack.append(local)
        cell = self.cell
        if parent == "c" and cell is not None:
            self.content = True
            if local == "v":
                self.text, self.text_of = [], "v"
            elif local == "f":
                cell.f_kind = attrs.get("t", "normal")
                cell.f_ref = attrs.get("ref")
                cell.f_si = attrs.get("si")
                if cell.f_kind == "dataTable":
                    cell.f_attrs = dict(attrs)
                self.f_start = self.parser.CurrentByteIndex
                self.text, self.text_of = [], "f"
            elif local == "is":
                self.text, self.text_of = [], "is"
            elif local == "extLst":
                self.ext_start = self.parser.CurrentByteIndex
        elif local == "c":
            if parent == "row" and self.row is not None:
                row, col = self._cell_coord(attrs.get("r"))
                self.content = False
                if self.on_cell is not None or self.keep:
                    self.cell = CellRecord(row, col, attrs.get("t"), attrs.get("s"), None)
                    if "cm" in attrs:
                        self.cell.cm = attrs["cm"]
                    if self.positions or self.keep:
                        i = self.parser.CurrentByteIndex
                        self.cell.start, self.cell.tag_end = i, self._tag(i)[0]
        elif local == "t":
            if self.text_of == "is" and parent in ("is", "r"):
                self.text_of = "t"
        elif local == "row":
            if parent == "sheetData":
                self._row_start(attrs.get("r"))
                if attrs.get("hidden", "").strip().lower() in ("1", "true"):
                    self.hidden_rows.append(self.last_row)
        elif local == "sheetData":
            if parent == "worksheet" and len(stack) == 2:
                if self.sheet_data is not None:
                    raise SheetXMLError("the sheet has two sheetData elements")
                i = self.parser.CurrentByteIndex
                tag_end, empty = self._tag(i)
                self.sheet_data = (i, tag_end, tag_end, empty)
        elif local == "autoFilter" and parent == "worksheet":
            self.filter_ref = attrs.get("ref")
        elif local == "filterColumn" and parent == "autoFilter" and len(stack) == 3:
            self.auto_filter = True       # a filter with criteria: the rows it hides
        elif local == "mergeCell" and parent == "mergeCells" and len(stack) == 3:
            self.merges.append(attrs.get("ref", ""))
            if self.merge_limit is not None and len(self.merges) > self.merge_limit:
                raise LimitExceeded(f"more than {self.merge_limit:,} merged ranges")
        elif local == "dimension" and parent == "worksheet" and len(stack) == 2:
            i = self.parser.CurrentByteIndex
            self.dimension = (i, self._tag(i)[0])

    def _row_start(self, r: str | None) -> None:
        if r:
            if not r.isdigit() or not 1 <= int(r) <= MAX_ROW:
                raise SheetXMLError(f"row number {r[:20]!r} is not a row of the sheet")
            rnum = int(r)
            if rnum <= self.last_row:
                raise SheetXMLError(f"row {rnum} is out of order (after row {self.last_row})")
        else:
            rnum = self.last_row + 1
            if rnum > MAX_ROW:
                raise SheetXMLError(f"more than {MAX_ROW:,} rows")
        self.last_row, self.last_col = rnum, 0
        i = self.parser.CurrentByteIndex
        self.keep = self.keep_all or self._wanted(rnum, i)
        if self.keep:
            tag_end, empty = self._tag(i)
            self.row = _Row(rnum, i, tag_end, tag_end if empty else 0, empty, tag_end)
        else:
            self.row = _Row(rnum, i, 0)

    def _chars(self, text: str) -> None:
        if self.text is not None and self.text_of in ("v", "f", "t"):
            self.text.append(text)
        elif self.cell is not None and self.stack[-1] == "c":
            self.content = True

    def _end(self, name: str) -> None:
        stack = self.stack
        local = stack.pop()
        if not local:
            return
        parent = stack[-1] if stack else ""
        cell = self.cell
        if parent == "c" and cell is not None:
            if local == "v":
                cell.value = "".join(self.text or ())
            elif local == "f":
                i = self.parser.CurrentByteIndex
                end, empty = self._end_of(i, bool(self.text))
                cell.f_text = None if empty else "".join(self.text or ())
                if self.positions or self.keep:
                    tag_end = end if empty else self._tag(self.f_start)[0]
                    cell.f_span = (self.f_start, tag_end, end if empty else i, end)
            elif local == "is":
                cell.value = "".join(self.text or ())
            elif local == "extLst":
                if self.positions or self.keep:
                    tag_end, empty = self._tag(self.ext_start)
                    i = self.parser.CurrentByteIndex
                    cell.ext_span = (self.ext_start,
                                     tag_end if empty else self.data.index(b">", i) + 1)
                return
            else:
                return
            self.text, self.text_of = None, ""
        elif local == "c":
            if cell is not None and parent == "row":
                if self.positions or self.keep:
                    cell.end = self._end_of(self.parser.CurrentByteIndex, self.content)[0]
                self.cell = None
                if self.on_cell is not None:
                    self.on_cell(cell)
                if self.keep and (self.on_cell is None or self.keep_all):
                    self.row.cells.append(cell)
        elif local == "t":
            if self.text_of == "t":
                self.text_of = "is"
        elif local == "row":
            if parent == "sheetData" and self.row is not None:
                row, self.row = self.row, None
                if self.keep:
                    if not row.empty:
                        i = self.parser.CurrentByteIndex
                        row.end, row.body_end = self.data.index(b">", i) + 1, i
                    self.rows.append(row)
        elif local == "sheetData" and parent == "worksheet" and self.sheet_data is not None:
            start, tag_end, _, empty = self.sheet_data
            if not empty:
                self.sheet_data = (start, tag_end, self.parser.CurrentByteIndex, empty)

    def _wanted(self, rnum: int, start: int) -> bool:
        wanted = self.wanted
        if wanted is None:
            return False
        k = self.next_wanted
        while k < len(wanted) and wanted[k] < rnum:
            self.insert_at[wanted[k]] = start  # a wanted row the part lacks goes here
            k += 1
        keep = k < len(wanted) and wanted[k] == rnum
        self.next_wanted = k + keep
        return keep

    # -- driving ------------------------------------------------------------------------------
    def feed(self, start: int, stop: int, final: bool) -> None:
        try:
            self.parser.Parse(self.data[start:stop], final)
        except expat.ExpatError as exc:
            raise SheetXMLError(f"the part is not well-formed XML "
                                f"({expat.ErrorString(exc.code)}, line {exc.lineno})") \
                from None

    def run(self) -> "_Scan":
        self.feed(0, len(self.data), True)
        return self


# --------------------------------------------------------------------------------------------
# the fast reader: the body of sheetData lexed with regular expressions
#
# Reading a large sheet with expat calls Python twice per element (about 300,000 calls for a
# 5,000-row tape). The fast reader instead checks the whole part with expat without Python
# callbacks (well-formed, no DTD, no entities, namespaces bound), reads the part's head and
# tail (everything but the body of sheetData) with the expat reader above, and lexes the body
# with regular expressions, one match per cell of the usual shape
# (``<c r=".." s=".." t=".."><v>..</v></c>``) and a strict token grammar for the rest (rows,
# formulas, inline strings, cells without r=, pretty-printed XML). It accepts only what it
# reads exactly as expat does: anything else in the body (comments, processing instructions,
# CDATA, namespace declarations, elements other than row/c/v/f/is/t, rich text, a carriage
# return, a reference it would not number as the expat reader does) makes it give up, and the
# expat reader reads the part (skipping the cells already passed on, which are the same).


class _Fallback(Exception):
    """The fast reader gives the part to the expat reader."""


_SHEETDATA = re.compile(rb"<((?:[A-Za-z_][A-Za-z0-9_.\-]*:)?)sheetData(?=[ \t\n\r/>])")
_XNAME = r"[A-Za-z_][A-Za-z0-9_.\-]*(?::[A-Za-z_][A-Za-z0-9_.\-]*)?"
_XATTRS = rf"(?:[ \t\n]+{_XNAME}[ \t\n]*=[ \t\n]*(?:\"[^\"<]*\"|'[^'<]*'))*"
_XATTR = re.compile(rf"[ \t\n]+({_XNAME})[ \t\n]*=[ \t\n]*(?:\"([^\"<]*)\"|'([^'<]*)')")
_XREF = re.compile(r"&(?:#x([0-9A-Fa-f]+)|#([0-9]+)|(lt|gt|amp|quot|apos));")
_XNAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"', "apos": "'"}
_ROW_R = re.compile(r"[1-9][0-9]{0,6}")
_CELL_R = re.compile(r"([A-Z]{1,3})([1-9][0-9]{0,6})")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def _xref(m: "re.Match[str]") -> str:
    hexa, dec, name = m.groups()
    return chr(int(hexa, 16)) if hexa else chr(int(dec)) if dec else _XNAMED[name]


def _xml_text(text: str) -> str:
    """Character data as expat gives it (the part holds no carriage return)."""
    return _XREF.sub(_xref, text) if "&" in text else text


def _xml_attrs(raw: str) -> dict[str, str]:
    """The attributes of a start tag (its text after the name) as expat gives them."""
    out: dict[str, str] = {}
    for name, dq, sq in _XATTR.findall(raw):
        if name.startswith("xmlns"):
            raise _Fallback
        v = dq or sq
        if "\t" in v or "\n" in v:
            v = v.replace("\t", " ").replace("\n", " ")
        out[name] = _xml_text(v)
    return out


class _Lexer:
    """The regular expressions of a sheetData body whose elements carry the prefix ``p``."""

    _cache: dict[str, "_Lexer"] = {}

    def __init__(self, p: str) -> None:
        P, W, A = re.escape(p), "[ \t\n]", _XATTRS
        # the usual cell, in one match: r, s and t in this order, then nothing, a value, an
        # empty value or an inline string without references or markup inside
        self.cell = re.compile(
            rf'<{P}c(?: r="(([A-Z]{{1,3}})([1-9][0-9]{{0,6}}))")?(?: s="([0-9]{{1,9}})")?'
            rf'(?: t="([a-zA-Z]{{1,9}})")?{W}*(?:(/>)|(>)(?:<{P}v>([^<&]*)</{P}v>|(<{P}v{W}*/>)'
            rf'|<{P}is><{P}t(?: xml:space="preserve")?>([^<&]*)</{P}t></{P}is>'
            # a formula (not a data table's), then perhaps its value
            rf'|(<{P}f(?: t="(shared|array|normal)")?(?: ref="([^"<&\t\n]*)")?'
            rf'(?: si="([0-9]{{1,9}})")?{W}*(?:/>|(>)([^<]*)</{P}f>))'
            rf'(?:<{P}v>([^<]*)</{P}v>|(<{P}v{W}*/>))?)?</{P}c>)')
        self.ws = re.compile(rf"{W}*")
        self.row = re.compile(rf"<{P}row({A}){W}*(/?)>")
        self.row_end = re.compile(rf"</{P}row{W}*>")
        self.c = re.compile(rf"<{P}c({A}){W}*(/?)>")
        self.c_end = re.compile(rf"</{P}c{W}*>")
        self.v = re.compile(rf"<{P}v({A}){W}*(?:/>|>([^<]*)</{P}v{W}*>)")
        self.f = re.compile(rf"<{P}f({A}){W}*(?:/>|(>)([^<]*)</{P}f{W}*>)")
        self.is_ = re.compile(rf"<{P}is({A}){W}*(?:/>|>{W}*(?:<{P}t({A}){W}*(?:/>|>([^<]*)"
                              rf"</{P}t{W}*>){W}*)?</{P}is{W}*>)")
        self.end = re.compile(rf"</{P}sheetData{W}*>")
        self.sd_close = f"</{p}sheetData"

    @classmethod
    def of(cls, p: str) -> "_Lexer":
        lx = cls._cache.get(p)
        if lx is None:
            if len(cls._cache) > 32:
                cls._cache.clear()
            lx = cls._cache[p] = cls(p)
        return lx


class _FastBody:
    """The body of sheetData read with :class:`_Lexer`; its cells come a row at a time."""

    def __init__(self, text: str, base: int, lexer: _Lexer, keep: bool,
                 source: tuple[bytes, str] = (b"", "")) -> None:
        self.text, self.base, self.lx, self.keep = text, base, lexer, keep
        self.source = source              # the part and the prefix (for _LazyRow)
        self.ready: list[list[CellRecord]] = []   # the cells of the rows read, to pass on
        self.rows: list[_Row] = []
        self.hidden_rows: list[int] = []
        self.row: _Row | None = None
        self.rs = ""                      # the open row's number, as text
        self.cells: list[CellRecord] = []  # the open row's cells
        self.last_row = self.last_col = 0
        self.end = 0                      # where </sheetData> starts (a byte offset)
        # byte offsets of a text that is not ASCII: (index of each non-ASCII character, the
        # extra bytes before it)
        self.wide: tuple[list[int], list[int]] | None = None
        if not text.isascii():
            idx, extra, n = [], [0], 0
            for m in _NON_ASCII.finditer(text):
                idx.append(m.start())
                n += len(m.group().encode("utf-8")) - 1
                extra.append(n)
            self.wide = (idx, extra)

    def at(self, i: int) -> int:
        """The byte offset in the part of character ``i`` of the text."""
        if self.wide is None:
            return self.base + i
        idx, extra = self.wide
        return self.base + i + extra[bisect.bisect_left(idx, i)]

    def run(self) -> Iterator[list[CellRecord]]:
        """The cells, a row at a time (raises when the expat reader must read the part)."""
        text, lx = self.text, self.lx
        wide, base, keep = self.wide is not None, self.base, self.keep
        col_of = _COL_INDEX
        stop = text.find(lx.sd_close)
        if stop < 0:
            raise _Fallback
        pos, last_col = 0, self.last_col
        row, rs, cells = self.row, self.rs, self.cells
        rnum = row.r if row is not None else 0
        for m in lx.cell.finditer(text, 0, stop):
            s = m.start()
            if s != pos:
                self.last_col = last_col
                self.tokens(pos, s)
                if self.ready:
                    yield from self.ready
                    self.ready.clear()
                row, rs, cells, last_col = self.row, self.rs, self.cells, self.last_col
                if row is None:
                    raise _Fallback
                rnum = row.r
            elif row is None:
                raise _Fallback
            ref, letters, digits, st, t, empty, close, v, v_empty, inline, f, f_kind, f_ref, \
                f_si, f_gt, f_text, f_v, f_v_empty = m.groups()
            if letters is None:
                last_col += 1
                if last_col > MAX_COL:
                    raise _Fallback
            else:
                col = col_of.get(letters) or _col_index(letters)
                if col > MAX_COL or col <= last_col or digits != rs:
                    raise _Fallback
                last_col = col
            pos = m.end()
            if f is not None:   # a formula cell
                cells.append(self.formula_cell(m, rnum, last_col, ref, t, st, f_kind, f_ref,
                                               f_si, f_gt, f_text, f_v, f_v_empty))
                continue
            value = v if v is not None else inline if inline is not None else \
                "" if v_empty is not None else None
            if not keep:
                cells.append(CellRecord(rnum, last_col, t, st, value, ref=ref))
            elif wide:
                cells.append(CellRecord(rnum, last_col, t, st, value, None, None, None, None,
                                        None, None, self.at(s),
                                        self.at(m.end(7) if close else pos), self.at(pos),
                                        None, None, ref))
            else:
                cells.append(CellRecord(rnum, last_col, t, st, value, None, None, None, None,
                                        None, None, base + s,
                                        base + (m.end(7) if close else pos), base + pos,
                                        None, None, ref))
        self.last_col = last_col
        self.tokens(pos, len(text))
        if not self.end:
            raise _Fallback
        yield from self.ready

    def formula_cell(self, m: "re.Match[str]", rnum: int, col: int, ref: str | None,
                     t: str | None, st: str | None, f_kind: str | None, f_ref: str | None,
                     f_si: str | None, f_gt: str | None, f_text: str | None, f_v: str | None,
                     f_v_empty: str | None) -> CellRecord:
        """The record of a formula cell the one-match pattern read."""
        at = self.at
        value = _xml_text(f_v) if f_v is not None else "" if f_v_empty is not None else None
        f_start, f_end = at(m.start(11)), at(m.end(11))
        if f_gt is None:   # <f .../>
            text, span = None, (f_start, f_end, f_end, f_end)
        else:
            text, span = _xml_text(f_text), (f_start, at(m.end(15)), at(m.end(16)), f_end)
        return CellRecord(rnum, col, t, st, value, f_kind or "normal", text, f_ref, f_si, None,
                          None, at(m.start()), at(m.end(7)), at(m.end()), span, None, ref)

    # -- everything but the usual cell ------------------------------------------------------
    def tokens(self, pos: int, stop: int) -> None:
        """Read the tokens between ``pos`` and ``stop`` (whitespace, rows, other cells; the
        end of sheetData), which must end exactly at ``stop``."""
        text, lx = self.text, self.lx
        while True:
            pos = lx.ws.match(text, pos, stop).end()
            if pos >= stop or self.end:
                if pos != stop and not self.end:
                    raise _Fallback
                return
            if text.startswith("</", pos):
                m = lx.row_end.match(text, pos, stop)
                if m is not None and self.row is not None:
                    self.close_row(pos, m.end())
                    pos = m.end()
                    continue
                m = lx.end.match(text, pos, stop)
                if m is None or self.row is not None:
                    raise _Fallback
                self.end = self.at(pos)
                return
            if self.row is not None:
                m = lx.c.match(text, pos, stop)
                if m is None:
                    raise _Fallback
                pos = self.other_cell(m, stop)
                continue
            m = lx.row.match(text, pos, stop)
            if m is None:
                raise _Fallback
            self.open_row(m)
            pos = m.end()

    def open_row(self, m: "re.Match[str]") -> None:
        attrs = _xml_attrs(m.group(1))
        r = attrs.get("r")
        if r:
            if not _ROW_R.fullmatch(r):
                raise _Fallback
            rnum = int(r)
            if rnum > MAX_ROW or rnum <= self.last_row:
                raise _Fallback
        else:
            rnum = self.last_row + 1
            if rnum > MAX_ROW:
                raise _Fallback
        self.last_row, self.last_col = rnum, 0
        if attrs.get("hidden", "").strip().lower() in ("1", "true"):
            self.hidden_rows.append(rnum)
        start, tag_end = self.at(m.start()), self.at(m.end())
        if m.group(2):    # <row/>
            if self.keep:
                self.rows.append(_Row(rnum, start, tag_end, tag_end, True, tag_end))
        elif self.keep:   # its cells are lexed again when a writer asks for them
            self.row = _LazyRow(rnum, start, tag_end, 0, False, 0, None)
            self.row.source = self.source
            self.rs, self.cells = str(rnum), []
        else:
            self.row = _Row(rnum, start, tag_end)
            self.rs, self.cells = str(rnum), self.row.cells

    def close_row(self, start: int, end: int) -> None:
        row, self.row = self.row, None
        row.end, row.body_end = self.at(end), self.at(start)
        if self.keep:
            self.rows.append(row)
        if self.cells:
            self.ready.append(self.cells)
        self.cells = []

    def other_cell(self, m: "re.Match[str]", stop: int) -> int:
        """A ``<c>`` the one-match pattern did not read; returns where it ends."""
        text, lx, row = self.text, self.lx, self.row
        attrs = _xml_attrs(m.group(1))
        r = attrs.get("r")
        if r:
            rm = _CELL_R.fullmatch(r)
            if rm is None:
                raise _Fallback
            col = _col_index(rm.group(1))
            if col > MAX_COL or col <= self.last_col or int(rm.group(2)) != row.r:
                raise _Fallback
        else:
            col = self.last_col + 1
            if col > MAX_COL:
                raise _Fallback
        self.last_col = col
        rec = CellRecord(row.r, col, attrs.get("t"), attrs.get("s"), None)
        rec.ref = r or None
        if "cm" in attrs:
            rec.cm = attrs["cm"]
        rec.start, rec.tag_end = self.at(m.start()), self.at(m.end())
        pos = m.end()
        if m.group(2):    # <c/>
            rec.end = rec.tag_end
        else:
            seen = set()
            while True:
                pos = lx.ws.match(text, pos, stop).end()
                e = lx.c_end.match(text, pos, stop)
                if e is not None:
                    rec.end = self.at(e.end())
                    pos = e.end()
                    break
                if "v" not in seen and (k := lx.v.match(text, pos, stop)) is not None:
                    _xml_attrs(k.group(1))
                    rec.value = _xml_text(k.group(2) or "")
                    seen.add("v")
                elif "f" not in seen and (k := lx.f.match(text, pos, stop)) is not None:
                    fa = _xml_attrs(k.group(1))
                    rec.f_kind = fa.get("t", "normal")
                    rec.f_ref, rec.f_si = fa.get("ref"), fa.get("si")
                    if rec.f_kind == "dataTable":
                        if any(":" in name for name in fa):
                            raise _Fallback
                        rec.f_attrs = fa
                    if k.group(2):   # <f ...>text</f>
                        rec.f_text = _xml_text(k.group(3))
                        rec.f_span = (self.at(k.start()), self.at(k.end(2)),
                                      self.at(k.end(3)), self.at(k.end()))
                    else:
                        e = self.at(k.end())
                        rec.f_span = (self.at(k.start()), e, e, e)
                    seen.add("f")
                elif "is" not in seen and (k := lx.is_.match(text, pos, stop)) is not None:
                    _xml_attrs(k.group(1))
                    if k.group(2):
                        _xml_attrs(k.group(2))
                    rec.value = _xml_text(k.group(3) or "")
                    seen.add("is")
                else:
                    raise _Fallback
                pos = k.end()
        self.cells.append(rec)
        return pos


def _row_cells(row: _LazyRow) -> list[CellRecord]:
    """The cells of a row the fast reader read once already (the same records again)."""
    data, p = row.source
    text = data[row.tag_end:row.body_end].decode("utf-8") + f"</{p}row></{p}sheetData>"
    body = _FastBody(text, row.tag_end, _Lexer.of(p), True)
    body.row, body.rs, body.last_row = _Row(row.r, row.start, row.tag_end), str(row.r), row.r
    cells: list[CellRecord] = []
    for got in body.run():
        cells += got
    return cells


def _scan_fast(xml: bytes, on_cell: Callable[[CellRecord], None], keep_all: bool,
               merge_limit: int | None) -> tuple["_Scan | None", int]:
    """Read the part with the fast reader: (the scan, or None when the expat reader must read
    it; how many cells were passed to ``on_cell`` before the fast reader gave up)."""
    m = _SHEETDATA.search(xml)
    t = _TAG.match(xml, m.start()) if m is not None else None
    if t is None or xml[t.end() - 2] == 0x2F or xml.find(b"\r", t.end()) >= 0:
        return None, 0     # no sheetData body (or line ends expat would rewrite)
    sd_start, tag_end = m.start(), t.end()
    try:
        _check_utf8(xml)
        new_parser().Parse(xml, True)   # well-formed, no DTD, every prefix bound: in C
        scan = _Scan(xml, on_cell=on_cell, keep_all=keep_all)
        scan.merge_limit = merge_limit
        scan.feed(0, tag_end, False)    # the head, up to the start tag of sheetData
        if scan.sheet_data != (sd_start, tag_end, tag_end, False) or len(scan.stack) != 2:
            return None, 0              # the match was not the worksheet's sheetData
        prefix = m.group(1).decode("ascii")
        body = _FastBody(xml[tag_end:].decode("utf-8"), tag_end, _Lexer.of(prefix), keep_all,
                         (xml, prefix))
    except Exception:  # noqa: BLE001 - whatever it is, the expat reader says it in words
        return None, 0
    done = 0
    batches = body.run()
    while True:
        try:
            cells = next(batches)
        except StopIteration:
            break
        except Exception:  # noqa: BLE001
            return None, done
        for rec in cells:
            on_cell(rec)      # its exceptions (limits) stop the reading, as they would
        done += len(cells)
    body_end = body.end
    try:
        scan.data = xml[:tag_end] + xml[body_end:]   # the part without the body
        scan.feed(tag_end, len(scan.data), True)     # the tail
    except Exception:  # noqa: BLE001
        return None, done
    shift = body_end - tag_end
    if scan.dimension is not None and scan.dimension[0] >= tag_end:
        scan.dimension = (scan.dimension[0] + shift, scan.dimension[1] + shift)
    scan.data = xml
    scan.sheet_data = (sd_start, tag_end, body_end, False)
    scan.rows = body.rows if keep_all else []
    scan.hidden_rows = body.hidden_rows + scan.hidden_rows
    return scan, done


_CHUNK = 1 << 20


@dataclass
class SheetFacts:
    """What a reading pass learnt besides the cells."""
    merges: list[str]          # the ref of every merged range
    dimension: str | None      # the <dimension ref=...> the file declares (not trusted)
    hidden_rows: list[int] = field(default_factory=list)   # rows marked hidden
    # the range of an AutoFilter with criteria (the hidden rows in it are filtered out)
    filter_ref: str | None = None
    layout: "Layout | None" = None   # with ``layout=True``: where every row and cell is


class Layout:
    """Where every row and cell of a worksheet part is (byte spans found by the parser), kept
    from the reading pass so that :func:`write_values` writes into the same bytes without
    parsing them again."""

    def __init__(self, scan: "_Scan") -> None:
        self.data = scan.data
        self.rows = scan.rows
        self.sheet_data = scan.sheet_data
        self.dimension = scan.dimension

    def scan_for(self, rows: list[int]) -> "_Scan":
        """What a writing pass over ``rows`` (sorted) would have found."""
        import bisect
        scan = _Scan.__new__(_Scan)
        present = [row.r for row in self.rows]
        scan.rows = self.rows
        scan.sheet_data, scan.dimension = self.sheet_data, self.dimension
        scan.insert_at = {}
        have = set(present)
        for r in rows:
            if r not in have:
                k = bisect.bisect_right(present, r)
                if k < len(present):
                    scan.insert_at[r] = self.rows[k].start
        return scan


def scan_cells(xml: bytes, on_cell: Callable[[CellRecord], None],
               merge_limit: int | None = None, layout: bool = False,
               fast: bool = True) -> SheetFacts:
    """Pass every ``<c>`` element of ``worksheet > sheetData`` to ``on_cell`` in document order
    (one streaming pass; ``on_cell`` may raise to stop it) and return the other facts; with
    ``layout``, also where every row and cell is (:class:`Layout`). ``fast=False``: only the
    expat reader (the fast reader gives the same cells, facts and layout)."""
    scan, done = _scan_fast(xml, on_cell, layout, merge_limit) if fast else (None, 0)
    if scan is None:
        if done:   # the fast reader gave up after passing on these cells: skip them
            todo, passed = on_cell, [done]

            def on_cell(rec: CellRecord) -> None:
                if passed[0]:
                    passed[0] -= 1
                else:
                    todo(rec)
        scan = _Scan(xml, on_cell=on_cell, keep_all=layout)
        scan.merge_limit = merge_limit
        scan.run()
    dim = None
    if scan.dimension is not None:
        dim = _attr_value(xml[scan.dimension[0]:scan.dimension[1]], b"ref")
    return SheetFacts(scan.merges, dim, scan.hidden_rows,
                      scan.filter_ref if scan.auto_filter else None,
                      Layout(scan) if layout else None)


def iter_cells(xml: bytes) -> Iterator[CellRecord]:
    """Every ``<c>`` element of ``worksheet > sheetData`` in document order (streaming: the
    records of about 1 MB of XML are held at a time)."""
    out: list[CellRecord] = []
    scan = _Scan(xml, on_cell=out.append)
    n = len(xml)
    for pos in range(0, max(n, 1), _CHUNK):
        scan.feed(pos, min(pos + _CHUNK, n), pos + _CHUNK >= n)
        yield from out
        out.clear()


def read_formulas(xml: bytes, limit: int | None = None) -> dict[str, FormulaCell]:
    """Every formula cell of a worksheet part: coordinate -> :class:`FormulaCell`.

    With ``limit``, raises :class:`SheetXMLError` as soon as the part holds more formula cells
    (so a huge sheet is refused before it is all read)."""
    out: dict[str, FormulaCell] = {}
    for c in iter_cells(xml):
        if c.f_kind is None:
            continue
        key = c.coord
        out[key] = FormulaCell(key, c.f_text, c.f_kind, c.f_ref, c.s, c.f_si)
        if limit is not None and len(out) > limit:
            raise LimitExceeded(f"more than {limit:,} formula cells")
    return out


# --------------------------------------------------------------------------------------------
# writing

def _fmt_number(x: float) -> str:
    s = repr(float(x))
    return s[:-2] if s.endswith(".0") else s


def _encode(value: Any) -> tuple[str | None, str]:
    """(t attribute or None, text of <v>) for a cached value."""
    if type(value) is float:   # the usual value, at once (the same as below)
        if value - value == 0.0:   # finite
            s = repr(value + 0.0)  # -0.0 is written 0
            return None, s[:-2] if s.endswith(".0") else s
        return "e", "#NUM!"
    if isinstance(value, ErrorValue):
        return "e", value.code if value.code in EXCEL_ERROR_CODES else "#VALUE!"
    if isinstance(value, bool):
        return "b", "1" if value else "0"
    if isinstance(value, (int, float)):
        f = float(value)
        if not math.isfinite(f):
            return "e", "#NUM!"
        return None, _fmt_number(f + 0.0)
    if value is None:
        return "str", ""
    return "str", html.escape(excel_escape(str(value)), quote=False)


def set_attribute(tag: bytes, name: str, value: str | None) -> bytes:
    """A start tag with attribute ``name`` removed and, if ``value`` is given, appended."""
    key = name.encode()
    pieces, pos = [], 0
    for m in _ATTR.finditer(tag):
        if m.group(1) == key:
            pieces.append(tag[pos:m.start()])
            pos = m.end()
    pieces.append(tag[pos:])
    tag = b"".join(pieces)
    if value is not None:
        close = 2 if tag.endswith(b"/>") else 1
        tag = (tag[:-close].rstrip() + b" " + key + b'="' + html.escape(value).encode()
               + b'"' + tag[-close:])
    return tag


def _attr_value(tag: bytes, key: bytes) -> str | None:
    for m in _ATTR.finditer(tag):
        if m.group(1) == key:
            return html.unescape(m.group(2)[1:-1].decode("utf-8"))
    return None


def _prefix(data: bytes, start: int) -> bytes:
    """The namespace prefix of the element starting at ``start`` (b"" or b"x:")."""
    if data[start + 1:start + 2] == b"c" and data[start + 2:start + 3] in _AFTER_NAME:
        return b""   # the usual <c ...> (no prefix)
    m = re.match(rb"<([^\s/>:]+:)?", data[start:start + 64])
    return (m.group(1) or b"") if m else b""


_AFTER_NAME = frozenset((b" ", b"\t", b"\n", b"\r", b">", b"/"))


def _open_tag(tag: bytes, t: str | None) -> bytes:
    """A cell's start tag for a cached value of type ``t`` (None: a number): its ``t``
    attribute replaced, and an empty-element tag (``<c .../>``) made a start tag."""
    if b"t" in tag:   # perhaps a t attribute (any spelling): the general path
        tag = set_attribute(tag, "t", t)
    elif t is not None:  # no t attribute to remove (set_attribute would only append it)
        close = 2 if tag.endswith(b"/>") else 1
        tag = tag[:-close].rstrip() + b' t="' + t.encode() + b'"' + tag[-close:]
    if tag.endswith(b"/>"):
        tag = tag[:-2].rstrip() + b">"
    return tag


def _cell_bytes(p: bytes, tag: bytes, f: bytes, value: Any, ext: bytes) -> bytes:
    """The ``<c>`` element of start tag ``tag`` (namespace prefix ``p``), formula ``f`` and
    extension list ``ext`` (their bytes, or b"") holding ``value``."""
    t, v = _encode(value)
    return (_open_tag(tag, t) + f + b"<" + p + b"v>" + v.encode("utf-8") + b"</" + p + b"v>"
            + ext + b"</" + p + b"c>")


#: The cells of a part nearly all have the same few start tags but for their r= attribute:
#: the rest of such a tag (after ``<c r="..."``) and the value's type -> the rest as written.
_TAG_RESTS: dict[tuple[bytes, str | None], bytes] = {}
_TAG_RESTS_MAX = 4096
_R_OPEN = b'<c r="'
_R_LEN = len(_R_OPEN)


def _rest_of_tag(rest: bytes, t: str | None) -> bytes:
    """:func:`_open_tag` of ``<c r="X"`` + ``rest``, less that head (the same for every X:
    the head is the tag's first attribute, which the ``t`` attribute is not, and ends with a
    quote, which ``rstrip`` stops at)."""
    got = _TAG_RESTS.get((rest, t))
    if got is None:
        got = _open_tag(_R_OPEN + b'A1"' + rest, t)[_R_LEN + 3:]
        if len(_TAG_RESTS) < _TAG_RESTS_MAX and len(rest) <= 256:   # bounded, kept small
            _TAG_RESTS[(rest, t)] = got
    return got


def _write_row_cells(data: bytes, row: _Row, todo: dict[int, Any], parts: list[bytes],
                     new_cell: Callable[[int, int, Any], bytes]) -> bool:
    """Append to ``parts`` the body of ``row`` (from the end of its start tag to where its
    end tag starts) with the values ``todo`` (column -> value) in its cells; cells it lacks
    are inserted in column order (``new_cell``). Returns whether a cell was inserted."""
    mark = len(parts)
    pos, found = row.tag_end, 0
    get, find, startswith, add = todo.get, data.find, data.startswith, parts.append
    rests = _TAG_RESTS
    for cell in row.cells:
        value = get(cell.col, _ABSENT)
        if value is _ABSENT:
            continue
        found += 1
        if type(value) is float and value - value == 0.0:
            s = repr(value + 0.0)
            t, v = None, (s[:-2] if s.endswith(".0") else s).encode()
        else:
            t, v = _encode(value)
            v = v.encode("utf-8")
        start = cell.start
        fs, es = cell.f_span, cell.ext_span
        if startswith(_R_OPEN, start):   # <c r="..." (no prefix): the rest of its tag
            q = find(b'"', start + _R_LEN) + 1
            rest = data[q:cell.tag_end]
            got = rests.get((rest, t))
            if got is None:
                got = _rest_of_tag(rest, t)
            if fs or es:
                add(data[pos:q] + got)
                if fs:
                    add(data[fs[0]:fs[3]])
                add(b"<v>" + v + b"</v>")
                if es:
                    add(data[es[0]:es[1]])
                add(b"</c>")
            else:
                add(data[pos:q] + got + b"<v>" + v + b"</v></c>")
        else:
            p = _prefix(data, start)
            parts += [data[pos:start], _open_tag(data[start:cell.tag_end], t),
                      data[fs[0]:fs[3]] if fs else b"", b"<" + p + b"v>", v,
                      b"</" + p + b"v>", data[es[0]:es[1]] if es else b"",
                      b"</" + p + b"c>"]
        pos = cell.end
    if found == len(todo):
        add(data[pos:row.body_end])
        return False
    del parts[mark:]   # some cells to insert among the row's: in column order
    return _write_row_inserting(data, row, todo, parts, new_cell)


_ABSENT = object()


def _write_row_inserting(data: bytes, row: _Row, todo: dict[int, Any], parts: list[bytes],
                         new_cell: Callable[[int, int, Any], bytes]) -> bool:
    """:func:`_write_row_cells` for a row that lacks some of the cells written."""
    order = sorted(todo)
    n = len(order)
    pos, k, inserted = row.tag_end, 0, False
    for cell in row.cells:
        if k == n:
            break
        col = cell.col
        while k < n and order[k] < col:
            parts += [data[pos:cell.start], new_cell(row.r, order[k], todo[order[k]])]
            pos, k, inserted = cell.start, k + 1, True
        if k < n and order[k] == col:
            parts += [data[pos:cell.start],
                      _cell_bytes(_prefix(data, cell.start), data[cell.start:cell.tag_end],
                                  data[cell.f_span[0]:cell.f_span[3]] if cell.f_span else b"",
                                  todo[col],
                                  data[cell.ext_span[0]:cell.ext_span[1]] if cell.ext_span
                                  else b"")]
            pos, k = cell.end, k + 1
    parts.append(data[pos:row.body_end])
    for col in order[k:]:
        parts.append(new_cell(row.r, col, todo[col]))
        inserted = True
    return inserted


def write_values(xml: bytes, values: dict[str, Any], styles_from: dict[str, str] | None = None,
                 layout: Layout | None = None) -> bytes:
    """Return the worksheet part with ``values`` (coordinate -> value) as cached values.

    Existing cells keep their attributes, formula and extension list; cells missing from the
    part (the body of an array formula) are inserted, with the style of ``styles_from[coord]``
    (an anchor cell). Every byte outside the ``<c>`` elements written (and the ``spans`` of a
    row that gets new cells, and the ``dimension``) is copied unchanged. ``layout``: the part's
    :class:`Layout` from the reading pass over these same bytes (then not parsed again).
    """
    rows: dict[int, dict[int, Any]] = {}
    for c, v in values.items():
        r, col = split_coord(c)
        rows.setdefault(r, {})[col] = v
    styles = styles_from or {}
    return write_rows(xml, rows, lambda r, col: styles.get(coord(r, col)), layout)


def write_rows(xml: bytes, rows: dict[int, dict[int, Any]],
               style_of: Callable[[int, int], str | None] | None = None,
               layout: Layout | None = None) -> bytes:
    """:func:`write_values` with the values by row number, then column number; ``style_of(row,
    column)``: the style of a cell inserted there (None: none)."""
    pending = {r: todo for r, todo in rows.items() if todo}
    if not pending:
        return xml
    lo_r, hi_r = min(pending), max(pending)
    lo_c = min(min(todo) for todo in pending.values())
    hi_c = max(max(todo) for todo in pending.values())
    if layout is not None and layout.data is xml:
        scan = layout.scan_for(sorted(pending))
    else:
        scan = _Scan(xml, rows=sorted(pending)).run()
    data = xml
    if scan.sheet_data is None:
        raise SheetXMLError("worksheet without sheetData")
    sd_start, sd_tag_end, sd_end, sd_empty = scan.sheet_data
    p = _prefix(data, sd_start)

    def new_cell(r: int, col: int, v: Any) -> bytes:
        c = coord(r, col)
        s = style_of(r, col) if style_of is not None else None
        tag = b"<" + p + b'c r="' + c.encode() + b'"'
        if s:
            tag += b' s="' + html.escape(s).encode() + b'"'
        return _cell_bytes(p, tag + b">", b"", v, b"")

    def new_row(rnum: int) -> bytes:
        todo = pending[rnum]
        body = b"".join(new_cell(rnum, k, todo[k]) for k in sorted(todo))
        return b"<" + p + b'row r="' + str(rnum).encode() + b'">' + body + b"</" + p + b"row>"

    def edited_row(row: _Row) -> bytes:
        parts: list[bytes] = []
        inserted = _write_row_cells(data, row, pending[row.r], parts, new_cell)
        tag = data[row.start:row.tag_end]
        if row.empty:
            tag = tag[:-2].rstrip() + b">"
            close = b"</" + _prefix(data, row.start) + b"row>"
        else:
            close = data[row.body_end:row.end]
        if inserted:
            tag = set_attribute(tag, "spans", None)
        parts.append(close)
        return tag + b"".join(parts)

    edits: list[tuple[int, int, bytes]] = []   # (start, end, new bytes), in document order
    dim = _dimension_edit(data, scan.dimension, (lo_r, lo_c, hi_r, hi_c))
    if dim and dim[0] < sd_start:
        edits.append(dim)
    if sd_empty:
        opened = data[sd_start:sd_tag_end][:-2].rstrip() + b">"
        edits.append((sd_start, sd_tag_end, opened + b"".join(new_row(r) for r in
                                                              sorted(pending))
                      + b"</" + p + b"sheetData>"))
    else:
        present = {row.r: row for row in scan.rows}
        for r in sorted(pending):
            row = present.get(r)
            if row is not None:
                edits.append((row.start, row.end, edited_row(row)))
            else:
                at = scan.insert_at.get(r, sd_end)
                edits.append((at, at, new_row(r)))
    if dim and dim[0] > sd_start:
        edits.append(dim)
    return _splice(data, edits)


def _splice(data: bytes, edits: list[tuple[int, int, bytes]]) -> bytes:
    """``data`` with each (start, end, new bytes) edit applied (edits in document order)."""
    out, pos = [], 0
    for a, b, new in edits:
        out += [data[pos:a], new]
        pos = b
    out.append(data[pos:])
    return b"".join(out)


def _dimension_edit(data: bytes, span: tuple[int, int] | None,
                    written: tuple[int, int, int, int]) -> tuple[int, int, bytes] | None:
    """The ``<dimension ref=...>`` grown to cover the cells written (their first row, first
    column, last row, last column)."""
    if span is None:
        return None
    start, end = span
    tag = data[start:end]
    ref = _attr_value(tag, b"ref")
    if not ref:
        return None
    try:
        r1, c1, r2, c2 = range_bounds(ref)
    except SheetXMLError:
        return None
    lo_r, lo_c, hi_r, hi_c = written
    new = f"{coord(min(r1, lo_r), min(c1, lo_c))}:{coord(max(r2, hi_r), max(c2, hi_c))}"
    return start, end, _set_attr_keep_place(tag, b"ref", new)


def _set_attr_keep_place(tag: bytes, key: bytes, value: str) -> bytes:
    for m in _ATTR.finditer(tag):
        if m.group(1) == key:
            q = m.group(2)[:1]
            a, b = m.start(2), m.end(2)
            return tag[:a] + q + html.escape(value).encode() + q + tag[b:]
    return tag


def element_tags(xml: bytes, path: tuple[str, ...]) -> list[tuple[int, int]]:
    """Byte spans of the start tags of the elements at ``path`` (local names in the
    spreadsheet namespace, from the root), e.g. ``("workbook", "calcPr")``."""
    _check_utf8(xml)
    found: list[tuple[int, int]] = []
    stack: list[str] = []
    p = new_parser()

    def start(name: str, attrs: dict[str, str]) -> None:
        ns, _, local = name.rpartition(" ")
        stack.append(local if ns in MAIN_NS else "")
        if tuple(stack) == path:
            i = p.CurrentByteIndex
            m = _TAG.match(xml, i)
            found.append((i, m.end() if m else i))

    p.StartElementHandler = start
    p.EndElementHandler = lambda name: stack.pop()
    try:
        p.Parse(xml, True)
    except expat.ExpatError as exc:
        raise SheetXMLError(f"the part is not well-formed XML "
                            f"({expat.ErrorString(exc.code)}, line {exc.lineno})") from None
    return found
