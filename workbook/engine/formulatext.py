"""Formula text: tokens, the functions a formula calls, and the rewrites made before evaluation.

Formulas are read as Excel stores them in a file (no leading ``=``, ``,`` between arguments).
The tokenizer never looks inside string literals, quoted sheet names or brackets, so a name in
``"GPU_RV("`` or ``'My GPU_RV( sheet'!A1`` is not a call. The rewrites, made only in the private
copy that is evaluated (the written copy keeps the text as it was):

* :func:`rewrite_formula`: our functions saved as external references to the add-in
  (``[1]!GPU_RV(``, ``'C:\\...\\ComputeCredit.xlam'!GPU_RV(``, ``_xldudf_GPU_RV(``) become plain
  names;
* :func:`mark_skipped`: a skipped argument of one of our functions (``LGD_CORR(a,,b)``) becomes a
  call of :data:`SKIPPED_FUNCTION`, which the engine integration turns into an empty argument
  (Excel passes a user-defined function nothing there; the engine would pass 0);
* :func:`join_sheet_ranges`: a range with the sheet on both ends (``TBA!D10:'TBA'!Z10``) as one
  range (``TBA!D10:Z10``).
"""

from __future__ import annotations

import re
from typing import Iterator, NamedTuple

__all__ = ["Token", "tokens", "function_names", "rewrite_formula", "mark_skipped",
           "join_sheet_ranges", "SKIPPED_FUNCTION"]

#: The function that stands for a skipped argument of one of our functions (private copy only).
SKIPPED_FUNCTION = "_COMPUTECREDIT_SKIPPED"

_TOKEN = re.compile(r"""
    (?P<str>"(?:[^"]|"")*"?)                       # string literal
  | (?P<quoted>'(?:[^']|'')*'?)                    # quoted sheet name or path
  | (?P<bracket>\[(?:[^\[\]]|\[[^\[\]]*\])*\]?)    # [1], [Book.xlsx], Table[[#This Row],[A]]
  | (?P<error>\#(?:NULL!|DIV/0!|VALUE!|REF!|NAME\?|NUM!|N/A|GETTING_DATA|SPILL!|CALC!))
  | (?P<lparen>\()
  | (?P<rparen>\))
  | (?P<comma>,)
  | (?P<lbrace>\{)
  | (?P<rbrace>\})
  | (?P<bang>!)
  | (?P<ws>\s+)
  | (?P<op>[-+*/^&=<>%:;@\#])
  | (?P<word>[^-+*/^&=<>%:;@\#\s"'\[\](){},!]+)    # names, references, numbers
""", re.X | re.I)


class Token(NamedTuple):
    kind: str   # str, quoted, bracket, error, lparen, rparen, comma, lbrace, rbrace, bang,
    text: str   # ws, op, word
    start: int


def tokens(text: str) -> Iterator[Token]:
    """The tokens of a formula, covering every character (linear time)."""
    for m in _TOKEN.finditer(text):
        yield Token(m.lastgroup or "op", m.group(0), m.start())


def _is_call(toks: list[Token], i: int) -> bool:
    """``toks[i]`` is a name immediately followed by ``(`` (Excel stores no space there; a
    space before a parenthesis is the intersection operator)."""
    return (toks[i].kind == "word" and i + 1 < len(toks) and toks[i + 1].kind == "lparen"
            and (toks[i][0][:1].isalpha() or toks[i][0][:1] in "_\\"))


def function_names(text: str) -> list[str]:
    """Names called in a formula (outside string literals and quoted sheet names); a name
    qualified by a book or sheet (``[2]!NAME(``, ``Book.xlam!NAME(``) is not listed."""
    toks = list(tokens(text))
    return [toks[i].text for i in range(len(toks))
            if _is_call(toks, i) and not (i and toks[i - 1].kind in ("bang", "bracket"))]


