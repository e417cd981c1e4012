"""LET and LAMBDA written out, for the engine: every LET name replaced by its value, every call
of a LAMBDA (bound by LET, or called where it is written) replaced by its body with the
arguments in place of the parameters.

The ``formulas`` engine evaluates a plain ``LET(x, 1, x+1)`` and LAMBDA passed to MAP, BYROW,
REDUCE and the like, but not a LET inside a LET or a LAMBDA, a LAMBDA bound by LET and called
(``LET(f, LAMBDA(y, y+1), f(5))``), a LAMBDA called where it is written
(``LAMBDA(y, y+1)(5)``), nor a LAMBDA that uses a LET name. Written out, these are ordinary
formulas with the same value (LET and LAMBDA have no side effects; a volatile function in a
LET value would be drawn once per use instead of once). LAMBDA expressions that remain (passed
to MAP and the like) get their free LET names replaced the same way.

Names are Excel's stored ``_xlpm.`` names. A formula whose written-out text would exceed
Excel's 8,192 characters, or that calls a LAMBDA with the wrong number of arguments, is left
as it is (:class:`Unexpandable`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Union

from .formulatext import Token, tokens

__all__ = ["expand_let", "Unexpandable", "MAX_CHARS"]

#: Excel's limit on the length of a formula.
MAX_CHARS = 8192

_ATOM = re.compile(r"""^(?:
    [-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?          # number
  | "(?:[^"]|"")*"                               # string
  | (?:(?:'(?:[^']|'')*'|[A-Za-z_][\w.]*)!)?
    \$?[A-Za-z]{1,3}\$?\d+(?::\$?[A-Za-z]{1,3}\$?\d+)?   # cell or range
  | [A-Za-z_\\][\w.]*                            # name
  | TRUE | FALSE
)$""", re.X | re.I)


class Unexpandable(ValueError):
    """A LET/LAMBDA formula left for the engine as written."""


@dataclass
class _Expr:
    text: str


@dataclass
class _Lam:
    params: list[str]          # upper-case parameter names
    param_texts: list[str]     # as written
    body: list[Token]
    env: dict[str, "_Value"]
    head: str                  # the LAMBDA token as written (_xlfn.LAMBDA)


_Value = Union[_Expr, _Lam]


def _bare(name: str) -> str:
    up = name.upper()
    for p in ("_XLFN._XLWS.", "_XLFN."):
        if up.startswith(p):
            return up[len(p):]
    return up


def _sig(toks: list[Token]) -> list[Token]:
    return [t for t in toks if t.kind != "ws"]


def _close(toks: list[Token], i: int) -> int:
    """Index of the parenthesis closing the one at ``toks[i]``."""
    depth = 0
    for j in range(i, len(toks)):
        k = toks[j].kind
        if k in ("lparen", "lbrace"):
            depth += 1
        elif k in ("rparen", "rbrace"):
            depth -= 1
            if depth == 0:
                return j
    raise Unexpandable("unbalanced parentheses")


def _args(toks: list[Token], open_i: int, close_i: int) -> list[list[Token]]:
    out, cur, depth = [], [], 0
    for t in toks[open_i + 1:close_i]:
        if t.kind in ("lparen", "lbrace"):
            depth += 1
        elif t.kind in ("rparen", "rbrace"):
            depth -= 1
        if t.kind == "comma" and depth == 0:
            out.append(cur)
            cur = []
        else:
            cur.append(t)
    out.append(cur)
    if len(out) == 1 and not _sig(out[0]):
        return []
    return out


def _text(toks: list[Token]) -> str:
    return "".join(t.text for t in toks).strip()


def _wrap(text: str) -> str:
    return text if _ATOM.match(text) else "(" + text + ")"


def expand_let(text: str) -> str:
    """``text`` with LET and called LAMBDAs written out (see the module docstring); raises
    :class:`Unexpandable` when it cannot be done here."""
    up = text.upper()
    if "LET(" not in up and "LAMBDA(" not in up:
        return text
    out = _expand(list(tokens(text)), {})
    if len(out) > MAX_CHARS:
        raise Unexpandable("the formula written out would be longer than Excel allows")
    return out


def _expand(toks: list[Token], env: dict[str, _Value]) -> str:
    out: list[str] = []
    i, n = 0, len(toks)
    while i < n:
        t = toks[i]
        nxt = i + 1 < n and toks[i + 1].kind == "lparen"
        glued = i and toks[i - 1].kind in ("bang", "bracket")
        if t.kind == "word" and nxt and not glued:
            name = _bare(t.text)
            close = _close(toks, i + 1)
            if name == "LET":
                out.append(_let(_args(toks, i + 1, close), env))
                i = close + 1
                continue
            if name == "LAMBDA":
                lam = _lambda(t.text, _args(toks, i + 1, close), env)
                if close + 1 < n and toks[close + 1].kind == "lparen":
                    end = _close(toks, close + 1)
                    out.append(_apply(lam, _args(toks, close + 1, end), env))
                    i = end + 1
                    continue
                out.append(_lambda_text(lam))
                i = close + 1
                continue
            bound = env.get(t.text.upper())
            if isinstance(bound, _Lam):
                out.append(_apply(bound, _args(toks, i + 1, close), env))
                i = close + 1
                continue
            out.append(t.text)
            i += 1
            continue
        if t.kind == "word" and not glued and t.text.upper() in env:
            bound = env[t.text.upper()]
            out.append(_wrap(bound.text) if isinstance(bound, _Expr) else _lambda_text(bound))
            i += 1
            continue
        out.append(t.text)
        i += 1
    return "".join(out)


def _let(args: list[list[Token]], env: dict[str, _Value]) -> str:
    if len(args) < 3 or len(args) % 2 == 0:
        raise Unexpandable("LET needs name, value pairs and a calculation")
    scope = dict(env)
    for k in range(0, len(args) - 1, 2):
        name = _text(args[k])
        if not re.match(r"^_xlpm\.[\w.]+$", name, re.I):
            raise Unexpandable(f"LET name {name[:20]!r} is not a stored parameter name")
        lam = _lambda_value(args[k + 1], scope)
        scope[name.upper()] = lam if lam is not None else _Expr(_expand(args[k + 1], scope)
                                                               .strip())
    return _wrap(_expand(args[-1], scope).strip())


def _lambda_value(arg: list[Token], env: dict[str, _Value]) -> _Lam | None:
    """The LAMBDA a LET value is, when it is exactly ``LAMBDA(...)`` (not called)."""
    sig = _sig(arg)
    if len(sig) < 3 or sig[0].kind != "word" or _bare(sig[0].text) != "LAMBDA" or \
            sig[1].kind != "lparen":
        return None
    toks = list(arg)
    start = next(j for j, t in enumerate(toks) if t is sig[0])
    close = _close(toks, start + 1)
    if _sig(toks[close + 1:]):
        return None   # called, or part of an expression
    return _lambda(sig[0].text, _args(toks, start + 1, close), env)


def _lambda(head: str, args: list[list[Token]], env: dict[str, _Value]) -> _Lam:
    if not args:
        raise Unexpandable("LAMBDA without a calculation")
    texts = [_text(a) for a in args[:-1]]
    for p in texts:
        if not re.match(r"^_xlpm\.[\w.]+$", p, re.I):
            raise Unexpandable(f"LAMBDA parameter {p[:20]!r} is not a stored parameter name")
    return _Lam([p.upper() for p in texts], texts, args[-1], env, head)


def _apply(lam: _Lam, args: list[list[Token]], env: dict[str, _Value]) -> str:
    if len(args) != len(lam.params):
        raise Unexpandable("a LAMBDA called with another number of arguments than it takes")
    scope = dict(lam.env)
    for p, a in zip(lam.params, args):
        scope[p] = _Expr(_expand(a, env).strip())
    return _wrap(_expand(lam.body, scope).strip())


def _lambda_text(lam: _Lam) -> str:
    scope = {k: v for k, v in lam.env.items() if k not in lam.params}
    body = _expand(lam.body, scope).strip()
    return f"{lam.head}({','.join(lam.param_texts + [body])})"
