"""Read formula cells from, and write cached values into, worksheet XML, touching nothing else.

A worksheet part is edited as text: only the ``<c>`` elements of formula cells (and the cells of
array-formula ranges) get a new cached value ``<v>`` and type ``t``; every other byte of the part
(styles ``s=``, merged cells, drawings, conditional formats, extension lists, namespace
declarations) is copied as it was. Cells of an array formula's range that the file does not hold
yet are inserted in row and column order, with the anchor cell's style.
"""

from __future__ import annotations

import html
import math
import re
from dataclasses import dataclass
from typing import Any

from openpyxl.utils.cell import (column_index_from_string, coordinate_from_string,
                                 get_column_letter, range_boundaries)

__all__ = ["FormulaCell", "ErrorValue", "read_formulas", "write_values", "split_coord",
           "coord", "cells_of_range"]


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


def split_coord(c: str) -> tuple[int, int]:
    """'B12' -> (12, 2)."""
    col, row = coordinate_from_string(c.replace("$", ""))
    return row, column_index_from_string(col)


def coord(row: int, col: int) -> str:
    return f"{get_column_letter(col)}{row}"


def cells_of_range(ref: str) -> list[str]:
    c1, r1, c2, r2 = range_boundaries(ref.replace("$", ""))
    return [coord(r, c) for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)]


def _prefix(text: str) -> tuple[str, re.Match | None]:
    m = re.search(r"<([A-Za-z_][\w.-]*:)?sheetData(?=[\s/>])[^>]*?(/>|>)", text)
    if not m:
        return "", None
    return m.group(1) or "", m


def _patterns(p: str) -> tuple[re.Pattern, re.Pattern, re.Pattern]:
    q = re.escape(p)
    row = re.compile(rf"<{q}row(?=[\s/>])(?P<a>[^>]*?)(?:/>|>(?P<b>.*?)</{q}row>)", re.S)
    cell = re.compile(rf"<{q}c(?=[\s/>])(?P<a>[^>]*?)(?:/>|>(?P<b>.*?)</{q}c>)", re.S)
    f = re.compile(rf"<{q}f(?=[\s/>])(?P<a>[^>]*?)(?:/>|>(?P<t>.*?)</{q}f>)", re.S)
    return row, cell, f


def _attr(attrs: str, name: str) -> str | None:
    m = re.search(rf'(?:^|\s){name}\s*=\s*(["\'])(.*?)\1', attrs, re.S)
    return html.unescape(m.group(2)) if m else None


def _sheet_data(text: str) -> tuple[str, int, int]:
    """(prefix, start, end) of the sheetData content; start == end for an empty sheet."""
    p, m = _prefix(text)
    if m is None:
        return p, -1, -1
    if m.group(2) == "/>":
        return p, m.end(), m.end()
    end = text.find(f"</{p}sheetData>", m.end())
    return p, m.end(), end


def read_formulas(xml: bytes) -> dict[str, FormulaCell]:
    """Every formula cell of a worksheet part: coordinate -> :class:`FormulaCell`."""
    text = xml.decode("utf-8")
    p, start, end = _sheet_data(text)
    out: dict[str, FormulaCell] = {}
    if start < 0:
        return out
    row_re, cell_re, f_re = _patterns(p)
    for rm in row_re.finditer(text, start, end):
        rnum = _attr(rm.group("a"), "r")
        body = rm.group("b") or ""
        col = 0
        for cm in cell_re.finditer(body):
            r = _attr(cm.group("a"), "r")
            if r:
                row_i, col = split_coord(r)
            else:  # cells without r= follow their left neighbour
                col += 1
                row_i = int(rnum) if rnum else 0
                r = coord(row_i, col)
            fm = f_re.search(cm.group("b") or "")
            if not fm:
                continue
            kind = _attr(fm.group("a"), "t") or "normal"
            ftext = fm.group("t")
            out[r] = FormulaCell(r, html.unescape(ftext) if ftext is not None else None,
                                 kind, _attr(fm.group("a"), "ref"), _attr(cm.group("a"), "s"))
    return out


_EXCEL_CODES = ("#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A",
                "#GETTING_DATA", "#SPILL!", "#CALC!")


def _fmt_number(x: float) -> str:
    s = repr(float(x))
    return s[:-2] if s.endswith(".0") else s


def _encode(value: Any) -> tuple[str | None, str]:
    """(t attribute or None, text of <v>) for a cached value."""
    if isinstance(value, ErrorValue):
        return "e", value.code if value.code in _EXCEL_CODES else "#VALUE!"
    if isinstance(value, bool):
        return "b", "1" if value else "0"
    if isinstance(value, (int, float)):
        f = float(value)
        if not math.isfinite(f):
            return "e", "#NUM!"
        return None, _fmt_number(f + 0.0)
    if value is None:
        return "str", ""
    return "str", html.escape(str(value), quote=False)