_ADDIN_FILE = re.compile(r"\.xl(?:am|a|l)\]?$", re.I)
_UDF_PREFIX = re.compile(r"^(?:_xldudf_|_xll\.)", re.I)


def rewrite_formula(text: str, addin_links: set[int], ours: dict[str, str]) -> str:
    """Our functions saved as external references to the add-in, as plain names.

    ``[N]!GPU_RV(`` (N an external link whose target is an add-in), ``'C:\\path\\X.xlam'!GPU_RV(``,
    ``X.xlam!GPU_RV(``, ``[X.xlam]!GPU_RV(``, ``_xldudf_GPU_RV(`` and ``_xll.GPU_RV(`` become
    ``GPU_RV(`` when GPU_RV is one of ``ours`` (upper-case name -> name); anything else is
    left as it is (string literals are never touched).
    """
    toks = list(tokens(text))
    out: list[str] = []
    i = 0
    n = len(toks)
    while i < n:
        t = toks[i]
        # book!NAME( with the book an add-in: drop "book!"
        if (t.kind in ("bracket", "quoted", "word") and i + 2 < n
                and toks[i + 1].kind == "bang" and _is_call(toks, i + 2)
                and toks[i + 2].text.upper() in ours and _is_addin(t, addin_links)
                and not (out and _glued(out[-1]))):
            out.append(ours[toks[i + 2].text.upper()])
            i += 3
            continue
        if _is_call(toks, i) and _UDF_PREFIX.match(t.text):
            name = _UDF_PREFIX.sub("", t.text).upper()
            if name in ours:
                out.append(ours[name])
                i += 1
                continue
        out.append(t.text)
        i += 1
    return "".join(out)


def _glued(prev: str) -> bool:
    """True when the previous token text would join the book name into a longer reference."""
    return bool(prev) and (prev[-1].isalnum() or prev[-1] in "_.]'")


def _is_addin(t: Token, addin_links: set[int]) -> bool:
    if t.kind == "bracket":
        inner = t.text[1:-1]
        if inner.isdigit():
            return int(inner) in addin_links
        return bool(_ADDIN_FILE.search(inner))
    if t.kind == "quoted":
        return bool(_ADDIN_FILE.search(t.text[1:-1].replace("''", "'")))
    return bool(_ADDIN_FILE.search(t.text))


def mark_skipped(text: str, ours: set[str]) -> str:
    """Skipped arguments of our functions (upper-case names in ``ours``) as
    ``_COMPUTECREDIT_SKIPPED()``: ``LGD_CORR(a,,b)`` -> ``LGD_CORR(a,_COMPUTECREDIT_SKIPPED(),b)``.
    Skipped arguments of Excel's own functions are left alone (the engine reads them as Excel
    does)."""
    if "," not in text:
        return text
    toks = list(tokens(text))
    out: list[str] = []
    stack: list[bool] = []   # one entry per open ( or {: True for a call of ours
    prev = ""                # kind of the previous significant token
    marker = SKIPPED_FUNCTION + "()"
    for i, t in enumerate(toks):
        if t.kind == "lparen":
            name = _call_name(toks, i)
            stack.append(name is not None and name.upper() in ours)
        elif t.kind == "lbrace":
            stack.append(False)
        elif t.kind in ("comma", "rparen") and stack and stack[-1]:
            if prev in ("lparen", "comma") and not (t.kind == "rparen" and prev == "lparen"):
                out.append(marker)
        if t.kind in ("rparen", "rbrace") and stack:
            stack.pop()
        out.append(t.text)
        if t.kind != "ws":
            prev = t.kind
    return "".join(out)


def _call_name(toks: list[Token], i: int) -> str | None:
    """The name called by the ``(`` at ``toks[i]`` (None for a grouping parenthesis)."""
    return toks[i - 1].text if i and _is_call(toks, i - 1) else None


def _sheet_of(t: Token) -> str | None:
    if t.kind == "word":
        return t.text.upper()
    if t.kind == "quoted" and len(t.text) >= 2 and t.text.endswith("'"):
        return t.text[1:-1].replace("''", "'").upper()
    return None


