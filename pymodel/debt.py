"""Debt schedules: annuity with balloon, linear, bullet (interest only) and sculpted.

Conventions (model reference, Conventions 4 and 6, and section 6.1): the debt rate is nominal
annual, the rate of a period of length ``1/periods_per_year`` is ``i = annual_rate /
periods_per_year``; period ``p = 1..n`` pays interest on the opening balance ``B_(p-1)`` at its
end; ``B_0`` is the principal at close. A balloon (a share of the principal left outstanding at
maturity) is refinancing risk: it is reported as the closing balance of the last period and is
**not** counted in debt service.

Every kernel is vectorised over the periods (closed forms and cumulative sums, no Python loop).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from .errors import ConvergenceError, DomainError, InputTypeError
from .validation import Interval, check, check_choice

__all__ = ["AMORTIZATIONS", "PERIODS_PER_YEAR", "DebtSchedule", "debt_schedule",
           "annuity_payment", "sculpted_schedule", "period_count"]

#: Repayment profiles.
AMORTIZATIONS = ("annuity", "linear", "bullet", "sculpted")
#: Allowed payment frequencies (annual, semi-annual, quarterly, monthly).
PERIODS_PER_YEAR = (1, 2, 4, 12)

_NONNEG = Interval(0, None)
_POS = Interval(0, None, lo_closed=False)
_SHARE = Interval(0, 1)
#: Tenors allowed, years: (0, 50].
MAX_TENOR = Interval(0, 50, lo_closed=False)


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
        ``i = annual_rate / periods_per_year`` (decimal per period).
    periods_per_year : int
    amortization : str
    """

    opening: np.ndarray
    interest: np.ndarray
    principal: np.ndarray
    debt_service: np.ndarray
    closing: np.ndarray
    rate_per_period: float
    periods_per_year: int
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
        """End of each period in years from close, ``p / periods_per_year``."""
        return np.arange(1, self.n + 1) / self.periods_per_year

    def rows(self) -> list[list[Any]]:
        """Header row plus one row per period (for a spilled Excel range)."""
        head = ["period", "year", "opening_balance", "interest", "principal", "debt_service",
                "closing_balance"]
        cols = [np.arange(1, self.n + 1), self.year_end, self.opening, self.interest,
                self.principal, self.debt_service, self.closing]
        return [head] + [list(r) for r in zip(*(c.tolist() for c in cols))]


def period_count(years: float, periods_per_year: int, *, name: str = "years") -> int:
    """Number of periods ``n = years * periods_per_year``, which must be a whole number.

    Parameters
    ----------
    years : float
        Tenor in years, in (0, 50].
    periods_per_year : int
        One of 1, 2, 4, 12.
    name : str, optional
        How ``years`` is named in messages.

    Raises
    ------
    DomainError
        If ``periods_per_year`` is not one of 1, 2, 4, 12, or ``years`` is not a positive
        multiple of ``1/periods_per_year``.
    """
    ppy = check_periods_per_year(periods_per_year)
    years = check(name, years, MAX_TENOR)
    n_float = years * ppy
    n = int(round(n_float))
    if n < 1 or abs(n_float - n) > 1e-9 * max(1.0, n_float):
        raise DomainError(name, f"a positive multiple of 1/periods_per_year ({1 / ppy:g} years)",
                          years)
    return n


def check_periods_per_year(value: Any, *, name: str = "periods_per_year") -> int:
    """Validate a payment frequency: one of 1, 2, 4, 12 (whole numbers as floats accepted)."""
    x = check(name, value)
    if np.ndim(x) != 0 or x not in PERIODS_PER_YEAR:
        raise DomainError(name, " | ".join(map(str, PERIODS_PER_YEAR)), value, key="choice")
    return int(x)


