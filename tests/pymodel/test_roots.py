"""The scalar Brent root finder: the same float as scipy's brentq, bit for bit, and its errors."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import brentq as scipy_brentq

from pymodel.roots import RTOL, brentq


def _both(f, a, b, **kw):
    """(ours, scipy's, the points each evaluated)."""
    seen_ours, seen_scipy = [], []

    def ours(x):
        seen_ours.append(x)
        return f(x)

    def theirs(x):
        seen_scipy.append(x)
        return f(x)
    return brentq(ours, a, b, **kw), scipy_brentq(theirs, a, b, **kw), seen_ours, seen_scipy


def _family(kind, c, k):
    if kind == 0:
        return lambda x: math.sinh(k * x) + x ** 3 - c
    if kind == 1:
        return lambda x: math.exp(k * x) - 1.0 - c            # flat on one side, steep on the other
    if kind == 2:
        return lambda x: (x - c) ** 3                         # a triple root: slow convergence
    if kind == 3:
        return lambda x: math.atan(k * (x - c))               # saturating
    return lambda x: np.float64(x - c) * abs(k)               # linear, a numpy scalar result


@settings(max_examples=400, deadline=None)
@given(kind=st.integers(0, 4), c=st.floats(-0.9, 0.9), k=st.floats(0.05, 40.0),
       xtol=st.sampled_from([2e-12, 1e-10, 1e-6, 1e-3]),
       rtol=st.sampled_from([RTOL, 1e-9, 1e-4]))
def test_the_same_steps_and_root_as_scipy(kind, c, k, xtol, rtol):
    f = _family(kind, c, k)
    if f(-1.0) * f(1.0) > 0:            # no root in the bracket: both refuse it alike
        with pytest.raises(ValueError, match="different signs"):
            brentq(f, -1.0, 1.0)
        with pytest.raises(ValueError, match="different signs"):
            scipy_brentq(f, -1.0, 1.0)
        return
    ours, theirs, p_ours, p_theirs = _both(f, -1.0, 1.0, xtol=xtol, rtol=rtol, maxiter=500)
    assert p_ours == p_theirs           # every evaluation at the same point
    assert ours == theirs and type(ours) is float


def test_a_root_at_an_end_and_errors_as_scipy():
    assert brentq(lambda x: x, 0.0, 1.0) == 0.0
    assert brentq(lambda x: x - 1.0, 0.0, 1.0) == 1.0
    with pytest.raises(ValueError, match="different signs"):
        brentq(lambda x: x * x + 1.0, -1.0, 1.0)
    with pytest.raises(ValueError, match="NaN"):
        brentq(lambda x: math.nan if x > 0.3 else x - 0.5, 0.0, 1.0)
    with pytest.raises(ValueError, match="xtol"):
        brentq(lambda x: x, -1.0, 1.0, xtol=0.0)
    with pytest.raises(ValueError, match="rtol"):
        brentq(lambda x: x, -1.0, 1.0, rtol=1e-17)
    with pytest.raises(RuntimeError, match="converge"):
        brentq(lambda x: (x - 0.1234) ** 3, -1.0, 1.0, xtol=1e-300, maxiter=3)
    with pytest.raises(RuntimeError):
        scipy_brentq(lambda x: (x - 0.1234) ** 3, -1.0, 1.0, xtol=1e-300, maxiter=3)


def test_a_flat_stretch_that_would_divide_by_zero_bisects_as_scipy():
    # f equal at the two latest estimates: the interpolated step is not finite, both bisect
    f = lambda x: -1.0 if x < 0.2 else (0.0 if x > 0.7 else 1.0)  # noqa: E731
    ours, theirs, p_ours, p_theirs = _both(f, -1.0, 1.0)
    assert (ours, p_ours) == (theirs, p_theirs)
    g = lambda x: max(-1.0, min(1.0, 1e300 * (x - 0.3)))  # noqa: E731
    ours, theirs, p_ours, p_theirs = _both(g, -1.0, 1.0)
    assert (ours, p_ours) == (theirs, p_theirs)


def test_tiny_values_keep_their_signs_as_scipy():
    # f(0) = -2.2e-311: its product with f(1e-12) underflows to -0.0; the signs still differ
    f = lambda x: math.sinh(0.0625 * x) + x ** 3 - 2.225073858507e-311  # noqa: E731
    ours, theirs, p_ours, p_theirs = _both(f, -1.0, 1.0)
    assert (ours, p_ours) == (theirs, p_theirs) == (0.0, [-1.0, 1.0, 0.0, 1e-12])


def test_the_model_imports_no_scipy_optimize_for_its_roots():
    import subprocess
    import sys
    code = ("import sys, pymodel.breakeven, pymodel.dscr, pymodel.implied; "
            "print('scipy.optimize' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"