def join_sheet_ranges(text: str) -> str:
    """A range written with the sheet on both ends, as Excel saves a reference dragged across
    sheets (``TBA!$D$10:'TBA'!Z10``), as the one range it is (``TBA!$D$10:Z10``); the engine
    would read it as two cells. Ends on different sheets are left alone."""
    if text.count("!") < 2 or ":" not in text:
        return text
    toks = list(tokens(text))
    out: list[str] = []
    i, n = 0, len(toks)
    while i < n:
        if (i + 6 < n and toks[i + 1].kind == "bang" and toks[i + 2].kind == "word"
                and toks[i + 3].text == ":" and toks[i + 5].kind == "bang"
                and toks[i + 6].kind == "word" and not (i and toks[i - 1].kind == "bracket")
                and _sheet_of(toks[i]) is not None
                and _sheet_of(toks[i]) == _sheet_of(toks[i + 4])):
            out.extend(t.text for t in toks[i:i + 4])
            out.append(toks[i + 6].text)
            i += 7
            continue
        out.append(toks[i].text)
        i += 1
    return "".join(out)


_SIGN_RUN = re.compile(r"-\s*[-+]")


def double_negation(text: str) -> str:
    """Unary signs that cancel (``--X``, ``-+-X``) written as ``(-(-X))``.

    Excel applies each unary minus: ``--TRUE`` is 1 and ``SUMPRODUCT(--(A1:A4<=2), B1:B4)``
    counts the TRUEs. The engine's tokenizer folds a run of signs into one by parity, and a
    folded ``+`` is the identity, which leaves booleans (and numbers as text) unconverted: the
    idiom would sum to 0. Written out, each minus is applied. ``X`` is the operand that follows
    (a reference or range with its sheet, a call, a parenthesised expression, a constant)."""
    if _SIGN_RUN.search(text) is None:   # a run with two minus signs starts "-" then a sign
        return text
    toks = list(tokens(text))
    out: list[str] = []
    i, n = 0, len(toks)

    def prev_kind(k: int) -> tuple[str, str] | None:
        while k >= 0 and toks[k].kind == "ws":
            k -= 1
        return (toks[k].kind, toks[k].text) if k >= 0 else None

    while i < n:
        t = toks[i]
        p = prev_kind(i - 1)
        unary = t.kind == "op" and t.text in "+-" and (
            p is None or p[0] in ("lparen", "comma", "lbrace") or
            (p[0] == "op" and p[1] != "%"))
        if not unary:
            out.append(t.text)
            i += 1
            continue
        j, signs = i, []
        while j < n and (toks[j].kind == "ws" or (toks[j].kind == "op" and toks[j].text in "+-")):
            if toks[j].kind == "op":
                signs.append(toks[j].text)
            j += 1
        minus = signs.count("-")
        if len(signs) < 2 or minus < 2 or minus % 2:
            out.extend(x.text for x in toks[i:j])
            i = j
            continue
        # the operand: tokens up to an operator (other than ':'), a separator or a closing
        # bracket at depth 0
        k, depth = j, 0
        while k < n:
            x = toks[k]
            if x.kind in ("lparen", "lbrace"):
                depth += 1
            elif x.kind in ("rparen", "rbrace"):
                if depth == 0:
                    break
                depth -= 1
            elif depth == 0 and (x.kind in ("comma", "ws") or
                                 (x.kind == "op" and x.text != ":")):
                break
            k += 1
            if depth == 0 and x.kind in ("rparen", "rbrace") and \
                    not (k < n and toks[k].kind in ("bang", "op") and toks[k].text in "!:"):
                break
        if k == j:
            out.extend(x.text for x in toks[i:j])
            i = j
            continue
        out.append("(-(-" + "".join(x.text for x in toks[j:k]) + "))")
        i = k
    return "".join(out)
