"""Bivariate normal cdf: against an independent mpmath quadrature at 30 digits."""

import math

import mpmath as mp
import numpy as np
import pytest
from scipy.special import ndtr

from pymodel.bivariate import bvn_cdf
from pymodel.errors import DomainError, InputTypeError


def _reference(a, b, r):
    """Phi2(a, b; r) = int_{-inf}^{a} phi(x) Phi((b - r x) / sqrt(1 - r^2)) dx, mpmath quad at
    30 significant digits (independent of Genz's method)."""
    with mp.workdps(30):
        a, b, r = mp.mpf(a), mp.mpf(b), mp.mpf(r)
        s = mp.sqrt(1 - r * r)
        f = lambda x: mp.npdf(x) * mp.ncdf((b - r * x) / s)  # noqa: E731
        # split where the inner cdf switches (b - r x = 0, width s): a sharp step for |r| ~ 1
        brk = [0] if r == 0 else [b / r + k * s for k in (-8, -2, 0, 2, 8)]
        pts = [-mp.inf] + sorted(x for x in set(brk + [0]) if x < a) + [a]
        return float(mp.quad(f, pts, maxdegree=10))


def _cases():
    rng = np.random.default_rng(20261128)
    cases = [(0.0, 0.0, 0.5), (-3.09, -2.0, 0.3), (1.0, -1.0, -0.95), (-5.0, 4.0, 0.99),
             (2.5, 2.5, -0.999), (-2.0, -2.0, 0.9999), (0.3, -0.7, 0.0), (-1.2, 0.8, 0.925),
             (-1.2, 0.8, -0.925), (4.0, -4.0, 0.75), (-0.5, -0.5, 0.2999)]
    for _ in range(30):
        a, b = rng.uniform(-5, 5, 2)
        band = rng.integers(4)
        lo, hi = [(0, 0.3), (0.3, 0.75), (0.75, 0.925), (0.925, 0.9999)][band]
        r = rng.uniform(lo, hi) * rng.choice([-1, 1])
        cases.append((float(a), float(b), float(r)))
    return cases


CASES = _cases()


@pytest.mark.parametrize("a, b, r", CASES)
def test_against_mpmath_quadrature(a, b, r):
    assert bvn_cdf(a, b, r) == pytest.approx(_reference(a, b, r), abs=1e-9, rel=0)


def test_vectorised_equals_scalar_calls():
    a, b, r = map(np.array, zip(*CASES))
    vec = bvn_cdf(a, b, r)
    assert vec.shape == a.shape
    np.testing.assert_allclose(vec, [bvn_cdf(*c) for c in CASES], rtol=0, atol=1e-15)


def test_closed_form_special_values():
    # Sheppard: Phi2(0, 0; r) = 1/4 + asin(r) / (2 pi)
    for r in (-0.99, -0.5, 0.0, 0.3, 0.8, 0.95, 0.999):
        assert bvn_cdf(0.0, 0.0, r) == pytest.approx(0.25 + math.asin(r) / (2 * math.pi),
                                                     abs=1e-14)
    assert bvn_cdf(0.7, -0.4, 0.0) == pytest.approx(ndtr(0.7) * ndtr(-0.4), abs=1e-15)


def test_perfect_correlation_and_infinite_limits():
    assert bvn_cdf(1.0, 2.0, 1.0) == pytest.approx(ndtr(1.0), abs=1e-15)
    assert bvn_cdf(1.0, -0.5, -1.0) == pytest.approx(ndtr(1.0) - ndtr(0.5), abs=1e-15)
    assert bvn_cdf(-1.0, 0.5, -1.0) == 0.0
    assert bvn_cdf(np.inf, 0.3, 0.6) == pytest.approx(ndtr(0.3), abs=1e-15)
    assert bvn_cdf(0.3, np.inf, -0.6) == pytest.approx(ndtr(0.3), abs=1e-15)
    assert bvn_cdf(-np.inf, 0.3, 0.6) == 0.0
    assert bvn_cdf(np.inf, np.inf, 0.2) == 1.0
    assert bvn_cdf(50.0, -50.0, 0.2) == 0.0


def test_continuity_across_method_switch():
    # the algorithm changes at |r| = 0.3, 0.75 and 0.925: no jump there
    for r0 in (0.3, 0.75, 0.925):
        for sign in (1, -1):
            lo = bvn_cdf(-0.8, 1.1, sign * (r0 - 1e-12))
            hi = bvn_cdf(-0.8, 1.1, sign * (r0 + 1e-12))
            assert abs(hi - lo) < 1e-11


def test_matches_scipy_multivariate_normal():
    from scipy.stats import multivariate_normal
    for a, b, r in CASES[:8]:
        ref = multivariate_normal(mean=[0, 0], cov=[[1, r], [r, 1]]).cdf([a, b])
        assert bvn_cdf(a, b, r) == pytest.approx(ref, abs=1e-6)


def test_errors():
    with pytest.raises(DomainError, match=r"pair_corr must be in \[-1, 1\]; got 1.5"):
        bvn_cdf(0, 0, 1.5)
    with pytest.raises(DomainError, match=r"a\[2\] must be a number or \+-infinity; got NaN"):
        bvn_cdf([0.0, np.nan], 0.0, 0.1)
    with pytest.raises(InputTypeError, match=r"b must be a number; got text 'x'"):
        bvn_cdf(0.0, "x", 0.1)


from hypothesis import given, settings, strategies as st  # noqa: E402

_lim = st.floats(-8, 8, allow_nan=False)
_rho = st.floats(-1, 1, allow_nan=False)


@settings(max_examples=300, deadline=None)
@given(_lim, _lim, _rho)
def test_frechet_bounds_and_symmetry(a, b, r):
    """max(0, Phi(a) + Phi(b) - 1) <= Phi2 <= min(Phi(a), Phi(b)); Phi2(a, b) = Phi2(b, a);
    Phi2(a, b; r) + Phi2(a, -b; -r) = Phi(a)."""
    p = bvn_cdf(a, b, r)
    pa, pb = ndtr(a), ndtr(b)
    assert max(0.0, pa + pb - 1.0) - 1e-15 <= p <= min(pa, pb) + 1e-15
    assert p == pytest.approx(bvn_cdf(b, a, r), abs=1e-15)
    assert p + bvn_cdf(a, -b, -r) == pytest.approx(pa, abs=2e-15)


@settings(max_examples=200, deadline=None)
@given(_lim, _lim, st.floats(0.0, 0.5), st.floats(-0.999, 0.999))
def test_monotone_in_limits_and_rho(a, b, da, r):
    assert bvn_cdf(a + da, b, r) >= bvn_cdf(a, b, r) - 1e-15
    assert bvn_cdf(a, b, min(r + 0.001, 1.0)) >= bvn_cdf(a, b, r) - 1e-15   # Slepian


def test_docstring_examples_run():
    import doctest

    import pymodel.bivariate
    assert doctest.testmod(pymodel.bivariate).failed == 0
