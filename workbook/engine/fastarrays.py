"""Operators and aggregates of the ``formulas`` engine on whole arrays of numbers, as one numpy
operation each, with exactly the results the engine gives element by element.

The engine computes an operator on arrays element by element (``numpy.vectorize`` over a Python
function that first searches both values for an error, reads them and checks the result): some
20 microseconds per element, a tenth of a second for one operator on a 5,000-row column; its
SUMPRODUCT, SUM, MIN, MAX and COUNT walk every element through Python generators. Here:

- ``+ - * /``, unary ``-`` and ``+``, ``%``: numbers, booleans and blanks are numbers to the
  engine (TRUE is 1, a blank 0), so when every element is one of them the operator is one numpy
  operation on floats, with #NUM! where the result is not finite and #DIV/0! where a divisor is
  0, as the engine gives them;
- ``< <= > >= = <>``: the engine compares (type, value) pairs, numbers before text before
  booleans, a blank read as 0 next to a number or boolean; when every element is a number,
  boolean or blank (no text, no error, no NaN, whose identity the engine's pairs compare) the
  comparison is one numpy comparison of the types and one of the values;
- SUMPRODUCT, SUM, MIN, MAX, COUNT build from such arrays the very values the engine builds (the
  same floats in the same order, so numpy's sums are the same to the last bit; MIN and MAX use
  Python's own min and max on the same list) without the per-element walk.

Anything else (text, errors, NaN in a comparison, numpy scalars where the type of the result
would differ, single values, shapes that do not broadcast) goes to the engine's own function,
so a fast path never changes a result: :mod:`tests.workbook.engine.test_fastarrays` checks each
against the engine's element-by-element path on mixed arrays.
"""

from __future__ import annotations

import functools
from typing import Any, Callable, NamedTuple

import numpy as np

__all__ = ["operator", "aggregate", "elementwise", "OPERATORS", "AGGREGATES", "ELEMENTWISE"]

#: Operators with a whole-array form here.
OPERATORS = ("+", "-", "*", "/", "^", "U-", "U+", "%", "<", "<=", ">", ">=", "=", "<>")
#: Engine functions with a whole-array form here.
AGGREGATES = ("SUMPRODUCT", "SUM", "MIN", "MAX", "COUNT")
#: Engine functions of one number applied element by element, and the numpy function each
#: applies to a float (called per element here too: the same results, without the engine's
#: search of each element for an error).
ELEMENTWISE = {"EXP": np.exp}

#: Integers up to this size are exactly floats (a larger one compares differently as a float).
_EXACT_INT = 2 ** 53
_NUMPY_NUMBERS = (np.float64, np.int64, np.bool_)

_STATE: dict[str, Any] = {}
#: The engine's own functions (those :func:`aggregate` and :func:`elementwise` were given).
ENGINE_FUNCTIONS: dict[str, Callable[..., Any]] = {}


def _empty() -> Any:
    if "empty" not in _STATE:
        import schedula as sh
        _STATE["empty"] = sh.EMPTY
        _STATE["token"] = type(sh.EMPTY)
    return _STATE["empty"]


class Numbers(NamedTuple):
    """An operand as the engine's element loop sees it, when every element is a number,
    boolean or blank."""

    values: Any        #: float array: numbers, booleans as 1/0, blanks as 0
    booleans: Any      #: bool array marking the booleans, or None when there are none
    blanks: Any        #: bool array marking the blanks, or None when there are none
    items: list[Any]   #: the elements themselves, flat in C order


