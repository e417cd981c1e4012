"""portfolio.xlsx: a loan tape of GPU-backed facilities, one array formula per output column."""

from __future__ import annotations

from typing import Any

from .blocks import (CORR, Beside, Chart, Check, Column, Input, Inputs, Output, Series, Sheet,
                     Table,
                     Tape, Template)

__all__ = ["template", "tape", "SKUS"]

SKUS = {  # sku: (cost per GPU, rent0 per GPU-hour, cash cost per GPU-hour) - illustrative
    "H100 SXM": (28000.0, 2.10, 0.32), "H200 SXM": (31000.0, 2.60, 0.33),
    "B200": (40000.0, 3.60, 0.44), "A100 SXM": (12000.0, 1.00, 0.22),
    "MI300X": (15000.0, 1.90, 0.33),
}
BORROWERS = ("neo-cloud", "miner turned AI host", "enterprise AI lab")
#: The tape's valuation date and the physical life cap from a SKU's volume date (docs/model.md
#: §10: 8 years): each facility's remaining life is the cap less its SKU's age.
VALUATION_DATE = "2026-06-30"
PHYSICAL_LIFE_CAP = 8.0


def remaining_life(sku: str) -> float:
    """Remaining physical life of ``sku`` at :data:`VALUATION_DATE`, years (at least 0.5):
    the life cap less the age since the catalogue volume date."""
    from pymodel.catalogue import gpu_spec, to_date, year_fraction
    age = year_fraction(to_date("volume_date", gpu_spec(sku, "volume_date")),
                        to_date("valuation_date", VALUATION_DATE))
    return round(max(PHYSICAL_LIFE_CAP - age, 0.5), 2)
PD_GRID = (0.005, 0.01, 0.02, 0.03, 0.05, 0.08)


def tape(n: int, seed: int = 2026) -> list[dict[str, Any]]:
    """A synthetic, deterministic loan tape of ``n`` GPU-backed facilities."""
    import numpy as np
    rng = np.random.default_rng(seed)
    rows = []
    skus = list(SKUS)
    for i in range(n):
        sku = skus[int(rng.integers(len(skus)))]
        cost, rent, cash = SKUS[sku]
        gpus = int(rng.choice([256, 512, 1024, 2048, 4096, 8192]))
        rows.append({
            "id": f"F{i + 1:04d}",
            "borrower": BORROWERS[int(rng.integers(len(BORROWERS)))],
            "sku": sku,
            "gpus": gpus,
            "ead": round(float(gpus * cost * rng.uniform(0.35, 0.75)), -3),
            "pd": float(PD_GRID[int(rng.integers(len(PD_GRID)))]),
            "rent0": round(rent * float(rng.uniform(0.85, 1.15)), 2),
            "utilization": round(float(rng.uniform(0.70, 0.95)), 2),
            "cash_cost": cash,
            "life": remaining_life(sku),
            "deflation": round(float(rng.uniform(0.20, 0.30)), 2),
            "collateral_vol": round(float(rng.uniform(0.35, 0.60)), 2),
            "rho_collateral": round(float(rng.uniform(0.30, 0.70)), 2),
            "maturity": float(rng.choice([2.0, 3.0, 4.0, 5.0])),
            "margin": round(float(rng.uniform(0.04, 0.09)), 4),
        })
    _structure_columns(rows, seed)
    return rows


def _structure_columns(rows: list[dict[str, Any]], seed: int) -> None:
    """Deal-structure columns of the tape, drawn from their own generator (the other columns
    stay as they were): contracted share of the fleet, the largest tenant's and the
    investment-grade share of contract value, months of debt service in reserve."""
    import numpy as np
    rng = np.random.default_rng(seed + 1)
    for r in rows:
        contracted = round(float(rng.uniform(0.2, 0.9)), 2)
        tenants = int(rng.integers(1, 5))
        largest = 1.0 if tenants == 1 else round(float(rng.uniform(1 / tenants, 0.9)), 2)
        r.update(contracted_share=contracted, largest_tenant_share=largest,
                 ig_share=round(float(rng.choice([0.0, 0.25, 0.5, 0.75, 1.0])), 2),
                 dsra_months=float(rng.choice([0.0, 3.0, 6.0])))


