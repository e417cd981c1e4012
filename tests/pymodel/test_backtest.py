"""Rolling-origin backtest: synthetic markets whose truth is known, no look-ahead, bad input."""

import numpy as np
import pandas as pd
import pytest

from pymodel import backtest as bt
from pymodel.catalogue import load_catalogue
from pymodel.errors import DomainError, InputTypeError, NotAvailableError
from pymodel.market import COLUMNS, validate_market_evidence
from pymodel.residual import economic_value_path


def _evidence(dates, values, *, sku="H100 SXM", basis="1-year contract"):
    unit = "USD per GPU" if basis in ("used sale", "list", "refurbished") else "USD per GPU-hour"
    rows = [{"date": d.strftime("%Y-%m-%d"), "sku": sku, "variant": "synthetic",
             "basis": basis, "segment": "secondary" if unit == "USD per GPU" else "neocloud",
             "value": repr(float(v)), "low": "", "high": "", "unit": unit, "estimate": "false",
             "date_precision": "day", "what": "synthetic", "source": "D: synthetic",
             "url": "http://example.invalid"} for d, v in zip(dates, values)]
    return validate_market_evidence(pd.DataFrame(rows, columns=list(COLUMNS)))


def _monthly(years, start="2012-01-15"):
    return pd.date_range(start, periods=years * 12, freq="MS") + pd.Timedelta(days=14)


def _gbm_rents(g, sigma, seed, years=15, r0=3.0):
    dates = _monthly(years)
    t = (dates - dates[0]).days / 365.25
    dt = np.diff(np.asarray(t, dtype=float), prepend=0.0)
    w = np.cumsum(np.random.default_rng(seed).normal(0.0, np.sqrt(dt)))
    return dates, r0 * (1 - g) ** np.asarray(t) * np.exp(sigma * w)


def _pooled(res):
    s = res.summary
    return s[(s["sku"] == "all") & (s["basis"] == "all")].set_index(
        ["quantity", "horizon_months", "method"])


def _mean_h(res, horizon):
    f = res.forecasts
    return f[(f["method"] == "model") & (f["horizon_months"] == horizon)]["h_years"].mean()


@pytest.fixture(scope="module")
def true_model():
    """Rents falling exactly at the model's g = 0.30, plus lognormal noise."""
    return [bt.backtest(_evidence(*_gbm_rents(0.30, 0.15, seed)), deflation=0.30)
            for seed in range(3)]


def test_model_is_unbiased_and_random_walk_bias_is_the_drift(true_model):
    delta = -np.log(0.7)
    for horizon in (6, 12, 24):
        model = np.mean([_pooled(r).loc[("rent", horizon, "model"), "bias"]
                         for r in true_model])
        rw = np.mean([_pooled(r).loc[("rent", horizon, "random walk"), "bias"]
                      for r in true_model])
        drift = np.mean([delta * _mean_h(r, horizon) for r in true_model])
        assert abs(model) < 0.05, (horizon, model)
        assert rw == pytest.approx(drift, abs=0.05), (horizon, rw, drift)


def test_model_wins_and_intervals_cover_about_the_nominal_share(true_model):
    for horizon in (12, 24):
        for r in true_model:
            p = _pooled(r)
            assert p.loc[("rent", horizon, "model"), "male"] < \
                p.loc[("rent", horizon, "random walk"), "male"]
        cov = np.mean([_pooled(r).loc[("rent", horizon, "model"), "coverage"]
                       for r in true_model])
        assert 0.65 < cov < 0.95, (horizon, cov)
    fitted = np.mean([_pooled(r).loc[("rent", 12, "model (fitted g)"), "bias"]
                      for r in true_model])
    assert abs(fitted) < 0.06


def test_flat_market_makes_the_random_walk_win():
    res = bt.backtest(_evidence(*_gbm_rents(0.0, 0.10, 11)), deflation=0.30)
    p = _pooled(res)
    for horizon in (6, 12, 24):
        assert abs(p.loc[("rent", horizon, "random walk"), "bias"]) < 0.06
        assert p.loc[("rent", horizon, "model"), "bias"] == pytest.approx(
            np.log(0.7) * _mean_h(res, horizon), abs=0.06)
        assert p.loc[("rent", horizon, "random walk"), "male"] < \
            p.loc[("rent", horizon, "model"), "male"]


