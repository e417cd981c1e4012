"""Rent deflation fit: OLS against scipy, the volatility estimator, shipped data, errors."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from pymodel.deflation import (MAX_FIT_POINTS, deflation_fit, load_h100_rents,
                               to_day_numbers)
from pymodel.errors import DomainError, InputTypeError


def test_exact_exponential_path():
    dates = pd.date_range("2024-01-01", periods=5, freq="365D")
    rents = 3.0 * 0.7 ** ((dates - dates[0]).days / 365.25)
    fit = deflation_fit(dates, rents)
    assert fit.deflation == pytest.approx(0.30, abs=1e-12)
    assert fit.volatility == pytest.approx(0.0, abs=1e-7)
    assert fit.n_points == 5
    rising = deflation_fit(dates, 1.0 * 1.4 ** ((dates - dates[0]).days / 365.25))
    assert rising.deflation == pytest.approx(-0.40, abs=1e-12)


def test_slope_matches_scipy_linregress():
    d = load_h100_rents()
    t = (d["date"] - d["date"].min()).dt.days / 365.25
    ref = stats.linregress(t, np.log(d["rent"]))
    fit = deflation_fit(d["date"], d["rent"])
    assert fit.log_slope == pytest.approx(ref.slope, rel=1e-12)
    assert fit.deflation == pytest.approx(1 - np.exp(ref.slope), rel=1e-12)
    resid = np.log(d["rent"]) - (ref.intercept + ref.slope * t)
    assert fit.residual_std == pytest.approx(np.sqrt((resid ** 2).sum() / (len(d) - 2)))


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
    assert fit.deflation == pytest.approx(0.30, abs=0.25)     # drift is poorly identified


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
        assert fit.deflation == pytest.approx(base.deflation, rel=1e-12)
        assert fit.volatility == pytest.approx(base.volatility, rel=1e-12)
    assert to_day_numbers("d", dt.date(1900, 1, 1)).tolist() == [2.0]   # Excel's leap bug


def test_shipped_h100_observations():
    d = load_h100_rents()
    assert len(d) == 10 and d["source"].str.len().min() > 10
    assert {"spot", "1-year contract", "index", "on-demand"} <= set(d["basis"])
    fit = deflation_fit(d["date"], d["rent"])
    # regression value: the whole mixed sample declines ~28% a year (Epoch anchor: 30%)
    assert fit.deflation == pytest.approx(0.2813, abs=5e-4)
    assert fit.volatility == pytest.approx(0.620, abs=5e-3)
    contract = load_h100_rents("1-year contract")
    assert len(contract) == 3 and set(contract["basis"]) == {"1-year contract"}


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
    with pytest.raises(DomainError, match=r"fitted deflation must be in \(-1, 1\) .*; got -2"):
        deflation_fit([0, 365.25, 730.5], [1.0, 3.0, 9.0])
    n = MAX_FIT_POINTS + 1
    with pytest.raises(InputTypeError, match=rf"rents must have at most {MAX_FIT_POINTS} "
                                             rf"values; got {n}"):
        deflation_fit(np.arange(n, dtype=float), np.ones(n))
