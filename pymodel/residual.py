"""GPU residual (collateral) value by the income approach, and the straight-line comparator.

Per GPU, times in years from the valuation date, rents and cash costs in currency per GPU-hour,
values in currency per GPU, decimals for rates (§1.1-1.6).

Symbols: g annual fractional rent decline (``deflation``), delta = -ln(1-g); r annual effective
discount rate, k = ln(1+r); u utilisation; c cash cost per GPU-hour; H = 8,760 hours a year;
tau_k, j_k the years and fractions of generation step-downs; T_phys the remaining physical life.

Parameters are declared in :data:`P` (the schema, :mod:`pymodel.schema`). Public functions
validate their inputs against it once and broadcast numeric arguments as numpy arrays: a scalar
in gives a float out. Step lists are shared by every element. The kernels
(:func:`rent_kernel`, :func:`economic_value_kernel`, :func:`book_value_kernel` and the private
``_*_kernel`` functions) compute on clean arrays, for callers that validated already.

Functions
---------
rent_path
    R(t) = R0 (1-g)^t prod_k (1 - j_k 1[t >= tau_k]).
economic_life
    T* = first t with u R(t) <= c, capped at T_phys.
income_value
    Exact continuous value H int_0^T* (u R(t) - c) e^(-k t) dt + SV e^(-k T*).
income_value_periodic
    The periodic variant (start-of-period rent, mid-period discounting, §4.5).
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

from . import HOURS_PER_YEAR
from .errors import DomainError, InputError, InputTypeError
from .flexibility import P as _FLEX
from .flexibility import option_value_kernel as idle_option_kernel
from .frames import frame
from .lazy import lazy_module
from .schema import (DEFLATION, NONNEG, POS, RATE, SCHEMA, UNIT, UNIT_OPEN_HI, Param, declare)
from .validation import Interval, check_steps

pd = lazy_module("pandas")  # imported at first use (slow to load)

__all__ = ["rent_path", "economic_life", "income_value", "income_value_periodic",
           "economic_value_path", "book_value", "value_curve", "idle_option", "rent_kernel",
           "economic_value_kernel", "book_value_kernel", "require_finite", "CURVE_COLUMNS",
           "MAX_CURVE_POINTS", "MAX_PERIODIC_CELLS", "MAX_STEPS", "P"]

H = HOURS_PER_YEAR

#: The parameters of the residual-value model (§2 and §4).
P = declare(
    Param("rent0", "currency per GPU-hour", "Market rent R0 of the GPU at the valuation date "
          "(at close, for a deal)", POS),
    Param("t_years", "years from the valuation date", "Time t at which to read the rent or "
          "the value", NONNEG),
    Param("deflation", "decimal per year", "Annual decline g of the trend (median) market "
          "rent, generations included (0.25 = -25% a year; negative = rising)", DEFLATION,
          default=0.25,
          source="P: Epoch AI GPU price-performance doubling 2.46 y = 0.246 a year; H100 "
                 "1-year contracts 2024-25 fell 0.255; 2026 used H100 prices imply 0.19-0.36 "
                 "(docs/model.md 2.3)"),
    Param("utilization", "decimal", "Share u of hours the GPU is rented", UNIT, default=0.85,
          source="D: docs/model.md §10"),
    Param("cash_cost", "currency per GPU-hour", "Cash operating cost c of a GPU: power, "
          "colocation, maintenance", NONNEG),
    Param("discount_rate", "annual effective decimal", "Discount rate r of the GPU's income "
          "(the collateral value)", RATE, default=0.10, source="P/S: facility rates 0.07-0.15"),
    Param("salvage", "currency per GPU", "Salvage value SV of one GPU: received at the end of "
          "its economic life, and the floor of its straight-line book value", NONNEG,
          default=0.0, source="D: none (conservative)"),
    Param("max_life_years", "years", "Remaining physical life T_phys at the valuation date "
          "(caps the economic life)", NONNEG, default=8.0,
          source="V: amcompute, useful life can reach 8 years"),
    Param("step_years", "years from the valuation date", "Years tau_k of generation "
          "step-downs (list, e.g. 1.5; 3)", NONNEG, default=(), source="D: none",
          kind="list"),
    Param("step_downs", "decimal", "Rent markdowns j_k at the step years (list, e.g. 0.2; 0.1)",
          UNIT_OPEN_HI, default=(), source="D: none", kind="list"),
    Param("gpu_cost", "currency per GPU", "Purchase cost C0 of one GPU", POS),
    Param("age_years", "years", "Age of the GPU at the valuation date", NONNEG, default=0.0,
          source="D: new at the valuation date"),
    Param("book_life_years", "years", "Straight-line book (depreciation) life L", POS,
          default=6.0, source="S: CoreWeave, Microsoft, Alphabet 6 years"),
    Param("curve_years", "years from the valuation date", "Last year of the value curve", POS,
          default=6.0, source="D: the usual book life"),
    Param("market_sku", "", "GPU model whose shipped used-sale prices to show next to the "
          "value curve (e.g. H100)", default=None, kind="text", empty="no market column"),
    Param("curve_date", "date", "Date of year 0 of the value curve (the valuation date), to "
          "place the market prices", default=None, kind="date",
          empty="required with market_sku"),
    Param("points_per_year", "points per year", "Curve points per year (1 = yearly, 12 = "
          "monthly)", Interval(1, 12), default=1, source="D: yearly", kind="int"),
    Param("periods_per_year", "periods per year", "Periods per year of the periodic income "
          "schedule (1 = annual, 12 = monthly, 365 = daily)", Interval(1, 365), default=12,
          source="D: monthly", kind="int"),
)
D = {n: p.default for n, p in P.items() if p.has_default}

#: Column headers of :func:`value_curve` (and of the Excel GPU_RV_CURVE table).
CURVE_COLUMNS = ("year", "market rent", "economic value", "book value", "gap",
                 "economic/book")

#: Most rows a value curve may have (curve_years * points_per_year + 1).
MAX_CURVE_POINTS = 1_000
#: Most (element x period) cells the periodic variant evaluates in one call.
MAX_PERIODIC_CELLS = 20_000_000
#: Most generation step-downs in one call.
MAX_STEPS = 100

_SMALL = 1e-10


# --------------------------------------------------------------------------------------------
# validation helpers
# --------------------------------------------------------------------------------------------

def _numbers(**named: Any) -> tuple[dict[str, np.ndarray], tuple[int, ...]]:
    """Check each named value against its declared domain and broadcast them together."""
    arrays = {}
    for name, value in named.items():
        arrays[name] = np.asarray(SCHEMA.check(name, value), dtype=float)
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


def rent_kernel(rent0, t, deflation, tau, j):
    """The rent path R(t) = R0 (1-g)^t prod_k (1 - j_k 1[t >= tau_k]) on clean arrays.

    The one implementation of the rent path (residual value, deal cash flows, Monte Carlo
    collateral). ``rent0``, ``t`` and ``deflation`` broadcast together; the step-downs ``tau``,
    ``j`` run along the last axis and broadcast against ``t[..., None]`` (shape (K,) for steps
    shared by every element, (n, K) for per-element steps). g = 1 is allowed (rents gone
    after time 0). No validation: callers validate at their public boundary.
    """
    t = np.asarray(t, dtype=float)
    factor = np.prod(np.where(t[..., None] >= tau, 1.0 - j, 1.0), axis=-1)
    with np.errstate(over="ignore", under="ignore"):
        return rent0 * np.power(1.0 - deflation, t) * factor


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


def economic_value_kernel(t, rent0, u, c, g, r, salvage, life, tau, j):
    """V(t) on clean flat arrays of equal length (``life`` = remaining physical life at the
    valuation date; ``tau``, ``j`` sorted step-downs shared by every element). No validation:
    see :func:`economic_value_path` for the formula."""
    n = t.size
    delta = _delta(g)
    rent_t = rent_kernel(rent0, t, g, np.broadcast_to(tau, (n, tau.size)),
                         np.broadcast_to(j, (n, j.size)))
    tau_t, j_t = _shifted_steps(t, tau, j)
    life_t = np.maximum(life - t, 0.0)
    value, _ = _value_kernel(rent_t, u, c, delta, _k(r), salvage, life_t, tau_t, j_t)
    return value


def book_value_kernel(cost, age, life, salvage):
    """Straight-line book value on clean arrays (see :func:`book_value`); no validation."""
    with np.errstate(over="ignore"):  # a subnormal life overflows age/life: fully written off
        frac = np.minimum(np.maximum(age, 0.0) / life, 1.0)
    return cost - (cost - salvage) * frac


# --------------------------------------------------------------------------------------------
# public functions
# --------------------------------------------------------------------------------------------

def rent_path(rent0, t_years, deflation, *, step_years=D["step_years"],
              step_downs=D["step_downs"]):
    """Market rent per GPU-hour at time t, with annual deflation and generation step-downs.

    Parameters
    ----------
    rent0 : float or array_like
        Market rent R0 at the valuation date, currency per GPU-hour, > 0.
    t_years : float or array_like
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
    §4.1; Epoch AI, machine-learning hardware data (g = 0.30 default).

    Examples
    --------
    >>> round(rent_path(2.5, 1.0, 0.3), 6)
    1.75
    >>> round(rent_path(2.5, 2.0, 0.3, step_years=[1.5], step_downs=[0.2]), 6)
    0.98
    """
    a, shape = _numbers(rent0=rent0, t_years=t_years, deflation=deflation)
    tau, j = _steps(step_years, step_downs)
    n = a["rent0"].size
    out = rent_kernel(a["rent0"], a["t_years"], a["deflation"],
                      np.broadcast_to(tau, (n, tau.size)), np.broadcast_to(j, (n, j.size)))
    return _out(out, shape)


def economic_life(rent0, utilization, cash_cost, deflation, *,
                  max_life_years=D["max_life_years"], step_years=D["step_years"],
                  step_downs=D["step_downs"]):
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
    §4.4 and §4.6.

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


def require_finite(name: str, values: np.ndarray) -> np.ndarray:
    """``values`` if every one is finite; a DomainError naming the overflow otherwise."""
    if not np.all(np.isfinite(values)):
        raise DomainError(name, "finite", "an overflow", key="domain",
                          formatted="an overflow (rent growth far above the discount rate "
                                    "over a very long life)")
    return values


def income_value(rent0, utilization, cash_cost, deflation, discount_rate, *,
                 salvage=D["salvage"], max_life_years=D["max_life_years"],
                 step_years=D["step_years"], step_downs=D["step_downs"],
                 operating_flexibility=_FLEX["operating_flexibility"].default,
                 rent_vol=_FLEX["rent_vol"].default,
                 avoidable_share=_FLEX["avoidable_share"].default):
    """Income-approach value of one GPU at the valuation date (exact continuous closed form),
    optionally with the value of idling it when renting does not pay.

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
    operating_flexibility : bool, optional
        True adds the value of the option to idle the GPU when its rent does not cover the
        avoidable cash cost (:func:`idle_option`; an upper bound). Default False.
    rent_vol : float or array_like, optional
        Annual volatility of log rent around its trend, decimal per sqrt-year, >= 0; required
        with ``operating_flexibility``.
    avoidable_share : float or array_like, optional
        Share of the cash cost saved while idle, decimal in [0, 1]. Default 0.24.

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
    §4.1, §4.4 and §4.6.

    Examples
    --------
    >>> round(income_value(2.5, 0.85, 0.5, 0.3, 0.10), 2)
    19865.53
    """
    if SCHEMA.check("operating_flexibility", operating_flexibility):
        return _out(*_with_idle_option(rent0, utilization, cash_cost, deflation, discount_rate,
                                       rent_vol, avoidable_share, salvage, max_life_years,
                                       step_years, step_downs, total=True))
    a, shape = _numbers(rent0=rent0, utilization=utilization, cash_cost=cash_cost,
                        deflation=deflation, discount_rate=discount_rate, salvage=salvage,
                        max_life_years=max_life_years)
    tau, j = _steps(step_years, step_downs)
    n = a["rent0"].size
    value, _ = _value_kernel(a["rent0"], a["utilization"], a["cash_cost"],
                             _delta(a["deflation"]), _k(a["discount_rate"]), a["salvage"],
                             a["max_life_years"], np.broadcast_to(tau, (n, tau.size)),
                             np.broadcast_to(j, (n, j.size)))
    return _out(require_finite("income value", value), shape)


def _with_idle_option(rent0, utilization, cash_cost, deflation, discount_rate, rent_vol,
                      avoidable_share, salvage, max_life_years, step_years, step_downs, *,
                      total: bool):
    if rent_vol is None:
        raise InputError("rent_vol (needed when operating_flexibility is TRUE)",
                         key="required")
    a, shape = _numbers(rent0=rent0, utilization=utilization, cash_cost=cash_cost,
                        deflation=deflation, discount_rate=discount_rate, salvage=salvage,
                        max_life_years=max_life_years, rent_vol=rent_vol,
                        avoidable_share=avoidable_share)
    tau, j = _steps(step_years, step_downs)
    n = a["rent0"].size
    tt, jj = np.broadcast_to(tau, (n, tau.size)), np.broadcast_to(j, (n, j.size))
    delta, k = _delta(a["deflation"]), _k(a["discount_rate"])
    opt, life = idle_option_kernel(a["rent0"], a["utilization"], a["cash_cost"], delta, k,
                                   a["rent_vol"], a["avoidable_share"], a["salvage"],
                                   a["max_life_years"], tt, jj)
    if not total:
        return require_finite("idle option", opt), life, shape
    value, _ = _value_kernel(a["rent0"], a["utilization"], a["cash_cost"], delta, k,
                             a["salvage"], a["max_life_years"], tt, jj)
    return require_finite("income value", value + opt), shape


def idle_option(rent0, utilization, cash_cost, deflation, discount_rate, rent_vol,
                avoidable_share=_FLEX["avoidable_share"].default, *, salvage=D["salvage"],
                max_life_years=D["max_life_years"], step_years=D["step_years"],
                step_downs=D["step_downs"]):
    """Value of the option to idle a GPU when its rent does not cover the avoidable cost.

    Parameters
    ----------
    rent0, utilization, cash_cost, deflation, discount_rate, salvage, max_life_years
        As in :func:`income_value`.
    rent_vol : float or array_like
        Annual volatility of log rent around its trend, decimal per sqrt-year, >= 0.
    avoidable_share : float or array_like, optional
        Share of the cash cost saved while idle, decimal in [0, 1]. Default 0.24.
    step_years, step_downs : sequence of float, optional
        Generation step-downs (see :func:`rent_path`).

    Returns
    -------
    option : float or ndarray
        Currency per GPU, >= 0 (0 with nothing avoidable or no volatility).
    life : float or ndarray
        Years the GPU is kept with the option.

    Notes
    -----
    See :mod:`pymodel.flexibility`: the rent is lognormal around its trend, the expected margin
    with idling is a Black call on it less the unavoidable cost, and
    option = max(W(a, T_a), W(a, T_0)) - W(0, T_0). An upper bound (instant, free idling).

    References
    ----------
    docs/model.md section 4.9.
    """
    opt, life, shape = _with_idle_option(rent0, utilization, cash_cost, deflation,
                                         discount_rate, rent_vol, avoidable_share, salvage,
                                         max_life_years, step_years, step_downs, total=False)
    return _out(opt, shape), _out(life, shape)


def income_value_periodic(rent0, utilization, cash_cost, deflation, discount_rate, *,
                          periods_per_year=D["periods_per_year"], salvage=D["salvage"],
                          max_life_years=D["max_life_years"], step_years=D["step_years"],
                          step_downs=D["step_downs"]):
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
    §1.6 and §4.4-4.5.
    """
    a, shape = _numbers(rent0=rent0, utilization=utilization, cash_cost=cash_cost,
                        deflation=deflation, discount_rate=discount_rate, salvage=salvage,
                        max_life_years=max_life_years)
    ppy = SCHEMA.check("periods_per_year", periods_per_year)
    tau, j = _steps(step_years, step_downs)
    dt = 1.0 / ppy
    n_phys = np.floor(a["max_life_years"] * ppy + 1e-9).astype(np.int64)
    n_max = int(n_phys.max()) if n_phys.size else 0
    if n_phys.size * n_max > MAX_PERIODIC_CELLS:
        raise InputTypeError("max_life_years x periods_per_year", value=None, key="too_many",
                             limit=MAX_PERIODIC_CELLS, n=n_phys.size * n_max)
    k = _k(a["discount_rate"])
    p = np.arange(1, n_max + 1)
    start = (p - 1) * dt
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        rent = rent_kernel(a["rent0"][:, None], start[None, :], a["deflation"][:, None], tau, j)
        margin = a["utilization"][:, None] * rent - a["cash_cost"][:, None]
        dead = (margin <= 0) | (p[None, :] > n_phys[:, None])
        n_star = np.where(dead.any(axis=1), dead.argmax(axis=1), n_max)
        alive = p[None, :] <= n_star[:, None]
        disc = np.exp(-k[:, None] * (p[None, :] - 0.5) * dt)
        value = (H * dt * np.where(alive, margin * disc, 0.0)).sum(axis=1) \
            + a["salvage"] * np.exp(-k * n_star * dt)
    return _out(require_finite("income value", value), shape)


