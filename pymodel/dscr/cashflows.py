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

import contextlib
import copy
import functools
import hashlib
import pickle
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import HOURS_PER_YEAR
from ..debt import DebtSchedule, schedule_kernel, sculpted_schedule
from ..errors import ConvergenceError
from ..residual import book_value_kernel, rent_kernel
from .deal import Deal
from .collateral import CollateralPath, collateral_path, gpu_values
from .tenants import Flows, contract_flows
from .waterfall import Waterfall, run_waterfall

__all__ = ["Operating", "operating", "cfads", "schedule_at_close", "Base", "Path",
           "economic_values",
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


@dataclass(frozen=True)
class Operating:
    """Operating cash flows per period (currency per period for the facility; rent per
    GPU-hour; contracted share decimal). ``flows`` holds the contracted shares per tenant row
    (:class:`~pymodel.dscr.tenants.Flows`, None without contracts); ``tenant_revenue`` the
    revenue from each row's contracts (tenant, guarantor and renewal; shape (K, n)) and
    ``spot_revenue`` the rest."""

    rent: np.ndarray
    revenue: np.ndarray
    opex: np.ndarray
    ebitda: np.ndarray
    contracted: np.ndarray
    flows: Flows | None = None
    tenant_revenue: np.ndarray | None = None
    spot_revenue: np.ndarray | None = None


def operating(deal: Deal, *, deflation: float | None = None, rent0: float | None = None,
              utilization: float | None = None, steps: bool = True,
              t: np.ndarray | None = None, default_year: float | None = None,
              defaulted: np.ndarray | None = None, flows: Flows | None = None) -> Operating:
    """Revenue, opex and EBITDA per period; ``deflation``, ``rent0``, ``utilization`` replace
    the deal's values (stresses, breakeven searches); ``steps=False`` drops the step-downs;
    ``default_year`` and ``defaulted`` (a mask of tenant rows) replace the deal's named-default
    stress; ``flows``: the contracted shares already computed for these periods and stress."""
    g = deal.deflation if deflation is None else deflation
    r0 = deal.rent0 if rent0 is None else rent0
    u = deal.utilization if utilization is None else utilization
    t = deal.starts if t is None else t
    hours = deal.gpus * H * deal.dt
    rent = spot_rent(deal, t, g, r0, steps)
    opex = np.full_like(t, hours * deal.cash_cost)
    ten = deal.tenants
    if ten.k == 0:
        w = np.zeros_like(t)
        revenue = hours * (w * 0.0 + (1.0 - w) * u * rent)
        return Operating(rent, revenue, opex, revenue - opex, w, None,
                         np.zeros((0, t.size)), revenue)
    if flows is None:
        flows = contract_flows(deal, t, default_year=default_year, defaulted=defaulted)
    renewal_rent = None
    if flows.renewed is not None:  # renewals at a share of the spot rent at expiry
        renewal_rent = ten.renewal_share * spot_rent(deal, ten.end, g, r0, steps)
    by_row = flows.revenue_share(ten.rate, renewal_rent)
    w = flows.contracted().sum(axis=0)
    spot = (1.0 - w) * u * rent
    loss = flows.relet_loss()
    if loss is not None:
        spot = spot - loss * u * rent
    revenue = hours * (by_row.sum(axis=0) + spot)
    return Operating(rent, revenue, opex, revenue - opex, w, flows, hours * by_row,
                     hours * spot)


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


@dataclass(frozen=True)
class Path:
    """One path of a deal: operating flows, CFADS, tax and the debt serviced (currency per
    period). ``schedule`` is the schedule fixed at close, or, with a waterfall, the debt as
    the waterfall serviced it (due amounts; balances after prepayments); ``waterfall`` the
    waterfall (None without one); ``values`` the collateral path when the waterfall tested an
    LTV."""

    ops: Operating
    cfads: np.ndarray
    tax: np.ndarray
    schedule: DebtSchedule
    waterfall: Waterfall | None = None
    values: CollateralPath | None = None


class Base:
    """Base case of a deal: the schedule fixed at close, for repeated stressed evaluations."""

    def __init__(self, deal: Deal):
        self.deal = deal

    @functools.cached_property
    def ops(self) -> Operating:
        """The base case's operating flows (computed when first needed: a path found in the
        memo needs none)."""
        return operating(self.deal)

    @functools.cached_property
    def schedule(self) -> DebtSchedule:
        """The debt schedule fixed at close."""
        return schedule_at_close(self.deal, self.ops.ebitda)

    def _operating(self, stress: dict[str, Any]) -> Operating:
        """Operating flows under a stress; the contracted shares of the base case are reused
        unless the stress names tenant defaults (they do not depend on spot rents)."""
        if not stress:
            return self.ops
        if "default_year" in stress or "defaulted" in stress:
            return operating(self.deal, **stress)
        return operating(self.deal, flows=self.ops.flows, **stress)

    def cash(self, **stress: Any) -> tuple[Operating, np.ndarray, np.ndarray]:
        """Operating flows, CFADS and tax under a stress of the cash flows (the schedule
        stays the base case's)."""
        ops = self._operating(stress)
        cf, tax = cfads(ops.ebitda, self.schedule.interest, self.deal.tax_rate)
        return ops, cf, tax

    def path(self, values: CollateralPath | None = None, **stress: Any) -> Path:
        """The deal on one stressed path: with a waterfall, the waterfall run on the stressed
        cash flows (the schedule at close gives the scheduled principal); without one, the
        schedule fixed at close. ``values``: the collateral path under the same stress, when
        the caller has it already.

        A path is a function of the deal and the stress alone, and several functions of one
        workbook ask for the same ones (every refinancing-risk cell, the LTV table and the
        ratios the base path; breakeven searches their ends): the last :data:`MEMO_SIZE` are
        kept (:func:`_memo_key`), and each caller gets its own copy."""
        if values is not None:
            return self._path(values, **stress)
        key = _memo_key(self, stress)
        if key is None:
            return self._path(None, **stress)
        hit = _MEMO.get(key)
        if hit is None:
            hit = _MEMO[key] = self._path(None, **stress)
            while len(_MEMO) > MEMO_SIZE:
                with contextlib.suppress(KeyError):   # (another thread may trim it too)
                    _MEMO.popitem(last=False)
        else:
            with contextlib.suppress(KeyError):
                _MEMO.move_to_end(key)
        return copy.deepcopy(hit)

    def _path(self, values: CollateralPath | None = None, **stress: Any) -> Path:
        deal = self.deal
        if not deal.has_waterfall:
            ops, cf, tax = self.cash(**stress)
            return Path(ops, cf, tax, self.schedule)
        ops = self._operating(stress)
        ltv_value = None
        if deal.needs_ltv_value:
            if values is None:
                values = self.values(**stress)
            ltv_value = {"collateral": values.collateral, "economic": values.economic,
                         "book": values.book}[deal.ltv_basis][1:]
        wf = run_waterfall(deal, ops.ebitda, self.schedule, ltv_value)
        sched = wf.as_schedule(self.schedule.rate_per_period, self.schedule.payments_per_year,
                               self.schedule.amortization)
        return Path(ops, wf.cfads, wf.tax, sched, wf, values)

    def values(self, **stress: Any) -> CollateralPath:
        """Collateral, economic and book values at every period start and at maturity under a
        stress (``steps=False`` is ignored: values always follow the step-downs)."""
        d = self.deal
        return collateral_path(
            d, deflation=stress.get("deflation", d.deflation),
            rent0=stress.get("rent0", d.rent0),
            utilization=stress.get("utilization", d.utilization),
            default_year=stress.get("default_year"), defaulted=stress.get("defaulted"))


#: Most deal paths kept (:meth:`Base.path`): a breakeven search visits about a dozen, a
#: workbook of one deal a few dozen; a path of a 20-year quarterly deal is a few KB.
MEMO_SIZE = 128
_MEMO: OrderedDict[bytes, Path] = OrderedDict()


def _memo_key(base: Base, stress: dict[str, Any]) -> bytes | None:
    """A digest of everything a path depends on: the deal, every field with its exact value
    and type (pickled: -0.0 is not 0.0, a numpy float not a float, arrays by dtype, shape and
    bytes) and the stress. None when something cannot be pickled (no memo then)."""
    try:
        deal = base.__dict__.get("_deal_pickle")
        if deal is None:
            deal = base._deal_pickle = pickle.dumps(base.deal, protocol=4)
        blob = pickle.dumps(sorted(stress.items()), protocol=4)
    except Exception:  # noqa: BLE001 - anything unpicklable is simply not memoised
        return None
    return hashlib.blake2b(deal + b"\x00" + blob, digest_size=32).digest()


def economic_values(deal: Deal, times: np.ndarray, *, deflation: float, rent0: float,
                    utilization: float) -> np.ndarray:
    """Economic value per GPU at ``times`` (remaining physical life physical_life_years -
    age_years - t). Without rent (rent0 0, or deflation 1: rents gone after close) the economic
    life is 0 and the value is the salvage."""
    return gpu_values(deal, times, np.full(times.size, float(rent0)), deflation, utilization)


def book_values(deal: Deal, times: np.ndarray) -> np.ndarray:
    """Straight-line book value per GPU at ``times`` (age age_years + t)."""
    return book_value_kernel(deal.gpu_cost, deal.age_years + times, deal.book_life_years,
                             deal.salvage)
