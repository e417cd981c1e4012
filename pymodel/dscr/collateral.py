"""Collateral that matches the coverage: the contracts plus the GPUs after them; refinancing
risk of the balloon.

**Collateral value** at time t (currency, facility), the value a lender secured "customer
contracts first, hardware second" holds (§7):

    C(t) = PV_t(contracted cash) + gpus [V(t) + sum_c s_c (V(e_c) DF(t, e_c) - V(a_c') DF(t, a_c'))]

* contracted cash per period: gpus H D [sum_k (paying_k + backstop_k) rate_k
  - sum_c s_c f_c cash_cost], the tenants' payments weighted by their survival (and the
  guarantor's share after a default) less the cash cost of the contracted GPUs; renewals are
  not contracted and are not counted. Discounted at ``contract_discount_rate`` (empty: the
  deal's ``discount_rate``) per period: survival weighting at the rate r is discounting the
  promised cash at (1 + r) / (1 - pd) - 1, a rate that reflects each tenant's PD.
* V(t) the GPU's economic value (income approach) at t, DF at the deal's ``discount_rate``. A
  contracted GPU earns its contract instead of spot over the window [a_c', e_c) (a_c' =
  max(start, t)) and is worth V(e_c) when the contract ends: the bracket swaps the spot part of
  V(t) over the window for nothing (the contract cash is counted above). One contract from close
  gives s (PV of the contract + V(e) DF(t, e)) + (1 - s) V(t).
* No credit is taken for GPUs a defaulting tenant hands back early (conservative).

Next to it the GPU-only **economic LTV** (balance / gpus V(t)) and the **book LTV** (balance /
straight-line book value of the fleet).

**Refinancing risk.** At maturity T the balloon B must be refinanced at most at ``max_ltv`` of
the collateral then. Spot rents are lognormal around the deal's path, which is their trend
(median; g is the trend decline everywhere): R_T = R(T) exp(sigma sqrt(T) Z), Z ~ N(0, 1),
sigma = ``rent_vol``, the path after T deflating from R_T as before; contracted cash does not
depend on Z. C_T(Z) rises with Z, so

    P(refinance) = P(B <= max_ltv C_T(Z)) = 1 - Phi(z*),   max_ltv C_T(z*) = B,

and the expected shortfall if not refinanced is E[B - max_ltv C_T(Z) | Z < z*] (the amount no
new lender advances), computed by Gauss-Legendre quadrature over the failing states
z in [z* - 12, z*] (in [-12, 12] when no state refinances).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from scipy.special import ndtr, ndtri

from .. import HOURS_PER_YEAR
from ..residual import economic_value_kernel, require_finite
from ..roots import brentq
from .tenants import Flows, contract_flows, window_fraction

if TYPE_CHECKING:  # pragma: no cover
    from .deal import Deal


__all__ = ["Components", "components", "gpu_values", "CollateralPath", "collateral_path",
           "contract_cash", "collateral_at", "refi_distribution",
           "RefiResult", "Z_LIMIT", "QUAD_NODES"]

H = HOURS_PER_YEAR
#: Standard-normal range searched for the refinancing threshold.
Z_LIMIT = 8.0
#: Gauss-Legendre nodes of the expected-shortfall integral, and the width of the z interval
#: (and the bound of z: the normal mass beyond 12 standard deviations is below 1e-32).
QUAD_NODES = 96
QUAD_SPAN = 12.0


@dataclass(frozen=True)
class Components:
    """Windows in which a share of the fleet earns contract cash instead of spot: share s_c,
    start a_c, end e_c (arrays of length C)."""

    share: np.ndarray
    start: np.ndarray
    end: np.ndarray


def components(deal: "Deal", default_year: float | None = None,
               defaulted: np.ndarray | None = None) -> Components:
    """The contracted windows of a deal's tenants under its stress (a named default cuts the
    tenant's window at the default year; its guarantor's share runs on to the end);
    ``default_year`` and ``defaulted`` replace the deal's stress."""
    ten = deal.tenants
    s, a, e = ten.share, ten.start, ten.end
    y, hit = default_year, defaulted
    if y is None:
        y = deal.tenant_default_year
        hit = None if y is None else deal.defaulted_rows()
    if y is None or ten.k == 0 or hit is None or not np.any(hit):
        return Components(s, a, e)
    e_pay = np.where(hit, np.minimum(e, y), e)
    keep_b = hit & (ten.backstop > 0.0) & (e > y)
    return Components(np.concatenate([s, (s * ten.backstop)[keep_b]]),
                      np.concatenate([a, np.maximum(a, y)[keep_b]]),
                      np.concatenate([e_pay, e[keep_b]]))


