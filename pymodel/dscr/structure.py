"""Deal structure views: cash flows per tenant, concentration, named tenant defaults, the LTV on
collateral with contracts, and the refinancing risk of the balloon.

Every function takes the deal block and, optionally, the tenant block
(:mod:`pymodel.dscr.tenants`); the formulas are in :mod:`pymodel.dscr.tenants`,
:mod:`pymodel.dscr.waterfall` and :mod:`pymodel.dscr.collateral`.

**Debt repaid within the contracted term** (:func:`tenant_concentration`): the share of the
debt that contracted cash alone repays by the last contract expiry (or the maturity, if
earlier). The balance accrues interest at the debt rate and is paid down by the contracted cash
of each period (tenant and guarantor payments, survival-weighted, less the cash cost of the
contracted GPUs and the tax on that cash less interest); spot revenue and renewals are left
out. 1 means contracts alone repay the facility, the test CoreWeave-style delayed-draw term
loans are sized to.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import HOURS_PER_YEAR
from ..errors import NotAvailableError
from ..frames import frame
from ..lazy import lazy_module
from ..schema import NOT_GIVEN, POS, SCHEMA, Param, declare
from .cashflows import Base, operating
from .collateral import (CollateralPath, collateral_path, components, contract_cash,
                         refi_distribution)
from .deal import Deal, parse_deal
from .ratios import _coverage, min_dscr_of, ratio
from .tenants import P as _TENANTS  # noqa: F401  (declares tenants)

pd = lazy_module("pandas")  # imported at first use (slow to load)

__all__ = ["tenant_cashflows", "tenant_concentration", "tenant_stress", "ltv_table",
           "refi_risk", "debt_repaid_by_contracts", "CONCENTRATION_ROWS", "STRESS_COLUMNS",
           "LTV_COLUMNS", "P"]

H = HOURS_PER_YEAR

#: Parameters of the structure views.
P = declare(
    Param("max_ltv", "decimal", "Most a refinancing lender advances at maturity, as a share of "
          "the collateral then (contracts plus GPUs)", POS, default=0.70,
          source="S: Stack Infrastructure ABS maximum LTV 70% (§6.1)"),
)

#: Rows of :func:`tenant_concentration`.
CONCENTRATION_ROWS = ("tenants", "contracted_share_at_close", "contract_value",
                      "largest_tenant", "largest_tenant_share", "herfindahl",
                      "investment_grade_share", "backstopped_share",
                      "weighted_average_term_years", "last_contract_end_years",
                      "debt_repaid_within_contract_term", "contract_term_tested_years")
#: Columns of :func:`tenant_stress`.
STRESS_COLUMNS = ("scenario", "contract_value_share", "investment_grade", "min_dscr",
                  "min_dscr_after_reserves", "llcr", "balloon",
                  "debt_repaid_within_contract_term")
#: Columns of :func:`ltv_table`.
LTV_COLUMNS = ("period", "year", "balance", "contract_value", "gpu_value", "collateral_value",
               "collateral_ltv", "economic_value", "economic_ltv", "book_value", "book_ltv")


def _contract_values(deal: Deal) -> dict[str, float]:
    """Nominal contract value from close per tenant name (share x rate x GPU-hours over the
    remaining term; currency)."""
    ten = deal.tenants
    out: dict[str, float] = {}
    term = ten.end - np.maximum(ten.start, 0.0)
    value = ten.share * ten.rate * deal.gpus * H * term
    for name, v in zip(ten.name, value.tolist()):
        out[name] = out.get(name, 0.0) + v
    return out


def debt_repaid_by_contracts(deal: Deal, *, default_year: float | None = None,
                             defaulted: np.ndarray | None = None) -> tuple[float, float]:
    """Share of the debt contracted cash alone repays by the last contract end (or maturity)
    and that year (see the module docstring); NaN share without debt or contracts."""
    ten = deal.tenants
    if deal.debt <= 0.0 or ten.k == 0:
        return float("nan"), 0.0
    end = min(float(np.max(ten.end)), deal.n * deal.dt)
    periods = int(np.ceil(end / deal.dt - 1e-9))
    ops = operating(deal, default_year=default_year, defaulted=defaulted)
    cash = contract_cash(deal, ops.flows, components(deal, default_year, defaulted),
                         deal.starts)
    i = deal.rate_per_period
    b = deal.debt
    for c in cash[:periods].tolist():
        interest = b * i
        tax = deal.tax_rate * max(c - interest, 0.0)
        b = max(b + interest - (c - tax), 0.0)
    return float(min(max(1.0 - b / deal.debt, 0.0), 1.0)), periods * deal.dt


def tenant_cashflows(deal_inputs: Any, *, tenants: Any = None) -> pd.DataFrame:
    """Revenue per period by tenant, as the deal block states it (expected, or the named
    default of ``tenant_default_year``).

    Parameters
    ----------
    deal_inputs : Deal, mapping or iterable of (field, value) pairs
    tenants : sequence of rows, optional
        The tenant block; empty: the deal's own contract fields (one tenant "contract").

    Returns
    -------
    pandas.DataFrame
        period; year (end of period); one column per tenant name (its contracts' revenue:
        tenant, guarantor and renewal payments, currency per period); spot (the rest of the
        fleet at spot, including capacity re-let after defaults); revenue (total).
    """
    deal = parse_deal(deal_inputs, tenants)
    ops = operating(deal)
    cols: dict[str, Any] = {"period": np.arange(1, deal.n + 1),
                            "year": (np.arange(deal.n) + 1) * deal.dt}
    for name in deal.tenants.names():
        rows = np.array([n == name for n in deal.tenants.name])
        cols[name] = ops.tenant_revenue[rows].sum(axis=0)
    cols["spot"] = ops.spot_revenue
    cols["revenue"] = ops.revenue
    return frame(cols)


def tenant_concentration(deal_inputs: Any, *, tenants: Any = None) -> list[list[Any]]:
    """Concentration of the contracts and the "debt repaid within the contracted term" test.

    Returns
    -------
    list of [label, value]
        Rows :data:`CONCENTRATION_ROWS`: number of tenants; contracted share at close (decimal
        of the fleet); contract value (nominal, currency); the largest tenant and its share of
        the contract value; Herfindahl index (sum of squared value shares, decimal: 1 = one
        tenant); investment-grade share and backstopped share (decimal of contract value);
        value-weighted average years to expiry; last contract end (years); share of debt
        repaid by contracted cash alone by the last expiry or maturity, and that year.

    Raises
    ------
    NotAvailableError
        The deal has no contracts.
    """
    deal = parse_deal(deal_inputs, tenants)
    ten = deal.tenants
    if ten.k == 0:
        raise NotAvailableError("tenant concentration: the deal has no contracts (give a "
                                "tenants block or contracted_share)")
    values = _contract_values(deal)
    total = sum(values.values())
    shares = {n: (v / total if total > 0 else 0.0) for n, v in values.items()}
    largest = max(shares, key=shares.get)
    term = ten.end - np.maximum(ten.start, 0.0)
    row_value = ten.share * ten.rate * deal.gpus * H * term
    w = row_value / total if total > 0 else np.zeros(ten.k)
    at_close = float(np.sum(ten.share[(ten.start <= 0.0) & (ten.end > 0.0)]))
    repaid, tested = debt_repaid_by_contracts(deal)
    return [["tenants", float(len(values))], ["contracted_share_at_close", at_close],
            ["contract_value", total], ["largest_tenant", largest],
            ["largest_tenant_share", shares[largest]],
            ["herfindahl", float(sum(v * v for v in shares.values()))],
            ["investment_grade_share", float(np.sum(w[ten.investment_grade()]))],
            ["backstopped_share", float(np.sum(w * ten.backstop))],
            ["weighted_average_term_years", float(np.sum(w * ten.end))],
            ["last_contract_end_years", float(np.max(ten.end))],
            ["debt_repaid_within_contract_term", repaid],
            ["contract_term_tested_years", tested]]


def _scenario(base: Base, default_year: float | None, mask: np.ndarray | None
              ) -> list[float]:
    deal = base.deal
    stress = {} if mask is None else {"default_year": default_year, "defaulted": mask}
    path = base.path(**stress)
    s = path.schedule
    dscr = ratio(path.cfads, s.debt_service)
    try:
        m = min_dscr_of(dscr)
    except NotAvailableError:
        m = float("nan")
    after = float("nan")
    if path.waterfall is not None:
        ok = ~np.isnan(path.waterfall.dscr_after_reserves)
        after = float(np.min(path.waterfall.dscr_after_reserves[ok])) if ok.any() else after
    c = _coverage(base, stress, collateral=False)
    llcr0 = float(c.llcr[0]) if s.opening[0] > 0 else float("nan")
    repaid, _ = debt_repaid_by_contracts(deal, default_year=default_year, defaulted=mask)
    return [m, after, llcr0, float(c.schedule.balloon), repaid]


def tenant_stress(deal_inputs: Any, tenant_default_year: Any = NOT_GIVEN, *,
                  tenants: Any = None) -> pd.DataFrame:
    """Named tenant defaults: the deal with no default, with each tenant defaulting alone at
    ``tenant_default_year``, and with every tenant defaulting then.

    Parameters
    ----------
    deal_inputs : Deal, mapping or iterable of (field, value) pairs
        The deal (its own ``tenant_default_year`` and ``default_tenants`` are replaced by the
        scenarios).
    tenant_default_year : float, optional
        Year of the defaults (years from close, >= 0). Not given: the deal's
        ``tenant_default_year``, or 0 (at close) if the deal has none.
    tenants : sequence of rows, optional

    Returns
    -------
    pandas.DataFrame
        Columns :data:`STRESS_COLUMNS`, one row per scenario ("expected" with survival-weighted
        tenants, then each tenant, then "all tenants" when there are several): the tenant's
        share of contract value and whether it is investment grade (1/0; empty for the
        expected and all-tenants rows); minimum DSCR (x, before reserves) and after
        reserves (x, NaN without a reserve); LLCR at close (x); balloon at maturity (currency;
        after prepayments with a waterfall); share of debt repaid by contracted cash alone.

    Raises
    ------
    NotAvailableError
        The deal has no contracts.
    """
    deal = parse_deal(deal_inputs, tenants)
    if deal.tenants.k == 0:
        raise NotAvailableError("tenant stress: the deal has no contracts (give a tenants "
                                "block or contracted_share)")
    if tenant_default_year is NOT_GIVEN or tenant_default_year is None:
        year = deal.tenant_default_year if deal.tenant_default_year is not None else 0.0
    else:
        year = SCHEMA.check("tenant_default_year", tenant_default_year)
    deal = deal.replace(tenant_default_year=None, default_tenants=None)
    base = Base(deal)
    ten = deal.tenants
    values = _contract_values(deal)
    total = sum(values.values())
    ig = dict(zip(ten.name, ten.investment_grade().tolist()))
    rows = [["expected", 1.0 if total > 0 else 0.0, None] + _scenario(base, None, None)]
    for name in ten.names():
        rows.append([name, values[name] / total if total > 0 else 0.0, float(ig[name])] +
                    _scenario(base, year, ten.rows([name])))
    if len(values) > 1:
        rows.append(["all tenants", 1.0 if total > 0 else 0.0, None] +
                    _scenario(base, year, np.ones(ten.k, dtype=bool)))
    return frame(rows, columns=list(STRESS_COLUMNS), dtype=object)


def _path_values(deal: Deal) -> tuple[CollateralPath, np.ndarray, float]:
    """Collateral values, the balance at each period start and the balance at maturity."""
    base = Base(deal)
    path = base.path()
    values = path.values or collateral_path(deal, deflation=deal.deflation, rent0=deal.rent0,
                                            utilization=deal.utilization)
    return values, path.schedule.opening, path.schedule.balloon


def ltv_table(deal_inputs: Any, *, tenants: Any = None) -> pd.DataFrame:
    """LTV against the collateral with contracts, next to the GPU-only economic and the book
    LTV, at every period start and at maturity.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`LTV_COLUMNS`: period (1..n, then "maturity"); year (start of the period;
        maturity); balance (opening balance, after any prepayment; the balloon at maturity);
        contract_value (PV of the contracted cash still to come, currency); gpu_value (the GPUs
        with contracted windows swapped out: their value after the contracts, currency);
        collateral_value (their sum); collateral_ltv (balance / collateral_value);
        economic_value (GPU-only, gpus x V(t)) and economic_ltv; book_value (straight-line)
        and book_ltv. LTVs are decimals, NaN where the value is not positive.
    """
    deal = parse_deal(deal_inputs, tenants)
    values, opening, balloon = _path_values(deal)
    bal = np.append(opening, balloon)
    period = list(range(1, deal.n + 1)) + ["maturity"]
    return frame({
        "period": period, "year": values.times, "balance": bal,
        "contract_value": values.contract_pv, "gpu_value": values.gpu_value,
        "collateral_value": values.collateral,
        "collateral_ltv": ratio(bal, values.collateral), "economic_value": values.economic,
        "economic_ltv": ratio(bal, values.economic), "book_value": values.book,
        "book_ltv": ratio(bal, values.book)}, dtype=object)


def refi_risk(deal_inputs: Any, *, max_ltv: float = P["max_ltv"].default,
              rent_vol: Any = None, tenants: Any = None) -> list[list[Any]]:
    """Refinancing risk of the balloon: the probability that it can be refinanced at
    ``max_ltv`` of the collateral at maturity, and the expected shortfall if not.

    Parameters
    ----------
    deal_inputs : Deal, mapping or iterable of (field, value) pairs
    max_ltv : float, optional
        Most a refinancing lender advances, decimal of the collateral at maturity (> 0;
        default 0.70).
    rent_vol : float, optional
        Volatility of the log spot rent (decimal per sqrt(year), > 0). Empty: the deal's
        ``rent_vol``, else 0.50.
    tenants : sequence of rows, optional

    Returns
    -------
    list of [label, value]
        refinance_probability (decimal); expected_shortfall_if_not (currency: the expected
        part of the balloon no lender advances, given that it cannot be refinanced in full);
        expected_shortfall (currency, unconditional); balloon (currency, after prepayments);
        collateral and LTV at maturity at the median rent, LTV at the 95th and 5th percentile;
        the max_ltv and rent_vol used; maturity (years).

    Notes
    -----
    Lognormal spot rent at maturity around the deal's path, contracted cash fixed; see
    :mod:`pymodel.dscr.collateral`. A fully repaid loan (no balloon) refinances with
    probability 1 and no shortfall.

    References
    ----------
    Model reference §6.7 (refinancing risk), §6.4 (lognormal rents), §6.8 (collateral) and §7.
    """
    cap = SCHEMA.check("max_ltv", max_ltv)
    deal = parse_deal(deal_inputs, tenants)
    vol = deal.rent_vol_or_default if rent_vol is None else SCHEMA.check("rent_vol", rent_vol)
    values, _, balloon = _path_values(deal)
    res = refi_distribution(deal, balloon, float(values.contract_pv[-1]), values.components,
                            max_ltv=cap, rent_vol=vol)
    return res.rows()
