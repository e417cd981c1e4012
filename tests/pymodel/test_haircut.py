"""Fire-sale haircut (§9.4) and Basel holding-period scaling (§9.2)."""

import math

import numpy as np
import pytest
from scipy.special import ndtri

from pymodel import haircut
from pymodel.errors import DomainError, InputError, InputTypeError


def test_components_by_hand():
    q, v, sig, days, y, cpu, val, conf, g = 10_000, 500, 0.5, 30, 1.2, 1500, 20_000, 0.99, 0.3
    out = haircut.firesale_components(q, v, sig, days_to_sell=days, impact_coef=y,
                                      cost_per_unit=cpu, unit_value=val, confidence=conf,
                                      value_decline=g)
    t = days / 252
    z = ndtri(conf)
    assert out["drift"] == pytest.approx(1 - (1 - g) ** t)
    h_vol = 1 - math.exp(-z * sig * math.sqrt(t) - sig ** 2 * t / 2)
    assert out["volatility"] == pytest.approx(h_vol)
    assert out["impact"] == pytest.approx(y * sig / math.sqrt(252) * math.sqrt(q / v))
    assert out["cost"] == pytest.approx(cpu / val)
    keep = np.prod([1 - out[k] for k in ("drift", "volatility", "impact", "cost")])
    assert out["total"] == pytest.approx(1 - keep)
    assert haircut.firesale_haircut(q, v, sig, days_to_sell=days, impact_coef=y,
                                    cost_per_unit=cpu, unit_value=val,
                                    value_decline=g) == out["total"]


def test_impact_cap_and_cost_cap():
    out = haircut.firesale_components(1e9, 1.0, 0.8, impact_cap=0.5, cost_per_unit=50,
                                      unit_value=10)
    assert out["impact"] == 0.5
    assert out["cost"] == 1.0 and out["total"] == 1.0


def test_haircut_rises_with_units_and_time_to_sell():
    units = np.array([10, 100, 1_000, 10_000, 100_000.0])
    h = haircut.firesale_haircut(units, 200, 0.5)
    assert np.all(np.diff(h) > 0)
    days = np.array([1, 5, 20, 60, 250.0])
    h = haircut.firesale_haircut(1000, 200, 0.5, days_to_sell=days)
    assert np.all(np.diff(h) > 0)
    assert np.all((h >= 0) & (h < 1))


def test_no_volatility_no_impact():
    out = haircut.firesale_components(100, 10, 0.0, value_decline=0.0)
    assert out["total"] == 0.0


def test_basel_linear_volatility_option():
    out = haircut.firesale_components(100, 10, 0.3, days_to_sell=10, vol_method="basel")
    assert out["volatility"] == pytest.approx(ndtri(0.99) * 0.3 / math.sqrt(252) * math.sqrt(10))
    capped = haircut.firesale_components(100, 10, 5.0, days_to_sell=250, vol_method="basel")
    assert capped["volatility"] == 1.0


def test_holding_period_scaling_basel():
    # Basel II para 162: 10-day haircut from a 5-day one, daily remargining
    assert haircut.holding_period_scale(0.08, 5, 10) == pytest.approx(0.08 * math.sqrt(2))
    # 20-day secured lending with revaluation every 5 business days
    h = haircut.holding_period_scale(0.10, 10, 20, remargin_days=5)
    assert h == pytest.approx(0.10 * math.sqrt(2) * math.sqrt((5 + 19) / 20))


@pytest.mark.parametrize("call, exc, msg", [
    (lambda: haircut.firesale_haircut(0, 10, 0.5), DomainError, r"units must be > 0; got 0"),
    (lambda: haircut.firesale_haircut(10, -1, 0.5), DomainError,
     r"daily_volume must be > 0; got -1"),
    (lambda: haircut.firesale_haircut(10, 1, -0.5), DomainError,
     r"annual_vol must be >= 0; got -0.5"),
    (lambda: haircut.firesale_haircut(10, 1, 0.5, days_to_sell=0), DomainError,
     r"days_to_sell must be > 0; got 0"),
    (lambda: haircut.firesale_haircut(10, 1, 0.5, confidence=1), DomainError,
     r"confidence must be in \(0, 1\); got 1"),
    (lambda: haircut.firesale_haircut(10, 1, 0.5, value_decline=1), DomainError,
     r"value_decline must be in \(-1, 1\); got 1"),
    (lambda: haircut.firesale_haircut(10, 1, 0.5, cost_per_unit=5), InputError,
     r"unit_value \(needed when cost_per_unit > 0\) is required; got an empty cell"),
    (lambda: haircut.firesale_haircut(10, 1, 0.5, vol_method="x"), InputTypeError,
     r"vol_method must be one of lognormal \| basel; got text 'x'"),
    (lambda: haircut.holding_period_scale(0.1, 10, 20, remargin_days=0), DomainError,
     r"remargin_days must be >= 1; got 0"),
])
def test_error_paths(call, exc, msg):
    with pytest.raises(exc, match=msg):
        call()


def test_almgren_impact_falls_with_time_and_optimal_horizon():
    kw = dict(impact_law="almgren", impact_coef=0.3, value_decline=0.3)
    h = haircut.firesale_components(50_000, 100, 0.6, days_to_sell=np.array([5, 20, 80.0]), **kw)
    assert np.all(np.diff(h["impact"]) < 0)
    expect = 0.3 * 0.6 / math.sqrt(252) * (50_000 / (100 * 20)) ** 0.6
    assert h["impact"][1] == pytest.approx(expect)
    days, best = haircut.optimal_days_to_sell(50_000, 100, 0.6, **kw)
    grid = np.exp(np.linspace(0, np.log(504), 400))
    tot = haircut.firesale_haircut(50_000, 100, 0.6, days_to_sell=grid, **kw)
    assert best <= tot.min() + 1e-9
    assert 1 < days < 504
    # square-root law: impact does not depend on time, so selling fastest is best
    d_sqrt, _ = haircut.optimal_days_to_sell(50_000, 100, 0.6, min_days=2)
    assert d_sqrt == 2
    with pytest.raises(InputError, match="days_to_sell must be empty"):
        haircut.optimal_days_to_sell(10, 1, 0.5, days_to_sell=5)
    with pytest.raises(InputTypeError,
                       match=r"impact_law must be one of sqrt \| almgren; got text .kyle."):
        haircut.firesale_haircut(10, 1, 0.5, impact_law="kyle")
