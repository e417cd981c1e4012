"""Cash flows of a deal, its debt schedule fixed at close, and the collateral values per period.

Kernels on a validated :class:`~pymodel.dscr.deal.Deal` (no validation here). Symbols: H =
8,760 hours a year; periods p = 1..n of length D = 1/payments_per_year starting at
t = (p-1) D.

* Spot rent R_p = rent0 (1-g)^t prod_k (1 - j_k 1[tau_k <= t]) (the one rent path,
  :func:`pymodel.residual.rent_kernel`).
* Contracted share w_p = contracted_share f_p (1 - tenant_pd)^t, f_p = min(max((T_c - t)/D,
  0), 1), T_c the contract end (brought forward to tenant_default_year in that stress).
* Revenue_p = gpus H D [w_p contract_rate + (1 - w_p) u R_p]; Opex_p = gpus H D cash_cost;
  EBITDA = Revenue - Opex; Tax_p = tax_rate max(EBITDA_p - Interest_p, 0); CFADS = EBITDA - Tax.
* The debt schedule is fixed at close from the base case (:func:`schedule_at_close`); a
  sculpted schedule and its interest tax shield are solved by fixed-point iteration.
* Collateral per GPU at time t: the economic value V(t) (:func:`pymodel.residual.
  economic_value_kernel`, remaining physical life physical_life_years - age_years - t) and the
  straight-line book value at age age_years + t.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import HOURS_PER_YEAR
from ..debt import DebtSchedule, schedule_kernel, sculpted_schedule
from ..errors import ConvergenceError
from ..residual import book_value_kernel, economic_value_kernel, rent_kernel, require_finite
from .deal import Deal

__all__ = ["Operating", "operating", "cfads", "schedule_at_close", "Base", "economic_values",
           "book_values", "MAX_FIXED_POINT"]

H = HOURS_PER_YEAR
#: Most fixed-point iterations of a sculpted schedule (tax shield and interest).
MAX_FIXED_POINT = 200
_NO_STEPS = (np.zeros(0), np.zeros(0))


def spot_rent(deal: Deal, t: np.ndarray, deflation: float, rent0: float,
              steps: bool = True) -> np.ndarray:
    """R_p at the period starts t (start-of-period rent with the step-downs in force at t)."""
    tau, j = deal.steps() if steps else _NO_STEPS
    return rent_kernel(rent0, t, deflation, tau, j)


def contracted_share(deal: Deal, t: np.ndarray) -> np.ndarray:
    """w_p: expected share of the fleet still on contract in each period."""
    if deal.contracted_share == 0.0:
        return np.zeros_like(t)
    end = deal.contract_years
    if deal.tenant_default_year is not None:
        end = min(end, deal.tenant_default_year)
    f = np.clip((end - t) / deal.dt, 0.0, 1.0)
    w = deal.contracted_share * f
    if deal.tenant_pd:
        w = w * np.power(1.0 - deal.tenant_pd, t)
    return w


@dataclass(frozen=True)
class Operating:
    """Operating cash flows per period (currency per period for the facility; rent per
    GPU-hour; contracted share decimal)."""

    rent: np.ndarray
    revenue: np.ndarray
    opex: np.ndarray
    ebitda: np.ndarray
    contracted: np.ndarray


def operating(deal: Deal, *, deflation: float | None = None, rent0: float | None = None,
              utilization: float | None = None, steps: bool = True,
              t: np.ndarray | None = None) -> Operating:
    """Revenue, opex and EBITDA per period; ``deflation``, ``rent0``, ``utilization`` replace
    the deal's values (stresses, breakeven searches); ``steps=False`` drops the step-downs."""
    g = deal.deflation if deflation is None else deflation
    r0 = deal.rent0 if rent0 is None else rent0
    u = deal.utilization if utilization is None else utilization
    t = deal.starts if t is None else t
    hours = deal.gpus * H * deal.dt
    rent = spot_rent(deal, t, g, r0, steps)
    w = contracted_share(deal, t)
    rate = deal.contract_rate if deal.contract_rate is not None else 0.0
    revenue = hours * (w * rate + (1.0 - w) * u * rent)
    opex = np.full_like(t, hours * deal.cash_cost)
    return Operating(rent, revenue, opex, revenue - opex, w)


def cfads(ebitda: np.ndarray, interest: np.ndarray, tax_rate: float
          ) -> tuple[np.ndarray, np.ndarray]:
    """CFADS and tax per period: tax = tax_rate max(EBITDA - interest, 0)."""
    tax = tax_rate * np.maximum(ebitda - interest, 0.0)
    return ebitda - tax, tax


def schedule_at_close(deal: Deal, ebitda: np.ndarray) -> DebtSchedule:
    """The debt schedule fixed at close from the base-case cash flows."""
    i = deal.rate_per_period
    if deal.amortization != "sculpted":
        return schedule_kernel(deal.debt, i, deal.n, deal.amortization, deal.balloon_share,
                               deal.payments_per_year)
    bal = deal.debt * deal.balloon_share
    interest = np.zeros_like(ebitda)
    for _ in range(MAX_FIXED_POINT):
        cf, _tax = cfads(ebitda, interest, deal.tax_rate)
        sched = sculpted_schedule(deal.debt, i, cf, balloon_amount=bal,
                                  payments_per_year=deal.payments_per_year)
        if deal.tax_rate == 0.0 or np.max(np.abs(sched.interest - interest)) <= \
                1e-11 * max(deal.debt, 1.0):
            return sched
        interest = sched.interest
    raise ConvergenceError("sculpted amortization: the tax on CFADS and the interest did not "
                           f"settle in {MAX_FIXED_POINT} iterations")


class Base:
    """Base case of a deal: the schedule fixed at close, for repeated stressed evaluations."""

    def __init__(self, deal: Deal):
        self.deal = deal
        self.ops = operating(deal)
        self.schedule = schedule_at_close(deal, self.ops.ebitda)

    def cash(self, **stress: Any) -> tuple[Operating, np.ndarray, np.ndarray]:
        """Operating flows, CFADS and tax under a stress of the cash flows (the schedule
        stays the base case's)."""
        ops = operating(self.deal, **stress) if stress else self.ops
        cf, tax = cfads(ops.ebitda, self.schedule.interest, self.deal.tax_rate)
        return ops, cf, tax


def economic_values(deal: Deal, times: np.ndarray, *, deflation: float, rent0: float,
                    utilization: float) -> np.ndarray:
    """Economic value per GPU at ``times`` (remaining physical life physical_life_years -
    age_years - t). Without rent (rent0 0, or deflation 1: rents gone after close) the economic
    life is 0 and the value is the salvage."""
    if rent0 <= 0.0 or deflation >= 1.0:
        return np.full(times.shape, float(deal.salvage))
    n = times.size
    tau, j = deal.steps(ordered=True)
    value = economic_value_kernel(
        times, np.full(n, rent0), np.full(n, utilization), np.full(n, deal.cash_cost),
        np.full(n, deflation), np.full(n, deal.discount_rate), np.full(n, deal.salvage),
        np.full(n, deal.remaining_life), tau, j)
    return require_finite("economic value", value)


def book_values(deal: Deal, times: np.ndarray) -> np.ndarray:
    """Straight-line book value per GPU at ``times`` (age age_years + t)."""
    return book_value_kernel(deal.gpu_cost, deal.age_years + times, deal.book_life_years,
                             deal.salvage)