def contract_cash(deal: "Deal", flows: Flows, comps: Components, t: np.ndarray) -> np.ndarray:
    """Contracted cash of the fleet per period at starts ``t`` (currency per period): tenant
    and guarantor payments less the cash cost of the contracted GPUs."""
    hours = deal.gpus * H * deal.dt
    pay = flows.paying if flows.backstop is None else flows.paying + flows.backstop
    paid = (pay * deal.tenants.rate[:, None]).sum(axis=0)
    busy = (comps.share[:, None] * window_fraction(t, deal.dt, comps.start, comps.end)
            ).sum(axis=0)
    return hours * (paid - busy * deal.cash_cost)


def _pv_at_starts(cash: np.ndarray, rate: float) -> np.ndarray:
    """PV at the start of each period j (and at the end of the last, 0) of cash_q, q >= j, paid
    at period ends, at ``rate`` per period; length N + 1."""
    n = cash.size
    v = (1.0 + rate) ** (-np.arange(1, n + 1, dtype=float))
    tail = np.cumsum((cash * v)[::-1])[::-1]
    return np.append(tail / np.concatenate(([1.0], v[:-1])), 0.0)


def gpu_values(deal: "Deal", times: np.ndarray, rent0: np.ndarray, deflation: float,
               utilization: float) -> np.ndarray:
    """Economic value per GPU at ``times`` (remaining physical life physical_life_years -
    age_years - t) with the spot rent at close ``rent0`` (an array of the same length). Without
    rent (rent0 0, or deflation 1: rents gone after close) the economic life is 0 and the value
    is the salvage."""
    n = times.size
    if deflation >= 1.0 or not np.any(rent0 > 0.0):
        return np.full(times.shape, float(deal.salvage))
    tau, j = deal.steps(ordered=True)
    value = economic_value_kernel(
        times, rent0, np.full(n, utilization), np.full(n, deal.cash_cost),
        np.full(n, deflation), np.full(n, deal.discount_rate), np.full(n, deal.salvage),
        np.full(n, deal.remaining_life), tau, j)
    if not np.all(rent0 > 0.0):
        value = np.where(rent0 > 0.0, value, float(deal.salvage))
    return require_finite("economic value", value)


