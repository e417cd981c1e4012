"""Coverage functions: deflated DSCR, LLCR, breakevens, debt capacity and debt schedules
(issue 3). Each body converts nothing itself (the adapter does), makes one :mod:`pymodel.dscr`
or :mod:`pymodel.debt` call and shapes the result; the maths lives in pymodel."""

from __future__ import annotations

from pymodel import debt, dscr

from .registry import CAT_DSCR, udf

__all__ = ["DSCR_TABLE", "DSCR_MIN", "LLCR", "DSCR_BREAKEVEN", "RENT_BREAKEVEN",
           "UTILIZATION_BREAKEVEN", "DSCR_COMPARE", "DEBT_CAPACITY", "DEBT_SCHEDULE",
           "DEAL_FIELDS"]

_DEAL = {"kinds": {"deal_inputs": "pairs"}}


def _meta(*names: str, **kinds: str) -> dict:
    """Argument help and empty-cell defaults from pymodel.dscr.ARGS (one source)."""
    return {"docs": {n: dscr.ARGS[n].help() for n in names},
            "defaults": {n: dscr.ARGS[n].default for n in names
                         if dscr.ARGS[n].default is not None},
            "kinds": kinds}


@udf(category=CAT_DSCR, **_meta("deal_inputs", deal_inputs="pairs"))
def DSCR_TABLE(deal_inputs):
    """Per period of a deal: rent, revenue, opex, CFADS, debt service, balance, DSCR, LLCR,
    economic and book value per GPU, LTVs, PLCR; last row: balloon at maturity. Currency per
    period; rent per GPU-hour; DSCR in x. Spills."""
    return dscr.dscr_table(deal_inputs)


@udf(category=CAT_DSCR, **_meta("deal_inputs", deal_inputs="pairs"))
def DSCR_MIN(deal_inputs):
    """Minimum DSCR (CFADS / debt service, times x) over the periods of the deal with debt
    service, at the deal's rent deflation."""
    return dscr.dscr_min(deal_inputs)


@udf(category=CAT_DSCR, **_meta("deal_inputs", deal_inputs="pairs"))
def LLCR(deal_inputs):
    """Loan life coverage ratio at close (times x): CFADS over the loan discounted at the
    debt rate per period, divided by the debt."""
    return dscr.llcr(deal_inputs)


@udf(category=CAT_DSCR, **_meta("deal_inputs", "target", deal_inputs="pairs"))
def DSCR_BREAKEVEN(deal_inputs, target=None):
    """Breakeven rent deflation (decimal per year): the largest annual rent decline g at which
    the minimum DSCR stays >= target. #N/A if never binding, #NUM! if it fails even with rents
    rising 50% a year."""
    return dscr.dscr_breakeven(deal_inputs, target=target)


@udf(category=CAT_DSCR, **_meta("deal_inputs", "target", deal_inputs="pairs"))
def RENT_BREAKEVEN(deal_inputs, target=None):
    """Breakeven spot rent at close (currency per GPU-hour): the lowest rent0 that, deflating
    at the deal's rate, keeps the minimum DSCR >= target. #N/A if contracted cash alone
    covers."""
    return dscr.rent_breakeven(deal_inputs, target=target)


@udf(category=CAT_DSCR, **_meta("deal_inputs", "target", deal_inputs="pairs"))
def UTILIZATION_BREAKEVEN(deal_inputs, target=None):
    """Breakeven spot utilisation (decimal in [0, 1]): the lowest utilisation that keeps the
    minimum DSCR >= target on the deal's rent path. #NUM! if not reached at full
    utilisation."""
    return dscr.utilization_breakeven(deal_inputs, target=target)


@udf(category=CAT_DSCR, **_meta("deal_inputs", deal_inputs="pairs"))
def DSCR_COMPARE(deal_inputs):
    """Per period: DSCR and book LTV under flat rents with straight-line collateral next to
    DSCR and economic LTV under the deal's deflation (same debt). DSCR in x, LTV decimal.
    Spills."""
    return dscr.dscr_compare(deal_inputs)


@udf(category=CAT_DSCR, **_meta("deal_inputs", "target_dscr", deal_inputs="pairs"))
def DEBT_CAPACITY(deal_inputs, target_dscr=None):
    """Most debt (currency) the deal's cash flows carry at target_dscr in every period:
    sculpted, fully amortising, at the deal's debt rate, tenor and frequency."""
    return dscr.debt_capacity(deal_inputs, target_dscr=target_dscr)


@udf(category=CAT_DSCR, **_meta("principal", "annual_rate", "years", "amortization",
                                 "periods_per_year", "balloon", amortization="text",
                                 periods_per_year="int"))
def DEBT_SCHEDULE(principal, annual_rate, years, amortization=None, periods_per_year=None,
                  balloon=None):
    """Debt schedule per period: opening balance, interest, principal, debt service, closing
    balance (currency); the balloon stays as the last closing balance. Spills."""
    return debt.debt_schedule(principal, annual_rate, years, amortization=amortization,
                              periods_per_year=periods_per_year, balloon=balloon).rows()


@udf(category=CAT_DSCR)
def DEAL_FIELDS():
    """Lists every deal_inputs field with its default, unit, description and the source of
    the default. Spills."""
    return dscr.deal_fields()
