"""Operating flexibility: the option to idle GPUs (Black call on a lognormal rent, quadrature),
checked against Monte Carlo, quad, its limits and its monotonicity."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate

from pymodel import flexibility as fx
from pymodel import residual
from pymodel.errors import DomainError, InputError

KW = dict(salvage=900.0, max_life_years=7.0)


def _cols(rent0, u, c, g, sigma, a):
    col = lambda x: np.array([[float(x)]])   # noqa: E731
    return [col(rent0), col(u), col(c), col(-np.log1p(-g)), col(sigma), col(a)]


def test_off_by_default_and_zero_without_uncertainty_or_avoidable_cost():
    base = residual.income_value(2.35, 0.85, 0.5, 0.25, 0.1, **KW)
    assert residual.income_value(2.35, 0.85, 0.5, 0.25, 0.1, **KW, rent_vol=0.4) == base
    for vol, share in ((0.0, 0.5), (0.4, 0.0)):
        opt, _ = residual.idle_option(2.35, 0.85, 0.5, 0.25, 0.1, vol, share, **KW)
        assert opt == 0.0
    on = residual.income_value(2.35, 0.85, 0.5, 0.25, 0.1, **KW, operating_flexibility=True,
                               rent_vol=0.0)
    assert on == pytest.approx(base, rel=1e-12)
    with_steps = dict(KW, step_years=[0.5, 1.5], step_downs=[0.2, 0.1])
    assert residual.idle_option(2.35, 0.85, 0.5, 0.25, 0.1, 0.0, 1.0, **with_steps)[0] == 0.0


def test_no_option_quadrature_equals_the_closed_form_at_zero_volatility():
    """W(0, T*) with sigma = 0 is the exact closed-form income value (segments, salvage)."""
    tau = np.array([[0.5, 1.5]])
    j = np.array([[0.2, 0.1]])
    cols = _cols(2.35, 0.85, 0.5, 0.25, 0.0, 0.0)
    life = np.array([7.0])
    t0 = fx._life(cols, life, tau, j)
    w = fx._worth(cols, np.array([np.log1p(0.1)]), np.array([900.0]), t0, tau, j)[0]
    exact = residual.income_value(2.35, 0.85, 0.5, 0.25, 0.1, salvage=900.0, max_life_years=7,
                                  step_years=[0.5, 1.5], step_downs=[0.2, 0.1])
    assert w == pytest.approx(exact, rel=1e-10)
    assert t0[0] == pytest.approx(residual.economic_life(
        2.35, 0.85, 0.5, 0.25, max_life_years=7, step_years=[0.5, 1.5],
        step_downs=[0.2, 0.1]), abs=1e-9)


def test_expected_margin_is_a_black_call_and_quadrature_matches_quad():
    cols = _cols(2.35, 0.85, 0.5, 0.25, 0.45, 0.6)
    none = np.zeros((1, 0))
    rng = np.random.default_rng(5)
    t = 1.7
    trend = 2.35 * 0.75 ** t
    r = trend * np.exp(0.45 * np.sqrt(t) * rng.standard_normal(2_000_000))
    mc = np.maximum(0.85 * r - 0.6 * 0.5, 0).mean() - 0.4 * 0.5
    f = fx._margin(*cols, np.array([[t]]), none, none)[0, 0]
    assert f == pytest.approx(mc, abs=4e-3)
    k = np.log1p(0.1)
    w = fx._worth(cols, np.array([k]), np.array([900.0]), np.array([4.0]), none, none)[0]
    ref = 8760 * integrate.quad(lambda s: fx._margin(*cols, np.array([[s]]), none, none)[0, 0]
                                * np.exp(-k * s), 0, 4.0, epsabs=1e-12)[0]
    assert w == pytest.approx(ref + 900 * np.exp(-4 * k), rel=1e-10)


def test_option_against_monte_carlo():
    """Simulated rent paths, idled whenever u R < a c, kept to the model's life: the value of
    W(a, T) and of W(0, T) agree with simulation within 3 standard errors."""
    rent0, u, c, g, r, sig, a, sv, life = 2.35, 0.85, 0.5, 0.3, 0.1, 0.4, 0.6, 900.0, 7.0
    cols = _cols(rent0, u, c, g, sig, a)
    none = np.zeros((1, 0))
    t_a = fx._life(cols, np.array([life]), none, none)[0]
    w = fx._worth(cols, np.array([np.log1p(r)]), np.array([sv]), np.array([t_a]), none,
                  none)[0]
    rng = np.random.default_rng(11)
    nt, n = 300, 40_000
    ts = (np.arange(nt) + 0.5) / nt * t_a
    inc = np.diff(np.concatenate([[0.0], ts]))
    w_paths = np.cumsum(rng.standard_normal((n, nt)) * np.sqrt(inc), axis=1)
    rent = rent0 * (1 - g) ** ts * np.exp(sig * w_paths)
    cash = (np.maximum(u * rent - a * c, 0) - (1 - a) * c) * (1 + r) ** -ts
    sim = 8760 * cash.sum(1) * (t_a / nt) + sv * (1 + r) ** -t_a
    assert abs(sim.mean() - w) < 3 * sim.std() / np.sqrt(n) + 0.002 * w


@settings(max_examples=60, deadline=None)
@given(rent=st.floats(0.5, 5), c_share=st.floats(0.05, 0.95), g=st.floats(-0.2, 0.6),
       vol=st.floats(0.0, 1.0), share=st.floats(0.0, 1.0), sv=st.floats(0, 2000),
       life=st.floats(0.5, 9))
def test_option_is_never_negative(rent, c_share, g, vol, share, sv, life):
    c = c_share * 0.85 * rent
    opt, t = residual.idle_option(rent, 0.85, c, g, 0.1, vol, share, salvage=sv,
                                  max_life_years=life)
    assert opt >= 0 and 0 <= t <= life + 1e-12


def test_option_rises_with_volatility_and_avoidable_share():
    vols = np.array([0.1, 0.3, 0.6, 1.0])
    opt, _ = residual.idle_option(2.0, 0.85, 0.5, 0.25, 0.1, vols, 0.6, **KW)
    assert np.all(np.diff(opt) > 0)
    shares = np.array([0.1, 0.3, 0.6, 1.0])
    opt, _ = residual.idle_option(2.0, 0.85, 0.5, 0.25, 0.1, 0.5, shares, **KW)
    assert np.all(np.diff(opt) > 0)


def test_tape_equals_rows_and_value_adds_the_option():
    rent = np.array([2.35, 1.2, 3.0])
    vol = np.array([0.3, 0.6, 0.2])
    tape = residual.income_value(rent, 0.85, 0.5, 0.25, 0.1, **KW, operating_flexibility=True,
                                 rent_vol=vol)
    rows = [residual.income_value(rr, 0.85, 0.5, 0.25, 0.1, **KW, operating_flexibility=True,
                                  rent_vol=v) for rr, v in zip(rent, vol)]
    np.testing.assert_allclose(tape, rows, rtol=1e-12)
    out = fx.flexible_value(2.35, 0.85, 0.5, 0.25, 0.1, 0.4, **KW)
    assert out["value"] == pytest.approx(out["base_value"] + out["option_value"])
    assert out["base_value"] == residual.income_value(2.35, 0.85, 0.5, 0.25, 0.1, **KW)


def test_bad_input():
    with pytest.raises(InputError, match="rent_vol .*needed when operating_flexibility is TRUE"):
        residual.income_value(2.35, 0.85, 0.5, 0.25, 0.1, operating_flexibility=True)
    with pytest.raises(DomainError, match=r"rent_vol must be >= 0; got -0.1"):
        residual.idle_option(2.35, 0.85, 0.5, 0.25, 0.1, -0.1)
    with pytest.raises(DomainError, match=r"avoidable_share\[2\] must be in \[0, 1\]"):
        residual.idle_option(2.35, 0.85, 0.5, 0.25, 0.1, 0.4, [0.2, 1.2])
