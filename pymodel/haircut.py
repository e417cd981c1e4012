"""Fire-sale (liquidation) haircut of collateral sold into a thin secondary market.

Model reference section 9.4 (composite model [D]) with the square-root impact law of 9.1 and the
Basel holding-period scaling of 9.2:

H_total = 1 - (1 - H_drift)(1 - H_vol)(1 - H_impact)(1 - H_cost)

* H_drift = 1 - (1 - g)^T: expected value deflation g (annual decimal) over the time to sell T
  (years = business days / 252);
* H_vol = 1 - exp(-z sigma sqrt(T) - sigma^2 T / 2): lognormal value-at-risk at confidence
  level alpha, z = Phi^-1(alpha), sigma the annual volatility (``vol_method="lognormal"``); or
  the Basel linear form min(1, z sigma_d sqrt(days)) (``vol_method="basel"``);
* H_impact = min(Y sigma_d sqrt(Q / V), cap), sigma_d = sigma / sqrt(252): square-root impact of
  selling Q units into a market trading V units a day;
* H_cost = min(1, cost per unit / value per unit).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.special import ndtri

from .defaults import DEFAULTS, PARAMS
from .errors import InputError
from .irb import broadcast_named
from .validation import Interval, check, check_choice

__all__ = ["TRADING_DAYS", "COMPONENTS", "firesale_haircut", "firesale_components",
           "holding_period_scale", "optimal_days_to_sell"]

TRADING_DAYS = 252.0
#: Order of the components in :func:`firesale_components` (total first).
COMPONENTS = ("total", "drift", "volatility", "impact", "cost")


def _dom(name: str) -> Interval:
    return PARAMS[name].domain


def firesale_components(units: Any, daily_volume: Any, annual_vol: Any, *,
                        days_to_sell: Any = DEFAULTS["days_to_sell"],
                        impact_coef: Any = DEFAULTS["impact_coef"],
                        cost_per_unit: Any = DEFAULTS["cost_per_unit"],
                        unit_value: Any = None,
                        confidence: Any = DEFAULTS["confidence"],
                        deflation: Any = DEFAULTS["deflation"],
                        impact_cap: Any = DEFAULTS["impact_cap"],
                        vol_method: str = "lognormal",
                        impact_law: str = "sqrt") -> dict[str, Any]:
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
    deflation : float or array_like, optional
        Expected annual value decline g during the sale, in (-1, 1) (default 0.30, the rent
        deflation default).
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
        ``total``, ``drift``, ``volatility``, ``impact``, ``cost``: decimals in [0, 1]
        (floats, or arrays for vector input).

    References
    ----------
    Basel II (2006) paras 156-158 (99% one-tailed haircuts, square root of time); Maitrier,
    Loeper and Bouchaud (2025), arXiv 2502.16246 (square-root law); Almgren, Thum, Hauptmann
    and Li (2005), "Direct estimation of equity market impact", Risk.
    """
    method = check_choice("vol_method", vol_method, ("lognormal", "basel"))
    law = check_choice("impact_law", impact_law, ("sqrt", "almgren"))
    q = check("units", units, _dom("units"))
    v = check("daily_volume", daily_volume, _dom("daily_volume"))
    sig = check("annual_vol", annual_vol, _dom("annual_vol"))
    days = check("days_to_sell", days_to_sell, _dom("days_to_sell"))
    y = check("impact_coef", impact_coef, _dom("impact_coef"))
    cpu = check("cost_per_unit", cost_per_unit, _dom("cost_per_unit"))
    conf = check("confidence", confidence, _dom("confidence"))
    g = check("deflation", deflation, _dom("deflation"))
    cap = check("impact_cap", impact_cap, _dom("impact_cap"))
    if unit_value is None:
        if np.any(np.asarray(cpu) > 0):
            raise InputError("unit_value (needed when cost_per_unit > 0)", key="required")
        val = 1.0
    else:
        val = check("unit_value", unit_value, _dom("unit_value"))
    (q, v, sig, days, y, cpu, conf, g, val), _ = broadcast_named(
        units=q, daily_volume=v, annual_vol=sig, days_to_sell=days, impact_coef=y,
        cost_per_unit=cpu, confidence=conf, deflation=g, unit_value=val)
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
    keep = 1.0
    for h in parts.values():
        keep = keep * (1.0 - h)
    out = {"total": 1.0 - keep, **parts}
    return {k: (float(x) if np.ndim(x) == 0 else x) for k, x in out.items()}


def firesale_haircut(units: Any, daily_volume: Any, annual_vol: Any, **kwargs: Any) -> Any:
    """Total fire-sale haircut H_total (decimal of orderly value); arguments as
    :func:`firesale_components`."""
    return firesale_components(units, daily_volume, annual_vol, **kwargs)["total"]


def holding_period_scale(haircut: Any, from_days: Any, to_days: Any, *,
                         remargin_days: Any = 1.0) -> Any:
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
    h = check("haircut", haircut, Interval(0, None))
    tn = check("from_days", from_days, Interval(0, None, lo_closed=False))
    tm = check("to_days", to_days, Interval(0, None, lo_closed=False))
    nr = check("remargin_days", remargin_days, Interval(1, None))
    (h, tn, tm, nr), _ = broadcast_named(haircut=h, from_days=tn, to_days=tm, remargin_days=nr)
    out = h * np.sqrt(tm / tn) * np.sqrt((nr + tm - 1.0) / tm)
    return float(out) if np.ndim(out) == 0 else out


def optimal_days_to_sell(units: float, daily_volume: float, annual_vol: float, *,
                         min_days: float = 1.0, max_days: float = 2.0 * TRADING_DAYS,
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

    lo = check("min_days", min_days, Interval(0, None, lo_closed=False))
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
