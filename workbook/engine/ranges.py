"""References in formula text, prepared for the engine: sheets it cannot name get aliases, ranges
to the edge of the sheet are bounded by the used range, references to other files are checked.

Whole columns and rows (``A:A``, ``2:2``) and ranges that run to row 1,048,576 or column XFD
(``A2:A1048576``, ``I15:XFD15``) are cut to the workbook's used range: every cell beyond it is
blank, and blank cells add nothing to what the functions that take such ranges compute (sums,
lookups, matches, counts of values, our functions, which drop trailing blank cells). Where
blank cells do count, the formula is corrected so the result is Excel's: ``ROWS``/``COLUMNS``
give the full size, ``COUNTBLANK`` adds the blank cells cut off, ``COUNTIF``/``COUNTIFS`` add
them when the criteria match an empty cell by Excel's rules (``""``, ``"<>x"``). A cut range
anywhere else (inside an arithmetic expression, an unknown function, a defined name used in an
expression) is refused in plain words rather than risk a different number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .excelfns import BLANK_MATCHES
from .formulatext import Token, tokens
from .sheetxml import MAX_COL, MAX_ROW, coord

__all__ = ["RangeRef", "Prepared", "NameRange", "prepare", "quote_sheet", "BLANK_SENSITIVE",
           "BLANK_NEUTRAL"]

_CELL = re.compile(r"^\$?([A-Za-z]{1,3})\$?([0-9]{1,7})$")
_COL = re.compile(r"^\$?([A-Za-z]{1,3})$")
_ROW = re.compile(r"^\$?([0-9]{1,7})$")

#: Functions whose result does not change when blank cells are cut from a range argument.
BLANK_NEUTRAL = frozenset("""SUM SUMIF SUMIFS SUMPRODUCT PRODUCT AVERAGE AVERAGEA AVERAGEIF
    AVERAGEIFS COUNT COUNTA MIN MAX MINA MAXA MINIFS MAXIFS LARGE SMALL MEDIAN STDEV STDEV.S
    STDEV.P STDEVA STDEVP VAR VAR.S VAR.P VARA VARP VLOOKUP HLOOKUP LOOKUP MATCH XLOOKUP XMATCH
    INDEX""".split())
#: Functions corrected for the blank cells cut off (see the module docstring).
BLANK_SENSITIVE = frozenset({"ROWS", "COLUMNS", "COUNTBLANK", "COUNTIF", "COUNTIFS"})
#: Below this many cells, a range that runs past the used range is left as it is.
CLIP_FROM = 65_536


def _col_index(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n


def quote_sheet(name: str) -> str:
    return "'" + name.replace("'", "''") + "'"


@dataclass
class RangeRef:
    """A reference found in a formula: its token span and bounds (before and after cutting)."""
    start: int           # index of the first significant token (the prefix, if any)
    end: int             # index of the last significant token
    prefix: str          # "Sheet!" / "'My sheet'!" / "[1]Sheet!" / ""
    book: str | None     # the text of a [book] part, if any
    sheet: str | None    # the sheet named in the prefix, if any
    bounds: tuple[int, int, int, int]           # r1, c1, r2, c2 as written
    cut: tuple[int, int, int, int] | None = None  # after cutting to the used range
    name: str | None = None                       # a defined name standing for the range

    @property
    def area(self) -> int:
        r1, c1, r2, c2 = self.cut or self.bounds
        return (r2 - r1 + 1) * (c2 - c1 + 1)

    @property
    def full_area(self) -> int:
        r1, c1, r2, c2 = self.bounds
        return (r2 - r1 + 1) * (c2 - c1 + 1)


@dataclass
class NameRange:
    """A defined name whose definition is one range (after preparation)."""
    ref: RangeRef
    text: str            # the prepared definition


@dataclass
class Prepared:
    text: str
    refs: list[RangeRef]          # every range reference (for the engine's size limit)
    books: list[str]              # book parts of references ([1], [Other.xlsx], paths)


class Refused(ValueError):
    """A formula the engine cannot evaluate faithfully; ``str(exc)`` is one plain line."""


def _sig(toks: list[Token]) -> list[int]:
    return [i for i, t in enumerate(toks) if t.kind != "ws"]


def _bounds_of(a: Token, b: Token | None) -> tuple[int, int, int, int] | None:
    """Bounds of ``a`` or ``a:b`` when they are cell, column or row references."""
    if b is None:
        m = _CELL.match(a.text) if a.kind == "word" else None
        if not m:
            return None
        r, c = int(m.group(2)), _col_index(m.group(1))
        return (r, c, r, c) if 1 <= r <= MAX_ROW and 1 <= c <= MAX_COL else None
    if a.kind != "word" or b.kind != "word":
        return None
    ma, mb = _CELL.match(a.text), _CELL.match(b.text)
    if ma and mb:
        r1, c1 = int(ma.group(2)), _col_index(ma.group(1))
        r2, c2 = int(mb.group(2)), _col_index(mb.group(1))
    elif _COL.match(a.text) and _COL.match(b.text):
        r1, r2 = 1, MAX_ROW
        c1, c2 = _col_index(_COL.match(a.text).group(1)), _col_index(_COL.match(b.text).group(1))
    elif _ROW.match(a.text) and _ROW.match(b.text):
        c1, c2 = 1, MAX_COL
        r1, r2 = int(_ROW.match(a.text).group(1)), int(_ROW.match(b.text).group(1))
    else:
        return None
    r1, r2 = min(r1, r2), max(r1, r2)
    c1, c2 = min(c1, c2), max(c1, c2)
    if not (1 <= r1 and r2 <= MAX_ROW and 1 <= c1 and c2 <= MAX_COL):
        return None
    return r1, c1, r2, c2


def _prefix_at(toks: list[Token], sig: list[int], k: int
               ) -> tuple[int, str, str | None, str | None] | None:
    """A book/sheet prefix starting at significant token ``k``: (index after it, its text,
    the [book] part, the sheet), or None."""
    n = len(sig)
    t = toks[sig[k]]

    def kind(j: int) -> str:
        return toks[sig[j]].kind if j < n else ""

    if t.kind == "bracket":
        nxt = toks[sig[k + 1]] if k + 1 < n else None
        if nxt is not None and nxt.kind == "word" and kind(k + 2) == "bang" \
                and nxt.start == t.start + len(t.text):
            return k + 3, t.text + nxt.text + "!", t.text, nxt.text
        if kind(k + 1) == "bang":
            return k + 2, t.text + "!", t.text, None
        return None
    if t.kind in ("word", "quoted") and kind(k + 1) == "bang":
        if t.kind == "word":
            return k + 2, t.text + "!", None, t.text
        inner = t.text[1:-1].replace("''", "'")
        m = re.match(r"^(.*\[[^\]]*\])?(.*)$", inner, re.S)
        book = m.group(1) if m and m.group(1) else None
        return k + 2, t.text + "!", book, (m.group(2) if m else inner)
    return None


def _find_refs(toks: list[Token], sig: list[int]) -> list[RangeRef]:
    out = []
    n = len(sig)
    k = 0
    while k < n:
        p = _prefix_at(toks, sig, k)
        j, prefix, book, sheet = p if p else (k, "", None, None)
        if j < n and toks[sig[j]].kind == "word" and not (
                j + 1 < n and toks[sig[j + 1]].kind == "lparen"):
            a = toks[sig[j]]
            if j + 2 < n and toks[sig[j + 1]].text == ":" and toks[sig[j + 2]].kind == "word":
                bounds = _bounds_of(a, toks[sig[j + 2]])
                if bounds is not None:
                    out.append(RangeRef(k, j + 2, prefix, book, sheet, bounds))
                    k = j + 3
                    continue
            bounds = _bounds_of(a, None)
            if bounds is not None:
                out.append(RangeRef(k, j, prefix, book, sheet, bounds))
                k = j + 1
                continue
        if book is not None and j < n and toks[sig[j]].kind == "word":
            # [1]!Name, [1]Sheet!Name or [1]!FUNCTION(: a name or function in another book
            out.append(RangeRef(k, j, prefix, book, sheet, (0, 0, 0, 0)))
            k = j + 1
            continue
        k = j if p else k + 1
    return out


def _arg_spans(toks: list[Token], sig: list[int]) -> dict[int, tuple[int, str | None, int]]:
    """start -> (end, called function (upper case, None for a grouping), opening paren) of
    every argument (indices into ``sig``)."""
    spans: dict[int, tuple[int, str | None, int]] = {}
    stack: list[tuple[int, str | None, int]] = []   # (open index, function, arg start)
    for k, i in enumerate(sig):
        t = toks[i]
        if t.kind == "lparen":
            fn = None
            if k and toks[sig[k - 1]].kind == "word" and sig[k - 1] == i - 1:
                fn = toks[sig[k - 1]].text.upper()
                if fn.startswith("_XLFN."):
                    fn = fn[6:]
                if fn.startswith("_XLWS."):
                    fn = fn[6:]
            stack.append((k, fn, k + 1))
        elif t.kind == "lbrace":
            stack.append((k, "{", k + 1))
        elif t.kind == "comma" and stack:
            open_k, fn, s = stack[-1]
            spans[s] = (k - 1, fn, open_k)
            stack[-1] = (open_k, fn, k + 1)
        elif t.kind in ("rparen", "rbrace") and stack:
            open_k, fn, s = stack.pop()
            spans[s] = (k - 1, fn, open_k)
    return spans


def _ref_text(r: RangeRef, bounds: tuple[int, int, int, int]) -> str:
    r1, c1, r2, c2 = bounds
    a, b = coord(r1, c1), coord(r2, c2)
    return r.prefix + (a if a == b else f"{a}:{b}")


def prepare(text: str, *, used: tuple[int, int], aliases: dict[str, str],
            names: dict[str, NameRange], allowed: frozenset[str], links: dict[int, set[str]],
            where: str, definition: bool = False) -> Prepared:
    """Prepare one formula (or defined-name) text for the engine.

    ``used`` is the workbook's used extent (rows, columns); ``aliases`` maps an upper-case
    sheet name to the name the engine uses; ``names`` are the defined names that stand for one
    range; ``allowed`` the functions (upper case) that may take a cut range directly, besides
    :data:`BLANK_NEUTRAL` and :data:`BLANK_SENSITIVE`; ``links`` maps the index of each link to
    another workbook to the (upper-case) sheets whose values the file caches. A ``definition``
    (of a defined name) may be one whole range. Raises :class:`Refused`.
    """
    toks = list(tokens(text))
    if aliases:
        toks = _alias(toks, aliases)
    sig = _sig(toks)
    refs = _find_refs(toks, sig)
    books = []
    for r in refs:
        if r.book is not None:
            inner = r.book[1:-1]
            books.append(r.book)
            if not inner.isdigit():
                raise Refused(f"{where} refers to another file ({r.prefix.rstrip('!')}); no "
                              f"file but the one given is opened")
            if int(inner) not in links:
                raise Refused(f"{where} refers to external link {r.book}, which the file "
                              f"does not define")
            if r.sheet is not None and r.sheet.upper() not in links[int(inner)]:
                raise Refused(f"{where} refers to {r.book}{r.sheet} in another workbook, whose "
                              f"values the file does not cache; no other file is opened: "
                              f"open the file in Excel with the link updated, or paste the "
                              f"values in")
            if r.bounds == (0, 0, 0, 0):
                raise Refused(f"{where} refers to a name or function in another workbook "
                              f"({r.prefix}...); paste the value in")
    # defined names that stand for a cut range behave like the range
    name_refs = []
    for k, i in enumerate(sig):
        t = toks[i]
        if t.kind == "word" and t.text.upper() in names:
            nxt = toks[sig[k + 1]] if k + 1 < len(sig) else None
            prev = toks[sig[k - 1]] if k else None
            if (nxt is None or nxt.kind not in ("lparen", "bang")) \
                    and (prev is None or prev.kind != "bang") \
                    and not any(r.start <= k <= r.end for r in refs):
                nr = names[t.text.upper()]
                name_refs.append(RangeRef(k, k, nr.ref.prefix, nr.ref.book, nr.ref.sheet,
                                          nr.ref.bounds, nr.ref.cut, t.text))
    rows, cols = used
    for r in refs:
        if r.bounds == (0, 0, 0, 0):
            continue
        r1, c1, r2, c2 = r.bounds
        to_edge = r2 == MAX_ROW or c2 == MAX_COL
        if (r2 > rows or c2 > cols) and (to_edge or r.full_area > CLIP_FROM):
            cut = (r1, c1, max(r1, min(r2, rows)), max(c1, min(c2, cols)))
            if cut != r.bounds:
                r.cut = cut
    edits: dict[int, tuple[int, str]] = {}   # sig start -> (sig end, new text)
    spans = _arg_spans(toks, sig)
    calls: dict[int, list[tuple[int, int]]] = {}
    for s, (e, fn, open_k) in spans.items():
        calls.setdefault(open_k, []).append((s, e))
    all_refs = [r for r in refs if r.bounds != (0, 0, 0, 0)] + name_refs
    for r in all_refs:
        if r.cut is None:
            continue
        span = spans.get(r.start)
        fn = span[1] if span and span[0] == r.end else None
        if definition and r.start == 0 and r.end == len(sig) - 1:
            fn = "="
        if fn == "=":
            pass
        elif fn is None or not (fn in BLANK_NEUTRAL or fn in BLANK_SENSITIVE or fn in allowed):
            shown = r.name or _ref_text(r, r.bounds).split("!")[-1]
            raise Refused(f"{where} uses the range {shown} ({r.full_area:,} cells) "
                          f"{'inside an expression' if fn is None else f'in {fn}'}; the "
                          f"headless engine takes whole columns and rows only as direct "
                          f"arguments of functions such as SUM, SUMIF, COUNTIF, VLOOKUP, "
                          f"MATCH, INDEX and ours: use a range that ends at the data")
        if r.name is None:
            edits[r.start] = (r.end, _ref_text(r, r.cut))
    # corrections for the functions where blank cells count
    by_start = {r.start: r for r in all_refs}
    constant: list[tuple[int, int]] = []      # spans replaced by a number (ROWS, COLUMNS)
    for open_k in sorted(calls, reverse=True):  # innermost calls first
        args = calls[open_k]
        fn_k = open_k - 1
        if fn_k < 0 or toks[sig[fn_k]].kind != "word":
            continue
        fn = spans[args[0][0]][1] if args else None
        if fn == "INDEX":
            _index_guard(toks, sig, args, by_start, edits, fn_k)
            continue
        if fn not in BLANK_SENSITIVE:
            continue
        args = sorted(args)
        cut = [by_start.get(s) for s, e in args]
        cut = [r if (r is not None and r.cut is not None and r.end == e) else None
               for r, (s, e) in zip(cut, args)]
        if not any(cut) or not args:
            continue
        close_k = args[-1][1] + 1
        arg_text = [_span_text(toks, sig, s, e, edits) for s, e in args]
        if fn in ("ROWS", "COLUMNS"):
            r = cut[0]
            r1, c1, r2, c2 = r.bounds
            new = str(r2 - r1 + 1 if fn == "ROWS" else c2 - c1 + 1)
            constant.append((fn_k, close_k))
        elif fn == "COUNTBLANK":
            r = cut[0]
            new = f"(COUNTBLANK({arg_text[0]})+{r.full_area - r.area})"
        else:  # COUNTIF(range, criteria) / COUNTIFS(range1, criteria1, ...)
            ranges = cut[0::2]
            if any(x is None for x in ranges) or \
                    len({x.full_area - x.area for x in ranges}) != 1:
                raise Refused(f"{where}: {fn} mixes whole columns or rows with other ranges; "
                              f"give ranges of the same size that end at the data")
            extra = ranges[0].full_area - ranges[0].area
            crits = ",".join(arg_text[1::2])
            new = f"({fn}({','.join(arg_text)})+{extra}*{BLANK_MATCHES}({crits}))"
        for s, e in args:
            edits.pop(s, None)
        edits[fn_k] = (close_k, new)
    # the engine cannot represent the last row or column of the sheet
    for r in refs:
        if r.bounds == (0, 0, 0, 0):
            continue
        r1, c1, r2, c2 = r.cut or r.bounds
        if (r2 == MAX_ROW or c2 == MAX_COL) and not any(
                s <= r.start and r.end <= e for s, e in constant):
            raise Refused(f"{where} refers to the last row or column of the sheet "
                          f"({_ref_text(r, r.bounds).split('!')[-1]}), which the headless "
                          f"engine cannot represent")
    return Prepared(_apply(toks, sig, edits), refs + name_refs, books)


def _index_guard(toks: list[Token], sig: list[int], args: list[tuple[int, int]],
                 by_start: dict[int, RangeRef], edits: dict[int, tuple[int, str]],
                 fn_k: int) -> None:
    """``INDEX(cut range, row[, column])``: a row or column past the cut but inside the
    range as written is a blank cell (0), as in Excel, not the #REF! of the cut range."""
    args = sorted(args)
    r = by_start.get(args[0][0])
    if r is None or r.cut is None or r.end != args[0][1] or not 2 <= len(args) <= 3:
        return
    r1, c1, r2, c2 = r.bounds
    k1, q1, k2, q2 = r.cut
    full_rows, full_cols = r2 - r1 + 1, c2 - c1 + 1
    cut_rows, cut_cols = k2 - k1 + 1, q2 - q1 + 1
    text = [_span_text(toks, sig, s, e, edits) for s, e in args]
    if full_rows == 1 and len(args) == 2:    # INDEX(row, n): n counts columns
        row, col = None, text[1]
    else:
        row, col = text[1], (text[2] if len(args) == 3 else None)
    new = f"INDEX({','.join(text)})"
    for arg, cut_n, full_n in ((row, cut_rows, full_rows), (col, cut_cols, full_cols)):
        if arg is not None and arg.strip() and full_n > cut_n:
            new = f"IF(({arg})>{cut_n},IF(({arg})>{full_n},#REF!,0),{new})"
    for s, e in args:
        edits.pop(s, None)
    edits[fn_k] = (args[-1][1] + 1, new)


