"""The whole-array operators and aggregates (workbook.engine.fastarrays) give exactly what the
engine gives element by element: the same values, of the same Python types, the same errors,
the same shapes; on arrays of numbers, booleans and blanks (the fast path) and on anything else
(text, errors, NaN, numpy scalars, odd shapes: the engine's own path)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbook.engine import fastarrays
from workbook.engine.functions import engine


def _empty():
    import schedula as sh
    return sh.EMPTY


def _errors():
    from formulas.tokens.operand import Error
    return [Error.errors[k] for k in ("#DIV/0!", "#N/A", "#VALUE!", "#NUM!")]


def _same(g, w) -> bool:
    from formulas.tokens.operand import XlError
    if isinstance(w, np.ndarray) or isinstance(g, np.ndarray):
        g, w = np.asarray(g, dtype=object), np.asarray(w, dtype=object)
        return g.shape == w.shape and all(_same(a, b) for a, b in zip(g.flat, w.flat))
    if type(g) is not type(w):
        return False
    if isinstance(w, XlError):
        return str(g) == str(w)
    if isinstance(w, (float, np.floating)):
        if math.isnan(w):
            return math.isnan(g)
        return g == w and math.copysign(1, g) == math.copysign(1, w)
    return g == w


# elements: numbers (with the edges of IEEE), booleans, blanks; and what must go to the engine
_numbers = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False, width=64),
    st.sampled_from([0.0, -0.0, 1.0, -1.0, 0.5, 1e308, -1e308, 5e-324, 2.0 ** 53]),
    st.integers(-1000, 1000))
_plain = st.one_of(_numbers, st.booleans(), st.just("BLANK"))
_odd = st.one_of(st.sampled_from(["abc", "ABC", "", "1.5", "2024-01-31", "TRUE"]),
                 st.sampled_from(["ERR0", "ERR1", "ERR2"]),
                 st.sampled_from([math.nan, math.inf, -math.inf, 2 ** 60, -(2 ** 60)]),
                 st.sampled_from([np.float64(2.5), np.bool_(True), np.int64(3)]))


def _element(v):
    if v == "BLANK" and isinstance(v, str):
        return _empty()
    if isinstance(v, str) and v.startswith("ERR"):
        return _errors()[int(v[3])]
    return v


@st.composite
def _operand(draw, shape, odd: bool):
    elements = st.one_of(_plain, _odd) if odd and draw(st.booleans()) else _plain
    if shape == ():
        return _element(draw(elements))
    n = int(np.prod(shape))
    vals = [_element(draw(elements)) for _ in range(n)]
    arr = np.empty(n, dtype=object)
    arr[:] = vals
    return arr.reshape(shape)


_SHAPES = [(), (1, 1), (4, 1), (1, 4), (3, 4), (3, 1), (1, 3), (2, 1)]


@st.composite
def _pair(draw):
    sa = draw(st.sampled_from(_SHAPES))
    sb = draw(st.sampled_from(_SHAPES))
    odd = draw(st.booleans())
    return draw(_operand(sa, odd)), draw(_operand(sb, odd))


def _slow_and_fast(op):
    from workbook.engine.excelfns import _ARITH_CELLS, operators
    engine()
    return operators()[op], _ARITH_CELLS[op]


def _call(f, *args):
    try:
        return f(*args)
    except Exception as exc:   # the engine raises for shapes it cannot broadcast
        return type(exc).__name__


_SETTINGS = settings(max_examples=150, deadline=None,
                     suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize("op", ["+", "-", "*", "/", "^", "<", "<=", ">", ">=", "=", "<>"])
@_SETTINGS
@given(pair=_pair())
def test_binary_operators_give_the_engines_element_by_element_results(op, pair):
    fast, slow = _slow_and_fast(op)
    a, b = pair
    got, want = _call(fast, a, b), _call(slow, a, b)
    assert _same(got, want), (op, a, b, got, want)


@pytest.mark.parametrize("op", ["U-", "U+", "%"])
@_SETTINGS
@given(x=st.sampled_from(_SHAPES).flatmap(lambda s: _operand(s, True)))
def test_unary_operators_give_the_engines_element_by_element_results(op, x):
    fast, slow = _slow_and_fast(op)
    got, want = _call(fast, x), _call(slow, x)
    assert _same(got, want), (op, x, got, want)


@pytest.mark.parametrize("name", sorted(fastarrays.ELEMENTWISE))
@_SETTINGS
@given(x=st.sampled_from(_SHAPES).flatmap(lambda s: _operand(s, True)))
def test_elementwise_functions_give_the_engines_results(name, x):
    _, functions = engine()
    fast, slow = functions[name], fastarrays.ENGINE_FUNCTIONS[name]
    got, want = _call(fast, x), _call(slow, x)
    assert _same(got, want), (name, x, got, want)


@st.composite
def _arrays(draw, same_shape: bool):
    shape = draw(st.sampled_from(_SHAPES[1:]))
    odd = draw(st.booleans())
    k = draw(st.integers(1, 3))
    return [draw(_operand(shape if same_shape else draw(st.sampled_from(_SHAPES[1:])), odd))
            for _ in range(k)]


@pytest.mark.parametrize("name", fastarrays.AGGREGATES)
@_SETTINGS
@given(data=st.data())
def test_aggregates_give_the_engines_results(name, data):
    args = data.draw(_arrays(same_shape=name == "SUMPRODUCT" or data.draw(st.booleans())))
    _, functions = engine()
    fast, slow = functions[name], fastarrays.ENGINE_FUNCTIONS[name]
    got, want = _call(fast, *args), _call(slow, *args)
    assert _same(got, want), (name, args, got, want)


def _col(*v):
    return np.array(v, dtype=object).reshape(-1, 1)


@pytest.mark.parametrize("a, b", [
    (_col(1.0, 2.5, -3.0, 0.1), _col(4.0, 0.0, -0.0, 0.2)),
    (_col(1.0, 2, 3), 2.0), (0.1, _col(0.2, 0.3, 0.0)),
    (_col(1e308, -1e308, 1.0), _col(1e308, 1e308, 1e-320)),
    (_col(1.0, 2.0), np.array([[3.0]], dtype=object)),
    (np.array([[1.0, 2.0, 3.0]], dtype=object), _col(1.0, 0.0, 7.0)),
    (np.arange(12, dtype=float).reshape(4, 3).astype(object),
     np.arange(12, dtype=float).reshape(4, 3).astype(object) - 5),
    (_col(1.0, True, False), _col(True, 2.0, 0.0)), (_col(1.0, "2", 3.0), 2.0),
    (_col(1.0, "BLANK", 3.0), 2.0), (_col(True, False, "BLANK"), _col(False, False, 0.0)),
    (np.array([[1.0], [2.0]]), 1.5), (np.array([[True], [False]]), 0.0),
    (np.array([[1], [2]]), np.array([[1.5, 2]], dtype=object)),
])
@pytest.mark.parametrize("op", ["+", "-", "*", "/", "<", "<=", ">", ">=", "=", "<>"])
def test_operators_on_listed_arrays(op, a, b):
    a = np.vectorize(_element, otypes=[object])(a) if isinstance(a, np.ndarray) \
        and a.dtype == object else a
    fast, slow = _slow_and_fast(op)
    got, want = _call(fast, a, b), _call(slow, a, b)
    assert _same(got, want), (op, a, b, got, want)


def test_the_fast_path_is_taken_for_numbers_booleans_and_blanks():
    """Not only equal results: the numpy path itself answers these (else the tests above would
    pass with everything sent to the engine)."""
    engine()
    e = _empty()
    a = _col(1.0, 2.0, True, e, 3)
    b = _col(0.5, 2.0, 1.0, False, e)
    for op in ("<", ">=", "=", "<>"):
        assert fastarrays._comparison(op, (a, b)) is not None
    for op in ("+", "/"):
        assert fastarrays._arithmetic(op, (a, b)) is not None
    assert fastarrays._power((a, b)) is not None
    for op in ("U-", "U+", "%"):
        assert fastarrays._unary(op, (a,)) is not None
    assert fastarrays._sumproduct((a, b)) is not None
    for f in ("SUM", "MIN", "MAX", "COUNT"):
        assert fastarrays._AGGREGATE[f]((a, b)) is not None
    # and not for text, errors or NaN in a comparison
    assert fastarrays._comparison("<", (_col(1.0, "x"), 1.0)) is None
    assert fastarrays._comparison("<", (_col(1.0, math.nan), 1.0)) is None
    assert fastarrays._arithmetic("+", (_col(1.0, _errors()[0]), 1.0)) is None

