"""Deflated coverage: cash flows of a GPU fleet under rent deflation, DSCR, LLCR, PLCR, LTV and
breakevens (issue 3 "Deflated DSCR"; model reference, section 6).

A deal is described by a block of (field, value) pairs, parsed by :data:`DEAL_FIELDS` (the
``deal_inputs`` field table: unknown names are an error naming the nearest field, missing fields
take their documented defaults). Symbols: H = 8,760 hours a year; periods p = 1..n with
n = debt_years * periods_per_year, length D = 1/periods_per_year and start t = (p-1) D.

* Spot rent R_p = rent0 (1-g)^t prod_k (1 - j_k 1[tau_k <= t]).
* Share of the period still under contract f_p = min(max((T_c - t)/D, 0), 1), where T_c is the
  contract end, brought forward to ``tenant_default_year`` if that stress is given; expected
  contracted share w_p = contracted_share f_p (1 - tenant_pd)^t (survival read at the start of
  the period; the lost share is re-let at spot).
* Revenue_p = gpus H D [w_p contract_rate + (1 - w_p) utilization R_p] (take-or-pay contracts);
  Opex_p = gpus H D cash_cost; EBITDA = Revenue - Opex;
  Tax_p = tax_rate max(EBITDA_p - Interest_p, 0); CFADS_p = EBITDA_p - Tax_p.
* The debt schedule (:mod:`pymodel.debt`) is fixed at close from the base case; stresses and
  breakevens change the cash flows, never the schedule. A sculpted schedule and its interest
  tax shield are circular; the circularity is solved by fixed-point iteration.
* DSCR_p = CFADS_p / DS_p (NaN where DS_p = 0: no debt service, shown as ``#N/A`` in tables);
  LLCR_p = sum_{q>=p} CFADS_q (1+i)^-(q-p+1) / B_(p-1);
  PLCR_p = [sum_{q>=p} CFADS_q (1+i)^-(q-p+1) + gpus V(T_n) (1+i)^-(n-p+1)] / B_(p-1), where
  V(T_n) is the economic value per GPU at maturity: the discounted value of the fleet over its
  remaining economic life after the loan.
* Collateral at the start of each period: economic value per GPU V(t) from
  :func:`pymodel.residual.economic_value_path` (rent rolled forward, remaining physical life
  physical_life_years - age_years - t), straight-line book value at age age_years + t; economic
  and book LTV = B_(p-1) / (gpus value); the balloon LTV at maturity.

Negative CFADS gives a negative DSCR (shown as it is); zero debt service gives NaN DSCR and
LLCR (``#N/A`` in a table; scalar functions raise :class:`~pymodel.errors.NotAvailableError`
"no debt service").
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import brentq

from . import HOURS_PER_YEAR
from .debt import AMORTIZATIONS, DebtSchedule, debt_schedule, sculpted_schedule
from .defaults import PARAMS, Param
from .errors import ConvergenceError, DomainError, NotAvailableError
from .fields import FieldSet, FieldSpec
from .residual import book_value, economic_value_path
from .validation import Interval, check, check_steps

__all__ = ["DEAL_FIELDS", "Deal", "Coverage", "parse_deal", "sample_deal", "deal_fields",
           "coverage", "dscr_table", "dscr_min", "llcr", "plcr", "dscr_breakeven",
           "rent_breakeven", "utilization_breakeven", "dscr_compare", "debt_capacity",
           "TABLE_COLUMNS", "COMPARE_COLUMNS", "RISING_RENT_LIMIT", "ARGS"]

H = HOURS_PER_YEAR

#: Deflation at which a breakeven search gives up: rents rising 50% a year.
RISING_RENT_LIMIT = -0.5
#: Absolute tolerance of every breakeven root (issue 3: 1e-8).
ROOT_TOL = 1e-12
_MAX_FIXED_POINT = 200

_POS = Interval(0, None, lo_closed=False)
_NONNEG = Interval(0, None)
_UNIT = Interval(0, 1)
_UNIT_OPEN_HI = Interval(0, 1, hi_closed=False)


def _shared(name: str, default: Any = None, *, source: str | None = None,
            kind: str = "float", doc: str | None = None) -> FieldSpec:
    """A deal field that means the same as the model parameter ``name`` (one domain, unit)."""
    p = PARAMS[name]
    d = p.default if default is None else default
    return FieldSpec(name, d, p.unit, doc or p.doc, kind=kind, domain=p.domain,
                     source=source or p.source)


#: The ``deal_inputs`` field table (default, unit, description, source of the default).
DEAL_FIELDS = FieldSet("deal_inputs", [
    FieldSpec("gpus", 1024, "GPUs", "Number of GPUs in the financed fleet", kind="int",
              domain=Interval(1, None), source="D: 128 HGX H100 servers of 8 GPUs"),
    _shared("rent0", 2.40, source="S: H100 spot 2.42 (May-Jun 2026), model reference 2.1",
            doc="Spot market rent R0 at close"),
    _shared("deflation"),
    _shared("utilization"),
    FieldSpec("contracted_share", 0.0, "decimal", "Share of the fleet let on take-or-pay "
              "contracts at close", domain=_UNIT, source="D: none (all spot)"),
    FieldSpec("contract_rate", 2.65, "currency per GPU-hour", "Contract rent, paid for every "
              "contracted GPU-hour (take-or-pay)", domain=_NONNEG,
              source="S: H100 1-year contract 2.65 (Jun 2026), model reference 2.1"),
    FieldSpec("contract_years", 4.0, "years", "Remaining contract term from close",
              domain=_NONNEG, source="S: CoreWeave clusters rented for about 4 years"),
    _shared("cash_cost", 0.50, source="D: colocation 0.32 + power 0.12 at full load "
            "(model reference 4.3) + 0.06 other"),
    FieldSpec("tax_rate", 0.21, "decimal", "Tax rate on EBITDA less interest (no depreciation "
              "shield)", domain=_UNIT_OPEN_HI, source="P: US federal corporate rate"),
    FieldSpec("tenant_pd", None, "decimal per year", "Annual default probability of the "
              "contract tenant; expected contracted revenue is weighted by survival, the lost "
              "share re-let at spot. Empty: no tenant risk", domain=_UNIT_OPEN_HI,
              source="D: optional"),
    FieldSpec("tenant_default_year", None, "years", "Stress: the tenant defaults at this year "
              "and its share falls to spot. Empty: no default", domain=_NONNEG,
              source="D: optional"),
    _shared("step_years", kind="list",
            doc="Years tau_k of generation step-downs from close (list, e.g. 1.5; 3)"),
    _shared("step_downs", kind="list",
            doc="Rent markdowns j_k at each step year (list, e.g. 0.2; 0.1)"),
    FieldSpec("debt", 20_000_000.0, "currency", "Debt drawn at close (facility)",
              domain=_NONNEG, source="D: about 65% of 1,024 x 30,000 cost"),
    FieldSpec("debt_rate", 0.11, "nominal annual decimal", "Debt interest rate; per period "
              "debt_rate/periods_per_year", domain=_UNIT,
              source="P/S: CoreWeave DDTL 2.0 effective 11%"),
    FieldSpec("debt_years", 5.0, "years", "Tenor of the debt", domain=Interval(0, 50, False),
              source="P/S: DDTL 2.0 draws mature 5 years after draw"),
    FieldSpec("amortization", "annuity", "", "Repayment profile", kind="choice",
              choices=AMORTIZATIONS, source="D"),
    FieldSpec("balloon", 0.0, "decimal of debt", "Share of the debt outstanding at maturity "
              "(refinancing risk; not in debt service)", domain=_UNIT, source="D"),
    FieldSpec("periods_per_year", 4, "periods per year", "Payment frequency: 1, 2, 4 or 12",
              kind="int", domain=Interval(1, 12), source="D: quarterly"),
    FieldSpec("gpu_cost", 30_000.0, "currency per GPU", "Purchase cost of one GPU",
              domain=_POS, source="S: H100 SXM 25k-40k new, model reference 3"),
    _shared("age_years"),
    _shared("book_life_years"),
    FieldSpec("physical_life_years", 8.0, "years", "Physical life of a GPU from new",
              domain=_POS, source=PARAMS["max_life_years"].source),
    _shared("salvage"),
    _shared("discount_rate"),
])

#: Arguments of the coverage functions that are not deal fields (default, unit, domain, help);
#: the add-in takes its argument help and empty-cell defaults from here.
ARGS: dict[str, Param] = {p.name: p for p in [
    Param("deal_inputs", None, "", None, "Two-column range of deal field names and values; "
          "missing fields take defaults, see DEAL_FIELDS()"),
    Param("target", 1.0, "times (x)", _POS, "DSCR level to hold in every period: 1 = payment "
          "default, or a covenant such as 1.10 or 1.25", "S: model reference 6.1, 6.3"),
    Param("target_dscr", 1.3, "times (x)", _POS, "DSCR the sculpted loan keeps in every period",
          "S: lock-up covenants 1.25-1.35, model reference 6.1"),
    Param("principal", None, "currency", _NONNEG, "Amount borrowed at close"),
    Param("annual_rate", None, "nominal annual decimal", _UNIT,
          "Debt interest rate; per period annual_rate/periods_per_year"),
    Param("years", None, "years", Interval(0, 50, False), "Tenor of the debt; times "
          "periods_per_year must be whole"),
    Param("amortization", "annuity", "", None, "Repayment profile",
          choices=("annuity", "linear", "bullet")),
    Param("periods_per_year", 4, "periods per year", None,
          "Payment frequency: 1, 2, 4 or 12"),
    Param("balloon", 0.0, "decimal of principal", _UNIT,
          "Share of the principal outstanding at maturity (not in debt service)"),
]}

_TARGET = ARGS["target"].default
_TARGET_DSCR = ARGS["target_dscr"].default

#: Columns of :func:`dscr_table` (units in the README and in DEAL_FIELDS).
TABLE_COLUMNS = ("period", "year", "spot_rent", "revenue", "opex", "cfads", "interest",
                 "principal", "debt_service", "closing_balance", "dscr", "llcr",
                 "economic_value_per_gpu", "book_value_per_gpu", "economic_ltv", "book_ltv",
                 "plcr")
#: Columns of :func:`dscr_compare`.
COMPARE_COLUMNS = ("period", "year", "dscr_flat", "book_ltv_flat", "dscr_deflated",
                   "economic_ltv_deflated")


@dataclass(frozen=True)
class Deal:
    """A validated deal: one attribute per field of :data:`DEAL_FIELDS` (same units)."""

    gpus: int
    rent0: float
    deflation: float
    utilization: float
    contracted_share: float
    contract_rate: float
    contract_years: float
    cash_cost: float
    tax_rate: float
    tenant_pd: float | None
    tenant_default_year: float | None
    step_years: tuple
    step_downs: tuple
    debt: float
    debt_rate: float
    debt_years: float
    amortization: str
    balloon: float
    periods_per_year: int
    gpu_cost: float
    age_years: float
    book_life_years: float
    physical_life_years: float
    salvage: float
    discount_rate: float

    def __post_init__(self):
        from .debt import check_periods_per_year, period_count
        check_periods_per_year(self.periods_per_year)
        period_count(self.debt_years, self.periods_per_year, name="debt_years")
        check_steps(self.step_years, self.step_downs)
        if self.salvage > self.gpu_cost:
            raise DomainError("salvage", f"<= gpu_cost ({self.gpu_cost:g})", self.salvage)

    @property
    def n(self) -> int:
        """Number of debt periods."""
        return int(round(self.debt_years * self.periods_per_year))

    @property
    def dt(self) -> float:
        """Period length D in years."""
        return 1.0 / self.periods_per_year

    @property
    def starts(self) -> np.ndarray:
        """Start of each period, years from close."""
        return np.arange(self.n) * self.dt

    @property
    def remaining_life(self) -> float:
        """Remaining physical life at close, years (>= 0)."""
        return max(self.physical_life_years - self.age_years, 0.0)

    def replace(self, **changes: Any) -> "Deal":
        """A copy with some fields changed (validated again)."""
        return dataclasses.replace(self, **changes)


def parse_deal(deal_inputs: Any = None) -> Deal:
    """Parse a deal block into a :class:`Deal`.

    Parameters
    ----------
    deal_inputs : Deal, mapping, iterable of (field, value) pairs, or None
        The deal's input block. Field names are matched case-insensitively; missing fields take
        their defaults (see :func:`deal_fields`); ``None`` gives the default deal.

    Returns
    -------
    Deal

    Raises
    ------
    InputTypeError
        Unknown or duplicated field names (the message names the nearest valid field), text
        where a number is needed, step lists of different lengths.
    DomainError
        A value outside its domain, ``periods_per_year`` not in 1, 2, 4, 12, a tenor that is not
        a whole number of periods.
    """
    if isinstance(deal_inputs, Deal):
        return deal_inputs
    values = DEAL_FIELDS.parse([] if deal_inputs is None else deal_inputs)
    return Deal(**values)


def sample_deal() -> dict[str, Any]:
    """A sample H100 neo-cloud facility, as a deal block would hold it (field -> value).

    The fleet is the shipped sample (:func:`pymodel.samples.load_sample_h100`,
    ``pymodel/data/sample_h100.csv``): 1,024 H100 SXM bought one year ago at 30,000 each,
    rent 2.35 per GPU-hour (1-year contract level, Mar 2026), utilisation 0.85, cash cost 0.50,
    30% a year deflation (Epoch AI), step-downs of 0.19 and 0.10 when Rubin and Rubin Ultra
    ship (0.17 and 1.17 years), salvage 900, discount rate 0.10, physical life 8 years. The
    deal terms are illustrative [D]: half the fleet on a 4-year take-or-pay contract at 2.20
    (longer terms price below the 1-year rent, model reference 2.1; CoreWeave clusters are
    rented for about 4 years, 6.2); 16,000,000 of quarterly 4-year annuity debt (about 52% of
    cost) at 11% (CoreWeave DDTL 2.0 effective rate, section 7) with a 10% balloon; tax 21%.

    Returns
    -------
    dict
        Field name -> value (step lists as text, as typed in a cell).
    """
    from .samples import load_sample_h100
    f = load_sample_h100()
    steps = "; ".join(f"{v:g}" for v in f["step_years"])
    downs = "; ".join(f"{v:g}" for v in f["step_downs"])
    return {
        "gpus": f["gpus"], "rent0": f["rent0"], "deflation": f["deflation"],
        "utilization": f["utilization"], "contracted_share": 0.50, "contract_rate": 2.20,
        "contract_years": 4.0, "cash_cost": f["cash_cost"], "tax_rate": 0.21,
        "step_years": steps, "step_downs": downs, "debt": 16_000_000.0, "debt_rate": 0.11,
        "debt_years": 4.0, "amortization": "annuity", "balloon": 0.10, "periods_per_year": 4,
        "gpu_cost": f["cost"], "age_years": f["age_years"],
        "book_life_years": f["book_life_years"],
        "physical_life_years": f["age_years"] + f["max_life_years"], "salvage": f["salvage"],
        "discount_rate": f["discount_rate"],
    }


def deal_fields() -> list[list[Any]]:
    """The ``deal_inputs`` field list: header, then field, default, unit, description, source."""
    rows = DEAL_FIELDS.table()
    rows[0] = rows[0] + ["source"]
    for row, spec in zip(rows[1:], DEAL_FIELDS):
        row.append(spec.source)
    return rows


# --------------------------------------------------------------------------------------------
# kernels
# --------------------------------------------------------------------------------------------

def _spot_rent(deal: Deal, t: np.ndarray, deflation: float, rent0: float,
               steps: bool = True) -> np.ndarray:
    """R_p at the period starts t (start-of-period rent with step-downs in force at t)."""
    factor = np.ones_like(t)
    if steps and deal.step_years:
        tau = np.asarray(deal.step_years, dtype=float)
        j = np.asarray(deal.step_downs, dtype=float)
        factor = np.prod(np.where(t[:, None] >= tau[None, :], 1.0 - j[None, :], 1.0), axis=1)
    return rent0 * np.power(1.0 - deflation, t) * factor


def _contracted_share(deal: Deal, t: np.ndarray) -> np.ndarray:
    """w_p: expected share of the fleet still on contract in each period."""
    end = deal.contract_years
    if deal.tenant_default_year is not None:
        end = min(end, deal.tenant_default_year)
    f = np.clip((end - t) / deal.dt, 0.0, 1.0)
    w = deal.contracted_share * f
    if deal.tenant_pd:
        w = w * np.power(1.0 - deal.tenant_pd, t)
    return w


@dataclass(frozen=True)
class _Operating:
    rent: np.ndarray
    revenue: np.ndarray
    opex: np.ndarray
    ebitda: np.ndarray
    contracted: np.ndarray


def _operating(deal: Deal, *, deflation: float | None = None, rent0: float | None = None,
               utilization: float | None = None, steps: bool = True,
               t: np.ndarray | None = None) -> _Operating:
    g = deal.deflation if deflation is None else deflation
    r0 = deal.rent0 if rent0 is None else rent0
    u = deal.utilization if utilization is None else utilization
    t = deal.starts if t is None else t
    hours = deal.gpus * H * deal.dt
    rent = _spot_rent(deal, t, g, r0, steps)
    w = _contracted_share(deal, t)
    revenue = hours * (w * deal.contract_rate + (1.0 - w) * u * rent)
    opex = np.full_like(t, hours * deal.cash_cost)
    return _Operating(rent, revenue, opex, revenue - opex, w)


def _cfads(ebitda: np.ndarray, interest: np.ndarray, tax_rate: float):
    tax = tax_rate * np.maximum(ebitda - interest, 0.0)
    return ebitda - tax, tax


def _schedule_at_close(deal: Deal, ebitda: np.ndarray) -> DebtSchedule:
    """The debt schedule fixed at close from the base-case cash flows."""
    kw = dict(amortization=deal.amortization, periods_per_year=deal.periods_per_year,
              balloon=deal.balloon)
    if deal.amortization != "sculpted":
        return debt_schedule(deal.debt, deal.debt_rate, deal.debt_years, **kw)
    i = deal.debt_rate / deal.periods_per_year
    bal = deal.debt * deal.balloon
    interest = np.zeros_like(ebitda)
    for _ in range(_MAX_FIXED_POINT):
        cf, _tax = _cfads(ebitda, interest, deal.tax_rate)
        sched = sculpted_schedule(deal.debt, i, cf, balloon=bal,
                                  periods_per_year=deal.periods_per_year)
        if deal.tax_rate == 0.0 or np.max(np.abs(sched.interest - interest)) <= \
                1e-11 * max(deal.debt, 1.0):
            return sched
        interest = sched.interest
    raise ConvergenceError("sculpted amortization: the tax on CFADS and the interest did not "
                           f"settle in {_MAX_FIXED_POINT} iterations")


def _pv_from(cf: np.ndarray, rate: float) -> np.ndarray:
    """PV at the start of each period p of cf_p..cf_n paid at period ends, at rate per period."""
    n = cf.size
    v = (1.0 + rate) ** (-np.arange(1, n + 1, dtype=float))
    tail = np.cumsum((cf * v)[::-1])[::-1]
    return tail / np.concatenate(([1.0], v[:-1]))


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """num/den where den > 0, NaN elsewhere (and where a vanishing den overflows)."""
    out = np.full(np.broadcast(num, den).shape, np.nan)
    ok = den > 0
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        np.divide(num, den, out=out, where=ok)
    out[~np.isfinite(out)] = np.nan
    return out


# --------------------------------------------------------------------------------------------
# the coverage schedule
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Coverage:
    """The period schedule of a deal (all arrays of length n; currency per period for the
    facility unless stated).

    Attributes
    ----------
    deal : Deal
    schedule : DebtSchedule
        Fixed at close from the base case.
    year : ndarray
        End of each period, years from close.
    spot_rent : ndarray
        R_p, currency per GPU-hour.
    contracted_share : ndarray
        w_p, decimal.
    revenue, opex, ebitda, tax, cfads : ndarray
    dscr, llcr : ndarray
        Times (x); NaN where there is no debt service / no balance.
    plcr : ndarray or None
        Times (x); None when collateral was not computed.
    economic_value, book_value : ndarray or None
        Per GPU at the start of each period (currency per GPU).
    economic_ltv, book_ltv : ndarray or None
        Opening balance over fleet value (decimal); NaN where the value is 0.
    maturity_value, maturity_book : float or None
        Economic and book value per GPU at maturity.
    balloon_ltv, balloon_book_ltv : float or None
        Balloon over fleet value at maturity (decimal; NaN without a value).
    """

    deal: Deal
    schedule: DebtSchedule
    year: np.ndarray
    spot_rent: np.ndarray
    contracted_share: np.ndarray
    revenue: np.ndarray
    opex: np.ndarray
    ebitda: np.ndarray
    tax: np.ndarray
    cfads: np.ndarray
    dscr: np.ndarray
    llcr: np.ndarray
    plcr: np.ndarray | None = None
    economic_value: np.ndarray | None = None
    book_value: np.ndarray | None = None
    economic_ltv: np.ndarray | None = None
    book_ltv: np.ndarray | None = None
    maturity_value: float | None = None
    maturity_book: float | None = None
    balloon_ltv: float | None = None
    balloon_book_ltv: float | None = None

    def min_dscr(self) -> float:
        """Minimum DSCR over the periods with debt service (x)."""
        return _min_dscr(self.dscr)

    def frame(self) -> pd.DataFrame:
        """The DSCR table: one row per period plus a ``maturity`` row (balloon and collateral
        at maturity); columns :data:`TABLE_COLUMNS`."""
        s = self.schedule
        cols = [np.arange(1, s.n + 1), self.year, self.spot_rent, self.revenue, self.opex,
                self.cfads, s.interest, s.principal, s.debt_service, s.closing, self.dscr,
                self.llcr, self.economic_value, self.book_value, self.economic_ltv,
                self.book_ltv, self.plcr]
        body = np.column_stack([np.asarray(v, dtype=float) for v in cols]).astype(object)
        body[:, 0] = np.arange(1, s.n + 1)
        last = {c: None for c in TABLE_COLUMNS}
        last.update(period="maturity", year=float(self.year[-1]), closing_balance=s.balloon,
                    economic_value_per_gpu=self.maturity_value,
                    book_value_per_gpu=self.maturity_book, economic_ltv=self.balloon_ltv,
                    book_ltv=self.balloon_book_ltv)
        rows = body.tolist() + [[last[c] for c in TABLE_COLUMNS]]
        df = pd.DataFrame(rows, columns=list(TABLE_COLUMNS), dtype=object)
        return df


def _min_dscr(dscr: np.ndarray) -> float:
    ok = ~np.isnan(dscr)
    if not np.any(ok):
        raise NotAvailableError("DSCR: no debt service in any period (no debt, or interest "
                                "only at a rate of 0)")
    return float(np.min(dscr[ok]))


class _Base:
    """Base case of a deal: the fixed schedule, for repeated stressed evaluations."""

    def __init__(self, deal: Deal):
        self.deal = deal
        self.ops = _operating(deal)
        self.schedule = _schedule_at_close(deal, self.ops.ebitda)

    def cash(self, **stress: Any):
        ops = _operating(self.deal, **stress) if stress else self.ops
        cf, tax = _cfads(ops.ebitda, self.schedule.interest, self.deal.tax_rate)
        return ops, cf, tax

    def min_dscr(self, **stress: Any) -> float:
        _, cf, _ = self.cash(**stress)
        return _min_dscr(_ratio(cf, self.schedule.debt_service))


def _economic_value(deal: Deal, times: np.ndarray, *, deflation: float, rent0: float,
                    utilization: float) -> np.ndarray:
    """Economic value per GPU at ``times`` (pymodel.residual), remaining physical life
    physical_life_years - age_years - t. Without rent (rent0 0, or deflation 1: rents gone
    after close) the economic life is 0 and the value is the salvage."""
    if rent0 <= 0.0 or deflation >= 1.0:
        return np.full(times.shape, float(deal.salvage))
    ev = economic_value_path(times, rent0, utilization, deal.cash_cost, deflation,
                             deal.discount_rate, salvage=deal.salvage,
                             max_life_years=deal.remaining_life, step_years=deal.step_years,
                             step_downs=deal.step_downs)
    return np.asarray(ev, dtype=float)


def coverage(deal_inputs: Any = None, *, deflation: float | None = None,
             rent0: float | None = None, utilization: float | None = None,
             flat: bool = False, collateral: bool = True) -> Coverage:
    """The period schedule of a deal: cash flows, debt, DSCR, LLCR, PLCR, collateral and LTV.

    Parameters
    ----------
    deal_inputs : Deal, mapping, iterable of (field, value) pairs, or None
        The deal block (see :func:`parse_deal`).
    deflation : float, optional
        Stress: annual fractional rent decline g in (-1, 1] replacing the deal's value for the
        cash flows (decimal per year; 1 = rents fall to 0 after close). The debt schedule stays
        the base case's.
    rent0 : float, optional
        Stress: spot rent at close (currency per GPU-hour, >= 0).
    utilization : float, optional
        Stress: spot utilisation (decimal in [0, 1]).
    flat : bool, optional
        The straight-line spreadsheet view: flat rents (g = 0, no step-downs) for the cash
        flows; collateral at book value only (economic columns NaN).
    collateral : bool, optional
        Compute economic and book values, LTVs and PLCR (default True).

    Returns
    -------
    Coverage

    Notes
    -----
    See the module docstring for every formula. The debt schedule is built once from the
    base-case cash flows (:func:`pymodel.debt.debt_schedule`; sculpted: DS_p = k max(CFADS_p,
    0)); a stress changes CFADS only.

    References
    ----------
    Model reference, section 6 (6.1 definitions, 6.3 breakevens) and section 4 (collateral);
    issue 3 "Deflated DSCR".
    """
    deal = parse_deal(deal_inputs)
    stress = _check_stress(deflation=deflation, rent0=rent0, utilization=utilization)
    base = _Base(deal)
    if flat:
        stress.update(deflation=0.0, steps=False)
    ops, cf, tax = base.cash(**stress)
    s = base.schedule
    i = s.rate_per_period
    dscr = _ratio(cf, s.debt_service)
    pv = _pv_from(cf, i)
    llcr = _ratio(pv, s.opening)
    out = dict(deal=deal, schedule=s, year=s.year_end, spot_rent=ops.rent,
               contracted_share=ops.contracted, revenue=ops.revenue, opex=ops.opex,
               ebitda=ops.ebitda, tax=tax, cfads=cf, dscr=dscr, llcr=llcr)
    if collateral:
        times = np.append(deal.starts, deal.n * deal.dt)
        bv = np.atleast_1d(_collateral_book(deal, times))
        if flat:
            ev = np.full(times.shape, np.nan)
        else:
            ev = _economic_value(deal, times,
                                 deflation=stress.get("deflation", deal.deflation),
                                 rent0=stress.get("rent0", deal.rent0),
                                 utilization=stress.get("utilization", deal.utilization))
        fleet_ev, fleet_bv = deal.gpus * ev, deal.gpus * bv
        n = deal.n
        disc = (1.0 + i) ** (-(n - np.arange(n)).astype(float))
        plcr = _ratio(pv + np.nan_to_num(fleet_ev[-1]) * disc, s.opening)
        if flat:
            plcr = np.full(n, np.nan)
        out.update(economic_value=ev[:-1], book_value=bv[:-1],
                   economic_ltv=_ratio(s.opening, fleet_ev[:-1]),
                   book_ltv=_ratio(s.opening, fleet_bv[:-1]), plcr=plcr,
                   maturity_value=float(ev[-1]), maturity_book=float(bv[-1]),
                   balloon_ltv=float(_ratio(np.array(s.balloon), np.array(fleet_ev[-1]))),
                   balloon_book_ltv=float(_ratio(np.array(s.balloon), np.array(fleet_bv[-1]))))
    return Coverage(**out)


def _collateral_book(deal: Deal, times: np.ndarray) -> np.ndarray:
    return book_value(deal.gpu_cost, deal.age_years + times, deal.book_life_years,
                      salvage=deal.salvage)


def _check_stress(*, deflation, rent0, utilization) -> dict[str, float]:
    out = {}
    if deflation is not None:
        out["deflation"] = check("deflation", deflation, Interval(-1, 1, lo_closed=False))
    if rent0 is not None:
        out["rent0"] = check("rent0", rent0, _NONNEG)
    if utilization is not None:
        out["utilization"] = check("utilization", utilization, _UNIT)
    return out


# --------------------------------------------------------------------------------------------
# scalar results
# --------------------------------------------------------------------------------------------

def dscr_table(deal_inputs: Any = None) -> pd.DataFrame:
    """The DSCR table of a deal (columns :data:`TABLE_COLUMNS`, plus a ``maturity`` row).

    Parameters
    ----------
    deal_inputs : Deal, mapping, iterable of (field, value) pairs, or None

    Returns
    -------
    pandas.DataFrame
        period; year (end of period, years from close); spot_rent (currency per GPU-hour, at
        the period start); revenue, opex, cfads, interest, principal, debt_service,
        closing_balance (currency per period, facility); dscr, llcr, plcr (x, NaN without debt
        service); economic_value_per_gpu, book_value_per_gpu (currency per GPU, period start);
        economic_ltv, book_ltv (decimal, opening balance over fleet value). The last row,
        ``maturity``, holds the balloon, the values at maturity and the balloon LTVs.
    """
    return coverage(deal_inputs).frame()


def dscr_min(deal_inputs: Any = None, *, deflation: float | None = None,
             rent0: float | None = None, utilization: float | None = None) -> float:
    """Minimum DSCR over the periods with debt service (times, x).

    Parameters
    ----------
    deal_inputs : Deal, mapping, iterable of (field, value) pairs, or None
    deflation, rent0, utilization : float, optional
        Stresses of the cash flows (see :func:`coverage`); the schedule stays the base case's.

    Raises
    ------
    NotAvailableError
        No period has debt service (no debt, or interest only at a rate of 0).
    """
    deal = parse_deal(deal_inputs)
    stress = _check_stress(deflation=deflation, rent0=rent0, utilization=utilization)
    return _Base(deal).min_dscr(**stress)


def llcr(deal_inputs: Any = None) -> float:
    """Loan life coverage ratio at close, LLCR_1 = NPV at i of CFADS_1..CFADS_n / debt (x).

    Raises
    ------
    NotAvailableError
        If the debt is 0.
    """
    c = coverage(deal_inputs, collateral=False)
    if not c.schedule.opening[0] > 0:
        raise NotAvailableError("LLCR: no debt outstanding at close (debt is 0)")
    return float(c.llcr[0])


def plcr(deal_inputs: Any = None) -> float:
    """Project life coverage ratio at close (x): NPV at i of CFADS over the loan plus the
    discounted economic value of the fleet at maturity, over the debt.

    Raises
    ------
    NotAvailableError
        If the debt is 0.
    """
    c = coverage(deal_inputs)
    if not c.schedule.opening[0] > 0:
        raise NotAvailableError("PLCR: no debt outstanding at close (debt is 0)")
    return float(c.plcr[0])


def _target(name: str, value: Any) -> float:
    return check(name, value, _POS)


def dscr_breakeven(deal_inputs: Any = None, *, target: float = _TARGET) -> float:
    """Breakeven deflation: the largest g at which the minimum DSCR is still >= ``target``.

    Parameters
    ----------
    deal_inputs : Deal, mapping, iterable of (field, value) pairs, or None
    target : float, optional
        DSCR level (x, > 0): 1.00 for payment default (default), or a covenant level such as
        1.10 (default covenant) or 1.25-1.35 (lock-up).

    Returns
    -------
    float
        g* (decimal per year, in (-0.5, 1)), to 1e-8 or better.

    Notes
    -----
    g* = sup{g : min_p DSCR_p(g) >= X}. With the schedule fixed and contracted cash and costs
    independent of g, min_p DSCR_p(g) is continuous and non-increasing in g, so a bracketing
    root finder (Brent) on [-0.5, 1] applies; g = 1 is the limit where spot rents fall to zero
    after close.

    Raises
    ------
    NotAvailableError
        Not binding: the minimum DSCR stays >= target at any deflation (contracted cash alone
        covers the debt service).
    ConvergenceError
        The target fails even with rents rising 50% a year (g = -0.5).
    NotAvailableError
        No debt service in any period.

    References
    ----------
    Model reference, section 6.3.
    """
    x = _target("target", target)
    base = _Base(parse_deal(deal_inputs))

    def m(g: float) -> float:
        return base.min_dscr(deflation=g) - x

    lo = m(RISING_RENT_LIMIT)
    if lo < 0:
        raise ConvergenceError(
            f"breakeven deflation: no solution; the minimum DSCR is {lo + x:.4g}, below the "
            f"target {x:g}, even with rents rising 50% a year (deflation -0.5)")
    hi = m(1.0)
    if hi >= 0:
        raise NotAvailableError(
            f"breakeven deflation: not binding; the minimum DSCR stays >= {x:g} at any "
            f"deflation ({hi + x:.4g} with spot rents falling to 0): contracted cash alone "
            f"covers debt service")
    return _root(m, RISING_RENT_LIMIT, 1.0, "breakeven deflation")


def _root(f, a: float, b: float, what: str) -> float:
    try:
        return float(brentq(f, a, b, xtol=ROOT_TOL, rtol=4 * np.finfo(float).eps,
                            maxiter=500))
    except (RuntimeError, ValueError) as exc:  # pragma: no cover - bracket checked above
        raise ConvergenceError(f"{what}: the root finder failed ({exc})") from None


def rent_breakeven(deal_inputs: Any = None, *, target: float = _TARGET) -> float:
    """Breakeven rent: the lowest spot rent at close at which the minimum DSCR is >= target.

    Parameters
    ----------
    deal_inputs : Deal, mapping, iterable of (field, value) pairs, or None
    target : float, optional
        DSCR level (x, > 0), default 1.00.

    Returns
    -------
    float
        rent0* (currency per GPU-hour): the spot rent at close that, deflating at the deal's g
        and step-downs, keeps min DSCR >= target; to 1e-8 or better.

    Notes
    -----
    Spot revenue is proportional to rent0 and the schedule is fixed, so min DSCR is
    continuous and non-decreasing in rent0; the root is bracketed on [0, rent0 * 2^k].

    Raises
    ------
    NotAvailableError
        Not binding: contracted cash alone covers debt service at zero spot rent, or no debt
        service.
    ConvergenceError
        No spot rent reaches the target (no spot exposure in the binding period, or utilisation
        0).
    """
    x = _target("target", target)
    base = _Base(parse_deal(deal_inputs))

    def m(r: float) -> float:
        return base.min_dscr(rent0=r) - x

    at0 = m(0.0)
    if at0 >= 0:
        raise NotAvailableError(
            f"breakeven rent: not binding; the minimum DSCR is {at0 + x:.4g} >= {x:g} even at "
            f"zero spot rent: contracted cash alone covers debt service")
    hi = max(base.deal.rent0, 1.0)
    for _ in range(60):
        if m(hi) >= 0:
            return _root(m, 0.0, hi, "breakeven rent")
        hi *= 2.0
    raise ConvergenceError(
        f"breakeven rent: no solution; the minimum DSCR stays below {x:g} at any spot rent "
        f"(the binding periods have no spot revenue, or utilization is 0)")


def utilization_breakeven(deal_inputs: Any = None, *, target: float = _TARGET) -> float:
    """Breakeven utilisation: the lowest spot utilisation at which min DSCR is >= target.

    Parameters
    ----------
    deal_inputs : Deal, mapping, iterable of (field, value) pairs, or None
    target : float, optional
        DSCR level (x, > 0), default 1.00.

    Returns
    -------
    float
        u* (decimal in [0, 1]) at the deal's rent path, to 1e-8 or better.

    Raises
    ------
    NotAvailableError
        Not binding: min DSCR >= target even at zero utilisation, or no debt service.
    ConvergenceError
        The target fails even at full utilisation (1.0).
    """
    x = _target("target", target)
    base = _Base(parse_deal(deal_inputs))

    def m(u: float) -> float:
        return base.min_dscr(utilization=u) - x

    at0 = m(0.0)
    if at0 >= 0:
        raise NotAvailableError(
            f"breakeven utilization: not binding; the minimum DSCR is {at0 + x:.4g} >= {x:g} "
            f"even at zero utilization: contracted cash alone covers debt service")
    at1 = m(1.0)
    if at1 < 0:
        raise ConvergenceError(
            f"breakeven utilization: no solution; the minimum DSCR is {at1 + x:.4g}, below "
            f"the target {x:g}, even at full utilization (1)")
    return _root(m, 0.0, 1.0, "breakeven utilization")


def dscr_compare(deal_inputs: Any = None) -> pd.DataFrame:
    """The spreadsheet view against the deflated view, per period.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`COMPARE_COLUMNS`: period; year (end of period); dscr_flat (x, flat rents
        g = 0 without step-downs); book_ltv_flat (decimal, opening balance over straight-line
        book value of the fleet); dscr_deflated (x, the deal's g and step-downs);
        economic_ltv_deflated (decimal, over the economic value of the fleet). Same debt
        schedule in both views (fixed at close from the deal's base case).
    """
    deal = parse_deal(deal_inputs)
    flat = coverage(deal, flat=True)
    defl = coverage(deal)
    return pd.DataFrame({
        "period": np.arange(1, deal.n + 1), "year": defl.year, "dscr_flat": flat.dscr,
        "book_ltv_flat": flat.book_ltv, "dscr_deflated": defl.dscr,
        "economic_ltv_deflated": defl.economic_ltv})


def debt_capacity(deal_inputs: Any = None, *, target_dscr: float = _TARGET_DSCR) -> float:
    """The most debt the deal's cash flows carry at ``target_dscr`` in every period.

    Parameters
    ----------
    deal_inputs : Deal, mapping, iterable of (field, value) pairs, or None
        The deal; its debt rate, tenor and frequency are used (its debt amount, amortization
        and balloon are not: the capacity loan is sculpted and fully amortising).
    target_dscr : float, optional
        DSCR in every period (x, > 0), default 1.30.

    Returns
    -------
    float
        D0 (currency): 0 if no period has positive CFADS.

    Notes
    -----
    Sculpting (model reference 6.1): DS_p = max(CFADS_p, 0) / X and

    .. math:: D_0 = \\sum_{p=1}^{n} \\max(CFADS_p, 0)\\, (1+i)^{-p} / X.

    CFADS depends on the interest (tax shield), so D0 is found by fixed-point iteration. The
    resulting loan has DSCR_p = X in every period with positive CFADS and LLCR_1 = X when every
    CFADS is positive.
    """
    x = _target("target_dscr", target_dscr)
    deal = parse_deal(deal_inputs)
    ebitda = _operating(deal).ebitda
    i = deal.debt_rate / deal.periods_per_year
    v = (1.0 + i) ** (-np.arange(1, deal.n + 1, dtype=float))
    interest = np.zeros_like(ebitda)
    d0 = 0.0
    for _ in range(_MAX_FIXED_POINT):
        cf, _tax = _cfads(ebitda, interest, deal.tax_rate)
        new = float(np.sum(np.maximum(cf, 0.0) * v)) / x
        if new <= 0.0:
            return 0.0
        if deal.tax_rate == 0.0 or abs(new - d0) <= 1e-12 * new:
            return new
        sched = sculpted_schedule(new, i, cf, periods_per_year=deal.periods_per_year)
        d0, interest = new, sched.interest
    raise ConvergenceError("debt capacity: the tax on CFADS and the interest did not settle "
                           f"in {_MAX_FIXED_POINT} iterations")