TAPE_INPUTS = [
    # headers a loan tape of PORTFOLIO_LOSS reads: loan_id, sector, sku, ead, pd, collateral_vol
    Column("id", "loan ID", "-"), Column("borrower", "sector", "-"),
    Column("sku", "SKU", "-"), Column("gpus", "GPUs", "GPUs"),
    Column("ead", "EAD", "currency"), Column("pd", "PD", "decimal per year"),
    Column("rent0", "rent at close", "currency per GPU-hour"),
    Column("utilization", "utilisation", "decimal"),
    Column("cash_cost", "cash cost", "currency per GPU-hour"),
    Column("life", "remaining life", "years"),
    Column("deflation", "rent deflation", "decimal per year"),
    Column("collateral_vol", "collateral vol", "decimal per sqrt(year)"),
    Column("rho_collateral", "collateral corr", "decimal", fmt=CORR),
    Column("maturity", "maturity", "years"), Column("margin", "margin", "decimal per year"),
    # deal structure
    Column("contracted_share", "contracted share", "decimal"),
    Column("largest_tenant_share", "largest tenant", "decimal of contract value"),
    Column("ig_share", "IG share", "decimal of contract value"),
    Column("dsra_months", "DSRA months", "months of debt service"),
]

# each output column is ONE array formula over the whole tape; tape_<key> names every column
TAPE_OUTPUTS = [
    Column("value", "economic value (GPU_RV)", "currency per GPU",
           "=GPU_RV(tape_rent0, tape_utilization, tape_cash_cost, tape_deflation, "
           "discount_rate, salvage, tape_life)"),
    Column("econ_ltv", "economic LTV", "decimal", "=tape_ead/(tape_gpus*tape_value)"),
    Column("value_workout", "value at default + workout (GPU_RV_AT)", "currency per GPU",
           "=GPU_RV_AT(collateral_horizon, tape_rent0, tape_utilization, tape_cash_cost, "
           "tape_deflation, discount_rate, salvage, tape_life)"),
    Column("coverage", "coverage: expected value at default + workout, after the expected "
           "haircut, discounted to default", "x",
           "=tape_gpus*tape_value_workout*EXP(tape_collateral_vol^2*collateral_horizon/2)"
           "*(1-workout_haircut)/(1+discount_rate)^workout_years/tape_ead"),
    Column("collateral_value", "collateral value", "currency", "=tape_gpus*tape_value_workout*"
           "EXP(tape_collateral_vol^2*collateral_horizon/2)"),
    Column("asset_corr", "asset correlation (BASEL_CORR)", "decimal", "=BASEL_CORR(tape_pd)",
           fmt="0.000"),
    Column("pd_downturn", "PD at 99.9% (VASICEK_PD)", "decimal",
           "=VASICEK_PD(tape_pd, tape_asset_corr)"),
    Column("lgd", "LGD (LGD_CORR)", "decimal", "=LGD_CORR(tape_pd, tape_coverage, "
           "tape_collateral_vol, collateral_horizon, tape_rho_collateral)"),
    Column("lgd_downturn", "downturn LGD (LGD_DOWNTURN)", "decimal",
           "=LGD_DOWNTURN(tape_pd, tape_coverage, tape_collateral_vol, collateral_horizon, "
           "tape_rho_collateral)"),
    Column("el", "EL (EXPECTED_LOSS)", "currency per year",
           "=EXPECTED_LOSS(tape_pd, tape_lgd, tape_ead)"),
    Column("k", "capital K (IRB_K)", "decimal", "=IRB_K(tape_pd, tape_lgd_downturn, "
           "tape_maturity)"),
    Column("capital", "capital", "currency", "=tape_k*tape_ead"),
    Column("spread", "fair spread (FAIR_SPREAD)", "decimal per year",
           "=FAIR_SPREAD(tape_pd, tape_lgd)"),
    Column("excess", "margin less fair spread", "decimal per year", "=tape_margin-tape_spread"),
    # pricing against capital
    Column("hurdle_spread", "hurdle spread (HURDLE_SPREAD)", "decimal per year",
           "=HURDLE_SPREAD(tape_pd, tape_lgd, tape_k, hurdle, cost_ratio, funding_spread)"),
    Column("raroc", "RAROC at the margin (RAROC)", "decimal per year",
           "=RAROC(tape_pd, tape_lgd, tape_k, tape_margin, cost_ratio, funding_spread)"),
    Column("excess_hurdle", "margin less hurdle spread", "decimal per year",
           "=tape_margin-tape_hurdle_spread"),
]