def _set_attr(attrs: str, name: str, value: str | None) -> str:
    pat = re.compile(rf'\s{name}\s*=\s*(["\']).*?\1', re.S)
    attrs = pat.sub("", attrs)
    if value is not None:
        attrs = attrs.rstrip() + f' {name}="{value}"'
    return attrs


def _cell_xml(p: str, attrs: str, fxml: str, value: Any, tail: str) -> str:
    t, v = _encode(value)
    attrs = _set_attr(attrs, "t", t)
    return f"<{p}c{attrs}>{fxml}<{p}v>{v}</{p}v>{tail}</{p}c>"


def write_values(xml: bytes, values: dict[str, Any], styles_from: dict[str, str] | None = None
                 ) -> bytes:
    """Return the worksheet part with ``values`` (coordinate -> value) as cached values.

    Existing cells keep their attributes and formula; cells missing from the part (the body of
    an array formula) are inserted, with the style of ``styles_from[coord]`` (an anchor cell).
    """
    if not values:
        return xml
    text = xml.decode("utf-8")
    p, start, end = _sheet_data(text)
    if start < 0:
        raise ValueError("worksheet without sheetData")
    row_re, cell_re, f_re = _patterns(p)
    styles_from = styles_from or {}
    pending: dict[int, dict[int, Any]] = {}
    for c, v in values.items():
        r, col = split_coord(c)
        pending.setdefault(r, {})[col] = v

    def new_cell(r: int, col: int, v: Any) -> str:
        c = coord(r, col)
        s = styles_from.get(c)
        attrs = f' r="{c}"' + (f' s="{s}"' if s else "")
        return _cell_xml(p, attrs, "", v, "")

    def edit_row(rnum: int, attrs: str, body: str) -> str:
        todo = pending.pop(rnum, {})
        if not todo:
            return None
        parts, col, pos, inserted = [], 0, 0, False
        for cm in cell_re.finditer(body):
            r = _attr(cm.group("a"), "r")
            col = split_coord(r)[1] if r else col + 1
            for k in sorted(k for k in todo if k < col):
                parts.append(body[pos:cm.start()])
                pos = cm.start()
                parts.append(new_cell(rnum, k, todo.pop(k)))
                inserted = True
            parts.append(body[pos:cm.start()])
            pos = cm.end()
            if col in todo:
                v = todo.pop(col)
                cbody = cm.group("b") or ""
                fm = f_re.search(cbody)
                fxml = fm.group(0) if fm else ""
                ext = re.search(rf"<{re.escape(p)}extLst.*</{re.escape(p)}extLst>", cbody, re.S)
                parts.append(_cell_xml(p, cm.group("a"), fxml, v, ext.group(0) if ext else ""))
            else:
                parts.append(cm.group(0))
        parts.append(body[pos:])
        for k in sorted(todo):
            parts.append(new_cell(rnum, k, todo[k]))
            inserted = True
        if inserted:
            attrs = _set_attr(attrs, "spans", None)
        return f"<{p}row{attrs}>{''.join(parts)}</{p}row>"

    out, pos = [], start
    order, nxt = sorted(pending), 0  # rows still to write, in order (no quadratic scans)
    for rm in row_re.finditer(text, start, end):
        rnum = int(_attr(rm.group("a"), "r") or 0)
        while nxt < len(order) and order[nxt] < rnum:
            k = order[nxt]
            nxt += 1
            if k not in pending:
                continue
            out.append(text[pos:rm.start()])
            pos = rm.start()
            out.append(edit_row(k, f' r="{k}"', ""))
        edited = edit_row(rnum, rm.group("a"), rm.group("b") or "")
        if edited is not None:
            out.append(text[pos:rm.start()])
            out.append(edited)
            pos = rm.end()
    out.append(text[pos:end])
    for k in sorted(pending):
        out.append(edit_row(k, f' r="{k}"', ""))
    body = "".join(out)
    if start == end and text[start - 2:start] == "/>":  # <sheetData/>: open it
        head = text[:start - 2] + ">"
        new = head + body + f"</{p}sheetData>" + text[end:]
    else:
        new = text[:start] + body + text[end:]
    new = _grow_dimension(new, p, values)
    return new.encode("utf-8")


def _grow_dimension(text: str, p: str, values: dict[str, Any]) -> str:
    m = re.search(rf'<{re.escape(p)}dimension\s+ref="([^"]*)"', text)
    if not m or not values:
        return text
    rows, cols = zip(*(split_coord(c) for c in values))
    try:
        ref = m.group(1)
        c1, r1, c2, r2 = range_boundaries(ref if ":" in ref else f"{ref}:{ref}")
    except (ValueError, TypeError):
        return text
    c1, r1 = min(c1, min(cols)), min(r1, min(rows))
    c2, r2 = max(c2, max(cols)), max(r2, max(rows))
    new = f"{coord(r1, c1)}:{coord(r2, c2)}"
    return text[:m.start(1)] + new + text[m.end(1):]
