"""Debt schedules: annuity with balloon, linear, bullet (interest only) and sculpted.

Conventions (§1.4, §1.6 and §6.1): the debt rate is nominal
annual, the rate of a period of length ``1/payments_per_year`` is ``i = debt_rate /
payments_per_year``; period ``p = 1..n`` pays interest on the opening balance ``B_(p-1)`` at its
end; ``B_0`` is the debt drawn at close. A balloon (a share of the debt left outstanding at
maturity) is refinancing risk: it is reported as the closing balance of the last period and is
**not** counted in debt service.

The loan's parameters (:data:`P`) are the deal's own (``debt``, ``debt_rate``, ``debt_years``,
``amortization``, ``payments_per_year``, ``balloon_share``): a schedule typed on its own and a
deal block name the same quantities the same way.

Every kernel is vectorised over the periods (closed forms and cumulative sums, no Python loop).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from .errors import ConvergenceError, DomainError, InputTypeError
from .schema import NONNEG, NOT_GIVEN, SCHEMA, UNIT, Param, declare
from .validation import Interval, check

__all__ = ["AMORTIZATIONS", "PAYMENTS_PER_YEAR", "DebtSchedule", "debt_schedule",
           "annuity_payment", "sculpted_schedule", "period_count", "schedule_kernel", "P"]

#: Repayment profiles.
AMORTIZATIONS = ("annuity", "linear", "bullet", "sculpted")
#: Allowed payment frequencies (annual, semi-annual, quarterly, monthly).
PAYMENTS_PER_YEAR = (1, 2, 4, 12)
#: Tenors allowed, years: (0, 50].
MAX_TENOR = Interval(0, 50, lo_closed=False)

#: The parameters of a loan.
P = declare(
    Param("debt", "currency", "Debt drawn at close (the facility amount)", NONNEG),
    Param("debt_rate", "nominal annual decimal", "Interest rate of the debt; per period "
          "debt_rate / payments_per_year", UNIT),
    Param("debt_years", "years", "Tenor of the debt from close; debt_years x "
          "payments_per_year must be whole", MAX_TENOR),
    Param("amortization", "", "Repayment profile of the debt (sculpted: debt service "
          "proportional to the deal's cash flows)", default="annuity",
          source="D: level payments, the usual term-loan profile", kind="choice",
          choices=AMORTIZATIONS),
    Param("payments_per_year", "payments per year", "Payment frequency of the debt (and "
          "periods of the DSCR table)", default=4,
          source="D: quarterly, usual in project finance", kind="int",
          choices=PAYMENTS_PER_YEAR),
    Param("balloon_share", "decimal of debt", "Share of the debt outstanding at maturity "
          "(refinancing risk; not in debt service)", UNIT, default=0.0,
          source="D: fully amortising"),
    Param("balloon_amount", "currency", "Amount left outstanding after the last payment",
          NONNEG, default=0.0, source="D: fully amortising"),
    Param("rate_per_period", "decimal per period", "Interest rate per period i = debt_rate / "
          "payments_per_year", NONNEG),
    Param("n_periods", "periods", "Number of periods of the loan", Interval(1, None),
          kind="int"),
    Param("cfads", "currency per period", "Base-case cash flow available for debt service of "
          "each period (sculpted amortization)", default=None, kind="range",
          empty="none: only sculpted amortization needs it"),
)
D = {n: p.default for n, p in P.items() if p.has_default}


@dataclass(frozen=True)
class DebtSchedule:
    """A debt schedule, one entry per period (all amounts in the currency of the principal).

    Attributes
    ----------
    opening : ndarray
        Opening balance ``B_(p-1)`` of each period.
    interest : ndarray
        Interest ``B_(p-1) * i`` paid at the end of each period.
    principal : ndarray
        Scheduled repayment of each period (may be negative in a sculpted schedule when the
        cash flow does not cover interest: the shortfall is capitalised).
    debt_service : ndarray
        ``interest + principal``; the balloon is not included.
    closing : ndarray
        Closing balance ``B_p``; the last one is the balloon.
    rate_per_period : float
        ``i = debt_rate / payments_per_year`` (decimal per period).
    payments_per_year : int
    amortization : str
    """

    opening: np.ndarray
    interest: np.ndarray
    principal: np.ndarray
    debt_service: np.ndarray
    closing: np.ndarray
    rate_per_period: float
    payments_per_year: int
    amortization: str

    @property
    def n(self) -> int:
        """Number of periods."""
        return int(self.opening.size)

    @property
    def balloon(self) -> float:
        """Balance outstanding at maturity (currency): the refinancing amount."""
        return float(self.closing[-1]) if self.n else 0.0

    @property
    def year_end(self) -> np.ndarray:
        """End of each period in years from close, ``p / payments_per_year``."""
        return np.arange(1, self.n + 1) / self.payments_per_year

    def rows(self) -> list[list[Any]]:
        """Header row plus one row per period (for a spilled Excel range)."""
        head = ["period", "year", "opening_balance", "interest", "principal", "debt_service",
                "closing_balance"]
        cols = [np.arange(1, self.n + 1), self.year_end, self.opening, self.interest,
                self.principal, self.debt_service, self.closing]
        return [head] + [list(r) for r in zip(*(c.tolist() for c in cols))]


def period_count(debt_years: float, payments_per_year: int, *, name: str = "debt_years") -> int:
    """Number of periods ``n = debt_years * payments_per_year``, which must be a whole number.

    Parameters
    ----------
    debt_years : float
        Tenor in years, in (0, 50].
    payments_per_year : int
        One of 1, 2, 4, 12.
    name : str, optional
        How the tenor is named in messages.

    Raises
    ------
    DomainError
        If ``payments_per_year`` is not one of 1, 2, 4, 12, or the tenor is not a positive
        multiple of ``1/payments_per_year``.
    """
    ppy = SCHEMA.check("payments_per_year", payments_per_year)
    years = check(name, debt_years, MAX_TENOR)
    return _period_count(years, ppy, name)


def _period_count(years: float, ppy: int, name: str = "debt_years") -> int:
    n_float = years * ppy
    n = int(round(n_float))
    if n < 1 or abs(n_float - n) > 1e-9 * max(1.0, n_float):
        raise DomainError(name, f"a positive multiple of 1/payments_per_year ({1 / ppy:g} "
                          "years)", years)
    return n


def annuity_payment(debt: float, rate_per_period: float, n_periods: int, *,
                    balloon_amount: float = D["balloon_amount"]) -> float:
    """Level payment per period that repays ``debt`` down to ``balloon_amount`` in
    ``n_periods`` periods (kernel: no validation).

    Parameters
    ----------
    debt : float
        Amount borrowed at close (currency).
    rate_per_period : float
        Interest rate per period (decimal, >= 0).
    n_periods : int
        Number of periods (>= 1).
    balloon_amount : float, optional
        Amount left outstanding after the last payment (currency), default 0.

    Returns
    -------
    float
        Payment per period (currency), interest plus principal.

    Notes
    -----
    With :math:`v = 1/(1+i)`,

    .. math:: A = \\frac{(D - F v^n)\\, i}{1 - v^n}, \\qquad A = (D - F)/n \\text{ if } i = 0,

    the same as ``numpy_financial.pmt(i, n, -D, F)``.
    """
    if rate_per_period == 0.0:
        return (debt - balloon_amount) / n_periods
    vn = (1.0 + rate_per_period) ** (-n_periods)
    return (debt - balloon_amount * vn) * rate_per_period / -np.expm1(
        -n_periods * np.log1p(rate_per_period))


def _annuity(d: float, i: float, n: int, bal: float):
    a = annuity_payment(d, i, n, balloon_amount=bal)
    p = np.arange(0, n + 1, dtype=float)
    if i == 0.0:
        b = d - a * p
    else:
        # backward form (value of the remaining payments and the balloon): no cancellation
        vr = (1.0 + i) ** (p - n)
        b = a * -np.expm1((p - n) * np.log1p(i)) / i + bal * vr
    b[0], b[-1] = d, bal
    return b


def _linear(d: float, n: int, bal: float):
    b = d - (d - bal) * np.arange(0, n + 1, dtype=float) / n
    b[-1] = bal
    return b


def _from_balances(b: np.ndarray, i: float, ppy: int, kind: str) -> DebtSchedule:
    opening, closing = b[:-1].copy(), b[1:].copy()
    interest = opening * i
    principal = opening - closing
    return DebtSchedule(opening, interest, principal, interest + principal, closing, i, ppy,
                        kind)


def sculpted_schedule(debt: float, rate_per_period: float, cfads: Sequence[float], *,
                      balloon_amount: float = D["balloon_amount"],
                      payments_per_year: int = D["payments_per_year"]) -> DebtSchedule:
    """Sculpted schedule: debt service proportional to the positive part of CFADS (kernel: no
    validation).

    Parameters
    ----------
    debt : float
        Amount borrowed at close (currency, >= 0).
    rate_per_period : float
        Interest rate per period (decimal, >= 0).
    cfads : sequence of float
        Base-case cash flow available for debt service of each period (currency).
    balloon_amount : float, optional
        Amount left outstanding at maturity (currency), default 0.
    payments_per_year : int, optional
        Payment frequency (only recorded in the result), default 4.

    Returns
    -------
    DebtSchedule

    Notes
    -----
    :math:`DS_p = k \\max(CFADS_p, 0)` with

    .. math:: k = \\frac{D - F v^n}{\\sum_p \\max(CFADS_p, 0)\\, v^p}, \\quad v = 1/(1+i),

    so the discounted debt service repays the debt less the discounted balloon F. The balance
    is :math:`B_p = (1+i)^p (D - \\sum_{q \\le p} DS_q v^q)`, which ends at F. In every period
    with positive CFADS the DSCR is the constant :math:`1/k` (§6.1).
    Balances are computed in the equivalent backward form
    :math:`B_p = \\sum_{q>p} DS_q v^{q-p} + F v^{n-p}` (no cancellation).

    Raises
    ------
    ConvergenceError
        If no period has positive CFADS (nothing to sculpt against) while debt is to be repaid.
    """
    rate, principal, balloon = rate_per_period, debt, balloon_amount
    cf = np.clip(np.asarray(cfads, dtype=float), 0.0, None)
    n = cf.size
    v = (1.0 + rate) ** (-np.arange(1, n + 1, dtype=float))
    pv = float(np.sum(cf * v))
    target = principal - balloon * v[-1]
    if target <= 0.0:
        k = 0.0
    elif pv <= 0.0:
        raise ConvergenceError("sculpted amortization needs positive base-case CFADS in at "
                               "least one period; got none, so the debt cannot be repaid")
    else:
        k = target / pv
    ds = k * cf
    # backward form B_p = sum_{q>p} DS_q v^(q-p) + F v^(n-p): sums of non-negative terms
    tail = np.concatenate((np.cumsum((ds * v)[::-1])[::-1], [0.0]))
    vp = np.concatenate(([1.0], v))
    b = (tail + balloon * v[-1]) / vp
    b[0], b[-1] = principal, balloon
    opening, closing = b[:-1].copy(), b[1:].copy()
    interest = opening * rate
    return DebtSchedule(opening, interest, ds - interest, ds, closing, rate,
                        int(payments_per_year), "sculpted")


def schedule_kernel(debt: float, rate_per_period: float, n_periods: int, amortization: str,
                    balloon_share: float, payments_per_year: int) -> DebtSchedule:
    """Annuity, linear or bullet schedule from clean values (no validation; a bullet leaves
    the whole debt outstanding whatever ``balloon_share`` says)."""
    share = 1.0 if amortization == "bullet" else balloon_share
    bal = debt * share
    if amortization == "annuity":
        b = _annuity(debt, rate_per_period, n_periods, bal)
    else:  # linear, bullet (a bullet is linear with balloon 1)
        b = _linear(debt, n_periods, bal)
    return _from_balances(b, rate_per_period, payments_per_year, amortization)


def debt_schedule(debt: float, debt_rate: float, debt_years: float, *,
                  amortization: str = D["amortization"],
                  payments_per_year: int = D["payments_per_year"],
                  balloon_share: float = D["balloon_share"],
                  cfads: Sequence[float] | None = D["cfads"]) -> DebtSchedule:
    """Debt schedule of a term loan.

    Parameters
    ----------
    debt : float
        Amount borrowed at close (currency, >= 0).
    debt_rate : float
        Nominal annual interest rate (decimal, in [0, 1]); per period ``i = debt_rate /
        payments_per_year``.
    debt_years : float
        Tenor in years, in (0, 50]; ``debt_years * payments_per_year`` must be whole.
    amortization : {"annuity", "linear", "bullet", "sculpted"}, optional
        Repayment profile (default "annuity"): level payment leaving the balloon; equal
        principal of ``debt * (1 - balloon_share) / n``; interest only with the whole debt
        due at maturity (``balloon_share`` is then 1 whatever is given); debt service
        proportional to ``cfads``.
    payments_per_year : int, optional
        1, 2, 4 or 12 (default 4, quarterly).
    balloon_share : float, optional
        Share of the debt outstanding at maturity (decimal in [0, 1], default 0).
    cfads : sequence of float, optional
        Base-case CFADS per period (currency), required for "sculpted" (length n).

    Returns
    -------
    DebtSchedule
        Opening balance, interest, principal, debt service and closing balance per period.

    Notes
    -----
    Interest is :math:`B_{p-1} i`. The annuity payment is
    :math:`A = (D - F v^n) i / (1 - v^n)` with :math:`F = \\text{balloon\\_share} \\cdot D`,
    :math:`v = 1/(1+i)` (``numpy_financial.pmt(i, n, -D, F)``); its balances are
    :math:`B_p = A (1 - v^{n-p})/i + F v^{n-p}` (equal to :math:`D (1+i)^p - A((1+i)^p - 1)/i`,
    without its cancellation). The balloon is reported, not counted in debt
    service. See :func:`sculpted_schedule` for the sculpted profile.

    References
    ----------
    §6.1.

    Examples
    --------
    >>> s = debt_schedule(1000.0, 0.08, 1, payments_per_year=4, amortization="linear")
    >>> s.principal.tolist()
    [250.0, 250.0, 250.0, 250.0]
    >>> s.interest.tolist()
    [20.0, 15.0, 10.0, 5.0]
    """
    d = SCHEMA.check("debt", debt)
    rate = SCHEMA.check("debt_rate", debt_rate)
    ppy = SCHEMA.check("payments_per_year", payments_per_year)
    n = period_count(debt_years, ppy)
    kind = SCHEMA.check("amortization", amortization)
    share = SCHEMA.check("balloon_share", balloon_share)
    i = rate / ppy
    if kind == "sculpted":
        if cfads is None or cfads is NOT_GIVEN:
            raise InputTypeError("amortization", "annuity | linear | bullet (sculpted needs the "
                                 "deal's cash flows: use a deal_inputs block)", kind,
                                 key="choice")
        cf = check("cfads", cfads)
        cf = np.atleast_1d(cf).ravel()
        if cf.size != n:
            raise InputTypeError("cfads", value=None, key="length_mismatch",
                                 other="the number of periods", n_other=n, n=cf.size)
        return sculpted_schedule(d, i, cf, balloon_amount=d * share, payments_per_year=ppy)
    return schedule_kernel(d, i, n, kind, share, ppy)
