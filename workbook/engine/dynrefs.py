"""References computed by a formula: ``OFFSET``, ``INDIRECT`` (within the workbook) and
``FORMULATEXT``, turned into the plain references the engine can evaluate.

The ``formulas`` engine builds a fixed dependency graph from the references written in each
formula, so a reference computed at run time has no place in it. Excel itself treats OFFSET and
INDIRECT as volatile and calculates them after their arguments. We do the same in two steps:

1. before the engine runs, each call's arguments are evaluated (the engine's own compiled
   expressions, reading the values the file holds) and the call is replaced by the reference it
   gives (``OFFSET(B5,1,0,3,1)`` -> ``B6:B8``; ``INDIRECT("'Base case'!C"&D1)`` ->
   ``'Base case'!C7``; an impossible one by ``#REF!``);
2. after the engine has run, the arguments are evaluated again from the computed values
   (:meth:`Resolver.stale`); where a reference differs, the formula is resolved again and the
   workbook evaluated once more (the caller repeats this a few times at most).

``INDIRECT`` only ever names this workbook: a reference to another workbook (``[Book.xlsx]``,
a path) is ``#REF!``, as in Excel when that workbook is not open; no file is opened.
``FORMULATEXT(ref)`` becomes the text of the formula stored in ``ref`` (``#N/A`` when it holds
none), with the ``_xlfn.`` prefixes Excel stores but does not show removed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable

from .formulatext import Token, tokens
from .sheetxml import MAX_COL, MAX_ROW, coord

__all__ = ["DYNAMIC", "Resolver", "Resolution", "formula_text", "has_dynamic",
           "resolve_formulatext", "UnresolvedReference", "error_value"]

#: Functions whose reference is computed.
DYNAMIC = frozenset({"OFFSET", "INDIRECT"})

_CELL = re.compile(r"^\$?([A-Za-z]{1,3})\$?([0-9]{1,7})$")
_COLS = re.compile(r"^\$?([A-Za-z]{1,3}):\$?([A-Za-z]{1,3})$")
_ROWS = re.compile(r"^\$?([0-9]{1,7}):\$?([0-9]{1,7})$")
_R1C1 = re.compile(r"^R(\[-?\d+\]|\d+)?C(\[-?\d+\]|\d+)?$", re.I)
_XL_PREFIX = re.compile(r"_xlfn\.(?:_xlws\.)?|_xlws\.|_xlpm\.", re.I)


class UnresolvedReference(ValueError):
    """A computed reference that cannot be resolved here (``str(exc)``: the reason)."""


def _col(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n


def _name(t: Token) -> str:
    up = t.text.upper()
    for p in ("_XLFN._XLWS.", "_XLFN.", "_XLWS."):
        if up.startswith(p):
            return up[len(p):]
    return up


def has_dynamic(text: str) -> bool:
    up = text.upper()
    return "OFFSET(" in up or "INDIRECT(" in up or "FORMULATEXT(" in up


@dataclass
class _Call:
    name: str
    start: int          # index of the function-name token
    end: int            # index of the closing parenthesis
    args: list[tuple[int, int]]   # token index spans (inclusive start, exclusive end)


def _calls(toks: list[Token], names: frozenset[str]) -> list[_Call]:
    """Outermost calls of ``names`` in a token list."""
    out = []
    i = 0
    n = len(toks)
    while i < n:
        t = toks[i]
        if (t.kind == "word" and i + 1 < n and toks[i + 1].kind == "lparen"
                and _name(t) in names and not (i and toks[i - 1].kind == "bang")):
            depth = 0
            args = []
            a0 = i + 2
            j = i + 1
            while j < n:
                k = toks[j].kind
                if k in ("lparen", "lbrace"):
                    depth += 1
                elif k in ("rparen", "rbrace"):
                    depth -= 1
                    if depth == 0:
                        args.append((a0, j))
                        break
                elif k == "comma" and depth == 1:
                    args.append((a0, j))
                    a0 = j + 1
                j += 1
            if j >= n:
                raise UnresolvedReference(f"{t.text} has no closing parenthesis")
            if len(args) == 1 and args[0][0] == args[0][1]:
                args = []
            out.append(_Call(_name(t), i, j, args))
            i = j + 1
            continue
        i += 1
    return out


def _text(toks: list[Token], span: tuple[int, int]) -> str:
    return "".join(t.text for t in toks[span[0]:span[1]]).strip()


@dataclass
class Resolution:
    """A formula whose computed references were replaced: what to check after evaluation."""
    sheet: str            # engine sheet title
    cell: str
    original: str         # the engine text before resolution
    text: str             # the engine text evaluated
    checks: list[tuple[str, tuple[str, ...], str]] = field(default_factory=list)
    # (function, argument texts as resolved, the reference written)


class Resolver:
    """Replaces OFFSET/INDIRECT calls in engine formula texts by the references they give.

    ``evaluate(expr, sheet, cell)`` evaluates an engine expression at a cell and returns its
    value (a scalar, or a 2-D list for a range); ``sheets`` maps an upper-case sheet name of
    the workbook to the title the engine uses; ``names`` maps an upper-case defined name to its
    engine definition text.
    """

    def __init__(self, evaluate: Callable[[str, str, str], Any], sheets: dict[str, str],
                 names: dict[str, str], used: tuple[int, int]) -> None:
        self.evaluate = evaluate
        self.sheets = sheets
        self.names = names
        self.used = used

    # -- rewriting -------------------------------------------------------------------------------
    def resolve(self, text: str, sheet: str, cell: str) -> Resolution:
        res = Resolution(sheet, cell, text, text)
        res.text = self._rewrite(text, sheet, cell, res)
        return res

    def _rewrite(self, text: str, sheet: str, cell: str, res: Resolution) -> str:
        toks = list(tokens(text))
        calls = _calls(toks, DYNAMIC)
        if not calls:
            return text
        out = []
        pos = 0
        for c in calls:
            out.append("".join(t.text for t in toks[pos:c.start]))
            args = [self._rewrite(_text(toks, a), sheet, cell, res) for a in c.args]
            target = self._target(c.name, args, sheet, cell)
            res.checks.append((c.name, tuple(args), target))
            out.append(target)
            pos = c.end + 1
        out.append("".join(t.text for t in toks[pos:]))
        return "".join(out)

    def stale(self, res: Resolution) -> bool:
        """Whether any reference of ``res`` would now be different."""
        for name, args, target in res.checks:
            try:
                now = self._target(name, list(args), res.sheet, res.cell)
            except UnresolvedReference:
                return True
            if now != target:
                return True
        return False

    # -- the functions -----------------------------------------------------------------------------
    def _target(self, name: str, args: list[str], sheet: str, cell: str) -> str:
        if name == "OFFSET":
            return self._offset(args, sheet, cell)
        return self._indirect(args, sheet, cell)

    def _scalar(self, expr: str, sheet: str, cell: str) -> Any:
        v = self.evaluate(expr, sheet, cell)
        while isinstance(v, list):
            v = v[0] if v else None
        return v

    def _number(self, expr: str, sheet: str, cell: str, default: float | None) -> float | str:
        if expr.strip() == "":
            if default is None:
                return 0.0
            return default
        v = self._scalar(expr, sheet, cell)
        if isinstance(v, _Error):
            return v.code
        if v is None:
            return 0.0
        if isinstance(v, bool):
            return float(v)
        if isinstance(v, str):
            try:
                return float(v)
            except ValueError:
                return "#VALUE!"
        return float(v)

    def _offset(self, args: list[str], sheet: str, cell: str) -> str:
        if not 3 <= len(args) <= 5:
            raise UnresolvedReference("OFFSET takes 3 to 5 arguments")
        base = self._reference(args[0])
        if base is None:
            raise UnresolvedReference(f"OFFSET of {args[0][:40]!r}, which is not a reference "
                                      f"written in the formula")
        prefix, (r1, c1, r2, c2) = base
        nums = [self._number(args[1], sheet, cell, 0.0), self._number(args[2], sheet, cell, 0.0)]
        h = self._number(args[3], sheet, cell, float(r2 - r1 + 1)) if len(args) > 3 \
            else float(r2 - r1 + 1)
        w = self._number(args[4], sheet, cell, float(c2 - c1 + 1)) if len(args) > 4 \
            else float(c2 - c1 + 1)
        for v in nums + [h, w]:
            if isinstance(v, str):
                return v if v.startswith("#") else "#VALUE!"
        rows, cols = int(nums[0]), int(nums[1])   # Excel truncates
        h, w = int(h), int(w)
        if h == 0 or w == 0:
            return "#REF!"
        top, left = r1 + rows, c1 + cols
        if h > 0:
            bottom = top + h - 1
        else:
            top, bottom = top + h + 1, top
        if w > 0:
            right = left + w - 1
        else:
            left, right = left + w + 1, left
        if top < 1 or left < 1 or bottom > MAX_ROW or right > MAX_COL:
            return "#REF!"
        return prefix + _ref(top, left, bottom, right)

    def _indirect(self, args: list[str], sheet: str, cell: str) -> str:
        if not 1 <= len(args) <= 2:
            raise UnresolvedReference("INDIRECT takes 1 or 2 arguments")
        v = self._scalar(args[0], sheet, cell)
        if isinstance(v, _Error):
            return v.code
        if not isinstance(v, str):
            return "#REF!"
        a1 = True
        if len(args) == 2 and args[1].strip():
            flag = self._scalar(args[1], sheet, cell)
            if isinstance(flag, _Error):
                return flag.code
            a1 = bool(flag) if not isinstance(flag, str) else flag.upper() != "FALSE"
        return self.reference_text(v.strip(), a1, cell)

    def reference_text(self, text: str, a1: bool, cell: str) -> str:
        """The engine text of a reference written as text (INDIRECT's argument)."""
        prefix = ""
        ref = text
        if "!" in text:
            where, ref = text.rsplit("!", 1)
            if where.startswith("'") and where.endswith("'") and len(where) >= 2:
                where = where[1:-1].replace("''", "'")
            if "[" in where or "/" in where or "\\" in where:
                return "#REF!"   # another workbook: Excel gives #REF! unless it is open
            title = self.sheets.get(where.upper())
            if title is None:
                return "#REF!"
            prefix = "'" + title.replace("'", "''") + "'!"
        ref = ref.strip()
        if not a1:
            got = _r1c1(ref, cell)
            if got is None:
                return "#REF!"
            return prefix + _ref(*got)
        if ":" in ref:
            a, b = ref.split(":", 1)
            ma, mb = _CELL.match(a), _CELL.match(b)
            if ma and mb:
                r1, c1 = int(ma.group(2)), _col(ma.group(1))
                r2, c2 = int(mb.group(2)), _col(mb.group(1))
            elif _COLS.match(ref):   # whole columns and rows: bounded (or refused) later
                m = _COLS.match(ref)
                c1, c2 = _col(m.group(1)), _col(m.group(2))
                r1, r2 = 1, MAX_ROW
            elif _ROWS.match(ref):
                m = _ROWS.match(ref)
                r1, r2 = int(m.group(1)), int(m.group(2))
                c1, c2 = 1, MAX_COL
            else:
                return "#REF!"
            r1, r2 = sorted((r1, r2))
            c1, c2 = sorted((c1, c2))
        else:
            m = _CELL.match(ref)
            if not m:
                if not prefix and ref.upper() in self.names and \
                        re.match(r"^[A-Za-z_\\][\w.\\]*$", ref):
                    return ref
                return "#REF!"
            r1 = r2 = int(m.group(2))
            c1 = c2 = _col(m.group(1))
        if not (1 <= r1 and r2 <= MAX_ROW and 1 <= c1 and c2 <= MAX_COL):
            return "#REF!"
        return prefix + _ref(r1, c1, r2, c2)

    def _reference(self, text: str) -> tuple[str, tuple[int, int, int, int]] | None:
        """(prefix, bounds) of a reference written in a formula (or a defined name that is
        one), None otherwise."""
        text = text.strip()
        m = re.match(r"^((?:'(?:[^']|'')*'|[^'!:\s(),]+)!)?(\$?[A-Za-z]{1,3}\$?\d{1,7})"
                     r"(?::(\$?[A-Za-z]{1,3}\$?\d{1,7}))?$", text)
        if m:
            a = _CELL.match(m.group(2))
            b = _CELL.match(m.group(3)) if m.group(3) else a
            r1, c1 = int(a.group(2)), _col(a.group(1))
            r2, c2 = int(b.group(2)), _col(b.group(1))
            return (m.group(1) or ""), (min(r1, r2), min(c1, c2), max(r1, r2), max(c1, c2))
        if text.upper() in self.names:
            return self._reference(self.names[text.upper()].lstrip("="))
        return None


def _ref(r1: int, c1: int, r2: int, c2: int) -> str:
    a, b = coord(r1, c1), coord(r2, c2)
    return a if a == b else f"{a}:{b}"


def _r1c1(ref: str, cell: str) -> tuple[int, int, int, int] | None:
    m0 = re.match(r"^([A-Z]+)([0-9]+)$", cell)
    cr, cc = int(m0.group(2)), _col(m0.group(1))
    parts = ref.split(":")
    out = []
    for p in parts:
        m = _R1C1.match(p)
        if not m:
            return None
        r = _r1c1_part(m.group(1), cr)
        c = _r1c1_part(m.group(2), cc)
        if r is None or c is None:
            return None
        out.append((r, c))
    (r1, c1), (r2, c2) = out[0], out[-1]
    return min(r1, r2), min(c1, c2), max(r1, r2), max(c1, c2)


def _r1c1_part(p: str | None, here: int) -> int | None:
    if p is None:
        return here
    if p.startswith("["):
        return here + int(p[1:-1])
    return int(p)


class _Error:
    """An Excel error value as the evaluator reports it."""

    def __init__(self, code: str) -> None:
        self.code = code


def formula_text(stored: str | None) -> str:
    """``FORMULATEXT``'s result for a stored formula: ``=`` and the formula as Excel shows it."""
    if stored is None:
        return "#N/A"
    shown = _XL_PREFIX.sub("", stored)
    return "=" + shown


def error_value(code: str) -> _Error:
    return _Error(code)


def resolve_formulatext(text: str, sheet: str, sheets: dict[str, str],
                        stored: dict[tuple[str, str], str | None]) -> str:
    """``FORMULATEXT(ref)`` calls replaced by the text of the formula in ``ref`` (a string
    literal), or ``#N/A`` when ``ref`` holds no formula. ``sheet`` is the formula's sheet,
    ``sheets`` maps upper-case sheet names to names, ``stored`` gives a cell's formula text
    (None: a value cell). A call whose argument is not a plain reference is left alone."""
    if "FORMULATEXT(" not in text.upper():
        return text
    toks = list(tokens(text))
    calls = _calls(toks, frozenset({"FORMULATEXT"}))
    if not calls:
        return text
    out, pos = [], 0
    for c in calls:
        out.append("".join(t.text for t in toks[pos:c.start]))
        new = None
        if len(c.args) == 1:
            arg = _text(toks, c.args[0])
            m = re.match(r"^(?:('(?:[^']|'')*'|[^'!:\s(),\[\]]+)!)?(\$?[A-Za-z]{1,3}\$?\d{1,7})"
                         r"(?::\$?[A-Za-z]{1,3}\$?\d{1,7})?$", arg)
            if m:
                where = m.group(1)
                target = sheet
                if where:
                    if where.startswith("'"):
                        where = where[1:-1].replace("''", "'")
                    target = sheets.get(where.upper())
                if target is not None:
                    ref = m.group(2).replace("$", "").upper()
                    got = stored.get((target, ref))
                    shown = formula_text(got)
                    new = "#N/A" if got is None else '"' + shown.replace('"', '""') + '"'
        if new is None:
            new = "".join(t.text for t in toks[c.start:c.end + 1])
        out.append(new)
        pos = c.end + 1
    out.append("".join(t.text for t in toks[pos:]))
    return "".join(out)