def economic_value_path(t_years, rent0, utilization, cash_cost, deflation, discount_rate, *,
                        salvage=D["salvage"], max_life_years=D["max_life_years"],
                        step_years=D["step_years"], step_downs=D["step_downs"]):
    """Income value per GPU at future times t, with the market rolled forward to t.

    Parameters
    ----------
    t_years : float or array_like
        Future times t, years from the valuation date, >= 0.
    rent0, utilization, cash_cost, deflation, discount_rate, salvage, max_life_years
        As in :func:`income_value` (broadcast with ``t_years``).
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
    §4.6 and §4.8.
    """
    a, shape = _numbers(t_years=t_years, rent0=rent0, utilization=utilization,
                        cash_cost=cash_cost, deflation=deflation, discount_rate=discount_rate,
                        salvage=salvage, max_life_years=max_life_years)
    tau, j = _steps(step_years, step_downs)
    value = economic_value_kernel(a["t_years"], a["rent0"], a["utilization"], a["cash_cost"],
                                  a["deflation"], a["discount_rate"], a["salvage"],
                                  a["max_life_years"], tau, j)
    return np.atleast_1d(_out(require_finite("economic value", value), shape))


def book_value(gpu_cost, age_years, book_life_years, *, salvage=D["salvage"]):
    """Straight-line book value per GPU.

    Parameters
    ----------
    gpu_cost : float or array_like
        Purchase cost C0, currency per GPU, > 0.
    age_years : float or array_like
        Age of the GPU, years, >= 0.
    book_life_years : float or array_like
        Book (depreciation) life L, years, > 0 (6 at CoreWeave, Microsoft, Alphabet [S]).
    salvage : float or array_like, optional
        Book salvage SV, currency per GPU, in [0, gpu_cost]. Default 0.

    Returns
    -------
    float or ndarray
        BV, currency per GPU.

    Notes
    -----
    .. math:: BV = C_0 - (C_0 - SV) \\min(\\text{age} / L, 1)

    References
    ----------
    §2.5 and §5.

    Examples
    --------
    >>> book_value(30000, 3, 6)
    15000.0
    """
    a, shape = _numbers(gpu_cost=gpu_cost, age_years=age_years,
                        book_life_years=book_life_years, salvage=salvage)
    bad = a["salvage"] > a["gpu_cost"]
    if np.any(bad):
        i = int(np.flatnonzero(bad)[0])
        raise DomainError("salvage", f"<= gpu_cost ({a['gpu_cost'][i]:g})", a["salvage"][i])
    return _out(book_value_kernel(a["gpu_cost"], a["age_years"], a["book_life_years"],
                                  a["salvage"]), shape)


