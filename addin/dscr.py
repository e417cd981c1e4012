"""Coverage functions: deflated DSCR, LLCR, breakevens, debt capacity and debt schedules. Each
body converts nothing itself (the adapter does), makes one :mod:`pymodel.dscr` or
:mod:`pymodel.debt` call and shapes the result; argument help and defaults come from the
model's schema."""

from __future__ import annotations

from pymodel import dscr
from pymodel.debt import debt_schedule

from .registry import CAT_DSCR, udf

__all__ = ["DSCR_TABLE", "DSCR_MIN", "LLCR", "DSCR_BREAKEVEN", "RENT_BREAKEVEN",
           "UTILIZATION_BREAKEVEN", "DSCR_COMPARE", "DEBT_CAPACITY", "DEBT_SCHEDULE",
           "DEAL_FIELDS"]


@udf(category=CAT_DSCR)
def DSCR_TABLE(deal_inputs):
    """Per period of a deal: rent, revenue, opex, CFADS, debt service, balance, DSCR, LLCR,
    economic and book value per GPU, LTVs, PLCR; last row: balloon at maturity. Currency per
    period; rent per GPU-hour; DSCR in x. Spills."""
    return dscr.dscr_table(deal_inputs)


@udf(category=CAT_DSCR)
def DSCR_MIN(deal_inputs):
    """Minimum DSCR (CFADS / debt service, times x) over the periods of the deal with debt
    service, at the deal's rent deflation."""
    return dscr.dscr_min(deal_inputs)


@udf(category=CAT_DSCR)
def LLCR(deal_inputs):
    """Loan life coverage ratio at close (times x): CFADS over the loan discounted at the
    debt rate per period, divided by the debt."""
    return dscr.llcr(deal_inputs)


@udf(category=CAT_DSCR)
def DSCR_BREAKEVEN(deal_inputs, target=None):
    """Breakeven rent deflation (decimal per year): the largest annual rent decline g at which
    the minimum DSCR stays >= target. #N/A if never binding, #NUM! if it fails even with rents
    rising 50% a year."""
    return dscr.dscr_breakeven(deal_inputs, target=target)


@udf(category=CAT_DSCR)
def RENT_BREAKEVEN(deal_inputs, target=None):
    """Breakeven spot rent at close (currency per GPU-hour): the lowest rent0 that, deflating
    at the deal's rate, keeps the minimum DSCR >= target. #N/A if contracted cash alone
    covers."""
    return dscr.rent_breakeven(deal_inputs, target=target)


@udf(category=CAT_DSCR)
def UTILIZATION_BREAKEVEN(deal_inputs, target=None):
    """Breakeven spot utilisation (decimal in [0, 1]): the lowest utilisation that keeps the
    minimum DSCR >= target on the deal's rent path. #NUM! if not reached at full
    utilisation."""
    return dscr.utilization_breakeven(deal_inputs, target=target)


@udf(category=CAT_DSCR)
def DSCR_COMPARE(deal_inputs):
    """Per period: DSCR and book LTV under flat rents with straight-line collateral next to
    DSCR and economic LTV under the deal's deflation (same debt). DSCR in x, LTV decimal.
    Spills."""
    return dscr.dscr_compare(deal_inputs)


@udf(category=CAT_DSCR)
def DEBT_CAPACITY(deal_inputs, target_dscr=None):
    """Most debt (currency) the deal's cash flows carry at target_dscr in every period:
    sculpted, fully amortising, at the deal's debt rate, tenor and frequency."""
    return dscr.debt_capacity(deal_inputs, target_dscr=target_dscr)


@udf(category=CAT_DSCR)
def DEBT_SCHEDULE(debt, debt_rate, debt_years, amortization=None, payments_per_year=None,
                  balloon_share=None):
    """Debt schedule per period: opening balance, interest, principal, debt service, closing
    balance (currency); the balloon stays as the last closing balance. Spills."""
    return debt_schedule(debt, debt_rate, debt_years, amortization=amortization,
                         payments_per_year=payments_per_year,
                         balloon_share=balloon_share).rows()


@udf(category=CAT_DSCR)
def DEAL_FIELDS():
    """Lists every deal_inputs field: required, or its default; unit, description and the
    source of the default; renamed fields last. Spills."""
    return dscr.deal_fields()
