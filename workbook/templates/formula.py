"""Formulas of a template description at build time: check their names, evaluate a few.

:func:`names_in` lists the defined names a formula uses (the builder refuses a formula that
uses a name no block defines: a typo would otherwise surface as #NAME? only when recalculated).
:class:`Evaluator` evaluates the formulas an array range's size depends on, from the values the
description holds, calling our functions exactly as a cell would: each table is sized by its
own function on the template's own inputs (one source). It knows numbers, text, names,
``+ - * / ^`` (element-wise on ranges), our functions and Excel's INDEX, MATCH (exact), MIN, MAX,
SUM, ABS and EXP; anything else is a build error naming the formula.
"""

from __future__ import annotations

import math
import re
from typing import Any, Callable

from addin import udfs  # noqa: F401  (registers the Excel functions)
from addin.registry import REGISTRY, is_cell_reference

__all__ = ["tokens", "names_in", "functions_in", "Evaluator", "FormulaError"]

_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<str>"(?:[^"]|"")*")
  | (?P<sheet>(?:'(?:[^']|'')+'|[A-Za-z_][\w.]*)!\$?[A-Za-z]{1,3}\$?\d+(?::\$?[A-Za-z]{1,3}\$?\d+)?)
  | (?P<cell>\$?[A-Za-z]{1,3}\$?\d+(?::\$?[A-Za-z]{1,3}\$?\d+)?(?![\w.(]))
  | (?P<num>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<func>[A-Za-z_][\w.]*(?=\s*\())
  | (?P<name>[A-Za-z_][\w.]*)
  | (?P<op><=|>=|<>|[-+*/^&=<>%(),:{};])
""", re.VERBOSE)


class FormulaError(ValueError):
    """A formula of a description that cannot be checked or evaluated."""


def tokens(formula: str) -> list[tuple[str, str]]:
    """(kind, text) tokens of an Excel formula (leading ``=`` dropped, spaces skipped)."""
    text = formula[1:] if formula.startswith("=") else formula
    out, pos = [], 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m:
            raise FormulaError(f"cannot read {formula!r} at {text[pos:]!r}")
        if m.lastgroup != "ws":
            out.append((m.lastgroup, m.group()))
        pos = m.end()
    return out


def names_in(formula: str) -> set[str]:
    """Defined names a formula uses (not functions, cells, TRUE/FALSE or text)."""
    return {t for k, t in tokens(formula) if k == "name" and t.upper() not in ("TRUE", "FALSE")
            and not is_cell_reference(t)}


def functions_in(formula: str) -> list[str]:
    """Functions a formula calls, in order."""
    return [t for k, t in tokens(formula) if k == "func"]


# --------------------------------------------------------------------------------------------
# evaluation


def _flat(v: Any) -> list[Any]:
    if isinstance(v, list):
        return [x for row in v for x in (row if isinstance(row, list) else [row])]
    return [v]


def _rows(v: Any) -> list[list[Any]]:
    """A value as a list of rows (a scalar is one cell; a flat list is a column)."""
    if not isinstance(v, list):
        return [[v]]
    return [r if isinstance(r, list) else [r] for r in v]


def _index(rng: Any, i: Any, j: Any = None) -> Any:
    rows = rng if isinstance(rng, list) else [[rng]]
    i = int(i)
    if j is None or j is _EMPTY:
        if len(rows) == 1:
            return rows[0][i - 1]
        if all(len(r) == 1 for r in rows):
            return rows[i - 1][0]
        return rows[i - 1]
    return rows[i - 1][int(j) - 1]


def _match(x: Any, rng: Any, kind: Any = 1) -> Any:
    if kind != 0:
        raise FormulaError("MATCH: only exact matches (match type 0) at build time")
    for k, v in enumerate(_flat(rng), start=1):
        if v == x or (isinstance(v, str) and isinstance(x, str) and v.upper() == x.upper()):
            return k
    raise FormulaError(f"MATCH: {x!r} not found")


def _map(fn: Callable[[float], float], x: Any) -> Any:
    """``fn`` on a number, or on each entry of a range (element-wise, as in an array formula)."""
    return [_map(fn, v) for v in x] if isinstance(x, list) else fn(x)


_EMPTY = object()
_EXCEL: dict[str, Callable[..., Any]] = {
    "INDEX": _index, "MATCH": _match, "ABS": abs, "EXP": lambda x: _map(math.exp, x),
    "MIN": lambda *a: min(x for v in a for x in _flat(v)),
    "MAX": lambda *a: max(x for v in a for x in _flat(v)),
    "SUM": lambda *a: sum(x for v in a for x in _flat(v)),
}
_BINARY = {"+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b,
           "/": lambda a, b: a / b, "^": lambda a, b: a ** b}


class Evaluator:
    """Evaluate description formulas; ``resolve(name)`` gives a defined name's value (a
    scalar, or a list of rows for a range)."""

    def __init__(self, resolve: Callable[[str], Any]):
        self.resolve = resolve

    def __call__(self, formula: str) -> Any:
        return _Parse(formula, self.resolve).run()


class _Parse:
    """One formula: a recursive-descent parser that evaluates as it reads."""

    def __init__(self, formula: str, resolve: Callable[[str], Any]):
        self.resolve = resolve
        self._formula = formula
        self._toks = tokens(formula)
        self._pos = 0

    def run(self) -> Any:
        value = self._expr()
        if self._pos != len(self._toks):
            self._fail(f"unexpected {self._toks[self._pos][1]!r}")
        return value

    def _fail(self, why: str) -> None:
        raise FormulaError(f"cannot evaluate {self._formula!r} at build time: {why}")

    def _peek(self) -> tuple[str, str]:
        return self._toks[self._pos] if self._pos < len(self._toks) else ("end", "")

    def _take(self, text: str | None = None) -> tuple[str, str]:
        tok = self._peek()
        if text is not None and tok[1] != text:
            self._fail(f"expected {text!r}, found {tok[1]!r}")
        self._pos += 1
        return tok

    def _expr(self) -> Any:
        value = self._term("+-", self._product)
        if self._peek()[1] in ("=", "<>", "<", ">", "<=", ">=", "&"):
            self._fail(f"operator {self._peek()[1]!r} is not evaluated at build time")
        return value

    def _term(self, ops: str, inner: Callable[[], Any]) -> Any:
        value = inner()
        while self._peek()[0] == "op" and self._peek()[1] in ops:
            op = self._take()[1]
            value = self._arith(op, value, inner())
        return value

    def _product(self) -> Any:
        return self._term("*/", self._power)

    def _power(self) -> Any:
        return self._term("^", self._unary)

    def _unary(self) -> Any:
        if self._peek()[1] in ("-", "+"):
            op = self._take()[1]
            v = self._unary()
            return self._arith("*", -1 if op == "-" else 1, v)
        return self._primary()

    def _arith(self, op: str, a: Any, b: Any) -> Any:
        if isinstance(a, list) or isinstance(b, list):   # element-wise, as an array formula
            rows_a, rows_b = _rows(a), _rows(b)
            n = max(len(rows_a), len(rows_b))
            m = max(len(rows_a[0]), len(rows_b[0]))
            if len(rows_a) not in (1, n) or len(rows_b) not in (1, n):
                self._fail(f"ranges of {len(rows_a)} and {len(rows_b)} rows in {op}")
            return [[self._arith(op, rows_a[i if len(rows_a) > 1 else 0][
                j if len(rows_a[0]) > 1 else 0], rows_b[i if len(rows_b) > 1 else 0][
                j if len(rows_b[0]) > 1 else 0]) for j in range(m)] for i in range(n)]
        if not all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in (a, b)):
            self._fail(f"{a!r} {op} {b!r} is not arithmetic on numbers")
        return _BINARY[op](a, b)

    def _primary(self) -> Any:
        kind, text = self._take()
        if kind == "num":
            return float(text) if any(c in text for c in ".eE") else int(text)
        if kind == "str":
            return text[1:-1].replace('""', '"')
        if kind == "name":
            if text.upper() in ("TRUE", "FALSE"):
                return text.upper() == "TRUE"
            return self.resolve(text)
        if kind == "func":
            return self._call(text)
        if text == "(":
            value = self._expr()
            self._take(")")
            return value
        self._fail(f"{text!r} ({kind}) is not evaluated at build time")

    def _call(self, name: str) -> Any:
        self._take("(")
        args: list[Any] = []
        if self._peek()[1] != ")":
            while True:
                args.append(_EMPTY if self._peek()[1] in (",", ")") else self._expr())
                if self._peek()[1] != ",":
                    break
                self._take(",")
        self._take(")")
        if name.upper() in _EXCEL:
            try:
                return _EXCEL[name.upper()](*args)
            except (IndexError, TypeError, ValueError) as exc:
                self._fail(f"{name}: {exc}")
        spec = REGISTRY.get(name) or REGISTRY.get(name.upper())
        if spec is None:
            self._fail(f"function {name} is not known to the template evaluator")
        out = spec.func(*(None if a is _EMPTY else a for a in args))
        if isinstance(out, str) and out.startswith("#"):
            self._fail(f"{name} returns {out}")
        return out