def collateral_at(deal: "Deal", times: np.ndarray, contract_pv: np.ndarray,
                  comps: Components, *, rent0: float, deflation: float, utilization: float,
                  rent_factor: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Collateral value of the fleet at ``times`` (currency) and the GPU part of it.

    ``contract_pv`` is the PV of the contracted cash at each time (currency). With
    ``rent_factor`` (shape (M,)), the spot rents from ``times[0]`` on are scaled by it and the
    result has shape (M,) (``times`` must then be a single time).
    """
    r = deal.discount_rate
    if rent_factor is not None:
        t0 = float(times[0])
        m = rent_factor.size
        a = np.maximum(comps.start, t0)
        live = comps.end > t0
        pts = np.concatenate(([t0], a[live], comps.end[live]))
        grid_t = np.broadcast_to(pts, (m, pts.size)).ravel()
        grid_r = np.repeat(rent0 * rent_factor, pts.size)
        vals = gpu_values(deal, grid_t, grid_r, deflation, utilization).reshape(m, pts.size)
        c = int(live.sum())
        v_t, v_a, v_e = vals[:, 0], vals[:, 1:1 + c], vals[:, 1 + c:]
        df_a = (1.0 + r) ** (-(a[live] - t0))
        df_e = (1.0 + r) ** (-(comps.end[live] - t0))
        gpu = v_t + ((v_e * df_e - v_a * df_a) * comps.share[live]).sum(axis=1)
        gpu = deal.gpus * gpu
        return gpu + float(contract_pv[0]), gpu
    n = times.size
    kk = comps.share.size
    pts = np.concatenate((times, comps.start, comps.end))
    vals = gpu_values(deal, pts, np.full(pts.size, rent0), deflation, utilization)
    v_t, v_s, v_e = vals[:n], vals[n:n + kk], vals[n + kk:]
    a = np.maximum(comps.start[None, :], times[:, None])
    v_a = np.where(comps.start[None, :] >= times[:, None], v_s[None, :], v_t[:, None])
    live = comps.end[None, :] > times[:, None]
    df_a = (1.0 + r) ** (-(a - times[:, None]))
    df_e = (1.0 + r) ** (-(comps.end[None, :] - times[:, None]))
    swap = np.where(live, v_e[None, :] * df_e - v_a * df_a, 0.0) * comps.share[None, :]
    gpu = deal.gpus * (v_t + swap.sum(axis=1))
    return gpu + contract_pv, gpu


@dataclass(frozen=True)
class CollateralPath:
    """Values of the fleet at t_j = j D, j = 0..n (period starts and maturity; currency).

    ``contract_pv`` PV of the contracted cash from t_j; ``gpu_value`` the GPUs (with contracted
    windows swapped out); ``collateral`` their sum; ``economic`` the GPU-only economic value
    (gpus V(t_j)); ``book`` the straight-line book value of the fleet.
    """

    times: np.ndarray
    contract_pv: np.ndarray
    gpu_value: np.ndarray
    collateral: np.ndarray
    economic: np.ndarray
    book: np.ndarray
    components: Components


def collateral_path(deal: "Deal", *, deflation: float, rent0: float, utilization: float,
                    default_year: float | None = None, defaulted: np.ndarray | None = None
                    ) -> CollateralPath:
    """Collateral, GPU-only economic and book values of the fleet at every period start and at
    maturity, under a stress of the spot rents (the contracts do not depend on it)."""
    from .cashflows import book_values
    n, dt = deal.n, deal.dt
    times = np.arange(n + 1) * dt
    comps = components(deal, default_year, defaulted)
    ten = deal.tenants
    book = deal.gpus * np.atleast_1d(book_values(deal, times))
    if ten.k:
        last = float(np.max(comps.end))
        big_n = max(n, int(np.ceil(last / dt - 1e-9)))
        t_ext = np.arange(big_n) * dt
        flows = contract_flows(deal, t_ext, default_year=default_year, defaulted=defaulted)
        cash = contract_cash(deal, flows, comps, t_ext)
        rate = (1.0 + deal.contract_rate_or_default) ** dt - 1.0
        pv = _pv_at_starts(cash, rate)[:n + 1]
    else:
        pv = np.zeros(n + 1)
    coll, gpu = collateral_at(deal, times, pv, comps, rent0=rent0, deflation=deflation,
                              utilization=utilization)
    econ = deal.gpus * gpu_values(deal, times, np.full(n + 1, float(rent0)), deflation,
                                  utilization)
    return CollateralPath(times, pv, gpu, coll, econ, book, comps)


@dataclass(frozen=True)
class RefiResult:
    """Refinancing risk of a balloon (currency for amounts, decimals for shares)."""

    balloon: float
    max_ltv: float
    rent_vol: float
    maturity_years: float
    probability: float
    shortfall_if_not: float
    expected_shortfall: float
    collateral_median: float
    ltv_median: float
    ltv_p95: float
    ltv_p05: float
    z_star: float

    def rows(self) -> list[list]:
        """Label | value rows (what REFI_RISK shows)."""
        return [["refinance_probability", self.probability],
                ["expected_shortfall_if_not", self.shortfall_if_not],
                ["expected_shortfall", self.expected_shortfall],
                ["balloon", self.balloon],
                ["collateral_at_maturity_median", self.collateral_median],
                ["ltv_at_maturity_median", self.ltv_median],
                ["ltv_at_maturity_p95", self.ltv_p95],
                ["ltv_at_maturity_p05", self.ltv_p05],
                ["max_ltv", self.max_ltv], ["rent_vol", self.rent_vol],
                ["maturity_years", self.maturity_years]]


@functools.lru_cache(maxsize=1)
def _quad_rule() -> tuple[np.ndarray, np.ndarray]:
    """The QUAD_NODES-point Gauss-Legendre nodes and weights on [-1, 1] (computed once: an
    eigenvalue problem of that size; read-only)."""
    x, w = np.polynomial.legendre.leggauss(QUAD_NODES)
    x.setflags(write=False)
    w.setflags(write=False)
    return x, w


def refi_distribution(deal: "Deal", balloon: float, contract_pv_t: float, comps: Components,
                      *, max_ltv: float, rent_vol: float) -> RefiResult:
    """Probability that ``balloon`` can be refinanced at ``max_ltv`` of the collateral at
    maturity, and the expected shortfall if not (see the module docstring)."""
    t = deal.n * deal.dt
    sd = rent_vol * np.sqrt(t)

    def coll(z: np.ndarray) -> np.ndarray:
        factor = np.exp(sd * np.asarray(z, dtype=float))  # the path is the median
        c, _ = collateral_at(deal, np.array([t]), np.array([contract_pv_t]), comps,
                             rent0=deal.rent0, deflation=deal.deflation,
                             utilization=deal.utilization, rent_factor=np.atleast_1d(factor))
        return c

    def ltv(z: float) -> float:
        c = float(coll(np.array([z]))[0])
        return balloon / c if c > 0.0 else np.inf

    med = float(coll(np.array([0.0]))[0])
    q95, q05 = ndtri(0.05), ndtri(0.95)  # high LTV = low collateral
    out = dict(balloon=balloon, max_ltv=max_ltv, rent_vol=rent_vol, maturity_years=t,
               collateral_median=med, ltv_median=balloon / med if med > 0 else np.inf,
               ltv_p95=ltv(q95), ltv_p05=ltv(q05))
    need = balloon / max_ltv
    if balloon <= 0.0:
        return RefiResult(probability=1.0, shortfall_if_not=0.0, expected_shortfall=0.0,
                          z_star=-np.inf, **out)
    lo, hi = -Z_LIMIT, Z_LIMIT
    g_lo = float(coll(np.array([lo]))[0]) - need
    g_hi = float(coll(np.array([hi]))[0]) - need
    if g_lo >= 0.0:
        return RefiResult(probability=1.0, shortfall_if_not=0.0, expected_shortfall=0.0,
                          z_star=-np.inf, **out)
    if g_hi < 0.0:
        z_star = np.inf
        p_fail = 1.0
    else:
        z_star = float(brentq(lambda z: float(coll(np.array([z]))[0]) - need, lo, hi,
                              xtol=1e-10, maxiter=200))
        p_fail = float(ndtr(z_star))
    # E[(B - L C(Z)) 1(Z < z*)] = int_{-inf}^{z*} (B - L C(z)) phi(z) dz, Gauss-Legendre on
    # [max(z* - 12, -12), min(z*, 12)] (the normal mass beyond 12 is below 1e-32)
    top = min(z_star, QUAD_SPAN)
    bottom = max(top - QUAD_SPAN, -QUAD_SPAN) if np.isfinite(z_star) else -QUAD_SPAN
    x, w = _quad_rule()
    half = 0.5 * (top - bottom)
    z = bottom + half * (x + 1.0)
    short = np.maximum(balloon - max_ltv * coll(z), 0.0)
    expected = float(half * np.sum(w * short * np.exp(-0.5 * z * z)) / np.sqrt(2.0 * np.pi))
    return RefiResult(probability=1.0 - p_fail, shortfall_if_not=expected / p_fail,
                      expected_shortfall=expected, z_star=z_star, **out)
