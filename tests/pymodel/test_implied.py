"""Market-implied deflation: round trips, Brent against scipy, and every way to have no answer."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import brentq

from pymodel import implied
from pymodel.errors import DomainError, InputTypeError, NotAvailableError
from pymodel.residual import income_value


def test_round_trip_scalar():
    for g in (-0.5, -0.1, 0.0, 0.05, 0.3, 0.6, 0.9):
        p = income_value(2.5, 0.85, 0.5, g, 0.10, salvage=500, max_life_years=7)
        assert implied.implied_deflation(p, 2.5, 0.85, 0.5, 0.10, salvage=500,
                                         max_life_years=7) == pytest.approx(g, abs=1e-9)


def test_round_trip_with_step_downs_and_tape():
    g = np.array([0.1, 0.2, 0.35, 0.5])
    kw = dict(salvage=900, max_life_years=7, step_years=[0.17, 1.17], step_downs=[0.19, 0.1])
    rent = np.array([2.35, 2.0, 3.0, 2.6])
    p = income_value(rent, 0.85, 0.5, g, 0.10, **kw)
    out = implied.implied_deflation(p, rent, 0.85, 0.5, 0.10, **kw)
    assert isinstance(out, np.ndarray) and out.shape == (4,)
    np.testing.assert_allclose(out, g, atol=1e-9)


@settings(max_examples=150, deadline=None)
@given(g=st.floats(-0.9, 0.95), rent=st.floats(0.5, 10), u=st.floats(0.3, 1.0),
       c_share=st.floats(0.0, 0.8), r=st.floats(0.0, 0.3), life=st.floats(0.5, 10),
       sv=st.floats(0, 2000))
def test_round_trip_property(g, rent, u, c_share, r, life, sv):
    c = c_share * u * rent
    p = income_value(rent, u, c, g, r, salvage=sv, max_life_years=life)
    res = implied.implied_deflation_table(p, rent, u, c, r, salvage=sv, max_life_years=life)
    if not res.solved[0]:       # only possible when the price sits at a flat edge of V
        assert "no implied deflation" in res.reason[0]
        return
    back = income_value(rent, u, c, res.deflation[0], r, salvage=sv, max_life_years=life)
    assert back == pytest.approx(p, rel=1e-8, abs=1e-6)
    assert -1 < res.deflation[0] < 1


def test_monotone_price_gives_monotone_g():
    prices = np.linspace(3000, 60000, 40)
    g = implied.implied_deflation(prices, 2.35, 0.85, 0.5, 0.10)
    assert np.all(np.diff(g) < 0)


def test_brent_matches_scipy_brentq():
    rng = np.random.default_rng(3)
    a = -rng.uniform(0.5, 2, 200)
    b = rng.uniform(0.5, 2, 200)
    c = rng.uniform(-0.4, 0.4, 200)

    def f(idx, x):
        return np.sinh(x) + x ** 3 - c[idx]

    idx = np.arange(200)
    roots = implied.brent_vectorised(f, a, b, f(idx, a), f(idx, b))
    expect = [brentq(lambda x, i=i: math.sinh(x) + x ** 3 - c[i], a[i], b[i], xtol=1e-12)
              for i in range(200)]
    np.testing.assert_allclose(roots, expect, atol=1e-10)


def test_brent_root_at_an_end_and_linear():
    def f(idx, x):
        return x - np.array([0.0, 1.0, 0.25])[idx]
    idx = np.arange(3)
    a, b = np.array([0.0, 0.0, 0.0]), np.array([1.0, 1.0, 1.0])
    np.testing.assert_allclose(implied.brent_vectorised(f, a, b, f(idx, a), f(idx, b)),
                               [0.0, 1.0, 0.25], atol=1e-12)


def test_price_above_any_value_is_na_with_reason():
    with pytest.raises(NotAvailableError) as e:
        implied.implied_deflation(5e7, 2.35, 0.85, 0.5, 0.10)
    assert e.value.excel_code == "#N/A"
    assert "market_price 50000000 is above the income value at any deflation" in str(e.value)


def test_price_below_salvage_floor_is_na_with_reason():
    with pytest.raises(NotAvailableError, match="market_price 100 is at or below"):
        implied.implied_deflation(100, 2.35, 0.85, 0.5, 0.10, salvage=900)


def test_gpu_that_earns_nothing_is_na():
    with pytest.raises(NotAvailableError, match=r"utilization x rent0 \(0.425\) <= cash_cost"):
        implied.implied_deflation(20000, 0.5, 0.85, 0.5, 0.10)
    with pytest.raises(NotAvailableError, match="earns nothing"):
        implied.implied_deflation(20000, 2.0, 0.0, 0.0, 0.10)


def test_overflow_is_na_not_inf():
    res = implied.implied_deflation_table(20000, 2.35, 0.85, 0.5, 0.0, max_life_years=5000)
    assert not res.solved[0] and "overflows" in res.reason[0]


def test_table_mixes_solved_and_unsolved_rows_without_nan_reasons():
    res = implied.implied_deflation_table([20000, 100, 5e7, 20000], [2.35, 2.35, 2.35, 0.3],
                                          0.85, 0.5, 0.10, salvage=900)
    assert list(res.solved) == [True, False, False, False]
    assert res.reason[0] == "" and all("(row " in r for r in res.reason[1:])
    assert np.isnan(res.deflation[1:]).all() and np.isfinite(res.deflation[0])
    with pytest.raises(NotAvailableError, match=r"\(row 2\)"):
        implied.implied_deflation([20000, 100], 2.35, 0.85, 0.5, 0.10, salvage=900)


def test_bad_inputs_name_the_argument():
    with pytest.raises(DomainError, match="market_price must be > 0; got 0"):
        implied.implied_deflation(0, 2.35, 0.85, 0.5, 0.10)
    with pytest.raises(InputTypeError, match="market_price must be a number"):
        implied.implied_deflation("20k", 2.35, 0.85, 0.5, 0.10)
    with pytest.raises(DomainError, match=r"utilization\[2\] must be in \[0, 1\]"):
        implied.implied_deflation(20000, 2.35, [0.8, 1.2], 0.5, 0.10)
    with pytest.raises(InputTypeError, match="same length"):
        implied.implied_deflation([1, 2, 3], [2.0, 2.1], 0.85, 0.5, 0.1)
    with pytest.raises(DomainError, match="market_price must be a finite number"):
        implied.implied_deflation(float("nan"), 2.35, 0.85, 0.5, 0.10)


def test_issue_example_used_h100_band():
    # one-year-old H100 SXM: rent 2.35 (1-year contract Mar 2026), the sample's other inputs
    kw = dict(salvage=900, max_life_years=7)
    g = implied.implied_deflation(np.array([22000, 25000]), 2.35, 0.85, 0.5, 0.10, **kw)
    assert 0.21 < g[1] < g[0] < 0.26
    gs = implied.implied_deflation(np.array([22000, 25000]), 2.35, 0.85, 0.5, 0.10,
                                   step_years=[0.17, 1.17], step_downs=[0.19, 0.10], **kw)
    assert 0.11 < gs[1] < gs[0] < 0.16
