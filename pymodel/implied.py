"""Market-implied rent deflation: the g at which the income value equals an observed price.

To GPU collateral what implied volatility is to an option: given the secondary-market price of a
GPU and the other inputs of :func:`pymodel.residual.income_value` (rent today, utilisation, cash
cost, discount rate, salvage, physical life, step-downs), solve

    V(g) = market_price,    g in (-1, 1)

for the annual rent decline g the market prices in. V is the exact continuous income value of
docs/model.md §4.1, §4.4, §4.6, so the implied g has the same meaning as the g
typed into GPU_RV: the decline of the deterministic rent path R(t) = R0 (1-g)^t.

Existence. V is continuous in g. As g -> 1 the rent collapses: with a positive cash cost the
economic life T* goes to 0 and V -> salvage; with no cash cost V -> salvage (1+r)^(-T_phys). As
g -> -1 the rent doubles every year and V reaches its largest value over the domain. A price
outside (V(1-), V(-1+)) has no implied deflation and gives :class:`NotAvailableError` (#N/A)
with the reason. When u R0 <= c the GPU earns nothing today and V = salvage whatever g is, so g
is not identified (#N/A as well).

Uniqueness. Without salvage V is strictly decreasing in g wherever T* > 0. A salvage value
received at T* is discounted less when a faster decline shortens T*, so with a large salvage V
can rise slightly with g; the solver then returns the smallest g that reproduces the price
(the first sign change on its grid, scanning from g = -1 upward).

Method. For every row V is evaluated on a fixed grid of g (:data:`GRID`, denser near 1 where V
changes fastest in g); the first grid interval where V - price changes sign brackets the root,
and Brent's method (inverse quadratic interpolation, secant and bisection; Brent 1973) refines
it: :func:`pymodel.roots.brentq` (scipy's brentq) row by row for a few rows,
:func:`brent_vectorised` (the same steps through masks) for every bracket of a tape at once. Tolerance :data:`XTOL` in g.

Functions
---------
implied_deflation
    The implied g (float for scalar inputs, array for a tape); raises #N/A when a row has none.
implied_deflation_table
    The tape form: g per row (NaN where none) and the reason text per row ('' where solved).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from .errors import NotAvailableError, format_value
from .residual import D as _RV
from .residual import _delta, _k, _numbers, _steps, _value_kernel
from .roots import brentq
from .schema import POS, Param, declare


__all__ = ["implied_deflation", "implied_deflation_table", "ImpliedDeflation", "GRID", "XTOL",
           "brent_vectorised"]

#: Parameters of the implied deflation not declared by the residual-value model.
P = declare(
    Param("market_price", "currency per GPU", "Observed price of one GPU (secondary market or "
          "appraisal)", POS),
)

#: Bracketing grid of g (strictly inside (-1, 1), increasing).
GRID = np.array([-1 + 1e-9, -0.9, -0.75, -0.5, -0.3, -0.15, 0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6,
                 0.7, 0.8, 0.9, 0.97, 0.99, 0.999, 0.9999, 1 - 1e-9])
#: Absolute tolerance of the solved g.
XTOL = 1e-11
_RTOL = 4 * np.finfo(float).eps
_MAXITER = 100
#: Up to this many rows are solved one by one with brentq (less overhead per call).
_LOOP_MAX = 8


@dataclass(frozen=True)
class ImpliedDeflation:
    """Result of :func:`implied_deflation_table`.

    Attributes
    ----------
    deflation : numpy.ndarray
        Implied annual rent decline g per row, decimal per year; NaN where no g in (-1, 1)
        reproduces the price (then ``reason`` says why).
    reason : numpy.ndarray of str
        Empty where solved, else a plain sentence naming the argument and the value.
    value_low, value_high : numpy.ndarray
        The income value at the edges of the domain (g -> 1 and g -> -1), currency per GPU:
        the range of prices that have an implied deflation.
    shape : tuple of int
        The broadcast shape of the inputs (``()`` for scalars).
    """

    deflation: np.ndarray
    reason: np.ndarray
    value_low: np.ndarray
    value_high: np.ndarray
    shape: tuple[int, ...] = ()

    @property
    def solved(self) -> np.ndarray:
        """True where a deflation was found."""
        return self.reason == ""


def brent_vectorised(f: Callable[[np.ndarray, np.ndarray], np.ndarray], a: np.ndarray,
                     b: np.ndarray, fa: np.ndarray, fb: np.ndarray, *, xtol: float = XTOL,
                     rtol: float = _RTOL, maxiter: int = _MAXITER) -> np.ndarray:
    """Brent's root finder on many brackets at once.

    Parameters
    ----------
    f : callable
        ``f(index, x)`` returns the function values of the rows ``index`` at points ``x``.
    a, b : numpy.ndarray
        Bracket ends, one per row, with ``fa * fb <= 0``.
    fa, fb : numpy.ndarray
        f at ``a`` and ``b``.
    xtol, rtol : float
        Stop when the bracket is narrower than ``xtol + rtol |x|``.
    maxiter : int
        Most iterations (Brent converges superlinearly; bisection bounds it by about
        log2((b - a) / xtol)).

    Returns
    -------
    numpy.ndarray
        One root per row.

    Notes
    -----
    The algorithm of Brent (1973), "Algorithms for Minimization without Derivatives", ch. 4,
    in the form of scipy's ``brentq`` (inverse quadratic extrapolation, secant, bisection
    fallback), with every branch taken per row through masks.
    """
    xpre, xcur = np.array(a, float), np.array(b, float)
    fpre, fcur = np.array(fa, float), np.array(fb, float)
    n = xcur.size
    xblk, fblk = np.zeros(n), np.zeros(n)
    spre, scur = np.zeros(n), np.zeros(n)
    root = np.where(fpre == 0, xpre, np.where(fcur == 0, xcur, np.nan))
    done = (fpre == 0) | (fcur == 0)
    for _ in range(maxiter):
        act = ~done
        if not act.any():
            break
        flip = act & (np.signbit(fpre) != np.signbit(fcur))
        xblk = np.where(flip, xpre, xblk)
        fblk = np.where(flip, fpre, fblk)
        spre = np.where(flip, xcur - xpre, spre)
        scur = np.where(flip, xcur - xpre, scur)
        swap = act & (np.abs(fblk) < np.abs(fcur))
        xpre = np.where(swap, xcur, xpre)
        xcur = np.where(swap, xblk, xcur)
        xblk = np.where(swap, xpre, xblk)
        fpre = np.where(swap, fcur, fpre)
        fcur = np.where(swap, fblk, fcur)
        fblk = np.where(swap, fpre, fblk)
        tol = (xtol + rtol * np.abs(xcur)) / 2
        sbis = (xblk - xcur) / 2
        finished = act & ((fcur == 0) | (np.abs(sbis) < tol))
        root = np.where(finished, xcur, root)
        done |= finished
        act = ~done
        if not act.any():
            break
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            interp = np.abs(spre) > tol
            interp &= np.abs(fcur) < np.abs(fpre)
            secant = -fcur * (xcur - xpre) / (fcur - fpre)
            dpre = (fpre - fcur) / (xpre - xcur)
            dblk = (fblk - fcur) / (xblk - xcur)
            iqi = -fcur * (fblk * dblk - fpre * dpre) / (dblk * dpre * (fblk - fpre))
            stry = np.where(xpre == xblk, secant, iqi)
            good = interp & np.isfinite(stry) & (
                2 * np.abs(stry) < np.minimum(np.abs(spre), 3 * np.abs(sbis) - tol))
        new_spre = np.where(good, scur, sbis)
        new_scur = np.where(good, stry, sbis)
        spre = np.where(act, new_spre, spre)
        scur = np.where(act, new_scur, scur)
        xpre = np.where(act, xcur, xpre)
        fpre = np.where(act, fcur, fpre)
        step = np.where(np.abs(scur) > tol, scur, np.where(sbis > 0, tol, -tol))
        idx = np.flatnonzero(act)
        xcur[idx] = xcur[idx] + step[idx]
        fcur[idx] = f(idx, xcur[idx])
    return np.where(done, root, xcur)


def _reason(i: int, n: int, text: str) -> str:
    where = f" (row {i + 1})" if n > 1 else ""
    return f"{text}{where}"


def implied_deflation_table(market_price, rent0, utilization, cash_cost, discount_rate, *,
                            salvage=_RV["salvage"], max_life_years=_RV["max_life_years"],
                            step_years=_RV["step_years"],
                            step_downs=_RV["step_downs"]) -> ImpliedDeflation:
    """Market-implied deflation for every row of a tape, with the reason where there is none.

    Parameters
    ----------
    market_price : float or array_like
        Observed price of one GPU (secondary market or appraisal), currency per GPU, > 0.
    rent0, utilization, cash_cost, discount_rate, salvage, max_life_years
        As in :func:`pymodel.residual.income_value` (same units and domains); broadcast with
        ``market_price``.
    step_years, step_downs : sequence of float, optional
        Generation step-downs shared by every row (see :func:`pymodel.residual.rent_path`).

    Returns
    -------
    ImpliedDeflation
        Flat arrays (one element per broadcast row): ``deflation`` g (decimal per year, NaN
        where unsolved), ``reason`` ('' where solved), ``value_low`` and ``value_high`` (the
        value at g -> 1 and g -> -1, currency per GPU).

    Notes
    -----
    Solves V(g) = market_price with V the exact continuous income value; see the module notes
    for existence, uniqueness and the method. Inputs are validated exactly as in
    :func:`pymodel.residual.income_value`.

    References
    ----------
    §2.8, §4.1, §4.4 and §4.6; Brent (1973).
    """
    a, shape = _numbers(market_price=market_price, rent0=rent0, utilization=utilization,
                        cash_cost=cash_cost, discount_rate=discount_rate, salvage=salvage,
                        max_life_years=max_life_years)
    tau, j = _steps(step_years, step_downs)
    n = a["market_price"].size
    price = a["market_price"]
    k = _k(a["discount_rate"])

    def value(idx: np.ndarray, g: np.ndarray) -> np.ndarray:
        m = idx.size
        with np.errstate(all="ignore"):
            v, _ = _value_kernel(a["rent0"][idx], a["utilization"][idx], a["cash_cost"][idx],
                                 _delta(g), k[idx], a["salvage"][idx],
                                 a["max_life_years"][idx], np.broadcast_to(tau, (m, tau.size)),
                                 np.broadcast_to(j, (m, j.size)))
        return v

    # values on the grid: rows x grid points, one kernel call
    gsize = GRID.size
    rows = np.repeat(np.arange(n), gsize)
    grid_g = np.tile(GRID, n)
    vgrid = value(rows, grid_g).reshape(n, gsize)
    vhigh, vlow = vgrid[:, 0], vgrid[:, -1]
    fgrid = vgrid - price[:, None]

    reason = np.full(n, "", dtype=object)
    g_out = np.full(n, np.nan)
    earning = a["utilization"] * a["rent0"] > a["cash_cost"]
    finite = np.isfinite(vgrid).all(axis=1)
    for i in np.flatnonzero(~finite):
        reason[i] = _reason(i, n, "no implied deflation: the income value overflows for "
                                  "rising rents over this long a life (max_life_years "
                                  f"{format_value(a['max_life_years'][i])})")
    for i in np.flatnonzero(finite & ~earning):
        reason[i] = _reason(i, n, "no implied deflation: utilization x rent0 "
                                  f"({format_value(a['utilization'][i] * a['rent0'][i])}) <= "
                                  f"cash_cost ({format_value(a['cash_cost'][i])}), so the GPU "
                                  "earns nothing at any deflation and its value is the "
                                  "salvage")
    todo = finite & earning & (reason == "")
    # sign change: first grid interval where f crosses zero (scanning from g = -1 upward)
    pos = fgrid >= 0
    cross = pos[:, :-1] & ~pos[:, 1:]
    has = cross.any(axis=1) & todo
    above = todo & ~has & (fgrid[:, 0] < 0)     # price above the largest value
    below = todo & ~has & ~above                # price at or below the smallest value
    for i in np.flatnonzero(above):
        reason[i] = _reason(i, n, f"no implied deflation: market_price "
                                  f"{format_value(price[i])} is above the income value at any "
                                  f"deflation in (-1, 1) (at most {vhigh[i]:,.0f} per GPU, "
                                  "with rents doubling every year)")
    for i in np.flatnonzero(below):
        reason[i] = _reason(i, n, f"no implied deflation: market_price "
                                  f"{format_value(price[i])} is at or below the income value "
                                  f"even when rents vanish within weeks ({vlow[i]:,.0f} per "
                                  "GPU at a deflation of 0.999999999, close to the salvage)")
    idx = np.flatnonzero(has)
    if idx.size:
        first = cross[idx].argmax(axis=1)
        lo, hi = GRID[first], GRID[first + 1]
        flo, fhi = fgrid[idx, first], fgrid[idx, first + 1]

        if idx.size <= _LOOP_MAX:      # a few cells: scipy's compiled Brent, row by row
            for i, row in enumerate(idx):
                one = np.array([row])
                g_out[row] = brentq(lambda x: float(value(one, np.array([x]))[0] - price[row]),
                                    lo[i], hi[i], xtol=XTOL, rtol=_RTOL, maxiter=_MAXITER)
        else:                           # a tape: every bracket at once

            def f(sub: np.ndarray, x: np.ndarray) -> np.ndarray:
                rows_ = idx[sub]
                return value(rows_, x) - price[rows_]

            g_out[idx] = brent_vectorised(f, lo, hi, flo, fhi)
        g_out[idx] = np.clip(g_out[idx], GRID[0], GRID[-1])
    return ImpliedDeflation(g_out, reason.astype(str), vlow, vhigh, shape)


def implied_deflation(market_price, rent0, utilization, cash_cost, discount_rate, *,
                      salvage=_RV["salvage"], max_life_years=_RV["max_life_years"],
                      step_years=_RV["step_years"], step_downs=_RV["step_downs"]):
    """The annual rent deflation g at which the income value equals the market price.

    Parameters
    ----------
    market_price : float or array_like
        Observed price of one GPU (secondary market or appraisal), currency per GPU, > 0.
    rent0 : float or array_like
        Market rent at the valuation date, currency per GPU-hour, > 0.
    utilization : float or array_like
        Share of hours rented, decimal in [0, 1].
    cash_cost : float or array_like
        Cash operating cost, currency per GPU-hour, >= 0.
    discount_rate : float or array_like
        Discount rate, annual effective decimal, > -1.
    salvage : float or array_like, optional
        Salvage value at the end of the economic life, currency per GPU, >= 0. Default 0.
    max_life_years : float or array_like, optional
        Remaining physical life, years, >= 0. Default 8.
    step_years, step_downs : sequence of float, optional
        Generation step-downs (years from today and fractions), shared by every row.

    Returns
    -------
    float or numpy.ndarray
        g, decimal per year in (-1, 1) (float for scalar inputs): the decline of the trend
        (median) rent path that makes GPU_RV equal the price.

    Raises
    ------
    NotAvailableError
        No g in (-1, 1) reproduces the price of a row (the message gives the reason and the
        attainable value range), or the GPU earns nothing today so g is not identified.
    InputTypeError, DomainError
        Invalid inputs, as in :func:`pymodel.residual.income_value`.

    Notes
    -----
    Solves V(g) = P, V the exact continuous income value (§4.6), by Brent's
    method on a bracket found on a fixed grid of g; vectorised over rows. See
    :func:`implied_deflation_table` for the per-row form that does not raise.

    References
    ----------
    §2.8.

    Examples
    --------
    >>> from pymodel.residual import income_value
    >>> price = income_value(2.5, 0.85, 0.5, 0.3, 0.10)
    >>> round(implied_deflation(price, 2.5, 0.85, 0.5, 0.10), 8)
    0.3
    """
    res = implied_deflation_table(market_price, rent0, utilization, cash_cost, discount_rate,
                                  salvage=salvage, max_life_years=max_life_years,
                                  step_years=step_years, step_downs=step_downs)
    bad = np.flatnonzero(~res.solved)
    if bad.size:
        raise NotAvailableError(res.reason[bad[0]])
    out = res.deflation.reshape(res.shape)
    return float(out) if out.ndim == 0 else out