INPUTS = Sheet(
    "Inputs", "Portfolio: common inputs",
    note="The facility-level inputs are on the Tape sheet (blue-on-yellow columns): each "
         "facility's remaining life is its SKU's (8-year cap less the age since volume, at "
         "2026-06-30), its rent deflation a total trend around the 0.25 default, with no "
         "generation step-downs on top (docs/model.md §2.3, §4.1). The LGD's collateral is "
         "each facility's value at default + workout on the trend rent (the median), taken to "
         "its expected value with the facility's collateral vol, after the expected haircut "
         "and discounted over the workout (§8.4).",
    blocks=[Inputs(title="Common assumptions", rows=[
        Input("discount_rate", 0.12, "annual effective decimal", "collateral discount rate"),
        Input("salvage", 1000.0, "currency per GPU", "scrap/parts value"),
        Input("workout_haircut", 0.20, "decimal", "expected haircut on the value in a workout: "
              "drift, impact and costs (FIRESALE_HAIRCUT's expected row; LGD_CORR applies the "
              "volatility itself)"),
        Input("default_years", 1.0, "years from close", "when a default is taken to happen: the "
              "end of the one-year PD horizon"),
        Input("workout_years", 1.0, "years", "default to sale of the GPUs"),
        Input("collateral_horizon", "=default_years+workout_years", "years", "collateral is "
              "valued and uncertain up to the sale: default plus workout"),
        Input("ltv_limit", 0.80, "decimal", "economic LTV limit of the credit policy"),
    ]), Inputs(title="Pricing against capital", rows=[
        Input("hurdle", 0.12, "decimal per year", "required return on capital (cost of "
              "equity)"),
        Input("cost_ratio", 0.30, "decimal", "operating cost as a share of the margin income"),
        Input("funding_spread", 0.010, "decimal per year", "funding cost above the base rate"),
        Input("tenant_limit", 0.50, "decimal of contract value", "largest-tenant limit of the "
              "credit policy"),
    ])])