def numbers(x: Any, numpy_scalars: bool = False) -> Numbers | None:
    """``x`` (a value or an array) as :class:`Numbers`, shaped as ``numpy.vectorize`` shapes
    it; None when an element is anything else: text, an error, a token other than the blank,
    an integer beyond 2**53, a numpy scalar unless ``numpy_scalars`` (whose operators give
    numpy results where the engine's loop gives Python ones)."""
    empty = _empty()
    token = _STATE["token"]
    if isinstance(x, np.ndarray) and x.dtype != object:
        kind = x.dtype.kind
        if kind == "f":
            return Numbers(x.astype(float), None, None, x.ravel().tolist())
        if kind == "b":
            return Numbers(x.astype(float), np.ones(x.shape, bool), None, x.ravel().tolist())
        if kind in "iu" and (x.size == 0 or int(np.abs(x).max()) <= _EXACT_INT):
            return Numbers(x.astype(float), None, None, x.ravel().tolist())
        return None
    obj = np.asanyarray(x, dtype=object)
    items = obj.ravel().tolist()
    kinds = set(map(type, items))
    if kinds <= {float}:
        return Numbers(obj.astype(float), None, None, items)
    allowed = {float, int, bool, token}
    if numpy_scalars:
        allowed.update(_NUMPY_NUMBERS)
    if not kinds <= allowed:
        return None
    if int in kinds or np.int64 in kinds:
        if any((type(v) is int or type(v) is np.int64) and not -_EXACT_INT <= v <= _EXACT_INT
               for v in items):
            return None
    blanks = None
    if token in kinds:
        if any(type(v) is token and v is not empty for v in items):
            return None
        blanks = np.fromiter((v is empty for v in items), bool, len(items)).reshape(obj.shape)
        obj = obj.copy()
        obj[blanks] = 0.0
    booleans = None
    if kinds <= {bool, np.bool_, token}:
        booleans = np.ones(obj.shape, bool) if blanks is None else ~blanks
    elif bool in kinds or np.bool_ in kinds:
        booleans = np.fromiter((type(v) is bool or type(v) is np.bool_ for v in items), bool,
                               len(items)).reshape(obj.shape)
    return Numbers(obj.astype(float), booleans, blanks, items)


def _shape(*xs: Numbers) -> tuple[int, ...] | None:
    """The broadcast shape of the operands (as numpy.vectorize gives it) when an operand has
    more than one element, else None (single values are left to the engine)."""
    if max(x.values.size for x in xs) <= 1:
        return None
    try:
        return np.broadcast_shapes(*(x.values.shape for x in xs))
    except ValueError:
        return None


def _finite(r: Any) -> Any:
    """Floats as the engine's results: Python floats, #NUM! where not finite."""
    from formulas.functions import Error
    out = r.astype(object)
    bad = ~np.isfinite(r)
    if bad.any():
        out[bad] = Error.errors["#NUM!"]
    return out


_ARITH = {"+": np.add, "-": np.subtract, "*": np.multiply, "/": np.divide}
_COMPARE = {"<": np.less, "<=": np.less_equal, ">": np.greater, ">=": np.greater_equal,
            "=": np.equal, "<>": np.not_equal}


def _arithmetic(op: str, args: tuple[Any, ...]) -> Any:
    if len(args) != 2:
        return None
    a, b = numbers(args[0], True), numbers(args[1], True)
    if a is None or b is None or _shape(a, b) is None:
        return None
    with np.errstate(all="ignore"):
        r = np.asarray(_ARITH[op](a.values, b.values), float)
    out = _finite(r)
    if op == "/":
        zero = np.broadcast_to(b.values == 0, r.shape)
        if zero.any():
            from formulas.functions import Error
            out[zero] = Error.errors["#DIV/0!"]
    return out


def _unary(op: str, args: tuple[Any, ...]) -> Any:
    if len(args) != 1:
        return None
    a = numbers(args[0], op != "U+")
    if a is None or _shape(a) is None:
        return None
    if op == "U+":   # the value itself (a blank as 0), #NUM! where not finite
        from formulas.functions import Error
        out = np.asanyarray(args[0], dtype=object).copy()
        if a.blanks is not None:
            out[a.blanks] = 0
        bad = ~np.isfinite(a.values)
        if bad.any():
            out[bad] = Error.errors["#NUM!"]
        return out
    with np.errstate(all="ignore"):
        r = -a.values if op == "U-" else a.values / 100.0
    return _finite(r)


