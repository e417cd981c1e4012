"""Excel tables (Insert > Table; ``xl/tables/tableN.xml``) and the structured references formulas
make to them, turned into the plain references the engine evaluates.

A file stores structured references in their long form: ``Schedule[Payment]`` (the column's
data), ``Schedule[[#This Row],[Payment]]`` (the cell of that column in the formula's own row,
shown as ``[@Payment]`` in Excel), ``Schedule[[Payment]:[Interest]]``, ``Schedule[#All]``,
``Schedule[#Headers]``, ``Schedule[#Totals]``, ``Schedule[[#Headers],[#Data],[Payment]]``,
``Schedule[]`` and the bare name ``Schedule`` (all the data). Each becomes an absolute
reference with its sheet (``'Loan'!$B$2:$B$13``); one that cannot be formed (a header row
the table does not have, a column it does not have, ``#This Row`` outside the data rows) becomes
``#REF!`` or ``#VALUE!`` as in Excel. Text inside string literals is left alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .sheetxml import SheetXMLError, coord, range_bounds

__all__ = ["Table", "read_tables", "structured_to_a1", "has_structured"]

_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


@dataclass(frozen=True)
class Table:
    name: str
    sheet: str
    top: int
    left: int
    bottom: int
    right: int
    headers: int          # header rows (0 or 1)
    totals: int           # totals rows (0 or 1)
    columns: tuple[str, ...]
    auto_filter: bool = False   # the table is filtered (rows it hides are filtered out)

    def column(self, name: str) -> int | None:
        """The sheet column of a table column named ``name`` (case-insensitive)."""
        want = name.strip().upper()
        for i, c in enumerate(self.columns):
            if c.upper() == want:
                return self.left + i
        return None


def _int(v: str | None, default: int) -> int:
    try:
        return int(v) if v is not None else default
    except ValueError:
        return default


def read_tables(pkg) -> dict[str, Table]:
    """The tables of every sheet of a checked package, by upper-case name."""
    out: dict[str, Table] = {}
    for sheet, part in pkg.sheets:
        for target in pkg.parts_of_type(part, "/table"):
            try:
                root = pkg.xml(target)
            except Exception:   # a table part that cannot be read: its references stay
                continue        # unresolved and those cells keep their saved values
            name = root.get("displayName") or root.get("name")
            try:
                top, left, bottom, right = range_bounds((root.get("ref") or "").replace("$", ""))
            except SheetXMLError:
                continue
            if not name:
                continue
            cols = tuple((c.get("name") or "") for c in root.iter(f"{_NS}tableColumn"))
            if len(cols) != right - left + 1:
                continue
            out[name.upper()] = Table(name, sheet, top, left, bottom, right,
                                      _int(root.get("headerRowCount"), 1),
                                      _int(root.get("totalsRowCount"), 0), cols,
                                      root.find(f"{_NS}autoFilter/{_NS}filterColumn")
                                      is not None)
    return out


_IDENT = re.compile(r"[A-Za-z_\\][A-Za-z0-9_.\\]*")


def has_structured(text: str, tables: dict[str, Table]) -> bool:
    up = text.upper()
    return any(name in up for name in tables)


def _bracket(text: str, i: int) -> int:
    """The index just past the bracket group opening at ``text[i] == '['`` (``'`` escapes the
    next character inside a column name); -1 when it does not close."""
    depth = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if ch == "'":
            i += 2
            continue
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return -1


def _unescape(name: str) -> str:
    return re.sub(r"'(.)", r"\1", name)


def _items(inner: str) -> list[str]:
    """The items of a bracket group's content: ``[#This Row],[A]:[B]`` -> ``['#This Row',
    'A]:[B']`` (a column range keeps its inner ``]:[``)."""
    s = inner.strip()
    if not s.startswith("["):
        return [s] if s else []
    out, i = [], 0
    while i < len(s):
        while i < len(s) and s[i] in " ,":
            i += 1
        if i >= len(s):
            break
        if s[i] != "[":
            raise ValueError("not a structured reference")
        j = _bracket(s, i)
        if j < 0:
            raise ValueError("unclosed bracket")
        k = j
        while k < len(s) and s[k] == " ":
            k += 1
        if k < len(s) and s[k] == ":":          # [A]:[B]
            k += 1
            while k < len(s) and s[k] == " ":
                k += 1
            j2 = _bracket(s, k) if k < len(s) and s[k] == "[" else -1
            if j2 < 0:
                raise ValueError("column range")
            out.append(s[i + 1:j - 1] + "]:[" + s[k + 1:j2 - 1])
            i = j2
        else:
            out.append(s[i + 1:j - 1])
            i = j
    return out


_SPECIALS = {"#ALL", "#DATA", "#HEADERS", "#TOTALS", "#THIS ROW"}


def _absolute(row: int, col: int) -> str:
    letters = coord(row, col)[:-len(str(row))]
    return f"${letters}${row}"


def _quote(sheet: str) -> str:
    return "'" + sheet.replace("'", "''") + "'"


def _reference(t: Table, inner: str | None, row: int | None) -> str:
    """The A1 reference (or error literal) of ``Table[inner]`` written in ``row``."""
    items = _items(inner) if inner is not None else []
    specials = [x.strip().upper() for x in items if x.strip().startswith("#")]
    cols = [x for x in items if not x.strip().startswith("#")]
    if any(s not in _SPECIALS for s in specials) or len(cols) > 1:
        raise ValueError("not a structured reference")
    data_top, data_bottom = t.top + t.headers, t.bottom - t.totals
    if not specials:
        specials = ["#DATA"]
    if "#THIS ROW" in specials:
        if len(specials) > 1:
            raise ValueError("not a structured reference")
        if row is None or not data_top <= row <= data_bottom:
            return "#VALUE!"
        r1 = r2 = row
    elif "#ALL" in specials:
        r1, r2 = t.top, t.bottom
    else:
        rows = []
        if "#HEADERS" in specials:
            if not t.headers:
                return "#REF!"
            rows.append(t.top)
        if "#DATA" in specials:
            if data_bottom < data_top:
                return "#REF!"
            rows += [data_top, data_bottom]
        if "#TOTALS" in specials:
            if not t.totals:
                return "#REF!"
            rows.append(t.bottom)
        r1, r2 = min(rows), max(rows)
    c1, c2 = t.left, t.right
    if cols:
        parts = cols[0].split("]:[")
        got = [t.column(_unescape(p)) for p in parts]
        if any(g is None for g in got):
            return "#REF!"
        c1, c2 = min(got), max(got)
    a, b = _absolute(r1, c1), _absolute(r2, c2)
    return f"{_quote(t.sheet)}!{a}" if (r1, c1) == (r2, c2) else f"{_quote(t.sheet)}!{a}:{b}"


def _closing_quote(text: str, i: int) -> int:
    """Index of the quote closing the one at ``text[i]`` (a doubled quote is part of the
    text); ``len(text)`` when it never closes."""
    q, j, n = text[i], i + 1, len(text)
    while j < n:
        if text[j] == q:
            if j + 1 < n and text[j + 1] == q:
                j += 2
                continue
            break
        j += 1
    return j


def structured_to_a1(text: str, tables: dict[str, Table], row: int | None = None) -> str:
    """``text`` with every structured reference to one of ``tables`` replaced by its A1
    reference (``row``: the formula's row, for ``#This Row``). Raises ``ValueError`` for a
    bracket group after a table name that is not a structured reference."""
    if not tables or not has_structured(text, tables):
        return text
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch in "\"'":                        # a string literal or a quoted sheet name
            j = _closing_quote(text, i)
            out.append(text[i:j + 1])
            i = j + 1
            continue
        if ch == "[":                         # [1]Sheet!A1: a link, not ours
            j = _bracket(text, i)
            j = n if j < 0 else j
            out.append(text[i:j])
            i = j
            continue
        m = _IDENT.match(text, i)
        if m is None or (i and (text[i - 1].isalnum() or text[i - 1] in "_.!$")):
            out.append(ch)
            i += 1
            continue
        word, end = m.group(0), m.end()
        table = tables.get(word.upper())
        if table is None or (end < n and text[end] in "(!"):
            out.append(word)
            i = end
            continue
        if end < n and text[end] == "[":
            close = _bracket(text, end)
            if close < 0:
                raise ValueError("unclosed bracket")
            out.append(_reference(table, text[end + 1:close - 1], row))
            i = close
        else:
            out.append(_reference(table, None, row))
            i = end
    return "".join(out)
