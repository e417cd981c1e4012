"""The cash waterfall of a deal: debt-service reserve, lock-up (cash trap), cash sweep and
mandatory prepayment on an LTV breach.

Each period p, in this order (§6.6):

1. **Cash in**: revenue; less opex and tax (tax_rate x max(EBITDA - interest due, 0)) gives
   CFADS. If CFADS < 0 the sponsor funds the operating loss (a negative distribution).
2. **Debt service due**: interest B_(p-1) i on the actual opening balance, and the scheduled
   principal of the schedule fixed at close. Prepayments are applied in inverse order of
   maturity: they shorten the tail and the balloon, the scheduled principal stays the same
   amount until the balance runs out (principal due = min(scheduled, balance); where a sculpted
   schedule capitalises interest, the debt service due is at most the scheduled one). A shortfall is
   met from the DSRA, then from trapped cash; what is still missing is unpaid (``shortfall``,
   accumulated as arrears; the balance follows the due principal).
3. **DSRA**: target = debt service due over the next ``dsra_months`` months on the balance
   after this period (0 at maturity). Topped up from the cash left; any excess over the target
   is released down the waterfall. Funded at close (``dsra_funding`` = close: the opening
   reserve is the first target, paid from the sources at close, outside the period cash) or
   from cash (``cash``: it starts empty).
4. **Mandatory prepayment**: if the LTV after scheduled principal exceeds ``prepay_ltv`` (value
   on ``ltv_basis``: collateral with contracts, GPU-only economic, or book), the cash left and
   then trapped cash prepay the debt down to that LTV (as far as they go).
5. **Cash sweep**: a share of the cash left prepays the debt: the largest of ``sweep_share``,
   each ``sweep_dscr_shares[k]`` whose ``sweep_dscr_levels[k]`` is above this period's DSCR,
   and each ``sweep_ltv_shares[k]`` whose ``sweep_ltv_levels[k]`` is below this period's LTV.
6. **Lock-up**: if DSCR_p < ``lockup_dscr`` the rest is trapped (held in the project); when
   the test is met again, trapped cash is released with the period's distribution.
7. **Maturity**: the DSRA is released and, with any trapped cash, prepays the balloon; what is
   left is distributed.

Every period the cash is conserved exactly:

    revenue = opex + tax + interest paid + principal paid + DSRA movement + trap movement
              + prepayment + sweep + distributions

(movements positive when cash goes into a reserve; distributions negative when the sponsor
funds a loss). DSCR (before reserves) = CFADS / debt service due; DSCR after reserves =
(CFADS - DSRA movement) / debt service due.

**Fixed schedule or cash-flow driven.** A reserve and a lock-up move cash but never change the
debt service due: the schedule stays the one fixed at close, and breakevens are solved on it as
before. A sweep or an LTV prepayment changes the balance with the cash flows: the debt service
due then depends on the path, and every breakeven reruns the waterfall on each stressed path
(the sweep responds to the stressed cash). With a sweep that steps up as the DSCR falls, the
minimum DSCR need not be monotone in the stress; the breakeven is then a crossing found inside
the bracket, not necessarily the largest one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Sequence

import numpy as np

from ..debt import DebtSchedule
from ..schema import POS, RATE, UNIT, Param, declare
from ..validation import Interval

if TYPE_CHECKING:  # pragma: no cover
    from .deal import Deal

__all__ = ["Waterfall", "run_waterfall", "dsra_target", "due_principal", "LTV_BASES",
           "DSRA_FUNDING",
           "WATERFALL_COLUMNS", "P"]

#: Values an LTV test can be measured on.
LTV_BASES = ("collateral", "economic", "book")
#: When the debt-service reserve is funded.
DSRA_FUNDING = ("close", "cash")
#: Most months of debt service a reserve may hold.
MAX_DSRA_MONTHS = 60

#: Parameters of the cash waterfall.
P = declare(
    Param("dsra_months", "months of debt service", "Debt-service reserve account: target "
          "balance as the debt service due over the next this many months",
          Interval(0, MAX_DSRA_MONTHS), default=0.0,
          source="D: none unless the term sheet has one; 6 months is common (§6.1)"),
    Param("dsra_funding", "", "When the reserve is funded: at close from the sources of the "
          "deal, or from cash flow after debt service", default="close",
          source="S: Centersquare ABS funds about 6 months at closing (§6.1, §6.6)",
          kind="choice", choices=DSRA_FUNDING),
    Param("lockup_dscr", "times (x)", "Lock-up (cash trap): below this period DSCR the cash "
          "left after debt service, reserves and sweep is trapped; released when the test is "
          "met again", POS, default=None, empty="no lock-up"),
    Param("sweep_share", "decimal", "Share of the cash left after debt service and reserves "
          "that prepays the debt every period (cash sweep)", UNIT, default=0.0,
          source="D: no sweep"),
    Param("sweep_dscr_levels", "times (x)", "DSCR levels of a stepped sweep: below level k "
          "the sweep share is at least sweep_dscr_shares k (list, e.g. 1.25; 1.5)", POS,
          default=(), source="D: none", kind="list"),
    Param("sweep_dscr_shares", "decimal", "Sweep shares of the DSCR steps (list, e.g. 1; 0.5)",
          UNIT, default=(), source="D: none", kind="list"),
    Param("sweep_ltv_levels", "decimal", "LTV levels of a stepped sweep: above level k the "
          "sweep share is at least sweep_ltv_shares k (list, e.g. 0.6; 0.8)", POS, default=(),
          source="D: none", kind="list"),
    Param("sweep_ltv_shares", "decimal", "Sweep shares of the LTV steps (list, e.g. 0.25; "
          "0.75)", UNIT, default=(), source="D: none", kind="list"),
    Param("prepay_ltv", "decimal", "Maximum LTV: above it at a period end, cash prepays the "
          "debt down to it (mandatory prepayment)", POS, default=None, empty="no LTV test"),
    Param("ltv_basis", "", "Value an LTV test divides by: collateral (contracts plus the GPUs "
          "after them), economic (GPUs only) or book", default="collateral",
          source="D: contracts first, hardware second (§7)", kind="choice",
          choices=LTV_BASES),
    Param("contract_discount_rate", "annual effective decimal", "Discount rate of contracted "
          "cash before the tenant's default risk (the collateral value of the contracts)",
          RATE, default=None, empty="the deal's discount_rate"),
)

#: Columns the DSCR table adds when a deal has a waterfall (after its usual columns).
WATERFALL_COLUMNS = ("tax", "shortfall", "dsra_movement", "dsra_balance", "prepayment",
                     "sweep", "trap_movement", "trapped_cash", "distributions",
                     "dscr_after_reserves", "lockup", "ltv_tested")


@dataclass(frozen=True)
class Waterfall:
    """The waterfall of a deal, one entry per period (currency per period for the facility
    unless stated).

    ``interest``, ``principal`` and ``debt_service`` are due; ``interest_paid`` and
    ``principal_paid`` paid; ``opening`` and ``closing`` the actual balances (after
    prepayments); ``dsra_balance`` and ``trapped_cash`` closing balances; ``lockup`` 1.0 when
    the lock-up test failed; ``ltv_tested`` the LTV after scheduled principal (decimal, NaN
    without a value); ``dsra_at_close`` the reserve funded at close (currency).
    """

    opening: np.ndarray
    interest: np.ndarray
    principal: np.ndarray
    debt_service: np.ndarray
    interest_paid: np.ndarray
    principal_paid: np.ndarray
    shortfall: np.ndarray
    tax: np.ndarray
    cfads: np.ndarray
    dsra_movement: np.ndarray
    dsra_balance: np.ndarray
    prepayment: np.ndarray
    sweep: np.ndarray
    trap_movement: np.ndarray
    trapped_cash: np.ndarray
    distributions: np.ndarray
    closing: np.ndarray
    dscr: np.ndarray
    dscr_after_reserves: np.ndarray
    lockup: np.ndarray
    ltv_tested: np.ndarray
    dsra_at_close: float

    @property
    def balloon(self) -> float:
        """Balance left at maturity after every prepayment (currency)."""
        return float(self.closing[-1])

    def as_schedule(self, rate_per_period: float, payments_per_year: int,
                    amortization: str) -> DebtSchedule:
        """The debt actually serviced, as a schedule (due amounts; closing after
        prepayments)."""
        return DebtSchedule(self.opening, self.interest, self.principal, self.debt_service,
                            self.closing, rate_per_period, payments_per_year, amortization)


def due_principal(ps: float, ds_scheduled: float, interest: float, balance: float) -> float:
    """Principal due on a prepaid loan: the scheduled principal ``ps`` while the balance lasts
    (prepayments shorten the tail); where the schedule capitalises interest (``ps`` < 0, the
    scheduled debt service below the scheduled interest) the debt service due is at most the
    scheduled one and the rest of the interest is capitalised."""
    if ps >= 0.0:
        return min(ps, balance)
    return min(ds_scheduled - interest, 0.0)


def dsra_target(balance: float, start: int, sched_principal: Sequence[float],
                sched_ds: Sequence[float], i: float, periods: float) -> float:
    """Debt service due over the next ``periods`` periods (a fraction counts pro rata) from
    period index ``start`` on, for a balance ``balance`` repaid as :func:`due_principal`
    says (``sched_principal`` and ``sched_ds`` per period: lists or arrays)."""
    n = len(sched_principal)
    left = periods
    total = 0.0
    b = balance
    q = start
    while left > 1e-12 and q < n:
        w = 1.0 if left >= 1.0 else left
        interest = b * i
        ps = sched_principal[q]
        if ps >= 0.0:  # due_principal, inlined (this loop runs every period after a prepayment)
            pq = ps if ps < b else b
        else:
            pq = min(sched_ds[q] - interest, 0.0)
        total += w * (interest + pq)
        b -= pq
        left -= w
        q += 1
    return total


def run_waterfall(deal: "Deal", ebitda: np.ndarray, schedule: DebtSchedule,
                  ltv_value: np.ndarray | None) -> Waterfall:
    """The waterfall of a deal on one path of EBITDA (kernel: a validated deal, no checks).

    Parameters
    ----------
    deal : Deal
    ebitda : ndarray
        EBITDA per period (currency per period, facility).
    schedule : DebtSchedule
        The schedule fixed at close (scheduled principal; interest follows the actual balance).
    ltv_value : ndarray or None
        Value on the deal's LTV basis at each period end (currency, facility), for the LTV test
        and LTV sweep steps; None when the deal has neither.
    """
    n = ebitda.size
    i = schedule.rate_per_period
    tax_rate = deal.tax_rate
    sched_p = schedule.principal
    sched_ds = schedule.debt_service
    sched_open = schedule.opening
    k_periods = deal.dsra_months * deal.payments_per_year / 12.0
    lockup = deal.lockup_dscr
    prepay_ltv = deal.prepay_ltv
    base_share = deal.sweep_share
    dscr_steps = list(zip(deal.sweep_dscr_levels, deal.sweep_dscr_shares))
    ltv_steps = list(zip(deal.sweep_ltv_levels, deal.sweep_ltv_shares))
    ebitda_l = ebitda.tolist()
    sched_p_l, sched_ds_l, sched_open_l = sched_p.tolist(), sched_ds.tolist(), sched_open.tolist()
    value_l = ltv_value.tolist() if ltv_value is not None else None
    rows: list[tuple] = []
    bal = float(schedule.opening[0]) if n else 0.0
    dsra = 0.0
    fwd = _scheduled_targets(sched_ds, k_periods) if k_periods > 0.0 else None
    fwd_l = fwd.tolist() if fwd is not None else None
    if k_periods > 0.0 and deal.dsra_funding == "close":
        dsra = float(fwd[0])
    dsra_close = dsra
    trap = 0.0
    prepaid = False  # the balance still follows the schedule fixed at close
    nan = math.nan
    for p in range(n):
        last = p == n - 1
        if not prepaid:
            bal = sched_open_l[p]
        interest = bal * i
        ps = sched_p_l[p]
        principal = due_principal(ps, sched_ds_l[p], interest, bal) if prepaid else ps
        ds = interest + principal
        eb = ebitda_l[p]
        tax = tax_rate * max(eb - interest, 0.0)
        cf = eb - tax
        dscr = cf / ds if ds > 0.0 else nan
        sponsor = -cf if cf < 0.0 else 0.0
        avail = cf + sponsor
        gap = ds - avail if ds > avail else 0.0
        draw_d = min(dsra, gap)
        dsra -= draw_d
        gap -= draw_d
        draw_t = min(trap, gap)
        trap -= draw_t
        gap -= draw_t
        paid = ds - gap
        interest_paid = min(interest, paid) if paid > 0.0 else paid
        excess = 0.0 if ds > avail else avail - ds  # a gap uses every unit of cash
        after = bal - principal
        # 3. reserve
        top = release = 0.0
        if k_periods > 0.0:
            if last:
                target = 0.0
            elif prepaid:
                target = dsra_target(after, p + 1, sched_p_l, sched_ds_l, i, k_periods)
            else:  # still on the schedule fixed at close
                target = fwd_l[p + 1]
            if abs(target - dsra) <= 1e-12 * max(target, dsra):
                target = dsra  # a level schedule: the same target, not rounding noise
            if dsra < target:
                top = min(excess, target - dsra)
                dsra += top
                excess -= top
            else:
                release = dsra - target
                dsra = target
                excess += release
        prepay = 0.0
        trap_used = 0.0
        if last and release > 0.0:  # 7. the reserve released at maturity prepays the balloon
            x = min(after, release)
            excess -= x
            prepay += x
            after -= x
        # 4. LTV test after scheduled principal
        ltv = nan
        if value_l is not None:
            v = value_l[p]
            ltv = after / v if v > 0.0 else (math.inf if after > 0.0 else 0.0)
            if prepay_ltv is not None and ltv > prepay_ltv:
                need = after - prepay_ltv * max(v, 0.0)
                x = min(need, excess)
                excess -= x
                y = min(need - x, trap)
                trap -= y
                trap_used += y
                prepay += x + y
                after -= x + y
        # 5. sweep
        share = base_share
        if dscr_steps and dscr == dscr:
            for level, s in dscr_steps:
                if dscr < level and s > share:
                    share = s
        if ltv_steps and ltv == ltv:
            for level, s in ltv_steps:
                if ltv > level and s > share:
                    share = s
        sweep = min(share * excess, after) if share > 0.0 else 0.0
        excess -= sweep
        after -= sweep
        # 6. lock-up
        locked = lockup is not None and dscr < lockup  # NaN (no debt service): no test
        trapped_in = released = 0.0
        if locked:
            trapped_in = excess
            trap += excess
            dist = 0.0
        else:
            released = trap
            trap = 0.0
            dist = excess + released
        if last and trap > 0.0:  # 7. trapped cash at maturity prepays the balloon
            z = min(after, trap)
            trap -= z
            trap_used += z
            prepay += z
            after -= z
            released += trap
            dist += trap
            trap = 0.0
        dist -= sponsor
        if prepay > 0.0 or sweep > 0.0:
            prepaid = True
        move = top - draw_d - release
        rows.append((bal, interest, principal, ds, interest_paid, paid - interest_paid, gap, tax,
                     cf, move, dsra, prepay, sweep, trapped_in - draw_t - trap_used - released,
                     trap, dist, after, dscr, (cf - move) / ds if ds > 0.0 else nan,
                     1.0 if locked else 0.0, ltv))
        bal = after
    cols = np.array(rows, dtype=float).reshape(n, len(_FIELDS)).T
    return Waterfall(**dict(zip(_FIELDS, cols)), dsra_at_close=dsra_close)


#: Waterfall arrays in the order run_waterfall collects them.
_FIELDS = ("opening", "interest", "principal", "debt_service", "interest_paid",
           "principal_paid", "shortfall", "tax", "cfads", "dsra_movement", "dsra_balance",
           "prepayment", "sweep", "trap_movement", "trapped_cash", "distributions", "closing",
           "dscr", "dscr_after_reserves", "lockup", "ltv_tested")


def _scheduled_targets(sched_ds: np.ndarray, periods: float) -> np.ndarray:
    """Reserve targets while the loan follows its schedule: at index p, the scheduled debt
    service of periods p, p+1, ... over ``periods`` periods (a fraction pro rata); length
    n + 1 (0 at the end)."""
    n = sched_ds.size
    padded = np.concatenate((sched_ds, np.zeros(int(np.ceil(periods)) + 1)))
    out = np.zeros(n + 1)
    j = 0
    left = periods
    while left > 1e-12:
        w = 1.0 if left >= 1.0 else left
        out += w * padded[j:j + n + 1]
        left -= w
        j += 1
    return out