def _comparison(op: str, args: tuple[Any, ...]) -> Any:
    if len(args) != 2:
        return None
    a, b = numbers(args[0]), numbers(args[1])
    if a is None or b is None or _shape(a, b) is None:
        return None
    if np.isnan(a.values).any() or np.isnan(b.values).any():
        return None
    compare = _COMPARE[op]
    r = compare(a.values, b.values)
    if a.booleans is not None or b.booleans is not None:
        # (type, value) pairs: numbers (type 0) before booleans (type 2); a blank is 0
        ta = 2 * a.booleans if a.booleans is not None else np.zeros(a.values.shape, int)
        tb = 2 * b.booleans if b.booleans is not None else np.zeros(b.values.shape, int)
        r = np.where(ta == tb, r, compare(ta, tb))
    return np.asarray(r, bool).astype(object)


def _power(args: tuple[Any, ...]) -> Any:
    """``^``: Python's own ``**`` on each pair of floats, as the engine's loop computes it (a
    pair it cannot raise, 0 to a negative power or an overflow, or a complex result: the
    engine's path)."""
    if len(args) != 2:
        return None
    a, b = numbers(args[0], True), numbers(args[1], True)
    shape = None if a is None or b is None else _shape(a, b)
    if shape is None:
        return None
    xs = np.broadcast_to(a.values, shape).ravel().tolist()
    ys = np.broadcast_to(b.values, shape).ravel().tolist()
    try:
        r = [x ** y for x, y in zip(xs, ys)]
    except Exception:
        return None
    if not set(map(type, r)) <= {float}:
        return None
    return _finite(np.array(r, float).reshape(shape))


def elementwise(name: str, engine_function: Callable[..., Any]) -> Callable[..., Any]:
    """The engine function ``name`` (one of :data:`ELEMENTWISE`) on an array of numbers,
    booleans and blanks: its numpy function called on each element read as a float, the result
    kept as the engine keeps it (a numpy float; #NUM! where not finite); ``engine_function``
    for anything else."""
    from formulas.functions import Array, Error, wrap_func
    func = ELEMENTWISE[name]
    ENGINE_FUNCTIONS[name] = engine_function

    def apply(*args: Any) -> Any:
        a = numbers(args[0], True) if len(args) == 1 else None
        if a is None or _shape(a) is None:
            return engine_function(*args)
        with np.errstate(all="ignore"):
            r = [func(v) for v in a.values.ravel().tolist()]
            vals = np.array(r, float)
        out = np.empty(len(r), dtype=object)
        out[:] = r
        bad = ~np.isfinite(vals)
        if bad.any():
            out[bad] = Error.errors["#NUM!"]
        return out.reshape(a.values.shape).view(Array)

    return wrap_func(functools.update_wrapper(apply, engine_function))


def operator(op: str, cell_by_cell: Callable[..., Any]) -> Callable[..., Any]:
    """The engine operator ``op`` computing whole arrays of numbers, booleans and blanks as
    one numpy operation, ``cell_by_cell`` (the engine's own) for anything else."""
    from formulas.functions import Array, wrap_func
    if op in _ARITH:
        fast = functools.partial(_arithmetic, op)
    elif op in _COMPARE:
        fast = functools.partial(_comparison, op)
    elif op == "^":
        fast = _power
    elif op in ("U-", "U+", "%"):
        fast = functools.partial(_unary, op)
    else:
        raise ValueError(f"no whole-array form of the operator {op!r}")

    def apply(*args: Any) -> Any:
        out = fast(args)
        return cell_by_cell(*args) if out is None else out.view(Array)

    return wrap_func(functools.update_wrapper(apply, cell_by_cell))


# -- aggregates ------------------------------------------------------------------------------