def test_value_forecast_is_exact_when_prices_follow_the_model():
    """Deterministic rents at g and used prices equal to kappa x the income value: the
    model's value forecast (anchored on the observed price) has no error, its level is off by
    exactly -ln(kappa), and the straight line is wrong."""
    g, kappa = 0.25, 1.6
    dates = _monthly(4, start="2023-01-15")
    spec = load_catalogue().set_index("sku").loc["H100 SXM"]
    volume = pd.Timestamp(spec["volume_date"])
    t = np.asarray((dates - dates[0]).days / 365.25)
    rents = 3.0 * (1 - g) ** t
    c = bt.cash_cost_from_power(spec["system_kw_per_gpu"])
    age0 = (dates[0] - volume).days / 365.25
    v = economic_value_path(t, 3.0, 0.85, c, g, 0.10,
                            salvage=bt.SALVAGE_SHARE * spec["ref_price"],
                            max_life_years=bt.PHYSICAL_LIFE_YEARS - age0)
    ev = pd.concat([_evidence(dates, rents), _evidence(dates, kappa * v, basis="used sale")],
                   ignore_index=True)
    res = bt.backtest(ev, deflation=g)
    f = res.forecasts[res.forecasts["quantity"] == "value"]
    assert len(f) > 50
    np.testing.assert_allclose(f[f["method"] == "model"]["log_error"], 0.0, atol=1e-9)
    np.testing.assert_allclose(f[f["method"] == "model (level)"]["log_error"],
                               -np.log(kappa), atol=1e-9)
    assert f[f["method"] == "straight line"]["log_error"].abs().max() > 0.05


def test_no_look_ahead():
    dates, rents = _gbm_rents(0.3, 0.2, 5, years=4)
    base = bt.backtest(_evidence(dates, rents)).forecasts
    shocked = rents.copy()
    shocked[-1] *= 5.0
    after = bt.backtest(_evidence(dates, shocked)).forecasts
    keep = base["target"] < dates[-1]
    pd.testing.assert_frame_equal(base[keep].reset_index(drop=True),
                                  after[after["target"] < dates[-1]].reset_index(drop=True))


def test_each_basis_is_its_own_series():
    dates, rents = _gbm_rents(0.0, 0.05, 2, years=3)
    ev = pd.concat([_evidence(dates, rents), _evidence(dates, rents * 3, basis="spot")],
                   ignore_index=True)
    f = bt.backtest(ev).forecasts
    rw = f[f["method"] == "random walk"]
    assert set(rw["basis"]) == {"1-year contract", "spot"}
    ratio = rw["forecast"] / rw["actual"]
    assert ratio.max() < 2.0 and ratio.min() > 0.5   # a spot target is never forecast from
                                                    # a contract origin (3x apart)


def test_shipped_evidence_runs_and_reports_every_horizon_and_benchmark():
    res = bt.backtest()
    s = res.summary
    assert tuple(s.columns) == bt.SUMMARY_COLUMNS
    pooled = s[(s["sku"] == "all") & (s["basis"] == "all") & (s["quantity"] == "rent")]
    assert set(pooled["horizon_months"]) == {6, 12, 24}
    assert {"model", "random walk", "straight line"} <= set(pooled["method"])
    assert set(res.series["sku"]) == {"A100 SXM", "H100 SXM"}
    assert not res.forecasts["log_error"].isna().any()
    assert (res.forecasts["h_years"] > 0.24).all() and (res.forecasts["h_years"] < 3.01).all()


def test_bad_input():
    with pytest.raises(DomainError, match="deflation must be in"):
        bt.backtest(deflation=1.5)
    with pytest.raises(DomainError, match="interval_coverage must be in"):
        bt.backtest(interval_coverage=1.0)
    with pytest.raises(InputTypeError, match="sku"):
        bt.backtest(skus=["TPU"])
    with pytest.raises(InputTypeError, match="basis must be one of"):
        bt.backtest(basis=["weekly"])
    two = _evidence(_monthly(1)[:2], [2.0, 1.9])      # one month apart: nothing to score
    with pytest.raises(NotAvailableError, match="no pair of observations"):
        bt.backtest(two)
