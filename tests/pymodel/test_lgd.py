"""Closed-form correlated LGD, t tail dependence and Longin-Solnik conditional correlation."""

import numpy as np
import pytest
from scipy import integrate
from scipy.special import ndtr, ndtri

from pymodel import irb, lgd
from pymodel.errors import DomainError, InputTypeError

ARGS = (0.02, 1.2, 0.4, 1.0, 0.5)   # pd, coverage, vol, horizon, rho_collateral

# Student-t copula tail dependence (§11.4): Embrechts, McNeil & Straumann,
# "Correlation and dependence in risk management"; McNeil, Frey & Embrechts, QRM. Two decimals,
# tolerance 0.005.
TAIL_TABLE = [(2, -0.5, 0.06), (2, 0.0, 0.18), (2, 0.5, 0.39), (2, 0.9, 0.72),
              (4, -0.5, 0.01), (4, 0.0, 0.08), (4, 0.5, 0.25), (4, 0.9, 0.63),
              (10, -0.5, 0.00), (10, 0.0, 0.01), (10, 0.5, 0.08), (10, 0.9, 0.46)]


@pytest.mark.parametrize("nu, rho, lam", TAIL_TABLE)
def test_tail_dependence_published_table(nu, rho, lam):
    assert lgd.tail_dependence(rho, nu) == pytest.approx(lam, abs=0.005)


def test_tail_dependence_gaussian_limit_and_bounds():
    assert lgd.tail_dependence(0.5, 1e7) < 1e-6            # nu -> infinity: Gaussian, 0
    assert lgd.tail_dependence(1.0, 4) == pytest.approx(1.0)
    assert lgd.tail_dependence(-1.0, 4) == 0.0
    lam = lgd.tail_dependence(np.linspace(-0.9, 0.9, 7), 4)
    assert np.all(np.diff(lam) > 0)


def test_longin_solnik_published_values():
    # Longin & Solnik (2001) via convexpi.ai (§11.5): rho 0.5, threshold 0.674
    assert lgd.conditional_correlation(0.5, 0.674) == pytest.approx(0.62, abs=0.005)
    assert lgd.conditional_correlation(0.5, 0.674, region="inside") == pytest.approx(0.21,
                                                                                      abs=0.005)


def test_longin_solnik_lower_tail_against_simulation():
    rng = np.random.default_rng(3)
    x, e = rng.standard_normal((2, 400_000))
    y = 0.5 * x + np.sqrt(0.75) * e
    sel = x < -1.0
    emp = np.corrcoef(x[sel], y[sel])[0, 1]
    assert lgd.conditional_correlation(0.5, 1.0, region="below") == pytest.approx(emp, abs=0.01)


@pytest.mark.parametrize("theta", [0.0, 0.3, -0.4])
def test_unconditional_el_equals_integral_of_conditional_el(theta):
    """Two formulas of §8.4 checked against each other: EL = int EL(x) phi(x) dx."""
    el = lgd.expected_loss_corr(*ARGS, theta=theta)

    def f(x):
        return lgd.conditional_loss(x, *ARGS, theta=theta)[0] * np.exp(-x * x / 2) \
            / np.sqrt(2 * np.pi)
    assert el == pytest.approx(integrate.quad(f, -12, 12, epsabs=1e-14)[0], rel=1e-8)


def test_closed_form_against_brute_force_simulation():
    rng = np.random.default_rng(11)
    n, r, th, rho, pd, cov, sig = 1_000_000, 0.2, 0.3, 0.5, 0.02, 1.2, 0.4
    x, xi, eta = rng.standard_normal((3, n))
    a = np.sqrt(r) * x + np.sqrt(1 - r) * xi
    y = rho * x + np.sqrt(1 - rho ** 2) * (th * xi + np.sqrt(1 - th ** 2) * eta)
    loss = (a < ndtri(pd)) * np.maximum(1 - cov * np.exp(sig * y - sig * sig / 2), 0)
    se = loss.std() / np.sqrt(n)
    el = lgd.expected_loss_corr(pd, cov, sig, 1.0, rho, asset_corr=r, theta=th)
    assert abs(el - loss.mean()) < 3 * se


def test_theta_zero_factorises():
    """§8.4: with theta = 0, EL(x) = p(x) [Phi(d1(x)) - coverage(x) Phi(d2(x))]."""
    pd, cov, vol, hor, rho, r = 0.03, 0.9, 0.5, 2.0, 0.6, 0.15
    x = -2.3
    el, p = lgd.conditional_loss(x, pd, cov, vol, hor, rho, asset_corr=r)
    sig = vol * np.sqrt(hor)
    s = sig * np.sqrt(1 - rho ** 2)
    cov_x = cov * np.exp(sig * rho * x - sig ** 2 * rho ** 2 / 2)
    d1 = (-np.log(cov_x) + s * s / 2) / s
    assert p == pytest.approx(ndtr((ndtri(pd) - np.sqrt(r) * x) / np.sqrt(1 - r)))
    assert el == pytest.approx(p * (ndtr(d1) - cov_x * ndtr(d1 - s)), rel=1e-10)


