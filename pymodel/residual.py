"""GPU residual (collateral) value by the income approach, and the straight-line comparator.

Per GPU, times in years from the valuation date, rents and cash costs in currency per GPU-hour,
values in currency per GPU, decimals for rates (model reference, Conventions 1-6).

Symbols: g annual fractional rent decline (``deflation``), delta = -ln(1-g); r annual effective
discount rate, k = ln(1+r); u utilisation; c cash cost per GPU-hour; H = 8,760 hours a year;
tau_k, j_k the years and fractions of generation step-downs; T_phys the remaining physical life.

Public functions validate their inputs (domains from :mod:`pymodel.defaults`) and broadcast
numeric arguments as numpy arrays: a scalar in gives a float out. Step lists are shared by every
element. The private ``_*_kernel`` functions compute on clean flat arrays.

Functions
---------
rent_path
    R(t) = R0 (1-g)^t prod_k (1 - j_k 1[t >= tau_k]).
economic_life
    T* = first t with u R(t) <= c, capped at T_phys.
income_value
    Exact continuous value H int_0^T* (u R(t) - c) e^(-k t) dt + SV e^(-k T*).
income_value_periodic
    The periodic variant (start-of-period rent, mid-period discounting, reference 4.5).
economic_value_path
    The income value at future times t (rent, step-downs and life rolled forward).
book_value
    Straight-line book value.
value_curve
    The curve table: year, market rent, economic value, book value, gap, economic/book.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from . import HOURS_PER_YEAR
from .defaults import DEFAULTS, PARAMS
from .errors import DomainError, InputTypeError
from .validation import Interval, check, check_int, check_steps

__all__ = ["rent_path", "economic_life", "income_value", "income_value_periodic",
           "economic_value_path", "book_value", "value_curve", "CURVE_COLUMNS",
           "MAX_CURVE_POINTS", "MAX_PERIODIC_CELLS", "MAX_STEPS"]

H = HOURS_PER_YEAR

#: Column headers of :func:`value_curve` (and of the Excel GPU_RV_CURVE table).
CURVE_COLUMNS = ("year", "market rent", "economic value", "book value", "gap",
                 "economic/book")

#: Most rows a value curve may have (horizon_years * periods_per_year + 1).
MAX_CURVE_POINTS = 1_000
#: Most (element x period) cells the periodic variant evaluates in one call.
MAX_PERIODIC_CELLS = 20_000_000
#: Most generation step-downs in one call.
MAX_STEPS = 100

_SMALL = 1e-10


# --------------------------------------------------------------------------------------------
# validation helpers
# --------------------------------------------------------------------------------------------

def _dom(name: str) -> Interval:
    return PARAMS[name].domain


def _numbers(**named: Any) -> tuple[dict[str, np.ndarray], tuple[int, ...]]:
    """Check each named value against its declared domain and broadcast them together."""
    arrays = {}
    for name, value in named.items():
        arrays[name] = np.asarray(check(name, value, _dom(name)), dtype=float)
    try:
        shape = np.broadcast_shapes(*(a.shape for a in arrays.values()))
    except ValueError:
        sized = [(n, a.size) for n, a in arrays.items() if a.ndim > 0]
        (n0, s0), (n1, s1) = sized[0], next((x for x in sized if x[1] != sized[0][1]), sized[-1])
        raise InputTypeError(n1, value=None, key="length_mismatch", other=n0, n_other=s0,
                             n=s1) from None
    return {n: np.broadcast_to(a, shape).ravel() for n, a in arrays.items()}, shape


def _steps(step_years: Any, step_downs: Any) -> tuple[np.ndarray, np.ndarray]:
    tau, j = check_steps(step_years, step_downs)
    if tau.size > MAX_STEPS:
        raise InputTypeError("step_years", value=None, key="too_many", limit=MAX_STEPS,
                             n=tau.size)
    order = np.argsort(tau, kind="stable")
    return tau[order], j[order]


def _out(values: np.ndarray, shape: tuple[int, ...]) -> float | np.ndarray:
    values = np.asarray(values, dtype=float).reshape(shape)
    return float(values) if values.ndim == 0 else values


def _delta(g: np.ndarray) -> np.ndarray:
    return -np.log1p(-g)


def _k(r: np.ndarray) -> np.ndarray:
    return np.log1p(r)


# --------------------------------------------------------------------------------------------
# kernels (flat float arrays; tau, j of shape (n, K) sorted along axis 1)
# --------------------------------------------------------------------------------------------

def _annuity_factor(x: np.ndarray, length: np.ndarray) -> np.ndarray:
    """(1 - e^(-x L)) / x, with the limit L as x -> 0 (stable via expm1)."""
    xl = x * length
    small = np.abs(xl) < 1e-8
    safe_x = np.where(small, 1.0, x)
    with np.errstate(over="ignore", invalid="ignore"):
        exact = -np.expm1(-xl) / safe_x
    return np.where(small, length * (1.0 - 0.5 * xl), exact)


def _rent_kernel(rent0, t, delta, tau, j):
    factor = np.prod(np.where(t[:, None] >= tau, 1.0 - j, 1.0), axis=1)
    with np.errstate(over="ignore", under="ignore"):
        return rent0 * np.exp(-delta * t) * factor


def _segments(tau: np.ndarray, j: np.ndarray):
    """Yield (start, end, cumulative step factor) for the rent segments of each row."""
    n, kk = tau.shape
    factor = np.ones(n)
    start = np.zeros(n)
    for i in range(kk + 1):
        end = tau[:, i] if i < kk else np.full(n, np.inf)
        yield start, end, factor
        if i < kk:
            factor = factor * (1.0 - j[:, i])
            start = tau[:, i]


def _life_kernel(rent0, u, c, delta, life, tau, j):
    """Economic life T*: first t with u R(t) <= c, capped at ``life``."""
    n = rent0.size
    t_star = np.full(n, np.inf)
    found = np.zeros(n, dtype=bool)
    with np.errstate(over="ignore", under="ignore", divide="ignore", invalid="ignore"):
        for start, end, factor in _segments(tau, j):
            level = u * rent0 * factor                     # u R(t) = level e^(-delta t)
            at_start = level * np.exp(-delta * start) - c
            hit = ~found & (at_start <= 0)
            t_star = np.where(hit, start, t_star)
            found |= hit
            cross = np.where((delta > 0) & (c > 0) & (level > 0),
                             np.log(level / np.where(c > 0, c, 1.0)) / np.where(delta > 0,
                                                                                 delta, 1.0),
                             np.inf)
            hit = ~found & (cross < end)
            t_star = np.where(hit, np.maximum(cross, start), t_star)
            found |= hit
    return np.minimum(t_star, life)


def _value_kernel(rent0, u, c, delta, k, salvage, life, tau, j):
    """Exact continuous income value and the economic life (both flat arrays)."""
    t_star = _life_kernel(rent0, u, c, delta, life, tau, j)
    x = delta + k
    revenue = np.zeros_like(rent0)
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        for start, end, factor in _segments(tau, j):
            length = np.maximum(np.minimum(end, t_star) - start, 0.0)
            live = length > 0
            a = np.where(live, start, 0.0)
            piece = u * rent0 * factor * np.exp(-x * a) * _annuity_factor(x, length)
            revenue = revenue + np.where(live, piece, 0.0)
        cost = c * _annuity_factor(k, t_star)
        value = H * (revenue - cost) + salvage * np.exp(-k * t_star)
    return value, t_star


def _shifted_steps(t: np.ndarray, tau: np.ndarray, j: np.ndarray):
    """Step-downs seen from time t: tau_k - t, and those with tau_k <= t removed (j = 0)."""
    shifted = tau[None, :] - t[:, None]
    keep = shifted > 0
    return np.where(keep, shifted, 0.0), np.where(keep, j[None, :], 0.0)


# --------------------------------------------------------------------------------------------
# public functions
# --------------------------------------------------------------------------------------------

def rent_path(rent0, years, deflation, *, step_years=(), step_downs=()):
    """Market rent per GPU-hour at time t, with annual deflation and generation step-downs.

    Parameters
    ----------
    rent0 : float or array_like
        Market rent R0 at the valuation date, currency per GPU-hour, > 0.
    years : float or array_like
        Time t from the valuation date, years, >= 0.
    deflation : float or array_like
        Annual fractional rent decline g, decimal per year, in (-1, 1) (0.30 = -30% a year;
        negative = rising rents).
    step_years : sequence of float, optional
        Years tau_k (>= 0) at which generation step-downs apply. Default: none.
    step_downs : sequence of float, optional
        Fractions j_k in [0, 1) by which rent steps down at tau_k; same length as
        ``step_years``. Default: none.

    Returns
    -------
    float or ndarray
        R(t), currency per GPU-hour (float for scalar inputs).

    Notes
    -----
    .. math:: R(t) = R_0 (1-g)^t \\prod_k (1 - j_k \\mathbf{1}[t \\ge \\tau_k])

    References
    ----------
    Model reference, section 4.1; Epoch AI, machine-learning hardware data (g = 0.30 default).

    Examples
    --------
    >>> round(rent_path(2.5, 1.0, 0.3), 6)
    1.75
    >>> round(rent_path(2.5, 2.0, 0.3, step_years=[1.5], step_downs=[0.2]), 6)
    0.98
    """
    a, shape = _numbers(rent0=rent0, years=years, deflation=deflation)
    tau, j = _steps(step_years, step_downs)
    n = a["rent0"].size
    out = _rent_kernel(a["rent0"], a["years"], _delta(a["deflation"]),
                       np.broadcast_to(tau, (n, tau.size)), np.broadcast_to(j, (n, j.size)))
    return _out(out, shape)


def economic_life(rent0, utilization, cash_cost, deflation, *,
                  max_life_years=DEFAULTS["max_life_years"], step_years=(), step_downs=()):
    """Economic life T*: the first time the GPU's margin per hour is no longer positive.

    Parameters
    ----------
    rent0 : float or array_like
        Market rent R0 at the valuation date, currency per GPU-hour, > 0.
    utilization : float or array_like
        Share u of hours rented, decimal in [0, 1].
    cash_cost : float or array_like
        Cash operating cost c (power, colocation, maintenance), currency per GPU-hour, >= 0.
    deflation : float or array_like
        Annual fractional rent decline g, decimal per year, in (-1, 1).
    max_life_years : float or array_like, optional
        Remaining physical life T_phys, years, >= 0. Default 8 (amcompute [V]).
    step_years, step_downs : sequence of float, optional
        Generation step-downs (see :func:`rent_path`).

    Returns
    -------
    float or ndarray
        T*, years from the valuation date.

    Notes
    -----
    T* = min(inf{t >= 0 : u R(t) <= c}, T_phys), so T* = 0 when u R0 <= c. Without step-downs
    and with g > 0: T* = min(ln(u R0 / c) / delta, T_phys), delta = -ln(1-g); with g <= 0 the
    rent never falls and T* = T_phys. Between step-downs R is exponential, so the first
    crossing is found exactly segment by segment (a step-down can end the life at tau_k).

    References
    ----------
    Model reference, sections 4.4 and 4.6.

    Examples
    --------
    >>> round(economic_life(2.5, 0.85, 0.5, 0.3), 4)
    4.0567
    """
    a, shape = _numbers(rent0=rent0, utilization=utilization, cash_cost=cash_cost,
                        deflation=deflation, max_life_years=max_life_years)
    tau, j = _steps(step_years, step_downs)
    n = a["rent0"].size
    out = _life_kernel(a["rent0"], a["utilization"], a["cash_cost"], _delta(a["deflation"]),
                       a["max_life_years"], np.broadcast_to(tau, (n, tau.size)),
                       np.broadcast_to(j, (n, j.size)))
    return _out(out, shape)


def _finite(name: str, values: np.ndarray) -> np.ndarray:
    if not np.all(np.isfinite(values)):
        raise DomainError(name, "finite", "an overflow", key="domain",
                          formatted="an overflow (rent growth far above the discount rate "
                                    "over a very long life)")
    return values


def income_value(rent0, utilization, cash_cost, deflation, discount_rate, *,
                 salvage=DEFAULTS["salvage"], max_life_years=DEFAULTS["max_life_years"],
                 step_years=(), step_downs=()):
    """Income-approach value of one GPU at the valuation date (exact continuous closed form).

    Parameters
    ----------
    rent0 : float or array_like
        Market rent R0 at the valuation date, currency per GPU-hour, > 0.
    utilization : float or array_like
        Share u of hours rented, decimal in [0, 1].
    cash_cost : float or array_like
        Cash operating cost c, currency per GPU-hour, >= 0.
    deflation : float or array_like
        Annual fractional rent decline g, decimal per year, in (-1, 1).
    discount_rate : float or array_like
        Discount rate r, annual effective decimal, > -1.
    salvage : float or array_like, optional
        Salvage value SV received at T*, currency per GPU, >= 0. Default 0.
    max_life_years : float or array_like, optional
        Remaining physical life T_phys, years, >= 0. Default 8.
    step_years, step_downs : sequence of float, optional
        Generation step-downs (see :func:`rent_path`).

    Returns
    -------
    float or ndarray
        V, currency per GPU.

    Notes
    -----
    .. math::

        V = H \\int_0^{T^*} (u R(t) - c) e^{-k t} dt + SV e^{-k T^*}

    with k = ln(1+r), H = 8760. Between step-downs R(t) = R0 F_i e^{-delta t} (F_i the product
    of the step factors in force), so with E(x, L) = (1 - e^{-x L})/x:

    .. math::

        V = H [ \\sum_i u R_0 F_i e^{-(\\delta+k) a_i} E(\\delta+k, b_i-a_i)
                - c E(k, T^*) ] + SV e^{-k T^*}

    over the segments [a_i, b_i] of [0, T*]. E is evaluated with expm1 and its limit L as
    x -> 0 covers r = 0 (k = 0) and g = -r (delta + k = 0) exactly.

    References
    ----------
    Model reference, sections 4.1, 4.4 and 4.6.

    Examples
    --------
    >>> round(income_value(2.5, 0.85, 0.5, 0.3, 0.10), 2)
    19865.53
    """
    a, shape = _numbers(rent0=rent0, utilization=utilization, cash_cost=cash_cost,
                        deflation=deflation, discount_rate=discount_rate, salvage=salvage,
                        max_life_years=max_life_years)
    tau, j = _steps(step_years, step_downs)
    n = a["rent0"].size
    value, _ = _value_kernel(a["rent0"], a["utilization"], a["cash_cost"],
                             _delta(a["deflation"]), _k(a["discount_rate"]), a["salvage"],
                             a["max_life_years"], np.broadcast_to(tau, (n, tau.size)),
                             np.broadcast_to(j, (n, j.size)))
    return _out(_finite("income value", value), shape)


def income_value_periodic(rent0, utilization, cash_cost, deflation, discount_rate, *,
                          periods_per_year=12, salvage=DEFAULTS["salvage"],
                          max_life_years=DEFAULTS["max_life_years"], step_years=(),
                          step_downs=()):
    """Income value of one GPU from a periodic schedule (mid-period discounting).

    Parameters
    ----------
    rent0, utilization, cash_cost, deflation, discount_rate, salvage, max_life_years
        As in :func:`income_value` (same units and domains).
    periods_per_year : int, optional
        Periods a year, 1 to 365 (1 = annual, 12 = monthly, 365 = daily; wider than the
        curve's 1-12 so that convergence can be shown). Default 12.
    step_years, step_downs : sequence of float, optional
        Generation step-downs (see :func:`rent_path`).

    Returns
    -------
    float or ndarray
        V_inc, currency per GPU.

    Notes
    -----
    With Delta = 1/periods_per_year, period p covers [(p-1) Delta, p Delta] and uses the
    start-of-period rent R_p = R((p-1) Delta) (step-downs in force at the period start) and
    margin m_p = u R_p - c. The economic life ends at the start of the first period with
    m_p <= 0: n* = min{p : m_p <= 0} - 1, capped at floor(T_phys / Delta); T* = n* Delta.

    .. math::

        V = \\sum_{p=1}^{n^*} H \\Delta m_p (1+r)^{-(p-1/2)\\Delta} + SV (1+r)^{-T^*}

    No attrition (s_p = 1). As Delta -> 0 this converges to :func:`income_value` (error of
    order Delta).

    References
    ----------
    Model reference, Convention 6 and sections 4.4-4.5.
    """
    a, shape = _numbers(rent0=rent0, utilization=utilization, cash_cost=cash_cost,
                        deflation=deflation, discount_rate=discount_rate, salvage=salvage,
                        max_life_years=max_life_years)
    ppy = check_int("periods_per_year", periods_per_year, Interval(1, 365))
    tau, j = _steps(step_years, step_downs)
    dt = 1.0 / ppy
    n_phys = np.floor(a["max_life_years"] * ppy + 1e-9).astype(np.int64)
    n_max = int(n_phys.max()) if n_phys.size else 0
    if n_phys.size * n_max > MAX_PERIODIC_CELLS:
        raise InputTypeError("max_life_years x periods_per_year", value=None, key="too_many",
                             limit=MAX_PERIODIC_CELLS, n=n_phys.size * n_max)
    delta, k = _delta(a["deflation"]), _k(a["discount_rate"])
    p = np.arange(1, n_max + 1)
    start = (p - 1) * dt
    step_factor = np.prod(np.where(start[:, None] >= tau[None, :], 1.0 - j[None, :], 1.0),
                          axis=1) if tau.size else np.ones(n_max)
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        rent = a["rent0"][:, None] * np.exp(-delta[:, None] * start[None, :]) * step_factor
        margin = a["utilization"][:, None] * rent - a["cash_cost"][:, None]
        dead = (margin <= 0) | (p[None, :] > n_phys[:, None])
        n_star = np.where(dead.any(axis=1), dead.argmax(axis=1), n_max)
        alive = p[None, :] <= n_star[:, None]
        disc = np.exp(-k[:, None] * (p[None, :] - 0.5) * dt)
        value = (H * dt * np.where(alive, margin * disc, 0.0)).sum(axis=1) \
            + a["salvage"] * np.exp(-k * n_star * dt)
    return _out(_finite("income value", value), shape)


def economic_value_path(times, rent0, utilization, cash_cost, deflation, discount_rate, *,
                        salvage=DEFAULTS["salvage"], max_life_years=DEFAULTS["max_life_years"],
                        step_years=(), step_downs=()):
    """Income value per GPU at future times t, with the market rolled forward to t.

    Parameters
    ----------
    times : float or array_like
        Future times t, years from the valuation date, >= 0.
    rent0, utilization, cash_cost, deflation, discount_rate, salvage, max_life_years
        As in :func:`income_value` (broadcast with ``times``).
    step_years, step_downs : sequence of float, optional
        Generation step-downs, years from the valuation date (see :func:`rent_path`).

    Returns
    -------
    ndarray
        V(t), currency per GPU, one value per element of the broadcast inputs (at least 1-D).

    Notes
    -----
    V(t) is :func:`income_value` with R0 replaced by R(t) (step-downs with tau_k <= t already
    applied), the remaining step-downs shifted to tau_k - t and the remaining physical life
    max(T_phys - t, 0). With g >= 0 and no salvage V(t) is non-increasing in t; with a salvage
    value its discounting unwinds as t approaches T*, which can raise V(t) near the end of life.

    References
    ----------
    Model reference, sections 4.6 and 4.8.
    """
    a, shape = _numbers(times=times, rent0=rent0, utilization=utilization,
                        cash_cost=cash_cost, deflation=deflation, discount_rate=discount_rate,
                        salvage=salvage, max_life_years=max_life_years)
    tau, j = _steps(step_years, step_downs)
    t = a["times"]
    delta = _delta(a["deflation"])
    n = t.size
    rent_t = _rent_kernel(a["rent0"], t, delta, np.broadcast_to(tau, (n, tau.size)),
                          np.broadcast_to(j, (n, j.size)))
    tau_t, j_t = _shifted_steps(t, tau, j)
    life_t = np.maximum(a["max_life_years"] - t, 0.0)
    value, _ = _value_kernel(rent_t, a["utilization"], a["cash_cost"], delta,
                             _k(a["discount_rate"]), a["salvage"], life_t, tau_t, j_t)
    return np.atleast_1d(_out(_finite("economic value", value), shape))


def book_value(cost, age_years, life_years, *, salvage=DEFAULTS["salvage"]):
    """Straight-line book value per GPU.

    Parameters
    ----------
    cost : float or array_like
        Purchase cost C0, currency per GPU, > 0.
    age_years : float or array_like
        Age of the GPU, years, >= 0.
    life_years : float or array_like
        Book (depreciation) life L, years, > 0 (6 at CoreWeave, Microsoft, Alphabet [S]).
    salvage : float or array_like, optional
        Book salvage SV, currency per GPU, in [0, cost]. Default 0.

    Returns
    -------
    float or ndarray
        BV, currency per GPU.

    Notes
    -----
    .. math:: BV = C_0 - (C_0 - SV) \\min(\\text{age} / L, 1)

    References
    ----------
    Model reference, sections 2.5 and 5.

    Examples
    --------
    >>> book_value(30000, 3, 6)
    15000.0
    """
    a, shape = _numbers(cost=cost, age_years=age_years, life_years=life_years,
                        salvage=salvage)
    bad = a["salvage"] > a["cost"]
    if np.any(bad):
        i = int(np.flatnonzero(bad)[0])
        raise DomainError("salvage", f"<= cost ({a['cost'][i]:g})", a["salvage"][i])
    with np.errstate(over="ignore"):  # a subnormal life overflows age/life to inf: fully written off
        frac = np.minimum(np.maximum(a["age_years"], 0.0) / a["life_years"], 1.0)
    return _out(a["cost"] - (a["cost"] - a["salvage"]) * frac, shape)


def value_curve(cost, rent0, utilization, cash_cost, deflation, discount_rate, *,
                horizon_years=DEFAULTS["horizon_years"],
                periods_per_year=DEFAULTS["periods_per_year"],
                book_life_years=DEFAULTS["book_life_years"], age_years=DEFAULTS["age_years"],
                salvage=DEFAULTS["salvage"], max_life_years=DEFAULTS["max_life_years"],
                step_years=(), step_downs=()) -> pd.DataFrame:
    """Economic value next to straight-line book value at future times (one GPU).

    Parameters
    ----------
    cost : float
        Purchase cost C0, currency per GPU, > 0.
    rent0, utilization, cash_cost, deflation, discount_rate : float
        As in :func:`income_value`.
    horizon_years : float, optional
        Last year of the curve, years, > 0. Default 6.
    periods_per_year : int, optional
        Curve points per year, 1 to 12. Default 1. At most 1,000 rows.
    book_life_years : float, optional
        Straight-line book life L, years, > 0. Default 6.
    age_years : float, optional
        Age of the GPU at the valuation date, years, >= 0 (book value only; the remaining
        physical life is ``max_life_years``). Default 0.
    salvage : float, optional
        Salvage value, currency per GPU: received at T* in the economic value and the book
        salvage of the straight line. Default 0.
    max_life_years : float, optional
        Remaining physical life at the valuation date, years. Default 8.
    step_years, step_downs : sequence of float, optional
        Generation step-downs (see :func:`rent_path`).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`CURVE_COLUMNS`: ``year`` (t, years), ``market rent`` R(t) (currency per
        GPU-hour), ``economic value`` V(t) and ``book value`` BV(age + t) (currency per GPU),
        ``gap`` = BV - V (currency per GPU; positive = book overstates the collateral) and
        ``economic/book`` = V / BV (decimal; NaN when BV = 0).

    Notes
    -----
    t = 0, Delta, 2 Delta, ... up to the horizon, Delta = 1/periods_per_year (the horizon is
    the last row when it is a multiple of Delta). V(t) from :func:`economic_value_path`; BV from :func:`book_value` at
    age + t.

    References
    ----------
    Model reference, sections 4.8 and 5.
    """
    horizon = check("horizon_years", horizon_years, _dom("horizon_years"))
    ppy = check_int("periods_per_year", periods_per_year, _dom("periods_per_year"))
    n_points = int(np.floor(horizon * ppy + 1e-9)) + 1
    if n_points > MAX_CURVE_POINTS:
        raise InputTypeError("horizon_years x periods_per_year", value=None, key="too_many",
                             limit=MAX_CURVE_POINTS, n=n_points)
    for name, v in (("cost", cost), ("rent0", rent0), ("utilization", utilization),
                    ("cash_cost", cash_cost), ("deflation", deflation),
                    ("discount_rate", discount_rate), ("book_life_years", book_life_years),
                    ("age_years", age_years), ("salvage", salvage),
                    ("max_life_years", max_life_years)):
        if np.ndim(check(name, v, _dom(name))) != 0:
            raise InputTypeError(name, value=None, key="not_number",
                                 formatted="a range (one number expected)")
    t = np.arange(n_points) / ppy
    rent = rent_path(rent0, t, deflation, step_years=step_years, step_downs=step_downs)
    econ = economic_value_path(t, rent0, utilization, cash_cost, deflation, discount_rate,
                               salvage=salvage, max_life_years=max_life_years,
                               step_years=step_years, step_downs=step_downs)
    book = np.atleast_1d(book_value(cost, age_years + t, book_life_years, salvage=salvage))
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(book > 0, econ / np.where(book > 0, book, 1.0), np.nan)
    return pd.DataFrame({"year": t, "market rent": np.atleast_1d(rent),
                         "economic value": econ, "book value": book, "gap": book - econ,
                         "economic/book": ratio}, columns=list(CURVE_COLUMNS))