def annuity_payment(principal: float, rate: float, n: int, *, balloon: float = 0.0) -> float:
    """Level payment per period that repays ``principal`` down to ``balloon`` in ``n`` periods.

    Parameters
    ----------
    principal : float
        Amount borrowed at close (currency).
    rate : float
        Interest rate per period (decimal, >= 0).
    n : int
        Number of periods (>= 1).
    balloon : float, optional
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
    if rate == 0.0:
        return (principal - balloon) / n
    vn = (1.0 + rate) ** (-n)
    return (principal - balloon * vn) * rate / -np.expm1(-n * np.log1p(rate))


def _annuity(d: float, i: float, n: int, bal: float):
    a = annuity_payment(d, i, n, balloon=bal)
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


def sculpted_schedule(principal: float, rate: float, cfads: Sequence[float], *,
                      balloon: float = 0.0, periods_per_year: int = 4) -> DebtSchedule:
    """Sculpted schedule: debt service proportional to the positive part of CFADS.

    Parameters
    ----------
    principal : float
        Amount borrowed at close (currency, >= 0).
    rate : float
        Interest rate per period (decimal, >= 0).
    cfads : sequence of float
        Base-case cash flow available for debt service of each period (currency).
    balloon : float, optional
        Amount left outstanding at maturity (currency), default 0.
    periods_per_year : int, optional
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
    with positive CFADS the DSCR is the constant :math:`1/k` (model reference, section 6.1).
    Balances are computed in the equivalent backward form
    :math:`B_p = \\sum_{q>p} DS_q v^{q-p} + F v^{n-p}` (no cancellation).

    Raises
    ------
    ConvergenceError
        If no period has positive CFADS (nothing to sculpt against) while debt is to be repaid.
    """
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
                        int(periods_per_year), "sculpted")


def debt_schedule(principal: float, annual_rate: float, years: float, *,
                  amortization: str = "annuity", periods_per_year: int = 4,
                  balloon: float = 0.0, cfads: Sequence[float] | None = None) -> DebtSchedule:
    """Debt schedule of a term loan.

    Parameters
    ----------
    principal : float
        Amount borrowed at close (currency, >= 0).
    annual_rate : float
        Nominal annual interest rate (decimal, >= 0); per period ``i = annual_rate /
        periods_per_year``.
    years : float
        Tenor in years, in (0, 50]; ``years * periods_per_year`` must be whole.
    amortization : {"annuity", "linear", "bullet", "sculpted"}, optional
        Repayment profile (default "annuity"): level payment leaving the balloon; equal
        principal of ``principal * (1 - balloon) / n``; interest only with the whole principal
        due at maturity (``balloon`` is then 1 whatever is given); debt service proportional to
        ``cfads``.
    periods_per_year : int, optional
        1, 2, 4 or 12 (default 4, quarterly).
    balloon : float, optional
        Share of the principal outstanding at maturity (decimal in [0, 1], default 0).
    cfads : sequence of float, optional
        Base-case CFADS per period (currency), required for "sculpted" (length n).

    Returns
    -------
    DebtSchedule
        Opening balance, interest, principal, debt service and closing balance per period.

    Notes
    -----
    Interest is :math:`B_{p-1} i`. The annuity payment is
    :math:`A = (D - F v^n) i / (1 - v^n)` with :math:`F = \\text{balloon} \\cdot D`,
    :math:`v = 1/(1+i)` (``numpy_financial.pmt(i, n, -D, F)``); its balances are
    :math:`B_p = A (1 - v^{n-p})/i + F v^{n-p}` (equal to :math:`D (1+i)^p - A((1+i)^p - 1)/i`,
    without its cancellation). The balloon is reported, not counted in debt
    service. See :func:`sculpted_schedule` for the sculpted profile.

    References
    ----------
    Model reference (``shared/reference/models.md``), section 6.1; issue 3 "Deflated DSCR".

    Examples
    --------
    >>> s = debt_schedule(1000.0, 0.08, 1, periods_per_year=4, amortization="linear")
    >>> s.principal.tolist()
    [250.0, 250.0, 250.0, 250.0]
    >>> s.interest.tolist()
    [20.0, 15.0, 10.0, 5.0]
    """
    d = check("principal", principal, _NONNEG)
    rate = check("annual_rate", annual_rate, Interval(0, 1))
    ppy = check_periods_per_year(periods_per_year)
    n = period_count(years, ppy)
    kind = check_choice("amortization", amortization, AMORTIZATIONS)
    share = check("balloon", balloon, _SHARE)
    i = rate / ppy
    if kind == "bullet":
        share = 1.0
    bal = d * share
    if kind == "sculpted":
        if cfads is None:
            raise InputTypeError("amortization", "annuity | linear | bullet (sculpted needs the "
                                 "deal's cash flows: use a deal_inputs block)", kind,
                                 key="choice")
        cf = check("cfads", cfads)
        cf = np.atleast_1d(cf).ravel()
        if cf.size != n:
            raise InputTypeError("cfads", value=None, key="length_mismatch",
                                 other="the number of periods", n_other=n, n=cf.size)
        return sculpted_schedule(d, i, cf, balloon=bal, periods_per_year=ppy)
    if kind == "annuity":
        b = _annuity(d, i, n, bal)
    else:  # linear, bullet (a bullet is linear with balloon 1)
        b = _linear(d, n, bal)
    return _from_balances(b, i, ppy, kind)
