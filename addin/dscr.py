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
           "DEAL_FIELDS", "TENANT_CASHFLOWS", "TENANT_CONCENTRATION", "TENANT_STRESS",
           "LTV_TABLE", "REFI_RISK"]


@udf(category=CAT_DSCR)
def DSCR_TABLE(deal_inputs, tenants=None):
    """Per period: rent, revenue, opex, CFADS, debt service, balance, DSCR, LLCR, values, LTVs,
    PLCR; with a reserve, lock-up or sweep each waterfall line and DSCR after reserves. Last
    row: balloon. Currency per period; DSCR in x. Spills."""
    return dscr.dscr_table(deal_inputs, tenants=tenants)


@udf(category=CAT_DSCR)
def DSCR_MIN(deal_inputs, tenants=None):
    """Minimum DSCR (CFADS / debt service, times x) over the periods of the deal with debt
    service, at the deal's rent deflation."""
    return dscr.dscr_min(deal_inputs, tenants=tenants)


@udf(category=CAT_DSCR)
def LLCR(deal_inputs, tenants=None):
    """Loan life coverage ratio at close (times x): CFADS over the loan discounted at the
    debt rate per period, divided by the debt."""
    return dscr.llcr(deal_inputs, tenants=tenants)


@udf(category=CAT_DSCR)
def DSCR_BREAKEVEN(deal_inputs, target=None, tenants=None):
    """Breakeven rent deflation (decimal per year): the largest annual rent decline g at which
    the minimum DSCR stays >= target. #N/A if never binding, #NUM! if it fails even with rents
    rising 50% a year."""
    return dscr.dscr_breakeven(deal_inputs, target=target, tenants=tenants)


@udf(category=CAT_DSCR)
def RENT_BREAKEVEN(deal_inputs, target=None, tenants=None):
    """Breakeven spot rent at close (currency per GPU-hour): the lowest rent0 that, deflating
    at the deal's rate, keeps the minimum DSCR >= target. #N/A if contracted cash alone
    covers."""
    return dscr.rent_breakeven(deal_inputs, target=target, tenants=tenants)


@udf(category=CAT_DSCR)
def UTILIZATION_BREAKEVEN(deal_inputs, target=None, tenants=None):
    """Breakeven spot utilisation (decimal in [0, 1]): the lowest utilisation that keeps the
    minimum DSCR >= target on the deal's rent path. #NUM! if not reached at full
    utilisation."""
    return dscr.utilization_breakeven(deal_inputs, target=target, tenants=tenants)


@udf(category=CAT_DSCR)
def DSCR_COMPARE(deal_inputs, tenants=None):
    """Per period: DSCR and book LTV under flat rents with straight-line collateral next to
    DSCR and economic LTV under the deal's deflation (same debt). DSCR in x, LTV decimal.
    Spills."""
    return dscr.dscr_compare(deal_inputs, tenants=tenants)


@udf(category=CAT_DSCR)
def DEBT_CAPACITY(deal_inputs, target_dscr=None, tenants=None):
    """Most debt (currency) the deal's cash flows carry at target_dscr in every period:
    sculpted, fully amortising, at the deal's debt rate, tenor and frequency."""
    return dscr.debt_capacity(deal_inputs, target_dscr=target_dscr, tenants=tenants)


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
    """Lists every deal_inputs field: required, or its default; unit, description and source
    of the default; renamed fields; then the columns of the tenant block (tenants: name, ...).
    Spills."""
    return dscr.deal_fields()


@udf(category=CAT_DSCR)
def TENANT_CASHFLOWS(deal_inputs, tenants=None):
    """Revenue per period by tenant (its contracts: tenant, guarantor backstop and renewal
    payments), the rest at spot, and total revenue (currency per period), expected or as the
    deal's named default states it. Spills."""
    return dscr.tenant_cashflows(deal_inputs, tenants=tenants)


@udf(category=CAT_DSCR)
def TENANT_CONCENTRATION(deal_inputs, tenants=None):
    """Contract concentration: largest tenant and its share of contract value, Herfindahl
    index, investment-grade and backstopped shares, average term, and the share of debt repaid
    by contracted cash alone. Label | value rows."""
    return dscr.tenant_concentration(deal_inputs, tenants=tenants)


@udf(category=CAT_DSCR)
def TENANT_STRESS(deal_inputs, tenant_default_year, tenants=None):
    """Named tenant defaults: minimum DSCR (before and after reserves), LLCR, balloon and debt
    repaid by contracts, expected and with each tenant (then all) defaulting at
    tenant_default_year. Spills."""
    return dscr.tenant_stress(deal_inputs, tenant_default_year, tenants=tenants)


@udf(category=CAT_DSCR)
def LTV_TABLE(deal_inputs, tenants=None):
    """LTV on collateral with contracts (PV of contracted cash plus the GPUs after the
    contracts) next to the GPU-only economic and the book LTV, at each period start and at
    maturity. Spills."""
    return dscr.ltv_table(deal_inputs, tenants=tenants)


@udf(category=CAT_DSCR)
def REFI_RISK(deal_inputs, max_ltv=None, rent_vol=None, tenants=None):
    """Refinancing risk of the balloon: probability it can be refinanced at max_ltv of the
    collateral at maturity (lognormal rent, volatility rent_vol) and the expected shortfall if
    not (currency). Label | value rows."""
    return dscr.refi_risk(deal_inputs, max_ltv=max_ltv, rent_vol=rent_vol, tenants=tenants)
