"""Formula text as a small expression tree, for reading a deal's formulas (never for running
them).

:func:`parse` turns a formula as stored in a file (no ``=``) into nodes built from the engine's
tokenizer (:func:`workbook.engine.formulatext.tokens`): numbers, text, references (with their
sheet and ``$`` anchors), defined names, calls, unary and binary operators. Anything it does not
understand gives ``None``: the audit then treats the cell as opaque, it never fails.

:func:`relative_key` gives a formula's shape with relative references as offsets from the host
cell (R1C1 style), so a formula copied along a row or column has one key. :func:`evaluate`
computes plain arithmetic over cell values (used to check a mapping's values before writing).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, Callable, Iterator

from ..engine.formulatext import tokens
from ..engine.sheetxml import MAX_COL, MAX_ROW, SheetXMLError, col_letters, split_coord

__all__ = ["Num", "Text", "Ref", "Name", "Call", "Unary", "Binary", "Missing", "Node", "parse",
           "walk", "refs_in", "calls_in", "relative_key", "evaluate", "render", "quote_sheet"]

MAX_DEPTH = 200          # nesting depth the parser follows
MAX_TOKENS = 20_000      # longer formulas are left opaque


@dataclass(frozen=True)
class Num:
    value: float


@dataclass(frozen=True)
class Text:
    value: str


@dataclass(frozen=True)
class Ref:
    """A cell or a rectangular range, on ``sheet`` (None: the host cell's sheet)."""
    sheet: str | None
    r1: int
    c1: int
    r2: int
    c2: int
    abs_r1: bool = True
    abs_c1: bool = True
    abs_r2: bool = True
    abs_c2: bool = True

    @property
    def is_cell(self) -> bool:
        return self.r1 == self.r2 and self.c1 == self.c2

    @property
    def size(self) -> int:
        return (self.r2 - self.r1 + 1) * (self.c2 - self.c1 + 1)

    def cells(self, limit: int = 10_000) -> list[tuple[int, int]]:
        if self.size > limit:
            return []
        return [(r, c) for r in range(self.r1, self.r2 + 1) for c in range(self.c1, self.c2 + 1)]


@dataclass(frozen=True)
class Name:
    """A defined name (or anything word-like that is not a reference), maybe sheet-qualified."""
    name: str
    sheet: str | None = None


@dataclass(frozen=True)
class Call:
    name: str            # upper case, without _xlfn. / _xludf. prefixes
    args: tuple


@dataclass(frozen=True)
class Unary:
    op: str              # "-", "+", "%"
    arg: Any


@dataclass(frozen=True)
class Binary:
    op: str              # + - * / ^ & = <> < > <= >= :
    left: Any
    right: Any


@dataclass(frozen=True)
class Missing:
    """A skipped argument (``SLN(a,,c)``)."""


@dataclass(frozen=True)
class Other:
    """Something kept opaque: an array constant, an error literal, a bool, an external ref."""
    text: str


Node = Any

_CELL = re.compile(r"^(\$?)([A-Za-z]{1,3})(\$?)([0-9]{1,7})$")
_COLONLY = re.compile(r"^(\$?)([A-Za-z]{1,3})$")
_ROWONLY = re.compile(r"^(\$?)([0-9]{1,7})$")
_NUMBER = re.compile(r"^(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$")
_PREFIX = re.compile(r"^(?:_xlfn\.|_xludf\.|_xlws\.|_xll\.|_xldudf_)+", re.I)
_BINARY = {"=": 1, "<>": 1, "<": 1, ">": 1, "<=": 1, ">=": 1, "&": 2, "+": 3, "-": 3,
           "*": 4, "/": 4, "^": 5}


class _Fail(Exception):
    pass


def _col(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n


def _lex(text: str) -> list[tuple[str, str]]:
    """(kind, text) tokens without white space; comparison pairs and exponents joined."""
    out: list[tuple[str, str]] = []
    raw = [t for t in tokens(text)]
    if len(raw) > MAX_TOKENS:
        raise _Fail
    i = 0
    while i < len(raw):
        t = raw[i]
        if t.kind == "ws":
            i += 1
            continue
        if t.kind == "op" and t.text in "<>" and i + 1 < len(raw) and raw[i + 1].kind == "op" \
                and raw[i + 1].text in "=>" and t.text + raw[i + 1].text in ("<=", ">=", "<>"):
            out.append(("op", t.text + raw[i + 1].text))
            i += 2
            continue
        # 1E+5 is read as "1E", "+", "5": join it back into one number
        if t.kind == "word" and re.match(r"^(?:\d+\.?\d*|\.\d+)[eE]$", t.text) \
                and i + 2 < len(raw) and raw[i + 1].text in "+-" and raw[i + 2].kind == "word" \
                and raw[i + 2].text.isdigit():
            out.append(("word", t.text + raw[i + 1].text + raw[i + 2].text))
            i += 3
            continue
        out.append((t.kind, t.text))
        i += 1
    return out


class _Parser:
    def __init__(self, toks: list[tuple[str, str]]):
        self.toks = toks
        self.i = 0
        self.depth = 0

    def peek(self, k: int = 0) -> tuple[str, str]:
        j = self.i + k
        return self.toks[j] if j < len(self.toks) else ("end", "")

    def take(self) -> tuple[str, str]:
        t = self.peek()
        self.i += 1
        return t

    def expr(self, min_prec: int = 1) -> Node:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise _Fail
        left = self.unary()
        chain = 0
        while True:
            kind, text = self.peek()
            prec = _BINARY.get(text) if kind == "op" else None
            if prec is None or prec < min_prec:
                break
            self.take()
            right = self.expr(prec + 1)
            left = Binary(text, left, right)
            chain += 1
            if chain > MAX_DEPTH:  # a + b + c + ... nests one level per term
                raise _Fail
        self.depth -= 1
        return left

    def unary(self) -> Node:
        kind, text = self.peek()
        if kind == "op" and text in "+-":
            self.take()
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise _Fail
            node = Unary(text, self.unary())
            self.depth -= 1
            return node
        node = self.postfix()
        return node

    def postfix(self) -> Node:
        node = self.primary()
        while True:
            kind, text = self.peek()
            if kind == "op" and text == "%":
                self.take()
                node = Unary("%", node)
            elif kind == "op" and text == ":":
                self.take()
                node = _join_range(node, self.primary())
            else:
                return node

    def primary(self) -> Node:
        kind, text = self.take()
        if kind == "lparen":
            node = self.expr()
            if self.take()[0] != "rparen":
                raise _Fail
            return node
        if kind == "str":
            if len(text) < 2 or not text.endswith('"'):
                raise _Fail
            return Text(text[1:-1].replace('""', '"'))
        if kind == "error":
            return Other(text)
        if kind == "lbrace":
            depth, parts = 1, [text]
            while depth:
                k, t = self.take()
                if k == "end":
                    raise _Fail
                depth += (k == "lbrace") - (k == "rbrace")
                parts.append(t)
            return Other("".join(parts))
        if kind == "bracket":  # [1]!NAME(, [1]Sheet!A1 or Table[Col]
            if self.peek()[0] == "bang" and self.peek(1)[0] == "word" and \
                    self.peek(2)[0] == "lparen":  # a function of an add-in: [1]!GPU_RV(
                self.take()
                return self.call(self.take()[1])
            if self.peek()[0] in ("word", "quoted") and self.peek(1)[0] == "bang":
                self.take()
                self.take()
                self.take()
            return Other(text)
        if kind == "quoted":
            if self.peek()[0] != "bang":
                raise _Fail
            self.take()
            if self.peek()[0] == "word" and self.peek(1)[0] == "lparen":  # 'X.xlam'!NAME(
                return self.call(self.take()[1])
            sheet = text[1:-1].replace("''", "'")
            return _reference(self.take(), sheet, self)
        if kind == "word":
            if self.peek()[0] == "lparen":
                return self.call(text)
            if self.peek()[0] == "bang":
                self.take()
                if self.peek()[0] == "word" and self.peek(1)[0] == "lparen":  # X.xlam!NAME(
                    return self.call(self.take()[1])
                return _reference(self.take(), text, self)
            if self.peek()[0] == "bracket":  # Table[Column]
                self.take()
                return Other(text)
            return _word(text, None)
        raise _Fail

    def call(self, name: str) -> Node:
        self.take()  # (
        args: list[Node] = []
        if self.peek()[0] == "rparen":
            self.take()
            return Call(_PREFIX.sub("", name).upper(), ())
        while True:
            if self.peek()[0] in ("comma", "rparen"):
                args.append(Missing())
            else:
                args.append(self.expr())
            kind, _ = self.take()
            if kind == "rparen":
                return Call(_PREFIX.sub("", name).upper(), tuple(args))
            if kind != "comma":
                raise _Fail


def _reference(tok: tuple[str, str], sheet: str, p: _Parser) -> Node:
    kind, text = tok
    if kind != "word":
        if kind == "error":  # Sheet!#REF!
            return Other(text)
        raise _Fail
    node = _word(text, sheet)
    if p.peek() == ("op", ":"):  # Sheet!A1:B2 (the second part belongs to the same sheet)
        p.take()
        k2, t2 = p.take()
        if k2 != "word":
            raise _Fail
        if p.peek()[0] == "bang":  # Sheet!A1:Sheet!B2
            p.take()
            k2, t2 = p.take()
        node = _join_range(node, _word(t2, sheet))
    return node


def _word(text: str, sheet: str | None) -> Node:
    if _NUMBER.match(text):
        return Num(float(text))
    up = text.upper()
    if up in ("TRUE", "FALSE"):
        return Other(up)
    m = _CELL.match(text)
    if m:
        r, c = int(m.group(4)), _col(m.group(2))
        if 1 <= r <= MAX_ROW and 1 <= c <= MAX_COL:
            return Ref(sheet, r, c, r, c, bool(m.group(3)), bool(m.group(1)),
                       bool(m.group(3)), bool(m.group(1)))
    return Name(text, sheet)


def _line(n: Node) -> tuple[str, int] | None:
    """("col", index) for ``A``/``$A``, ("row", index) for ``2``/``$2`` (half of ``A:A``)."""
    if isinstance(n, Num) and n.value.is_integer() and 1 <= n.value <= MAX_ROW:
        return "row", int(n.value)
    if isinstance(n, Name):
        t = n.name.lstrip("$")
        if _COLONLY.match(t) and _col(t) <= MAX_COL:
            return "col", _col(t)
        if _ROWONLY.match(t) and 1 <= int(t) <= MAX_ROW:
            return "row", int(t)
    return None


def _join_range(a: Node, b: Node) -> Node:
    if isinstance(a, Ref) and isinstance(b, Ref):
        return Ref(a.sheet, min(a.r1, b.r1), min(a.c1, b.c1), max(a.r2, b.r2),
                   max(a.c2, b.c2), a.abs_r1, a.abs_c1, b.abs_r2, b.abs_c2)
    la, lb = _line(a), _line(b)
    if la and lb and la[0] == lb[0]:
        sheet = a.sheet if isinstance(a, Name) else None
        lo, hi = min(la[1], lb[1]), max(la[1], lb[1])
        if la[0] == "col":
            return Ref(sheet, 1, lo, MAX_ROW, hi)
        return Ref(sheet, lo, 1, hi, MAX_COL)
    return Binary(":", a, b)


def parse(text: str | None) -> Node | None:
    """The tree of a formula (stored text, no ``=``), or None when it cannot be read."""
    if not text:
        return None
    if text.startswith("="):
        text = text[1:]
    try:
        p = _Parser(_lex(text))
        node = p.expr()
        if p.peek()[0] != "end" or _depth(node) > MAX_DEPTH:
            return None
        return node
    except (_Fail, RecursionError, ValueError, SheetXMLError):
        return None


def _depth(node: Node) -> int:
    """Depth of a tree, iteratively (readers of the tree recurse: deep trees stay opaque)."""
    deepest = 0
    stack = [(node, 1)]
    while stack:
        n, d = stack.pop()
        deepest = max(deepest, d)
        if d > MAX_DEPTH:
            return d
        if isinstance(n, Call):
            stack.extend((a, d + 1) for a in n.args)
        elif isinstance(n, Binary):
            stack.extend(((n.left, d + 1), (n.right, d + 1)))
        elif isinstance(n, Unary):
            stack.append((n.arg, d + 1))
    return deepest


def walk(node: Node) -> Iterator[Node]:
    """Every node of a tree, depth first (iterative)."""
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        if isinstance(n, Call):
            stack.extend(reversed(n.args))
        elif isinstance(n, Binary):
            stack.extend((n.right, n.left))
        elif isinstance(n, Unary):
            stack.append(n.arg)


def refs_in(node: Node | None) -> list[Ref | Name]:
    return [] if node is None else [n for n in walk(node) if isinstance(n, (Ref, Name))]


def calls_in(node: Node | None) -> list[Call]:
    return [] if node is None else [n for n in walk(node) if isinstance(n, Call)]


def relative_key(node: Node | None, row: int, col: int) -> str | None:
    """The formula's shape with relative parts of references as offsets from (row, col): a
    formula copied along a row or column keeps its key."""
    if node is None:
        return None

    def part(v: int, absolute: bool, base: int, tag: str) -> str:
        return f"{tag}{v}" if absolute else f"{tag}[{v - base}]"

    def key(n: Node) -> str:
        if isinstance(n, Ref):
            s = (n.sheet or "").upper()
            a = part(n.r1, n.abs_r1, row, "R") + part(n.c1, n.abs_c1, col, "C")
            b = part(n.r2, n.abs_r2, row, "R") + part(n.c2, n.abs_c2, col, "C")
            return f"{s}!{a}" + (f":{b}" if not n.is_cell else "")
        if isinstance(n, Name):
            return f"N:{(n.sheet or '').upper()}!{n.name.upper()}"
        if isinstance(n, Num):
            return repr(n.value)
        if isinstance(n, Text):
            return '"' + n.value + '"'
        if isinstance(n, Call):
            return n.name + "(" + ",".join(key(a) for a in n.args) + ")"
        if isinstance(n, Unary):
            return f"({n.op}{key(n.arg)})"
        if isinstance(n, Binary):
            return f"({key(n.left)}{n.op}{key(n.right)})"
        if isinstance(n, Missing):
            return "_"
        return f"?{getattr(n, 'text', '')}"

    try:
        return key(node)
    except RecursionError:
        return None


def quote_sheet(name: str) -> str:
    """A sheet name as a formula writes it (quoted when needed)."""
    if re.match(r"^[A-Za-z_][A-Za-z0-9_.]*$", name) and not _CELL.match(name) and \
            not re.match(r"^[A-Za-z]{1,3}[0-9]+$", name) and \
            not re.match(r"^(?:R|C|RC|R\d+C\d+|R\d+|C\d+)$", name, re.I):
        return name
    return "'" + name.replace("'", "''") + "'"


def render(n: Node, host: str | None = None, absolute: bool = False) -> str:
    """Formula text of a tree (for messages and for copying their references). With ``host``,
    references without a sheet are written on that sheet (the text then reads the same cells
    from anywhere); with ``absolute``, every reference gets ``$`` anchors."""
    def r(x: Node) -> str:
        return render(x, host, absolute)

    if isinstance(n, Ref):
        a = f"{'$' if n.abs_c1 or absolute else ''}{col_letters(n.c1)}" \
            f"{'$' if n.abs_r1 or absolute else ''}{n.r1}"
        b = f"{'$' if n.abs_c2 or absolute else ''}{col_letters(n.c2)}" \
            f"{'$' if n.abs_r2 or absolute else ''}{n.r2}"
        sheet = n.sheet or host
        s = quote_sheet(sheet) + "!" if sheet else ""
        return s + a + (":" + b if not n.is_cell else "")
    if isinstance(n, Name):
        return (quote_sheet(n.sheet) + "!" if n.sheet else "") + n.name
    if isinstance(n, Num):
        return f"{n.value:g}" if abs(n.value) < 1e15 else repr(n.value)
    if isinstance(n, Text):
        return '"' + n.value.replace('"', '""') + '"'
    if isinstance(n, Call):
        return n.name + "(" + ", ".join("" if isinstance(a, Missing) else r(a)
                                        for a in n.args) + ")"
    if isinstance(n, Unary):
        return f"{r(n.arg)}%" if n.op == "%" else f"{n.op}{r(n.arg)}"
    if isinstance(n, Binary):
        inner = f"{r(n.left)}{n.op}{r(n.right)}"
        return inner if n.op == ":" else f"({inner})"
    return getattr(n, "text", "")


# --------------------------------------------------------------------------------------------
# evaluation of plain arithmetic

class NotComputable(Exception):
    """The expression uses something :func:`evaluate` does not compute."""


_FUNCS: dict[str, Callable[..., float]] = {
    "ABS": abs, "MIN": min, "MAX": max, "SUM": lambda *a: sum(a), "SQRT": math.sqrt,
    "LN": math.log, "EXP": math.exp, "POWER": lambda a, b: a ** b,
    "AVERAGE": lambda *a: sum(a) / len(a), "ROUND": lambda a, d=0: round(a, int(d)),
    "SLN": lambda cost, salvage, life: (cost - salvage) / life,
    "PMT": lambda rate, n, pv, fv=0.0, when=0.0: _pmt(rate, n, pv, fv, when),
}


def _pmt(rate: float, n: float, pv: float, fv: float = 0.0, when: float = 0.0) -> float:
    """Excel's PMT: the payment per period of an annuity (negative for a positive pv)."""
    if rate == 0:
        return -(pv + fv) / n
    g = (1 + rate) ** n
    return -(rate * (pv * g + fv)) / ((1 + rate * (1 if when else 0)) * (g - 1))


def evaluate(node: Node, lookup: Callable[[Ref | Name], Any]) -> Any:
    """The value of plain arithmetic over references (``lookup`` gives a reference's value: a
    number, text, or a list for a range). Raises :class:`NotComputable` for anything else."""
    def ev(n: Node) -> Any:
        if isinstance(n, Num):
            return n.value
        if isinstance(n, Text):
            return n.value
        if isinstance(n, (Ref, Name)):
            return lookup(n)
        if isinstance(n, Unary):
            x = num(ev(n.arg))
            return -x if n.op == "-" else x / 100 if n.op == "%" else x
        if isinstance(n, Binary) and n.op in "+-*/^":
            a, b = num(ev(n.left)), num(ev(n.right))
            try:
                if n.op == "+":
                    return a + b
                if n.op == "-":
                    return a - b
                if n.op == "*":
                    return a * b
                if n.op == "/":
                    return a / b
                r = a ** b
                if isinstance(r, complex):
                    raise NotComputable("a negative number to a fractional power")
                return r
            except (ZeroDivisionError, OverflowError):
                raise NotComputable("division by zero or overflow") from None
        if isinstance(n, Call) and n.name in ("IFERROR", "IFNA") and n.args:
            return ev(n.args[0])      # the value when there is no error
        if isinstance(n, Call) and n.name in _FUNCS:
            args = []
            for a in n.args:
                v = ev(a)
                args.extend(v if isinstance(v, list) else [v])
            try:
                return float(_FUNCS[n.name](*[num(a) for a in args]))
            except (ValueError, TypeError, OverflowError, ZeroDivisionError):
                raise NotComputable(f"{n.name} of these values") from None
        raise NotComputable(type(n).__name__)

    def num(v: Any) -> float:
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise NotComputable(f"{v!r} is not a number")
        return float(v)

    return ev(node)