SUMMARY = [
    Output("Facilities", "=ROWS(tape_ead)", "count"),
    Output("Total EAD", "=SUM(tape_ead)", "currency"),
    Output("Total collateral economic value", "=SUMPRODUCT(tape_gpus, tape_value)", "currency"),
    Output("Portfolio economic LTV", "=SUM(tape_ead)/SUMPRODUCT(tape_gpus, tape_value)",
           "decimal"),
    Output("Facilities above the LTV limit", '=COUNTIF(tape_econ_ltv, ">"&ltv_limit)', "count"),
    Output("EAD-weighted PD", "=SUMPRODUCT(tape_pd, tape_ead)/SUM(tape_ead)", "decimal",
           fmt="0.00%"),
    Output("EAD-weighted LGD", "=SUMPRODUCT(tape_lgd, tape_ead)/SUM(tape_ead)", "decimal"),
    Output("EAD-weighted downturn LGD", "=SUMPRODUCT(tape_lgd_downturn, tape_ead)/SUM(tape_ead)",
           "decimal"),
    Output("Expected loss per year", "=SUM(tape_el)", "currency"),
    Output("Capital", "=SUM(tape_capital)", "currency"),
    Output("Facilities priced below their fair spread", '=COUNTIF(tape_excess, "<0")', "count"),
    # deal structure and pricing against capital
    Output("Facilities priced below their hurdle spread", '=COUNTIF(tape_excess_hurdle, "<0")',
           "count"),
    Output("EAD-weighted RAROC", "=SUMPRODUCT(tape_raroc, tape_ead)/SUM(tape_ead)",
           "decimal per year"),
    Output("EAD-weighted contracted share", "=SUMPRODUCT(tape_contracted_share, tape_ead)/"
           "SUM(tape_ead)", "decimal"),
    Output("EAD-weighted investment-grade share of contracts", "=SUMPRODUCT(tape_ig_share, "
           "tape_ead)/SUM(tape_ead)", "decimal"),
    Output("Facilities above the largest-tenant limit",
           '=COUNTIF(tape_largest_tenant_share, ">"&tenant_limit)', "count"),
    Output("Facilities without a debt-service reserve", '=COUNTIF(tape_dsra_months, 0)', "count"),
    Output("All checks TRUE", "=all_checks", "TRUE/FALSE"),
]