def test_pd_one_limit_is_lognormal_put():
    """As PD -> 1 the EL tends to the put value Phi(d1) - coverage Phi(d2)."""
    cov, sig = 1.1, 0.35
    d1 = (-np.log(cov) + sig * sig / 2) / sig
    put = ndtr(d1) - cov * ndtr(d1 - sig)
    assert lgd.lgd_corr(1 - 1e-12, cov, sig, 1.0, 0.5) == pytest.approx(put, abs=1e-9)


def test_degenerate_collateral():
    assert lgd.lgd_corr(0.02, 0.0, 0.4, 1.0, 0.5) == pytest.approx(1.0)        # no collateral
    assert lgd.lgd_corr(0.02, 0.7, 0.0, 1.0, 0.5) == pytest.approx(0.3)        # no volatility
    assert lgd.lgd_corr(0.02, 1.5, 0.0, 1.0, 0.5) == 0.0
    # rho = 1: collateral is a function of X only; downturn LGD = (1 - coverage(x_q))^+
    sig, xq = 0.4, ndtri(0.001)
    expect = max(1 - 1.2 * np.exp(sig * xq - sig * sig / 2), 0)
    assert lgd.lgd_downturn(0.02, 1.2, sig, 1.0, 1.0) == pytest.approx(expect, rel=1e-9)


def test_properties_bounds_and_monotonicity():
    rng = np.random.default_rng(5)
    n = 2000
    pd = rng.uniform(0.001, 0.3, n)
    cov = rng.uniform(0, 3, n)
    vol = rng.uniform(0, 1, n)
    hor = rng.uniform(0.1, 3, n)
    rho = rng.uniform(-1, 1, n)
    th = rng.uniform(-1, 1, n)
    for f in (lgd.lgd_corr, lgd.lgd_downturn):
        v = f(pd, cov, vol, hor, rho, theta=th)
        assert np.all((v >= 0) & (v <= 1)) and np.all(np.isfinite(v))
    assert np.all(lgd.lgd_capital(pd, cov, vol, hor, rho, theta=th) >= 0)
    # rising with rho for rho >= 0, falling with coverage
    rhos = np.linspace(0, 0.99, 25)
    assert np.all(np.diff(lgd.lgd_corr(0.02, 1.1, 0.4, 1.0, rhos)) > 0)
    assert np.all(np.diff(lgd.lgd_downturn(0.02, 1.1, 0.4, 1.0, rhos)) > 0)
    covs = np.linspace(0.05, 3, 25)
    assert np.all(np.diff(lgd.lgd_corr(0.02, covs, 0.4, 1.0, 0.5)) < 0)
    # downturn LGD exceeds expected LGD under wrong-way risk
    assert lgd.lgd_downturn(*ARGS) > lgd.lgd_corr(*ARGS)


def test_wrong_way_capital_exceeds_independent_case():
    k_ww = lgd.lgd_capital(*ARGS)
    k_0 = lgd.lgd_capital(*ARGS[:4], 0.0)
    assert k_ww > k_0
    # rho = 0 and theta = 0: K = LGD (p(x_q) - PD) with the unconditional LGD
    lg = lgd.lgd_corr(*ARGS[:4], 0.0)
    p_q = irb.conditional_pd(0.02)
    assert k_0 == pytest.approx(lg * (p_q - 0.02), rel=1e-10)


def test_vector_over_loans_matches_scalars():
    pd = np.array([0.01, 0.02, 0.05])
    cov = np.array([0.8, 1.2, 1.5])
    vec = lgd.lgd_corr(pd, cov, 0.4, 1.0, 0.5)
    np.testing.assert_allclose(vec, [lgd.lgd_corr(p, c, 0.4, 1.0, 0.5) for p, c in zip(pd, cov)],
                               rtol=1e-14)