def _arrays(args: tuple[Any, ...]) -> list[Numbers] | None:
    """Every argument as :class:`Numbers` when every argument is an array of numbers, booleans
    and blanks (numpy scalars included: these functions read them as numbers), else None."""
    if not args or not all(isinstance(a, np.ndarray) for a in args):
        return None
    out = []
    for a in args:
        n = numbers(a, True)
        if n is None:
            return None
        out.append(n)
    return out


def _sumproduct(args: tuple[Any, ...]) -> Any:
    """SUMPRODUCT as the engine computes it: the columns where any array is blank dropped,
    TRUE and FALSE as 0, NaN as 0 and infinity as the largest float (numpy.nan_to_num)."""
    arrays = _arrays(args)
    if arrays is None or len({np.shape(a) for a in args}) != 1 or args[0].size <= 1:
        return None
    rows = []
    keep = None
    for n in arrays:
        v = n.values.ravel()
        if n.booleans is not None:
            v = np.where(n.booleans.ravel(), 0.0, v)
        if n.blanks is not None:
            keep = ~n.blanks.ravel() if keep is None else keep & ~n.blanks.ravel()
        rows.append(v)
    inp = np.stack(rows)
    if keep is not None:
        inp = inp[:, keep]
    return np.sum(np.prod(np.nan_to_num(inp), axis=0))


def _sum(args: tuple[Any, ...]) -> Any:
    """SUM as the engine computes it on arrays: blanks and TRUE left out, FALSE as 0, NaN
    left out; the rest summed in order by numpy."""
    arrays = _arrays(args)
    if arrays is None or sum(a.size for a in args) <= 1:
        return None
    parts = []
    for n in arrays:
        v = n.values.ravel()
        drop = np.isnan(v)
        if n.booleans is not None:
            drop |= n.booleans.ravel() & (v != 0)
        if n.blanks is not None:
            drop |= n.blanks.ravel()
        parts.append(v[~drop] if drop.any() else v)
    return np.sum(np.concatenate(parts))


def _numbers_only(args: tuple[Any, ...]) -> list[Any] | None:
    """What the engine's MIN, MAX and COUNT collect from arrays: the numbers themselves, in
    order (blanks and booleans left out)."""
    arrays = _arrays(args)
    if arrays is None or sum(a.size for a in args) <= 1 or any(a.dtype != object for a in args):
        return None   # (the engine collects numpy scalars from a numpy array of numbers)
    out: list[Any] = []
    for n in arrays:
        if n.blanks is None and n.booleans is None:
            out.extend(n.items)
        else:
            drop = np.zeros(n.values.shape, bool)
            for m in (n.blanks, n.booleans):
                if m is not None:
                    drop |= m
            out.extend(v for v, d in zip(n.items, drop.ravel().tolist()) if not d)
    return out


def _extreme(func: Callable[..., Any]) -> Callable[[tuple[Any, ...]], Any]:
    def extreme(args: tuple[Any, ...]) -> Any:
        vals = _numbers_only(args)
        if vals is None:
            return None
        return func(vals or [0])
    return extreme


def _count(args: tuple[Any, ...]) -> Any:
    vals = _numbers_only(args)
    return None if vals is None else len(vals)


_AGGREGATE = {"SUMPRODUCT": _sumproduct, "SUM": _sum, "MIN": _extreme(min),
              "MAX": _extreme(max), "COUNT": _count}


def aggregate(name: str, engine_function: Callable[..., Any]) -> Callable[..., Any]:
    """The engine function ``name`` (one of :data:`AGGREGATES`) computing arrays of numbers,
    booleans and blanks without walking them element by element; ``engine_function`` (the
    engine's own, as in its function table) for anything else."""
    from formulas.functions import wrap_func
    fast = _AGGREGATE[name]
    ENGINE_FUNCTIONS[name] = engine_function

    def apply(*args: Any) -> Any:
        out = fast(args)
        return engine_function(*args) if out is None else out

    return wrap_func(functools.update_wrapper(apply, engine_function))
