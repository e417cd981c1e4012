"""Coverage ratios of a deal: DSCR, LLCR, PLCR, LTV per period, minimum DSCR, breakevens,
the flat-rent comparison and debt capacity.

* DSCR_p = CFADS_p / DS_p (NaN where DS_p = 0: no debt service, ``#N/A`` in tables);
  LLCR_p = sum_{q>=p} CFADS_q (1+i)^-(q-p+1) / B_(p-1);
  PLCR_p = [sum_{q>=p} CFADS_q (1+i)^-(q-p+1) + gpus V(T_n) (1+i)^-(n-p+1)] / B_(p-1), V(T_n)
  the economic value per GPU at maturity.
* Economic and book LTV = B_(p-1) / (gpus x value per GPU) at the start of each period; the
  balloon LTV at maturity.
* Breakevens: the deflation, spot rent or utilisation at which the minimum DSCR meets the
  target, by the one solver :func:`pymodel.breakeven.solve_breakeven`; the schedule stays the
  base case's.

Negative CFADS gives a negative DSCR (shown as it is). Public functions validate the deal once
(:func:`~pymodel.dscr.deal.parse_deal`) and their own arguments; everything below runs on the
validated :class:`~pymodel.dscr.deal.Deal`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..breakeven import solve_breakeven
from ..debt import DebtSchedule, sculpted_schedule
from ..errors import ConvergenceError, NotAvailableError
from ..frames import frame
from ..lazy import lazy_module
from ..schema import NONNEG, NOT_GIVEN, POS, SCHEMA, UNIT, Param, declare
from ..validation import Interval, check
from . import cashflows
from .cashflows import Base, Operating, book_values, cfads, economic_values, operating
from .collateral import CollateralPath
from .deal import Deal, parse_deal
from .tenants import P as _TENANTS  # noqa: F401  (declares tenants)
from .waterfall import WATERFALL_COLUMNS, Waterfall

pd = lazy_module("pandas")  # imported at first use (slow to load)

__all__ = ["Coverage", "coverage", "dscr_table", "dscr_min", "llcr", "plcr",
           "dscr_breakeven", "rent_breakeven", "utilization_breakeven", "dscr_compare",
           "debt_capacity", "TABLE_COLUMNS", "COMPARE_COLUMNS", "RISING_RENT_LIMIT",
           "STRESS_DOMAINS", "P"]

#: Deflation at which a breakeven search gives up: rents rising 50% a year.
RISING_RENT_LIMIT = -0.5

#: Parameters of the ratio functions.
P = declare(
    Param("target", "times (x)", "DSCR level to hold in every period: 1 = payment default, or "
          "a covenant such as 1.10 or 1.25", POS, default=1.0,
          source="S: docs/model.md §6.1, §6.3"),
    Param("target_dscr", "times (x)", "DSCR the sculpted loan keeps in every period", POS,
          default=1.3, source="S: lock-up covenants 1.25-1.35, docs/model.md §6.1"),
)

#: Stresses of a deal's cash flows reach the limits a base case excludes: rents falling to
#: zero after close (deflation 1) or gone at close (rent 0).
STRESS_DOMAINS = {"deflation": Interval(-1, 1, lo_closed=False), "rent0": NONNEG,
                  "utilization": UNIT}

#: Columns of :func:`dscr_table` (units in DEAL_FIELDS and the function docs).
TABLE_COLUMNS = ("period", "year", "spot_rent", "revenue", "opex", "cfads", "interest",
                 "principal", "debt_service", "closing_balance", "dscr", "llcr",
                 "economic_value_per_gpu", "book_value_per_gpu", "economic_ltv", "book_ltv",
                 "plcr")
#: Columns of :func:`dscr_compare`.
COMPARE_COLUMNS = ("period", "year", "dscr_flat", "book_ltv_flat", "dscr_deflated",
                   "economic_ltv_deflated")


# --------------------------------------------------------------------------------------------
# ratio kernels
# --------------------------------------------------------------------------------------------

def pv_from(cf: np.ndarray, rate: float) -> np.ndarray:
    """PV at the start of each period p of cf_p..cf_n paid at period ends, at rate per period."""
    n = cf.size
    v = (1.0 + rate) ** (-np.arange(1, n + 1, dtype=float))
    tail = np.cumsum((cf * v)[::-1])[::-1]
    return tail / np.concatenate(([1.0], v[:-1]))


def ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """num/den where den > 0, NaN elsewhere (and where a vanishing den overflows)."""
    out = np.full(np.broadcast(num, den).shape, np.nan)
    ok = den > 0
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        np.divide(num, den, out=out, where=ok)
    out[~np.isfinite(out)] = np.nan
    return out


def min_dscr_of(dscr: np.ndarray) -> float:
    """Minimum over the periods with debt service (NotAvailableError if none has)."""
    ok = ~np.isnan(dscr)
    if not np.any(ok):
        raise NotAvailableError("DSCR: no debt service in any period (no debt, or interest "
                                "only at a rate of 0)")
    return float(np.min(dscr[ok]))


def _min_dscr(base: Base, **stress: Any) -> float:
    if base.deal.cash_flow_driven:  # prepayments follow the stressed cash: run the waterfall
        path = base.path(**stress)
        return min_dscr_of(ratio(path.cfads, path.schedule.debt_service))
    _, cf, _ = base.cash(**stress)
    return min_dscr_of(ratio(cf, base.schedule.debt_service))


def _check_stress(**values: Any) -> dict[str, float]:
    """The given stresses, validated (keywords left NOT_GIVEN keep the deal's values)."""
    return {n: check(n, v, STRESS_DOMAINS[n]) for n, v in values.items() if v is not NOT_GIVEN}


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
    waterfall : Waterfall or None
        The cash waterfall, when the deal has one (``schedule`` is then the debt it serviced).
    values : CollateralPath or None
        Collateral values with contracts, when computed.
    operating : Operating
        Operating flows (per tenant too).
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
    waterfall: Waterfall | None = None
    values: CollateralPath | None = None
    operating: Operating | None = None

    def min_dscr(self) -> float:
        """Minimum DSCR over the periods with debt service (x)."""
        return min_dscr_of(self.dscr)

    def frame(self) -> pd.DataFrame:
        """The DSCR table: one row per period plus a ``maturity`` row (balloon and collateral
        at maturity); columns :data:`TABLE_COLUMNS` (collateral columns NaN when the
        collateral was not computed)."""
        s = self.schedule
        nan = np.full(s.n, np.nan)
        cols = [np.arange(1, s.n + 1), self.year, self.spot_rent, self.revenue, self.opex,
                self.cfads, s.interest, s.principal, s.debt_service, s.closing, self.dscr,
                self.llcr] + [nan if v is None else v for v in (
                    self.economic_value, self.book_value, self.economic_ltv, self.book_ltv,
                    self.plcr)]
        columns = list(TABLE_COLUMNS)
        if self.waterfall is not None:
            cols += [getattr(self.waterfall, c) for c in WATERFALL_COLUMNS]
            columns += list(WATERFALL_COLUMNS)
        table = np.empty((s.n + 1, len(columns)), dtype=object)
        table[:-1] = np.column_stack([np.asarray(v, dtype=float) for v in cols])
        table[:-1, 0] = np.arange(1, s.n + 1)
        last = {c: None for c in columns}
        last.update(period="maturity", year=float(self.year[-1]), closing_balance=s.balloon,
                    economic_value_per_gpu=self.maturity_value,
                    book_value_per_gpu=self.maturity_book, economic_ltv=self.balloon_ltv,
                    book_ltv=self.balloon_book_ltv)
        table[-1] = [last[c] for c in columns]
        return frame(table, columns=columns)


def coverage(deal_inputs: Any, *, deflation: Any = NOT_GIVEN, rent0: Any = NOT_GIVEN,
             utilization: Any = NOT_GIVEN, flat: bool = False, collateral: bool = True,
             tenants: Any = None) -> Coverage:
    """The period schedule of a deal: cash flows, debt, DSCR, LLCR, PLCR, collateral and LTV.

    Parameters
    ----------
    deal_inputs : Deal, mapping or iterable of (field, value) pairs
        The deal block (see :func:`~pymodel.dscr.deal.parse_deal`).
    deflation : float, optional
        Stress: annual fractional rent decline g in (-1, 1] replacing the deal's value for the
        cash flows (decimal per year; 1 = rents fall to 0 after close). Not given: the deal's.
        The debt schedule stays the base case's.
    rent0 : float, optional
        Stress: spot rent at close (currency per GPU-hour, >= 0). Not given: the deal's.
    utilization : float, optional
        Stress: spot utilisation (decimal in [0, 1]). Not given: the deal's.
    flat : bool, optional
        The straight-line spreadsheet view: flat rents (g = 0, no step-downs) for the cash
        flows; collateral at book value only (economic columns NaN).
    collateral : bool, optional
        Compute economic and book values, LTVs and PLCR (default True).
    tenants : sequence of rows, optional
        The tenant block (:mod:`pymodel.dscr.tenants`); empty: the deal's own contract fields.

    Returns
    -------
    Coverage

    Notes
    -----
    See the module docstrings of :mod:`pymodel.dscr.cashflows` and :mod:`pymodel.dscr.ratios`
    for every formula. The debt schedule is built once from the base-case cash flows
    (sculpted: DS_p = k max(CFADS_p, 0)); a stress changes CFADS only.

    References
    ----------
    §6 (§6.1 definitions, §6.3 breakevens) and §4 (collateral).
    """
    deal = parse_deal(deal_inputs, tenants)
    stress = _check_stress(deflation=deflation, rent0=rent0, utilization=utilization)
    return _coverage(Base(deal), stress, flat=flat, collateral=collateral)


def _coverage(base: Base, stress: dict[str, Any], *, flat: bool = False,
              collateral: bool = True) -> Coverage:
    deal = base.deal
    if flat:
        stress = dict(stress, deflation=0.0, steps=False)
    path = base.path(**stress)
    ops, cf, tax, s = path.ops, path.cfads, path.tax, path.schedule
    i = s.rate_per_period
    dscr = ratio(cf, s.debt_service)
    pv = pv_from(cf, i)
    wf = path.waterfall
    reserve = 0.0
    if wf is not None and deal.dsra_months > 0.0:  # LLCR counts the reserve (reference 6.1)
        reserve = np.concatenate(([wf.dsra_at_close], wf.dsra_balance[:-1]))
    llcr = ratio(pv + reserve, s.opening)
    out = dict(deal=deal, schedule=s, year=s.year_end, spot_rent=ops.rent,
               contracted_share=ops.contracted, revenue=ops.revenue, opex=ops.opex,
               ebitda=ops.ebitda, tax=tax, cfads=cf, dscr=dscr, llcr=llcr, waterfall=wf,
               values=path.values, operating=ops)
    if collateral:
        times = np.append(deal.starts, deal.n * deal.dt)
        bv = np.atleast_1d(book_values(deal, times))
        if flat:
            ev = np.full(times.shape, np.nan)
        else:
            ev = economic_values(deal, times,
                                 deflation=stress.get("deflation", deal.deflation),
                                 rent0=stress.get("rent0", deal.rent0),
                                 utilization=stress.get("utilization", deal.utilization))
        fleet_ev, fleet_bv = deal.gpus * ev, deal.gpus * bv
        n = deal.n
        disc = (1.0 + i) ** (-(n - np.arange(n)).astype(float))
        plcr = ratio(pv + np.nan_to_num(fleet_ev[-1]) * disc, s.opening)
        if flat:
            plcr = np.full(n, np.nan)
        out.update(economic_value=ev[:-1], book_value=bv[:-1],
                   economic_ltv=ratio(s.opening, fleet_ev[:-1]),
                   book_ltv=ratio(s.opening, fleet_bv[:-1]), plcr=plcr,
                   maturity_value=float(ev[-1]), maturity_book=float(bv[-1]),
                   balloon_ltv=float(ratio(np.array(s.balloon), np.array(fleet_ev[-1]))),
                   balloon_book_ltv=float(ratio(np.array(s.balloon), np.array(fleet_bv[-1]))))
    return Coverage(**out)


# --------------------------------------------------------------------------------------------
# scalar results
# --------------------------------------------------------------------------------------------

def dscr_table(deal_inputs: Any, *, tenants: Any = None) -> pd.DataFrame:
    """The DSCR table of a deal (columns :data:`TABLE_COLUMNS`, plus a ``maturity`` row).

    Parameters
    ----------
    deal_inputs : Deal, mapping or iterable of (field, value) pairs

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
    return _coverage(Base(parse_deal(deal_inputs, tenants)), {}).frame()


def dscr_min(deal_inputs: Any, *, deflation: Any = NOT_GIVEN, rent0: Any = NOT_GIVEN,
             utilization: Any = NOT_GIVEN, tenants: Any = None) -> float:
    """Minimum DSCR over the periods with debt service (times, x).

    Parameters
    ----------
    deal_inputs : Deal, mapping or iterable of (field, value) pairs
    deflation, rent0, utilization : float, optional
        Stresses of the cash flows (see :func:`coverage`); the schedule stays the base case's.

    Raises
    ------
    NotAvailableError
        No period has debt service (no debt, or interest only at a rate of 0).
    """
    deal = parse_deal(deal_inputs, tenants)
    stress = _check_stress(deflation=deflation, rent0=rent0, utilization=utilization)
    return _min_dscr(Base(deal), **stress)


def llcr(deal_inputs: Any, *, tenants: Any = None) -> float:
    """Loan life coverage ratio at close, LLCR_1 = NPV at i of CFADS_1..CFADS_n / debt (x).

    Raises
    ------
    NotAvailableError
        If the debt is 0.
    """
    c = _coverage(Base(parse_deal(deal_inputs, tenants)), {}, collateral=False)
    if not c.schedule.opening[0] > 0:
        raise NotAvailableError("LLCR: no debt outstanding at close (debt is 0)")
    return float(c.llcr[0])


def plcr(deal_inputs: Any, *, tenants: Any = None) -> float:
    """Project life coverage ratio at close (x): NPV at i of CFADS over the loan plus the
    discounted economic value of the fleet at maturity, over the debt.

    Raises
    ------
    NotAvailableError
        If the debt is 0.
    """
    c = _coverage(Base(parse_deal(deal_inputs, tenants)), {})
    if not c.schedule.opening[0] > 0:
        raise NotAvailableError("PLCR: no debt outstanding at close (debt is 0)")
    return float(c.plcr[0])


_COVERS = "contracted cash alone covers debt service"


def dscr_breakeven(deal_inputs: Any, *, target: float = P["target"].default,
                   tenants: Any = None) -> float:
    """Breakeven deflation: the largest g at which the minimum DSCR is still >= ``target``.

    Parameters
    ----------
    deal_inputs : Deal, mapping or iterable of (field, value) pairs
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
    independent of g, min_p DSCR_p(g) is continuous and non-increasing in g, so the root is
    bracketed on [-0.5, 1] (:func:`pymodel.breakeven.solve_breakeven`, Brent); g = 1 is the
    limit where spot rents fall to zero after close.

    Raises
    ------
    NotAvailableError
        Not binding: the minimum DSCR stays >= target at any deflation (contracted cash alone
        covers the debt service); or no debt service in any period.
    ConvergenceError
        The target fails even with rents rising 50% a year (g = -0.5).

    References
    ----------
    §6.3.
    """
    x = SCHEMA.check("target", target)
    base = Base(parse_deal(deal_inputs, tenants))
    return solve_breakeven(
        lambda g: _min_dscr(base, deflation=g) - x, RISING_RENT_LIMIT, 1.0,
        what="breakeven deflation",
        not_binding=lambda m: f"the minimum DSCR stays >= {x:g} at any deflation "
                              f"({m + x:.4g} with spot rents falling to 0): {_COVERS}",
        no_solution=lambda m: f"the minimum DSCR is {m + x:.4g}, below the target {x:g}, even "
                              "with rents rising 50% a year (deflation -0.5)")


def rent_breakeven(deal_inputs: Any, *, target: float = P["target"].default,
                   tenants: Any = None) -> float:
    """Breakeven rent: the lowest spot rent at close at which the minimum DSCR is >= target.

    Parameters
    ----------
    deal_inputs : Deal, mapping or iterable of (field, value) pairs
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
    x = SCHEMA.check("target", target)
    base = Base(parse_deal(deal_inputs, tenants))
    return solve_breakeven(
        lambda r: _min_dscr(base, rent0=r) - x, max(base.deal.rent0, 1.0), 0.0,
        max_doublings=59, what="breakeven rent",
        not_binding=lambda m: f"the minimum DSCR is {m + x:.4g} >= {x:g} even at zero spot "
                              f"rent: {_COVERS}",
        no_solution=lambda m: f"the minimum DSCR stays below {x:g} at any spot rent (the "
                              "binding periods have no spot revenue, or utilization is 0)")


def utilization_breakeven(deal_inputs: Any, *, target: float = P["target"].default,
                          tenants: Any = None) -> float:
    """Breakeven utilisation: the lowest spot utilisation at which min DSCR is >= target.

    Parameters
    ----------
    deal_inputs : Deal, mapping or iterable of (field, value) pairs
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
    x = SCHEMA.check("target", target)
    base = Base(parse_deal(deal_inputs, tenants))
    return solve_breakeven(
        lambda u: _min_dscr(base, utilization=u) - x, 1.0, 0.0,
        what="breakeven utilization",
        not_binding=lambda m: f"the minimum DSCR is {m + x:.4g} >= {x:g} even at zero "
                              f"utilization: {_COVERS}",
        no_solution=lambda m: f"the minimum DSCR is {m + x:.4g}, below the target {x:g}, even "
                              "at full utilization (1)")


def dscr_compare(deal_inputs: Any, *, tenants: Any = None) -> pd.DataFrame:
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
    base = Base(parse_deal(deal_inputs, tenants))
    flat = _coverage(base, {}, flat=True)
    defl = _coverage(base, {})
    return frame({
        "period": np.arange(1, base.deal.n + 1), "year": defl.year, "dscr_flat": flat.dscr,
        "book_ltv_flat": flat.book_ltv, "dscr_deflated": defl.dscr,
        "economic_ltv_deflated": defl.economic_ltv})


def debt_capacity(deal_inputs: Any, *, target_dscr: float = P["target_dscr"].default,
                  tenants: Any = None) -> float:
    """The most debt the deal's cash flows carry at ``target_dscr`` in every period.

    Parameters
    ----------
    deal_inputs : Deal, mapping or iterable of (field, value) pairs
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
    Sculpting (§6.1): DS_p = max(CFADS_p, 0) / X and

    .. math:: D_0 = \\sum_{p=1}^{n} \\max(CFADS_p, 0)\\, (1+i)^{-p} / X.

    CFADS depends on the interest (tax shield), so D0 is found by fixed-point iteration. The
    resulting loan has DSCR_p = X in every period with positive CFADS and LLCR_1 = X when every
    CFADS is positive.
    """
    x = SCHEMA.check("target_dscr", target_dscr)
    deal = parse_deal(deal_inputs, tenants)
    ebitda = operating(deal).ebitda
    i = deal.rate_per_period
    v = (1.0 + i) ** (-np.arange(1, deal.n + 1, dtype=float))
    interest = np.zeros_like(ebitda)
    d0 = 0.0
    for _ in range(cashflows.MAX_FIXED_POINT):
        cf, _tax = cfads(ebitda, interest, deal.tax_rate)
        new = float(np.sum(np.maximum(cf, 0.0) * v)) / x
        if new <= 0.0:
            return 0.0
        if deal.tax_rate == 0.0 or abs(new - d0) <= 1e-12 * new:
            return new
        sched = sculpted_schedule(new, i, cf, payments_per_year=deal.payments_per_year)
        d0, interest = new, sched.interest
    raise ConvergenceError("debt capacity: the tax on CFADS and the interest did not settle "
                           f"in {cashflows.MAX_FIXED_POINT} iterations")
