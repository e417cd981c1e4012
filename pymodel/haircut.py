"""Fire-sale (liquidation) haircut of collateral sold into a thin secondary market.

§9.4 (composite model [D]) with the square-root impact law of §9.1 and the
Basel holding-period scaling of §9.2:

H_total = 1 - (1 - H_drift)(1 - H_vol)(1 - H_impact)(1 - H_cost)

* H_drift = 1 - (1 - g)^T: expected annual decline g of the unit value (``value_decline``)
  over the time to sell T (years = business days / 252);
* H_vol = 1 - exp(-z sigma sqrt(T) - sigma^2 T / 2): lognormal value-at-risk at confidence
  level alpha, z = Phi^-1(alpha), sigma the annual volatility (``vol_method="lognormal"``); or
  the Basel linear form min(1, z sigma_d sqrt(days)) (``vol_method="basel"``);
* H_impact = min(Y sigma_d sqrt(Q / V), cap), sigma_d = sigma / sqrt(252): square-root impact of
  selling Q units into a market trading V units a day;
* H_cost = min(1, cost per unit / value per unit).

The **expected** haircut, H_expected = 1 - (1 - H_drift)(1 - H_impact)(1 - H_cost), is what a
lender expects to lose to the sale itself. The volatility term is a value-at-risk (a quantile,
not an expectation): feed H_expected, not H_total, into an expected-LGD coverage whose model
already applies the collateral volatility (LGD_CORR, LGD_MC), or the volatility is counted
twice.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.special import ndtri

from .errors import InputError
from .irb import broadcast_named
from .schema import (DEFLATION, NONNEG, OPEN_UNIT, POS, SCHEMA, UNIT_OPEN_HI, Param, declare)
from .validation import Interval, check

__all__ = ["TRADING_DAYS", "COMPONENTS", "firesale_haircut", "firesale_components",
           "holding_period_scale", "optimal_days_to_sell", "P"]

TRADING_DAYS = 252.0
#: Order of the components in :func:`firesale_components` (total, then the expected part).
COMPONENTS = ("total", "expected", "drift", "volatility", "impact", "cost")

#: Parameters of the fire-sale haircut (§9.1, §9.2 and §9.4).
P = declare(
    Param("units", "units", "Number of units Q to sell (GPUs, BTC, ...)", POS),
    Param("daily_volume", "units a business day", "Units the secondary market trades a "
          "business day, V", POS),
    Param("annual_vol", "decimal per sqrt(year)", "Annual volatility sigma of the unit price",
          NONNEG),
    Param("days_to_sell", "business days", "Time to sell the units (liquidation horizon)",
          POS, default=20.0,
          source="P: Basel II para 167, 20-day holding period for secured lending"),
    Param("impact_coef", "factor", "Square-root impact coefficient Y (eta of the Almgren law)",
          NONNEG, default=1.0, source="P: Maitrier et al. 2025, Y of order 1"),
    Param("cost_per_unit", "currency per unit", "De-installation, transport, refurbishment "
          "and broker cost per unit", NONNEG, default=0.0, source="D: none"),
    Param("unit_value", "currency per unit", "Orderly value of one unit", POS, default=None,
          empty="none; needed when cost_per_unit > 0"),
    Param("confidence", "decimal", "Confidence level of the volatility haircut", OPEN_UNIT,
          default=0.99, source="P: Basel II para 156, 99%"),
    Param("value_decline", "decimal per year", "Expected annual decline g of the unit value "
          "while selling (negative = rising)", DEFLATION, default=0.25,
          source="D: the rent deflation default (docs/model.md 2.3)"),
    Param("impact_cap", "decimal", "Cap on the market-impact haircut", UNIT_OPEN_HI,
          default=0.9, source="D: a sale always recovers something"),
    Param("vol_method", "", "Volatility haircut: lognormal value-at-risk (below 1) or the "
          "Basel linear square-root-of-time form (capped at 1)", default="lognormal",
          source="D: bounded below 1", kind="choice", choices=("lognormal", "basel")),
    Param("impact_law", "", "Market impact: square-root law or Almgren et al. temporary "
          "impact", default="sqrt", source="P: Maitrier et al. 2025", kind="choice",
          choices=("sqrt", "almgren")),
    Param("haircut", "decimal", "Haircut H_N for a holding period of from_days business days",
          NONNEG),
    Param("from_days", "business days", "Holding period T_N of the given haircut", POS),
    Param("to_days", "business days", "Holding period T_M of the haircut wanted", POS),
    Param("remargin_days", "business days", "Business days N_R between revaluations",
          Interval(1, None), default=1.0, source="P: Basel II para 166, daily revaluation"),
    Param("min_days", "business days", "Shortest time to sell searched", POS, default=1.0,
          source="D: one business day"),
    Param("max_days", "business days", "Longest time to sell searched", POS,
          default=2.0 * TRADING_DAYS, source="D: two years"),
)
D = {n: p.default for n, p in P.items() if p.has_default}


def firesale_components(units: Any, daily_volume: Any, annual_vol: Any, *,
                        days_to_sell: Any = D["days_to_sell"],
                        impact_coef: Any = D["impact_coef"],
                        cost_per_unit: Any = D["cost_per_unit"],
                        unit_value: Any = D["unit_value"],
                        confidence: Any = D["confidence"],
                        value_decline: Any = D["value_decline"],
                        impact_cap: Any = D["impact_cap"],
                        vol_method: str = D["vol_method"],
                        impact_law: str = D["impact_law"]) -> dict[str, Any]:
    """Fire-sale haircut and its components, as decimals of the orderly value.

    Parameters
    ----------
    units : float or array_like
        Units Q to sell (e.g. GPUs), > 0.
    daily_volume : float or array_like
        Units the secondary market trades per business day V, > 0.
    annual_vol : float or array_like
        Annual volatility of the unit price sigma, decimal per sqrt(year), >= 0.
    days_to_sell : float or array_like, optional
        Time to complete the sale in business days (252 a year), > 0 (default 20, the Basel II
        holding period for secured lending).
    impact_coef : float or array_like, optional
        Square-root impact coefficient Y >= 0 (default 1).
    cost_per_unit : float or array_like, optional
        De-installation, transport, refurbishment and broker costs per unit, currency >= 0
        (default 0).
    unit_value : float or array_like, optional
        Orderly value per unit, currency > 0; required when ``cost_per_unit`` > 0.
    confidence : float or array_like, optional
        Confidence level alpha of the volatility haircut, in (0, 1) (default 0.99).
    value_decline : float or array_like, optional
        Expected annual decline g of the unit value during the sale, in (-1, 1) (default
        0.30, the rent deflation default).
    impact_cap : float, optional
        Cap on the impact haircut, in [0, 1) (default 0.9).
    vol_method : {"lognormal", "basel"}, optional
        Lognormal VaR (bounded below 1) or the Basel linear sqrt-time form capped at 1.
    impact_law : {"sqrt", "almgren"}, optional
        Square-root law Y sigma_d sqrt(Q/V) (default, independent of the time to sell) or the
        Almgren et al. temporary-impact form eta sigma_d (Q / (V T_d))^(3/5) with T_d =
        ``days_to_sell`` and eta = ``impact_coef`` (take eta from the paper's fit).

    Returns
    -------
    dict
        ``total`` (all four components, the volatility one a value-at-risk), ``expected``
        (drift, impact and cost only: the input for an expected-LGD coverage), ``drift``,
        ``volatility``, ``impact``, ``cost``: decimals in [0, 1] (floats, or arrays for vector
        input).

    References
    ----------
    Basel II (2006) paras 156-158 (99% one-tailed haircuts, square root of time); Maitrier,
    Loeper and Bouchaud (2025), arXiv 2502.16246 (square-root law); Almgren, Thum, Hauptmann
    and Li (2005), "Direct estimation of equity market impact", Risk.
    """
    method = SCHEMA.check("vol_method", vol_method)
    law = SCHEMA.check("impact_law", impact_law)
    q = SCHEMA.check("units", units)
    v = SCHEMA.check("daily_volume", daily_volume)
    sig = SCHEMA.check("annual_vol", annual_vol)
    days = SCHEMA.check("days_to_sell", days_to_sell)
    y = SCHEMA.check("impact_coef", impact_coef)
    cpu = SCHEMA.check("cost_per_unit", cost_per_unit)
    conf = SCHEMA.check("confidence", confidence)
    g = SCHEMA.check("value_decline", value_decline)
    cap = SCHEMA.check("impact_cap", impact_cap)
    if unit_value is None:
        if np.any(np.asarray(cpu) > 0):
            raise InputError("unit_value (needed when cost_per_unit > 0)", key="required")
        val = 1.0
    else:
        val = SCHEMA.check("unit_value", unit_value)
    (q, v, sig, days, y, cpu, conf, g, val), _ = broadcast_named(
        units=q, daily_volume=v, annual_vol=sig, days_to_sell=days, impact_coef=y,
        cost_per_unit=cpu, confidence=conf, value_decline=g, unit_value=val)
    t = days / TRADING_DAYS
    z = ndtri(conf)
    sig_d = sig / np.sqrt(TRADING_DAYS)
    h_drift = 1.0 - (1.0 - g) ** t
    if method == "lognormal":
        h_vol = 1.0 - np.exp(-z * sig * np.sqrt(t) - sig * sig * t / 2.0)
    else:
        h_vol = np.minimum(z * sig_d * np.sqrt(days), 1.0)
    h_vol = np.maximum(h_vol, 0.0)  # confidence below 0.5 gives no volatility haircut
    if law == "sqrt":
        h_impact = np.minimum(y * sig_d * np.sqrt(q / v), cap)
    else:
        h_impact = np.minimum(y * sig_d * (q / (v * days)) ** 0.6, cap)
    h_cost = np.minimum(cpu / val, 1.0)
    parts = {"drift": h_drift, "volatility": h_vol, "impact": h_impact, "cost": h_cost}
    keep_expected = (1.0 - h_drift) * (1.0 - h_impact) * (1.0 - h_cost)
    out = {"total": 1.0 - keep_expected * (1.0 - h_vol), "expected": 1.0 - keep_expected,
           **parts}
    return {k: (float(x) if np.ndim(x) == 0 else x) for k, x in out.items()}


def firesale_haircut(units: Any, daily_volume: Any, annual_vol: Any, **kwargs: Any) -> Any:
    """Total fire-sale haircut H_total (decimal of orderly value); arguments as
    :func:`firesale_components`."""
    return firesale_components(units, daily_volume, annual_vol, **kwargs)["total"]


def holding_period_scale(haircut: Any, from_days: Any, to_days: Any, *,
                         remargin_days: Any = D["remargin_days"]) -> Any:
    """Basel square-root-of-time scaling of a haircut between holding periods.

    Parameters
    ----------
    haircut : float or array_like
        Haircut H_N for a holding period of ``from_days`` business days, decimal >= 0.
    from_days, to_days : float or array_like
        Holding periods T_N and T_M in business days, > 0.
    remargin_days : float or array_like, optional
        Business days N_R between revaluations, >= 1 (default 1: daily).

    Returns
    -------
    float or ndarray
        H = H_N sqrt(T_M / T_N) sqrt((N_R + T_M - 1) / T_M), decimal (unbounded above, as in
        the Basel text).

    References
    ----------
    Basel II (2006), paras 156-158 and 162-166.
    """
    h = SCHEMA.check("haircut", haircut)
    tn = SCHEMA.check("from_days", from_days)
    tm = SCHEMA.check("to_days", to_days)
    nr = SCHEMA.check("remargin_days", remargin_days)
    (h, tn, tm, nr), _ = broadcast_named(haircut=h, from_days=tn, to_days=tm, remargin_days=nr)
    out = h * np.sqrt(tm / tn) * np.sqrt((nr + tm - 1.0) / tm)
    return float(out) if np.ndim(out) == 0 else out


def optimal_days_to_sell(units: float, daily_volume: float, annual_vol: float, *,
                         min_days: float = D["min_days"], max_days: float = D["max_days"],
                         **kwargs: Any) -> tuple[float, float]:
    """Time to sell that minimises the total haircut (the Almgren-Chriss trade-off).

    Drift and volatility haircuts grow with the time to sell; the Almgren impact
    (``impact_law="almgren"``) falls with it. Scalar inputs; other keywords as
    :func:`firesale_components` (``days_to_sell`` is the variable). With the square-root law
    impact does not depend on time, so the optimum is ``min_days``.

    Returns
    -------
    (days, haircut)
        Business days in [min_days, max_days] and the total haircut there (decimal).
    """
    from scipy.optimize import minimize_scalar

    lo = SCHEMA.check("min_days", min_days)
    hi = check("max_days", max_days, Interval(lo, None, lo_closed=False))
    if "days_to_sell" in kwargs:
        raise InputError("days_to_sell", "empty (it is the variable optimised)", kwargs[
            "days_to_sell"])
    for name, val in (("units", units), ("daily_volume", daily_volume),
                      ("annual_vol", annual_vol)):
        if np.ndim(val) != 0:
            raise InputError(name, value=val, key="not_number")

    def total(log_days: float) -> float:
        return firesale_components(units, daily_volume, annual_vol,
                                   days_to_sell=float(np.exp(log_days)), **kwargs)["total"]

    res = minimize_scalar(total, bounds=(np.log(lo), np.log(hi)), method="bounded",
                          options={"xatol": 1e-6})
    best = float(np.exp(res.x))
    # the bounded search never evaluates the end points themselves: compare with them
    cands = [(total(np.log(d)), d) for d in (lo, hi)] + [(float(res.fun), best)]
    h, d = min(cands)
    return float(d), float(h)