def _span_text(toks: list[Token], sig: list[int], s: int, e: int,
               edits: dict[int, tuple[int, str]]) -> str:
    return _apply(toks[sig[s]:sig[e] + 1], [i - sig[s] for i in sig[s:e + 1]],
                  {k - s: (v[0] - s, v[1]) for k, v in edits.items() if s <= k <= e})


def _apply(toks: list[Token], sig: list[int], edits: dict[int, tuple[int, str]]) -> str:
    if not edits:
        return "".join(t.text for t in toks)
    out = []
    skip_to = -1
    sig_pos = {i: k for k, i in enumerate(sig)}
    for i, t in enumerate(toks):
        if i <= skip_to:
            continue
        k = sig_pos.get(i)
        if k is not None and k in edits:
            e, new = edits[k]
            out.append(new)
            skip_to = sig[e]
            continue
        out.append(t.text)
    return "".join(out)


def _alias(toks: list[Token], aliases: dict[str, str]) -> list[Token]:
    """Sheet names the engine cannot handle replaced by their aliases (quoted references)."""
    out = []
    for i, t in enumerate(toks):
        if t.kind == "quoted" and i + 1 < len(toks) and toks[i + 1].kind == "bang":
            inner = t.text[1:-1].replace("''", "'")
            m = re.match(r"^(.*\[[^\]]*\])?(.*)$", inner, re.S)
            book, sheet = (m.group(1) or "", m.group(2)) if m else ("", inner)
            key = (book.upper() + "|" if book else "") + sheet.upper()
            if key in aliases:
                t = Token("quoted", quote_sheet(book + aliases[key]), t.start)
        out.append(t)
    return out
