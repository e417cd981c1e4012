"""Rent deflation fit: OLS against scipy, the volatility estimator, bases, g_mean, shipped data,
errors."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from pymodel.deflation import (MAX_FIT_POINTS, deflation_fit, load_h100_rents,
                               mean_deflation, to_day_numbers, trend_deflation)
from pymodel.errors import DomainError, InputTypeError


def test_exact_exponential_path():
    dates = pd.date_range("2024-01-01", periods=5, freq="365D")
    rents = 3.0 * 0.7 ** ((dates - dates[0]).days / 365.25)
    fit = deflation_fit(dates, rents)
    assert fit.g_trend == pytest.approx(0.30, abs=1e-12)
    assert fit.volatility == pytest.approx(0.0, abs=1e-7)
    assert fit.n_points == 5
    rising = deflation_fit(dates, 1.0 * 1.4 ** ((dates - dates[0]).days / 365.25))
    assert rising.g_trend == pytest.approx(-0.40, abs=1e-12)


def test_slope_matches_scipy_linregress():
    d = load_h100_rents("on-demand")
    t = (d["date"] - d["date"].min()).dt.days / 365.25
    ref = stats.linregress(t, np.log(d["rent"]))
    fit = deflation_fit(d["date"], d["rent"], d["basis"])
    assert fit.log_slope == pytest.approx(ref.slope, rel=1e-12)
    assert fit.g_trend == pytest.approx(1 - np.exp(ref.slope), rel=1e-12)
    resid = np.log(d["rent"]) - (ref.intercept + ref.slope * t)
    assert fit.residual_std == pytest.approx(np.sqrt((resid ** 2).sum() / (len(d) - 2)))
    assert fit.bases == ("on-demand",)


def test_volatility_recovers_brownian_sigma():
    """Simulated ln R = ln R0 - delta t + sigma W(t), weekly points over 10 years, seed 7."""
    rng = np.random.default_rng(7)
    n, sigma, delta = 520, 0.40, -np.log(0.7)
    dt_y = 7 / 365.25
    w = np.concatenate([[0.0], np.cumsum(rng.normal(0, np.sqrt(dt_y), n - 1))])
    t = np.arange(n) * dt_y
    dates = pd.Timestamp("2020-01-01") + pd.to_timedelta(np.arange(n) * 7, unit="D")
    fit = deflation_fit(dates, 2.5 * np.exp(-delta * t + sigma * w))
    assert fit.volatility == pytest.approx(sigma, rel=0.08)   # ~ 1/sqrt(2n) = 3% std error
    assert fit.g_trend == pytest.approx(0.30, abs=0.25)     # drift is poorly identified


def test_same_date_observations_are_averaged_for_volatility():
    dates = ["2024-01-01", "2024-01-01", "2025-01-01", "2026-01-01"]
    years = (pd.to_datetime(dates) - pd.Timestamp(dates[0])).days / 365.25
    fit = deflation_fit(dates, 2.0 * 0.7 ** years)
    assert fit.n_points == 4 and fit.volatility == pytest.approx(0.0, abs=1e-7)
    hand = deflation_fit(["2024-01-01", "2024-07-01", "2025-01-01"], [2.0, 2.2, 1.5])
    days = np.array([0, 182, 366]) / 365.25
    y = np.log([2.0, 2.2, 1.5])
    b, a = np.polyfit(days, y, 1)
    e = y - (a + b * days)
    expected = np.sqrt(((e[1] - e[0]) ** 2 / days[1]
                        + (e[2] - e[1]) ** 2 / (days[2] - days[1])) / 1)
    assert hand.volatility == pytest.approx(expected, rel=1e-10)


def test_date_forms_agree():
    """Excel serials, datetimes, dates, datetime64 and ISO text are the same dates."""
    iso = ["2024-01-01", "2024-10-15", "2025-10-15", "2026-03-15"]
    rents = [3.0, 2.99, 1.7, 2.35]
    serials = [(pd.Timestamp(s) - pd.Timestamp("1899-12-30")).days for s in iso]
    assert serials[0] == 45292          # Excel: =DATE(2024,1,1) is 45292
    base = deflation_fit(iso, rents)
    for form in (serials, [float(s) for s in serials],
                 [dt.datetime.fromisoformat(s) for s in iso],
                 [dt.date.fromisoformat(s) for s in iso],
                 np.array(iso, dtype="datetime64[D]"),
                 [float(serials[0]), dt.datetime(2024, 10, 15), "2025-10-15", serials[3]]):
        fit = deflation_fit(form, rents)
        assert fit.g_trend == pytest.approx(base.g_trend, rel=1e-12)
        assert fit.volatility == pytest.approx(base.volatility, rel=1e-12)
    assert to_day_numbers("d", dt.date(1900, 1, 1)).tolist() == [2.0]   # Excel's leap bug


def test_shipped_h100_observations():
    d = load_h100_rents()
    assert len(d) >= 25 and d["source"].str.len().min() > 10 and d["url"].str.startswith(
        "http").all()
    assert {"spot", "1-year contract", "index", "on-demand"} <= set(d["basis"])
    assert "hyperscaler" not in set(d["segment"]) and d["date"].is_monotonic_increasing
    with pytest.raises(InputTypeError, match="basis must be one basis .*got a mix of "
                                             "on-demand"):
        deflation_fit(d["date"], d["rent"], d["basis"])
    # regression values: per basis the shipped H100 rents fell far less than 30% a year
    od = deflation_fit(d["date"], d["rent"], d["basis"], fit_basis="on-demand")
    assert od.g_trend == pytest.approx(0.1264, abs=5e-4) and od.n_points == 21
    contract = deflation_fit(d["date"], d["rent"], d["basis"], fit_basis="1-year contract")
    assert contract.g_trend == pytest.approx(0.0709, abs=5e-4) and contract.n_points == 4
    both = deflation_fit(d["date"], d["rent"], d["basis"], fit_basis="all")
    assert set(both.bases) == set(d["basis"]) and both.n_points == len(d)
    assert len(load_h100_rents("1-year contract")) == 4


def test_g_mean_is_the_decline_of_the_lognormal_mean():
    fit = deflation_fit(["2024-01-01", "2024-07-01", "2025-01-01"], [2.0, 2.2, 1.5])
    assert fit.g_mean == pytest.approx(1 - (1 - fit.g_trend) * np.exp(fit.volatility ** 2 / 2))
    assert fit.row() == [fit.g_trend, fit.volatility, 3.0, fit.g_mean]
    # the example: g_trend 0.28 with sigma 0.62 is a mean decline of about 0.13
    assert mean_deflation(0.28, 0.62) == pytest.approx(0.1274, abs=1e-4)
    np.testing.assert_allclose(trend_deflation(mean_deflation([0.1, 0.3, -0.2], 0.5), 0.5),
                               [0.1, 0.3, -0.2], atol=1e-14)
    # Monte Carlo: rents lognormal around the trend decline at g_mean on average
    rng = np.random.default_rng(3)
    g, sigma, t = 0.3, 0.6, 2.0
    r = 2.0 * (1 - g) ** t * np.exp(sigma * np.sqrt(t) * rng.standard_normal(400_000))
    assert r.mean() == pytest.approx(2.0 * (1 - mean_deflation(g, sigma)) ** t, rel=0.01)
    assert np.median(r) == pytest.approx(2.0 * (1 - g) ** t, rel=0.01)
    with pytest.raises(DomainError, match="volatility must be >= 0"):
        mean_deflation(0.3, -0.1)


def test_bases_fixed_effects_and_restriction():
    days = [0.0, 0.0, 365.25, 365.25, 730.5, 730.5, 1095.75]
    basis = ["spot", "1-year contract"] * 3 + ["spot"]
    rents = [3.0, 2.0, 2.4, 1.7, 1.5, 1.3, 1.2]
    fit = deflation_fit(days, rents, basis, fit_basis="all")
    t = np.array(days) / 365.25
    x = np.column_stack([t, [b == "spot" for b in basis], [b != "spot" for b in basis]])
    coef = np.linalg.lstsq(x, np.log(rents), rcond=None)[0]
    assert fit.log_slope == pytest.approx(coef[0], rel=1e-12)
    resid = np.log(rents) - x @ coef
    qv = 0.0
    for b in ("spot", "1-year contract"):
        m = np.array([x == b for x in basis])
        qv += (np.diff(resid[m]) ** 2 / np.diff(t[m])).sum()
    assert fit.volatility == pytest.approx(np.sqrt(qv / (5 - 1)), rel=1e-12)
    spot = deflation_fit(days, rents, basis, fit_basis="Spot")
    ref = deflation_fit([0, 365.25, 730.5, 1095.75], [3.0, 2.4, 1.5, 1.2])
    assert spot.row() == pytest.approx(ref.row(), rel=1e-12) and spot.bases == ("spot",)
    one = deflation_fit(days[::2], rents[::2], "spot")
    assert one.bases == ("spot",)
    with pytest.raises(InputTypeError, match=r"basis must be one basis .*got a mix of spot "
                                             r"\(4\), 1-year contract \(3\)"):
        deflation_fit(days, rents, basis)
    with pytest.raises(InputTypeError, match="fit_basis must be a basis of the observations"):
        deflation_fit(days, rents, basis, fit_basis="index")
    with pytest.raises(InputTypeError, match="fit_basis must be one of spot"):
        deflation_fit(days, rents, basis, fit_basis="weekly")
    with pytest.raises(InputTypeError, match="fit_basis must be given with basis labels"):
        deflation_fit(days, rents, fit_basis="spot")
    with pytest.raises(InputTypeError, match=r"basis\[2\] must be one of spot"):
        deflation_fit(days, rents, ["spot", "daily"] + basis[2:])
    with pytest.raises(InputTypeError, match="basis must have the same length as dates"):
        deflation_fit(days, rents, basis[:3])
    with pytest.raises(DomainError, match="dates must have at least 3 distinct"):
        deflation_fit(days[:4], rents[:4], basis[:4], fit_basis="spot")   # 2 spot dates
def test_errors():
    ok = ["2024-01-01", "2025-01-01", "2026-01-01"]
    with pytest.raises(InputTypeError, match=r"rents must be a number; got text 'abc'"):
        deflation_fit(ok, [2.0, "abc", 1.0])
    with pytest.raises(DomainError, match=r"rents\[3\] must be > 0; got 0"):
        deflation_fit(ok, [2.0, 1.0, 0.0])
    with pytest.raises(InputTypeError, match=r"dates\[2\] must be a date or a day number; "
                                             r"got text 'soon'"):
        deflation_fit(["2024-01-01", "soon", "2026-01-01"], [2, 1, 1])
    with pytest.raises(InputTypeError, match=r"dates\[1\] must be a date or a day number; "
                                             r"got TRUE"):
        deflation_fit([True, 2, 3], [2, 1, 1])
    with pytest.raises(InputTypeError, match=r"rents must have the same length as dates "
                                             r"\(3\); got 2"):
        deflation_fit(ok, [2.0, 1.0])
    with pytest.raises(DomainError, match=r"dates must have at least 3 distinct values; "
                                          r"got 2"):
        deflation_fit(["2024-01-01", "2024-01-01", "2025-01-01"], [2, 1, 1])
    with pytest.raises(InputTypeError, match=r"dates\[3\] must be on or after dates\[2\] "
                                             r"\(2026-01-01\): dates oldest first; got "
                                             r"2025-01-01"):
        deflation_fit(["2024-01-01", "2026-01-01", "2025-01-01"], [2, 1, 1])
    with pytest.raises(DomainError, match=r"fitted deflation must be in \(-1, 1\) .*; got -2"):
        deflation_fit([0, 365.25, 730.5], [1.0, 3.0, 9.0])
    n = MAX_FIT_POINTS + 1
    with pytest.raises(InputTypeError, match=rf"rents must have at most {MAX_FIT_POINTS} "
                                             rf"values; got {n}"):
        deflation_fit(np.arange(n, dtype=float), np.ones(n))