@pytest.mark.parametrize("call, exc, msg", [
    (lambda: lgd.lgd_corr(0.02, -0.1, 0.4, 1, 0.5), DomainError,
     r"coverage must be >= 0; got -0.1"),
    (lambda: lgd.lgd_corr(0.02, 1, -0.4, 1, 0.5), DomainError,
     r"collateral_vol must be >= 0; got -0.4"),
    (lambda: lgd.lgd_corr(0.02, 1, 0.4, 0, 0.5), DomainError, r"horizon_years must be > 0; got 0"),
    (lambda: lgd.lgd_corr(0.02, 1, 0.4, 1, 1.5), DomainError,
     r"rho_collateral must be in \[-1, 1\]; got 1.5"),
    (lambda: lgd.lgd_corr(0.02, 1, 0.4, 1, 0.5, theta=-2), DomainError,
     r"theta must be in \[-1, 1\]; got -2"),
    (lambda: lgd.lgd_corr(1.0, 1, 0.4, 1, 0.5), DomainError, r"pd must be in \(0, 1\); got 1"),
    (lambda: lgd.lgd_corr(0.02, 1, 0.4, 1, 0.5, asset_corr=-0.1), DomainError,
     r"asset_corr must be in \[0, 1\); got -0.1"),
    (lambda: lgd.lgd_downturn(0.02, 1, 0.4, 1, 0.5, quantile=0), DomainError,
     r"quantile must be in \(0, 1\); got 0"),
    (lambda: lgd.lgd_corr([0.01, 0.02], [1, 1, 1], 0.4, 1, 0.5), InputTypeError,
     r"coverage must have the same length as pd \(2\); got 3"),
    (lambda: lgd.tail_dependence(0.5, 0), DomainError, r"nu must be > 0; got 0"),
    (lambda: lgd.tail_dependence(1.5, 4), DomainError, r"pair_corr must be in \[-1, 1\]; got 1.5"),
    (lambda: lgd.conditional_correlation(0.5, 0.674, region="up"), InputTypeError,
     r"region must be one of outside \| inside \| below; got text 'up'"),
    (lambda: lgd.conditional_correlation(0.5, 0), DomainError, r"threshold must be > 0; got 0"),
])
def test_error_paths(call, exc, msg):
    with pytest.raises(exc, match=msg):
        call()


@pytest.mark.parametrize("pd", [1e-4, 1e-6])
@pytest.mark.parametrize("cov", [0.5, 3.0])
def test_small_pd_keeps_relative_accuracy(pd, cov):
    """EL/PD for rare defaults: the difference of two Phi2 values keeps 1e-9 relative accuracy
    (checked against integrating the factorised EL(x) over X)."""
    args = (pd, cov, 0.5, 1.0, 0.6)
    el = lgd.expected_loss_corr(*args)

    def f(x):
        return lgd.conditional_loss(x, *args)[0] * np.exp(-x * x / 2) / np.sqrt(2 * np.pi)
    ref = integrate.quad(f, -15, 10, epsabs=0, epsrel=1e-12, limit=200)[0]
    assert el == pytest.approx(ref, rel=1e-9)


from hypothesis import given, settings, strategies as st  # noqa: E402

_pd = st.one_of(st.floats(1e-9, 1 - 1e-9), st.sampled_from([1e-12, 0.5, 1 - 1e-12]))
_cov = st.one_of(st.floats(0, 50), st.sampled_from([0.0, 1.0]))
_vol = st.one_of(st.floats(0, 3), st.just(0.0))
_hor = st.floats(1e-6, 30)
_corr = st.one_of(st.floats(-1, 1), st.sampled_from([-1.0, 0.0, 1.0]))
_r = st.one_of(st.floats(0, 0.999), st.just(0.0))


@settings(max_examples=300, deadline=None)
@given(_pd, _cov, _vol, _hor, _corr, _r, _corr)
def test_closed_forms_finite_and_bounded_over_the_declared_domains(pd, cov, vol, hor, rho, r, th):
    kw = dict(asset_corr=r, theta=th)
    for f in (lgd.lgd_corr, lgd.lgd_downturn, lgd.lgd_capital):
        v = f(pd, cov, vol, hor, rho, **kw)
        assert isinstance(v, float) and 0.0 <= v <= 1.0


_outside_unit = st.one_of(st.floats(max_value=0.0), st.floats(min_value=1.0),
                         st.just(float("nan")))
_outside_corr = st.one_of(st.floats(max_value=-1.0 - 1e-9), st.floats(min_value=1.0 + 1e-9),
                          st.just(float("nan")))


@settings(max_examples=100, deadline=None)
@given(_outside_unit, _outside_corr)
def test_out_of_domain_values_are_rejected_by_name(bad_pd, bad_rho):
    with pytest.raises(DomainError, match="^pd must be"):
        lgd.lgd_corr(bad_pd, 1.0, 0.4, 1.0, 0.5)
    with pytest.raises(DomainError, match="^rho_collateral must be"):
        lgd.lgd_corr(0.02, 1.0, 0.4, 1.0, bad_rho)
