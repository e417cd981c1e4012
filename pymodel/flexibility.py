"""Operating flexibility: the value of idling GPUs when renting them does not pay (an upper bound).

The income value of :mod:`pymodel.residual` keeps a GPU rented at utilisation u until its margin
u R(t) - c turns negative, on the deterministic (trend) rent path. A lender's collateral can do
better: when the market rent falls below what the GPU costs to run, the owner can idle it and
save the avoidable part of the cash cost (power; colocation is usually contracted and is not
avoidable). With the rent uncertain, that choice is an option, worth something even while the
trend margin is positive.

Model. The rent is lognormal around its trend (g is the trend decline, docs/model.md 1.3):
ln R(t) ~ N(ln R_trend(t), sigma^2 t), R_trend(t) = R0 (1-g)^t prod_k (1 - j_k 1[t >= tau_k]).
With a the avoidable share of the cash cost c, the expected cash margin per hour is

    f_a(t) = E[max(u R(t) - a c, 0)] - (1 - a) c
           = u R_trend e^(s^2/2) Phi(d1) - a c Phi(d1 - s) - (1 - a) c,

s = sigma sqrt(t), d1 = (ln(u R_trend / (a c)) + s^2) / s (Black 1976 on the lognormal rent). The
GPU is kept while f_a > 0: T_a = the first t with f_a(t) <= 0, capped at the physical life.
Its value with flexibility is

    W(a, T) = H int_0^T f_a(t) e^(-k t) dt + SV e^(-k T),

by Gauss-Legendre quadrature between step-downs (48 nodes a segment: the integrand is smooth
there). The value of the option to idle is

    option = max(W(a, T_a), W(a, T_0)) - W(0, T_0) >= 0,

the owner with the option can always keep the no-option life T_0, so the option is never
negative. With a = 0 (nothing avoidable) or sigma = 0 (no uncertainty: the owner retires at T*
either way) it is exactly 0. :func:`pymodel.residual.income_value` with
``operating_flexibility`` adds it to the deterministic value; W(0, T_0) differs from that value
by the mean of the lognormal rent over its median (e^(s^2/2)), which is not the option and is
left out.

Why an upper bound: idling is assumed instant, free and perfectly timed on the current rent;
utilisation does not depend on the rent; customers who leave when a GPU is idled come back;
contracts never oblige the owner to keep capacity running; the life ends on the expected
margin (not on an optimal stopping rule, which could be worth more or, with idling costs,
less).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.special import ndtr

from .schema import NONNEG, UNIT, Param, declare

__all__ = ["P", "option_value_kernel", "flexible_value", "GL_NODES"]

#: Parameters of the operating-flexibility switch (docs/model.md 4.9).
P = declare(
    Param("operating_flexibility", "", "TRUE adds the value of idling the GPUs when renting "
          "them does not pay (lognormal rent, avoidable share of the cash cost): an upper "
          "bound", default=False, source="D: off, the base value keeps the GPUs rented",
          kind="bool"),
    Param("rent_vol", "decimal per sqrt(year)", "Annual volatility of log rent around its trend "
          "(e.g. RENT_DEFLATION_FIT's volatility)", NONNEG, default=None,
          empty="GPU_RV needs one with operating_flexibility; deal functions take the deal's, "
          "else 0.50 (H100 contract-rent fit)"),
    Param("avoidable_share", "decimal", "Share of the cash cost saved while a GPU is idle "
          "(power; colocation is usually contracted)", UNIT, default=0.24,
          source="D: power 0.12 of the 0.50 cash cost build-up (docs/model.md 4.3); "
                 "colocation and other costs contracted"),
)

H = 8760.0
#: Gauss-Legendre nodes per rent segment.
GL_NODES = 48
_GL_X, _GL_W = np.polynomial.legendre.leggauss(GL_NODES)
_GRID = 400          # life search grid per row
_BISECT = 60


def _trend(rent0, t, delta, tau, j):
    """Trend rent R0 e^(-delta t) prod(1 - j 1[t >= tau]); rent0, delta (n, 1); t (n, m);
    tau, j (n, K)."""
    f = np.prod(np.where(t[..., None] >= tau[:, None, :], 1.0 - j[:, None, :], 1.0), axis=-1)
    with np.errstate(over="ignore", under="ignore"):
        return rent0 * np.exp(-delta * t) * f


def _margin(rent0, u, c, delta, sigma, a, t, tau, j):
    """f_a(t) = E[max(u R - a c, 0)] - (1 - a) c for the lognormal rent around its trend."""
    m = u * _trend(rent0, t, delta, tau, j)
    strike = a * c
    s = sigma * np.sqrt(t)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        d1 = (np.log(m / strike) + s * s) / s
        call = m * np.exp(s * s / 2.0) * ndtr(d1) - strike * ndtr(d1 - s)
        mean = m * np.exp(s * s / 2.0)
    call = np.where(s > 0, np.where(strike > 0, call, mean), np.maximum(m - strike, 0.0))
    return call - (1.0 - a) * c


def _life(cols, life, tau, j):
    """First t in [0, life] with f_a(t) <= 0 (grid, then bisection), else life."""
    rent0, u, c, delta, sigma, a = cols
    tg = life[:, None] * np.linspace(0.0, 1.0, _GRID + 1)[None, :]
    fg = _margin(rent0, u, c, delta, sigma, a, tg, tau, j)
    dead = fg <= 0
    first = np.where(dead.any(1), dead.argmax(1), _GRID + 1)
    out = life.astype(float).copy()
    out[first == 0] = 0.0
    mid = np.flatnonzero((first > 0) & (first <= _GRID))
    if mid.size:
        lo = tg[mid, first[mid] - 1]
        hi = tg[mid, first[mid]]
        sub = [x[mid] for x in cols]
        for _ in range(_BISECT):
            m_ = 0.5 * (lo + hi)
            fm = _margin(*sub[:5], sub[5], m_[:, None], tau[mid], j[mid])[:, 0]
            pos = fm > 0
            lo = np.where(pos, m_, lo)
            hi = np.where(pos, hi, m_)
        out[mid] = 0.5 * (lo + hi)
    return out


def _worth(cols, k, salvage, tlife, tau, j):
    """W(a, T) = H int_0^T f_a e^(-kt) dt + SV e^(-kT), Gauss-Legendre between step-downs."""
    rent0, u, c, delta, sigma, a = cols
    n = tlife.size
    kk = k[:, None]
    bounds = np.concatenate([np.zeros((n, 1)), np.minimum(tau, tlife[:, None]),
                             tlife[:, None]], axis=1)
    bounds = np.maximum.accumulate(bounds, axis=1)
    total = np.zeros(n)
    for s_ in range(bounds.shape[1] - 1):
        lo, hi = bounds[:, s_], bounds[:, s_ + 1]
        half = (hi - lo) / 2.0
        if not np.any(half > 0):
            continue
        t = ((lo + hi) / 2.0)[:, None] + half[:, None] * _GL_X[None, :]
        with np.errstate(over="ignore", under="ignore", invalid="ignore"):
            f = _margin(rent0, u, c, delta, sigma, a, t, tau, j) * np.exp(-kk * t)
        total += half * (f * _GL_W[None, :]).sum(1)
    with np.errstate(over="ignore", under="ignore"):
        return H * total + salvage * np.exp(-k * tlife)


def option_value_kernel(rent0: np.ndarray, u: np.ndarray, c: np.ndarray, delta: np.ndarray,
                 k: np.ndarray, sigma: np.ndarray, a: np.ndarray, salvage: np.ndarray,
                 life: np.ndarray, tau: np.ndarray, j: np.ndarray) -> tuple[np.ndarray,
                                                                             np.ndarray]:
    """Value of the option to idle, per GPU, and the life with it (flat, validated arrays).

    Parameters
    ----------
    rent0, u, c, delta, k, sigma, a, salvage, life : numpy.ndarray
        Flat arrays of one length n: rent today (per GPU-hour), utilisation, cash cost (per
        GPU-hour), continuous rent decline delta = -ln(1-g), continuous discount rate
        k = ln(1+r), annual log-rent volatility, avoidable share of the cash cost, salvage
        (per GPU), remaining physical life (years).
    tau, j : numpy.ndarray
        Step-down years and fractions, shape (n, K), sorted along axis 1.

    Returns
    -------
    option : numpy.ndarray
        max(W(a, T_a), W(a, T_0)) - W(0, T_0), currency per GPU, >= 0.
    life : numpy.ndarray
        T_a if it gives the larger value, else T_0 (years).
    """
    col = lambda x: np.asarray(x, dtype=float).reshape(-1, 1)   # noqa: E731
    with_opt = [col(rent0), col(u), col(c), col(delta), col(sigma), col(a)]
    no_opt = with_opt[:5] + [np.zeros_like(with_opt[5])]
    t_a = _life(with_opt, life, tau, j)
    t_0 = _life(no_opt, life, tau, j)
    w_a = _worth(with_opt, k, salvage, t_a, tau, j)
    w_a0 = _worth(with_opt, k, salvage, t_0, tau, j)
    w_0 = _worth(no_opt, k, salvage, t_0, tau, j)
    keep_a = w_a >= w_a0
    best = np.where(keep_a, w_a, w_a0)
    return np.maximum(best - w_0, 0.0), np.where(keep_a, t_a, t_0)


def flexible_value(rent0, utilization, cash_cost, deflation, discount_rate, rent_vol,
                   avoidable_share=P["avoidable_share"].default, *, salvage=0.0,
                   max_life_years=8.0, step_years=(), step_downs=()) -> dict[str, Any]:
    """Income value with and without the option to idle, its life, for one GPU or a tape.

    Parameters
    ----------
    rent0, utilization, cash_cost, deflation, discount_rate, salvage, max_life_years
        As in :func:`pymodel.residual.income_value`.
    rent_vol : float or array_like
        Annual volatility of log rent around its trend, decimal per sqrt-year, >= 0.
    avoidable_share : float or array_like, optional
        Share of the cash cost saved while idle, decimal in [0, 1]. Default 0.24.
    step_years, step_downs : sequence of float, optional
        Generation step-downs (see :func:`pymodel.residual.rent_path`).

    Returns
    -------
    dict
        ``value`` (the deterministic income value plus the option, currency per GPU),
        ``base_value`` (the deterministic income value), ``option_value`` (currency per GPU,
        >= 0) and ``life`` (years kept with the option); floats for scalar inputs.

    References
    ----------
    docs/model.md section 4.9; Black (1976) for the expected call on a lognormal price;
    McDonald and Siegel (1985), "Investment and the valuation of firms when there is an option
    to shut down", International Economic Review 26(2).
    """
    from . import residual
    base = residual.income_value(rent0, utilization, cash_cost, deflation, discount_rate,
                                 salvage=salvage, max_life_years=max_life_years,
                                 step_years=step_years, step_downs=step_downs,
                                 operating_flexibility=False)
    opt, life = residual.idle_option(rent0, utilization, cash_cost, deflation, discount_rate,
                                     rent_vol, avoidable_share, salvage=salvage,
                                     max_life_years=max_life_years, step_years=step_years,
                                     step_downs=step_downs)
    return {"value": base + opt, "base_value": base, "option_value": opt, "life": life}
