"""Deflated coverage: cash flows of a GPU fleet under rent deflation, DSCR, LLCR, PLCR, LTV and
breakevens (§6).

A deal is a block of (field, value) pairs parsed once by :data:`DEAL_FIELDS` (the
``deal_inputs`` field table): unknown names are an error naming the nearest field, the deal's
size and price are required, conventions take their documented defaults. Then:

* :mod:`pymodel.dscr.deal`: the field table, the validated :class:`Deal`, the sample deal;
* :mod:`pymodel.dscr.cashflows`: spot rents, contracted share, revenue, opex, CFADS, the debt
  schedule fixed at close, collateral values per period;
* :mod:`pymodel.dscr.ratios`: DSCR, LLCR, PLCR, LTV, the minimum DSCR, the breakevens (one
  solver, :mod:`pymodel.breakeven`), the flat-rent comparison and debt capacity;
* :mod:`pymodel.dscr.tenants`: the tenant block, contracted cash per tenant (survival,
  guarantor backstop, renewal, wrong-way re-letting);
* :mod:`pymodel.dscr.waterfall`: reserve account, lock-up, cash sweep, LTV prepayment;
* :mod:`pymodel.dscr.collateral`: collateral with contracts, refinancing risk of the balloon;
* :mod:`pymodel.dscr.structure`: views per tenant, concentration, named defaults, LTV table,
  refinancing risk.

Symbols: H = 8,760 hours a year; periods p = 1..n with n = debt_years * payments_per_year,
length D = 1/payments_per_year and start t = (p-1) D. The debt schedule
(:mod:`pymodel.debt`) is fixed at close from the base case; stresses and breakevens change the
cash flows, never the schedule, unless a cash sweep or an LTV prepayment makes the debt service
follow the cash flows (then the waterfall reruns on every stressed path; see
:mod:`pymodel.dscr.waterfall`). Zero debt service gives NaN DSCR and LLCR (``#N/A`` in a table;
scalar functions raise :class:`~pymodel.errors.NotAvailableError` "no debt service").
"""

from .deal import DEAL_FIELDS, Deal, deal_fields, parse_deal, sample_deal
from .ratios import (COMPARE_COLUMNS, RISING_RENT_LIMIT, TABLE_COLUMNS, Coverage, coverage,
                     debt_capacity, dscr_breakeven, dscr_compare, dscr_min, dscr_table, llcr,
                     plcr, rent_breakeven, utilization_breakeven)
from .structure import (CONCENTRATION_ROWS, LTV_COLUMNS, STRESS_COLUMNS, ltv_table, refi_risk,
                        tenant_cashflows, tenant_concentration, tenant_stress)
from .tenants import TENANT_COLUMNS, Tenants, parse_tenants
from .waterfall import WATERFALL_COLUMNS, Waterfall

__all__ = ["DEAL_FIELDS", "Deal", "Coverage", "parse_deal", "sample_deal", "deal_fields",
           "coverage", "dscr_table", "dscr_min", "llcr", "plcr", "dscr_breakeven",
           "rent_breakeven", "utilization_breakeven", "dscr_compare", "debt_capacity",
           "TABLE_COLUMNS", "COMPARE_COLUMNS", "RISING_RENT_LIMIT", "tenant_cashflows",
           "tenant_concentration", "tenant_stress", "ltv_table", "refi_risk", "Tenants",
           "parse_tenants", "Waterfall", "TENANT_COLUMNS", "WATERFALL_COLUMNS",
           "CONCENTRATION_ROWS", "STRESS_COLUMNS", "LTV_COLUMNS"]