def value_curve(gpu_cost, rent0, utilization, cash_cost, deflation, discount_rate, *,
                curve_years=D["curve_years"], points_per_year=D["points_per_year"],
                book_life_years=D["book_life_years"], age_years=D["age_years"],
                salvage=D["salvage"], max_life_years=D["max_life_years"],
                step_years=D["step_years"], step_downs=D["step_downs"], market_sku=None,
                curve_date=None) -> pd.DataFrame:
    """Economic value next to straight-line book value at future times (one GPU), and the
    shipped used-GPU market prices where there are any.

    Parameters
    ----------
    gpu_cost : float
        Purchase cost C0, currency per GPU, > 0.
    rent0, utilization, cash_cost, deflation, discount_rate : float
        As in :func:`income_value`.
    curve_years : float, optional
        Last year of the curve, years, > 0. Default 6.
    points_per_year : int, optional
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
    market_sku : str, optional
        A catalogue SKU: add the shipped secondary-market prices of that SKU
        (:func:`pymodel.market.observed_prices`, used sales and refurbished units dated
        within half a year of each curve date). Default: no market columns.
    curve_date : date-like, optional
        The date of year 0 (the valuation date); required with ``market_sku``.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`CURVE_COLUMNS`: ``year`` (t, years), ``market rent`` R(t) (currency per
        GPU-hour), ``economic value`` V(t) and ``book value`` BV(age + t) (currency per GPU),
        ``gap`` = BV - V (currency per GPU; positive = book overstates the collateral) and
        ``economic/book`` = V / BV (decimal; NaN when BV = 0). With ``market_sku``, also
        ``market price`` (median quote, currency per GPU; empty where the shipped evidence has
        none) and ``market quotes`` (how many).

    Notes
    -----
    t = 0, Delta, 2 Delta, ... up to ``curve_years``, Delta = 1/points_per_year (the last year
    is the last row when it is a multiple of Delta). V(t) as :func:`economic_value_path`; BV
    as :func:`book_value` at age + t.

    References
    ----------
    §4.8 and §5.
    """
    horizon = SCHEMA.check("curve_years", curve_years)
    ppy = SCHEMA.check("points_per_year", points_per_year)
    n_points = int(np.floor(horizon * ppy + 1e-9)) + 1
    if n_points > MAX_CURVE_POINTS:
        raise InputTypeError("curve_years x points_per_year", value=None, key="too_many",
                             limit=MAX_CURVE_POINTS, n=n_points)
    x = {}
    for name, v in (("gpu_cost", gpu_cost), ("rent0", rent0), ("utilization", utilization),
                    ("cash_cost", cash_cost), ("deflation", deflation),
                    ("discount_rate", discount_rate), ("book_life_years", book_life_years),
                    ("age_years", age_years), ("salvage", salvage),
                    ("max_life_years", max_life_years)):
        x[name] = SCHEMA.check(name, v)
        if np.ndim(x[name]) != 0:
            raise InputTypeError(name, value=None, key="not_number",
                                 formatted="a range (one number expected)")
    tau, j = _steps(step_years, step_downs)
    if x["salvage"] > x["gpu_cost"]:
        raise DomainError("salvage", f"<= gpu_cost ({x['gpu_cost']:g})", x["salvage"])
    t = np.arange(n_points) / ppy
    full = {n: np.full(n_points, v) for n, v in x.items()}
    rent = rent_kernel(full["rent0"], t, full["deflation"], tau, j)
    econ = require_finite("economic value", economic_value_kernel(
        t, full["rent0"], full["utilization"], full["cash_cost"], full["deflation"],
        full["discount_rate"], full["salvage"], full["max_life_years"], tau, j))
    book = book_value_kernel(full["gpu_cost"], full["age_years"] + t, full["book_life_years"],
                             full["salvage"])
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(book > 0, econ / np.where(book > 0, book, 1.0), np.nan)
    curve = {"year": t, "market rent": np.atleast_1d(rent), "economic value": econ,
             "book value": book, "gap": book - econ, "economic/book": ratio}
    if market_sku is None:
        return frame(curve, columns=list(CURVE_COLUMNS))
    from .catalogue import find_sku, sku_names, to_date
    from .market import observed_prices
    try:
        sku = find_sku(SCHEMA.check("market_sku", market_sku))
    except InputTypeError:
        raise InputTypeError("market_sku", " | ".join(sku_names()), market_sku,
                             key="choice") from None
    if curve_date is None:
        raise InputError("curve_date (needed with market_sku)", key="required")
    start = to_date("curve_date", curve_date)
    dates = [start + pd.Timedelta(days=float(x) * 365.25) for x in t]
    med, cnt = observed_prices(sku, dates)
    out = pd.DataFrame(curve, columns=list(CURVE_COLUMNS))
    out["market price"] = pd.Series([None if np.isnan(m) else float(m) for m in med],
                                    dtype=object)
    out["market quotes"] = cnt.astype(float)
    return out