def template(n: int = 60, book: bool = True) -> Template:
    """The portfolio workbook over a synthetic tape of ``n`` facilities, as data; without the
    Portfolio sheet (the Monte Carlo of the whole book) when ``book`` is false, the per-facility
    tape alone (benchmarks)."""
    show = min(n, 60)  # facilities drawn in the charts
    tape_sheet = Sheet(
        "Tape", f"Loan tape: {n} GPU-backed facilities",
        note="Inputs in blue; each output column (grey header) is ONE array formula over the "
             "whole tape (Ctrl+Shift+Enter).",
        top=3,
        blocks=[
            Tape(tape(n), TAPE_INPUTS, TAPE_OUTPUTS, prefix="tape_", id="tape",
                 freeze_columns=3, widths=(9, 20, 10, 8, 13), table_name="tape_table"),
            Beside([
                Chart("Economic LTV by facility", kind="bar", width=24, x_title="facility",
                      y_title="economic LTV", y_format="0%",
                      categories=Series("tape", f"id[:{show}]"),
                      series=[Series("tape", f"econ_ltv[:{show}]")]),
                Chart("Expected and downturn LGD by facility", kind="bar", width=24,
                      y_title="LGD", y_format="0%", categories=Series("tape", f"id[:{show}]"),
                      series=[Series("tape", f"{k}[:{show}]") for k in ("lgd", "lgd_downturn")]),
            ]),
        ])
    checks = [
        Check(f"The tape has {n} facilities and every output column as many rows",
              f"=AND(ROWS(tape_ead)={n}, COUNT(tape_lgd)={n}, COUNT(tape_el)={n}, "
              f"COUNT(tape_capital)={n}, COUNT(tape_spread)={n}, COUNT(tape_econ_ltv)={n}, "
              f"COUNT(tape_pd_downturn)={n})"),
        Check("Every LGD within [0, 1]", "=AND(MIN(tape_lgd)>=0, MAX(tape_lgd)<=1)"),
        Check("Downturn LGD >= expected LGD for every facility",
              "=SUMPRODUCT(--(tape_lgd_downturn<tape_lgd))=0"),
        Check("Downturn PD >= PD for every facility",
              "=SUMPRODUCT(--(tape_pd_downturn<tape_pd))=0"),
        Check("EL = PD x LGD x EAD, summed", "=ABS(SUM(tape_el)-SUMPRODUCT(tape_pd, tape_lgd, "
              "tape_ead))<=0.000001*SUM(tape_el)"),
        Check("Capital >= 0 for every facility", "=MIN(tape_capital)>=0"),
        Check("Fair spread >= 0 for every facility", "=MIN(tape_spread)>=0"),
        Check("Economic LTV > 0 for every facility", "=MIN(tape_econ_ltv)>0"),
        Check("Hurdle spread >= fair spread for every facility",
              "=SUMPRODUCT(--(tape_hurdle_spread<tape_spread-0.000000001))=0"),
        Check("Margin above the hurdle spread exactly when RAROC is above the hurdle",
              "=SUMPRODUCT(--((tape_excess_hurdle>0)<>(tape_raroc>hurdle)))=0"),
        Check("Collateral at default + workout never above its value at close",
              "=SUMPRODUCT(--(tape_value_workout>tape_value+0.000001))=0"),
    ]
    book_sheet = Sheet(
        "Portfolio", "The book with common GPU-price and BTC factors",
        note="PORTFOLIO_LOSS simulates the whole tape at once: one credit factor, a price "
             "factor per SKU family, BTC; capital next to the sum of single-loan capital.",
        blocks=[
            Beside([
                Inputs(title="Portfolio settings (PORTFOLIO_FIELDS lists all)",
                       name="portfolio_settings", row_names=False, rows=[
                           Input("copula", "t", "-", "D: tail dependence, docs/model.md "
                                 "§8.8"),
                           Input("gpu_credit_corr", 0.4, "decimal", "D: calm, docs/model.md "
                                 "§8.8"),
                           Input("gpu_family_corr", 0.8, "decimal", "D: no published "
                                 "estimate"),
                           Input("horizon_years", "=collateral_horizon", "years",
                                 "Inputs sheet: default + workout"),
                           Input("gpu_haircut", "=workout_haircut", "decimal", "Inputs sheet"),
                           Input("workout_years", "=workout_years", "years", "Inputs sheet"),
                           Input("workout_discount_rate", "=discount_rate",
                                 "annual effective decimal", "Inputs sheet"),
                           Input("loss_paths", 20000, "paths", "D: about a second"),
                           Input("seed", 1, "integer", "D"),
                       ]),
                Table("=PORTFOLIO_LOSS(tape_table, portfolio_settings)",
                      title="Portfolio loss (PORTFOLIO_LOSS)", keyed=True,
                      names={"pf_el": "expected_loss", "pf_q999": "loss_q999",
                             "pf_es": "expected_shortfall", "pf_capital": "capital",
                             "pf_single": "sum_single_capital",
                             "pf_divers": "diversification_factor"}),
            ]),
            Table("=PORTFOLIO_CONTRIB(tape_table, portfolio_settings)",
                  title="Each facility's share of the tail (PORTFOLIO_CONTRIB: Euler "
                        "contributions to ES)", names={"pf_contrib": "es_contribution"}),
        ])
    if not book:
        return Template(
            title=f"GPU loan tape ({n} facilities)",
            subject="Loan tape of GPU-backed facilities: one array formula per output column",
            summary_title=f"GPU loan tape ({n} facilities): summary",
            sheets=[INPUTS, tape_sheet], summary=SUMMARY, checks=checks)
    checks = checks + [
        Check("Euler contributions add up to the portfolio ES",
              "=ABS(SUM(pf_contrib)-pf_es)<=0.000001*pf_es"),
        Check("Portfolio 99.9% loss >= expected loss", "=pf_q999>=pf_el"),
    ]
    summary = SUMMARY[:-1] + [
        Output("Capital with common GPU/BTC factors (PORTFOLIO_LOSS)", "=pf_capital",
               "currency"),
        Output("Sum of single-loan capital, same model", "=pf_single", "currency"),
        Output("Diversification factor (common-factor / single-loan capital)", "=pf_divers",
               "x"),
    ] + SUMMARY[-1:]
    return Template(
        title=f"GPU loan portfolio ({n} facilities)",
        subject="Loan tape of GPU-backed facilities: one array formula per output column",
        summary_title=f"GPU loan portfolio ({n} facilities): summary",
        sheets=[INPUTS, tape_sheet, book_sheet], summary=summary, checks=checks)
