"""neocloud_facility.xlsx: a GPU-backed delayed-draw term loan to a neo-cloud (H100 + B200 fleet,
take-or-pay contracts with two named tenants, one investment grade with a backstop; a 6-month
debt-service reserve and a cash sweep under a lock-up)."""

from __future__ import annotations

from .blocks import (CORR, Beside, Chart, Check, Column, Grid, Input, Inputs, InputTable,
                     Output, Outputs, Series, Sheet, Stack, Table, Template)

__all__ = ["template"]

FLEET = Inputs(title="Fleet and contracts", rows=[
    Input("h100_gpus", 1536, "GPUs", "borrower fleet register"),
    Input("h100_cost", 28000.0, "currency per GPU", "purchase invoices; catalogue reference "
          "price 30,000 (GPU_SPEC)"),
    Input("h100_rent0", 2.00, "currency per GPU-hour", "market spot rent at close; SDH100RT "
          "index about 2.60 mid-2026 (catalogue)"),
    Input("h100_cash_cost", 0.32, "currency per GPU-hour", "power 1.275 kW per GPU x price, "
          "colocation, maintenance"),
    Input("b200_gpus", 512, "GPUs", "borrower fleet register"),
    Input("b200_cost", 42000.0, "currency per GPU", "purchase invoices; catalogue reference "
          "price 35,000 plus networking"),
    Input("b200_rent0", 3.40, "currency per GPU-hour", "contracted-market rent at close "
          "(SDB200RT about 5.30 spot, catalogue)"),
    Input("b200_cash_cost", 0.44, "currency per GPU-hour", "power 1.79 kW per GPU x price, "
          "colocation, maintenance"),
])


# ---- deal structure: the tenant block (read as one range, header included, by the coverage
# functions next to deal_inputs)
TENANTS = InputTable(
    title="Tenants (tenants)", note="read as one range, header row included, next to "
    "deal_inputs; DEAL_FIELDS lists the columns", name="tenants", id="tenant_block",
    columns=[Column("name", unit="-"), Column("share", unit="decimal of capacity"),
             Column("rate", unit="currency per GPU-hour"), Column("start", unit="years"),
             Column("end", unit="years"), Column("renewal_prob", unit="decimal"),
             Column("renewal_share", unit="decimal of spot rent"),
             Column("pd", unit="decimal per year"), Column("rating", unit="-"),
             Column("wrong_way_corr", unit="decimal", fmt=CORR),
             Column("backstop", unit="decimal"), Column("backstop_pd", unit="decimal per year")],
    rows=[
        # an investment-grade lessee whose payments its AA parent guarantees in full
        ["Anchor lessee (IG)", 0.25, 2.55, 0.0, 5.0, 0.5, 0.90, 0.0025, "BBB", 0.0, 1.0,
         0.0003],
        # an AI start-up on a 3-year take-or-pay, defaulting when GPU rents are weak
        ["AI lab (sub-IG)", 0.10, 2.90, 0.0, 3.0, 0.3, 0.85, 0.05, "B", 0.5, 0.0, 0.0],
    ],
    widths=(20, 11, 12, 8, 8, 14, 15, 11, 8, 16, 11, 13))


def _fleet_avg(field: str) -> str:
    """GPU-weighted average of an H100 and a B200 input."""
    return f"=(h100_gpus*h100_{field}+b200_gpus*b200_{field})/(h100_gpus+b200_gpus)"


DEAL = Inputs(
    title="Deal (deal_inputs)", note="read as one range by the coverage functions",
    name="deal_inputs", prefix="deal_", rows=[
        Input("gpus", "=h100_gpus+b200_gpus", "GPUs", "fleet above"),
        Input("rent0", _fleet_avg("rent0"), "currency per GPU-hour",
              "fleet-weighted spot rent at close"),
        Input("deflation", 0.25, "decimal per year", "trend decline of spot rents, new "
              "generations included (default, docs/model.md §2.3); cf. RENT_DEFLATION_FIT, "
              "GPU_IMPLIED_DEFLATION"),
        Input("utilization", 0.85, "decimal", "spot utilisation of uncontracted GPUs "
              "(borrower KPI pack)"),
        Input("contracted_share", None, "decimal", "empty: the tenants block gives the "
              "contracts"),
        Input("contract_rate", None, "currency per GPU-hour", "empty: per tenant in the "
              "tenants block"),
        Input("contract_years", None, "years", "empty: per tenant in the tenants block"),
        Input("cash_cost", _fleet_avg("cash_cost"), "currency per GPU-hour",
              "fleet-weighted power, colocation, maintenance"),
        Input("tax_rate", 0.21, "decimal", "US federal corporate rate"),
        Input("tenant_pd", None, "decimal per year", "empty: per tenant in the tenants block"),
        Input("tenant_default_year", None, "years from close", "none: no tenant-default stress "
              "in the base case (type a year to test one)"),
        Input("step_years", None, "years from the valuation date", "none: the deflation is a "
              "total trend that already contains new generations (docs/model.md §4.1)"),
        Input("step_downs", None, "decimal", "none (see step_years); a launch-shaped view uses "
              "a between-launch g with catalogue step-downs"),
        Input("debt", 42_000_000.0, "currency", "facility commitment, assumed fully drawn at "
              "close (term sheet)"),
        Input("debt_rate", 0.105, "nominal annual decimal", "base rate + margin (term sheet)"),
        Input("debt_years", 4.0, "years", "tenor (term sheet)"),
        Input("amortization", "annuity", "-", "annuity | linear | bullet | sculpted (term "
              "sheet)"),
        Input("balloon_share", 0.30, "decimal of debt", "balloon at maturity (term sheet)"),
        Input("payments_per_year", 4, "payments per year", "quarterly payments (term sheet)"),
        Input("gpu_cost", _fleet_avg("cost"), "currency per GPU", "fleet-weighted purchase "
              "price"),
        Input("age_years", 0.0, "years", "GPUs new at close"),
        Input("book_life_years", 6.0, "years", "straight-line depreciation life (borrower "
              "accounts)"),
        Input("physical_life_years", 7.0, "years", "physical life of a data-centre GPU "
              "(assumption)"),
        Input("salvage", 1500.0, "currency per GPU", "scrap/parts value at end of life"),
        Input("discount_rate", 0.12, "annual effective decimal", "collateral discount rate "
              "(cost of equity of a GPU buyer)"),
    ] + [  # ---- deal structure: stress, volatility, reserve, lock-up, sweep, LTV test
        Input("default_tenants", None, "-", "empty: a tenant_default_year stress hits every "
              "tenant (TENANT_STRESS shows them one by one)"),
        Input("rent_vol", 0.50, "decimal per sqrt(year)", "H100 1-year contract rents fit "
              "0.49 (RENT_DEFLATION_FIT on the shipped evidence)"),
        Input("contract_discount_rate", 0.08, "annual effective decimal", "contracted cash "
              "before tenant risk: investment-grade lease yield (assumption)"),
        Input("dsra_months", 6.0, "months of debt service", "debt-service reserve, funded at "
              "close (term sheet; 6 months is market, §6.1)"),
        Input("dsra_funding", "close", "-", "close | cash (term sheet)"),
        Input("lockup_dscr", 1.25, "times (x)", "distribution lock-up below 1.25x (term sheet; "
              "data-centre ABS 1.25-1.35x)"),
        Input("sweep_share", 0.0, "decimal", "no sweep while the lock-up test is met"),
        Input("sweep_dscr_levels", 1.25, "times (x)", "under the lock-up ..."),
        Input("sweep_dscr_shares", 0.50, "decimal", "... half the excess cash prepays the "
              "debt (TeraWulf/Fluidstack 50% excess-cash-flow offer)"),
        Input("sweep_ltv_levels", None, "decimal", "none"),
        Input("sweep_ltv_shares", None, "decimal", "none"),
        Input("prepay_ltv", "=ltv_covenant", "decimal", "LTV covenant: cash prepays down to "
              "it (term sheet)"),
        Input("ltv_basis", "collateral", "-", "collateral: contracts first, GPUs after them"),
    ])

CREDIT = Inputs(title="Credit, covenants and collateral", rows=[
    Input("borrower_pd", 0.03, "decimal per year", "internal rating B+ (one-year PD)"),
    Input("margin", 0.065, "decimal per year", "facility margin over the base rate (term "
          "sheet)"),
    Input("dscr_covenant", 1.20, "x", "minimum DSCR covenant (term sheet)"),
    Input("ltv_covenant", 0.80, "decimal", "maximum LTV covenant (term sheet)"),
    Input("maturity_years", "=deal_debt_years", "years", "effective maturity for IRB capital"),
    Input("collateral_vol", 0.45, "decimal per sqrt(year)", "volatility of GPU values "
          "(log-rent volatility, cf. RENT_DEFLATION_FIT)"),
    Input("default_years", 1.0, "years from close", "when a default is taken to happen: the "
          "end of the one-year PD horizon"),
    Input("workout_years", 1.0, "years", "time from default to the sale of the GPUs"),
    Input("collateral_horizon", "=default_years+workout_years", "years", "collateral is "
          "valued and uncertain up to the sale: default plus workout"),
    Input("workout_discount_rate", "=deal_discount_rate", "annual effective decimal",
          "discounts the sale proceeds back to the default date (the collateral's rate)"),
    Input("rho_collateral", 0.50, "decimal", "correlation of GPU values with the systematic "
          "factor (downturns hit rents)", fmt=CORR),
    Input("theta", 0.0, "decimal", "loading of GPU values on the borrower's own shock",
          fmt=CORR),
    Input("daily_volume", 300.0, "GPUs a day", "secondary-market depth for used H100/B200 "
          "(broker estimate)"),
    Input("days_to_sell", 60.0, "business days", "liquidation horizon of the receiver"),
    Input("cost_per_unit", 1500.0, "currency per GPU", "de-installation, transport, "
          "refurbishment and broker fee"),
])

# GPU_RV / GPU_RV_CURVE arguments after (cost, rent) that come from the deal block
_LIFE = "deal_physical_life_years-deal_age_years"
_STEPS = "deal_step_years, deal_step_downs"


def _curve(sku: str) -> Table:
    return Table(
        f"=GPU_RV_CURVE({sku}_cost, {sku}_rent0, deal_utilization, {sku}_cash_cost, "
        f"deal_deflation, deal_discount_rate, deal_debt_years, 1, deal_book_life_years, "
        f"deal_age_years, deal_salvage, {_LIFE}, {_STEPS})",
        title=f"{sku.upper()} (cost, rent at close from Inputs)", id=f"curve_{sku}",
        names={f"{sku}_econ_end": "economic value[-1]", f"{sku}_book_end": "book value[-1]"})


def _gpu_rv(sku: str) -> str:
    return (f"=GPU_RV({sku}_rent0, deal_utilization, {sku}_cash_cost, deal_deflation, "
            f"deal_discount_rate, deal_salvage, {_LIFE}, {_STEPS})")


def _gpu_rv_at(sku: str) -> str:
    return (f"=GPU_RV_AT(collateral_horizon, {sku}_rent0, deal_utilization, {sku}_cash_cost, "
            f"deal_deflation, deal_discount_rate, deal_salvage, {_LIFE}, {_STEPS})")


COLLATERAL = Sheet(
    "Collateral", "Collateral: economic value against straight-line book value, per GPU",
    note="GPU_RV_CURVE: income-approach value of one GPU at each year (rent deflation and "
         "generation step-downs) next to the book value that deal sheets use.",
    blocks=[
        Beside([_curve("h100"), _curve("b200")]),
        Outputs(title="Fleet at close", span=4, rows=[
            Output("H100 economic value per GPU (GPU_RV)", _gpu_rv("h100"),
                   "currency per GPU", "rv_h100"),
            Output("B200 economic value per GPU (GPU_RV)", _gpu_rv("b200"),
                   "currency per GPU", "rv_b200"),
            Output("Fleet economic value", "=h100_gpus*rv_h100+b200_gpus*rv_b200", "currency",
                   "fleet_econ_value"),
            Output("Fleet book value", "=h100_gpus*GPU_BOOK_VALUE(h100_cost, deal_age_years, "
                   "deal_book_life_years, deal_salvage)+b200_gpus*GPU_BOOK_VALUE(b200_cost, "
                   "deal_age_years, deal_book_life_years, deal_salvage)", "currency",
                   "fleet_book_value"),
            Output("Economic / book", "=fleet_econ_value/fleet_book_value", "decimal",
                   "fleet_econ_to_book"),
            Output("Economic LTV at close", "=deal_debt/fleet_econ_value", "decimal",
                   "ltv_econ_close"),
            Output("H100 value per GPU at default + workout (GPU_RV_AT)", _gpu_rv_at("h100"),
                   "currency per GPU", "rv_h100_workout"),
            Output("B200 value per GPU at default + workout (GPU_RV_AT)", _gpu_rv_at("b200"),
                   "currency per GPU", "rv_b200_workout"),
            Output("Fleet value at default + workout, trend rent (the median)",
                   "=h100_gpus*rv_h100_workout+b200_gpus*rv_b200_workout", "currency",
                   "fleet_value_workout"),
            Output("Expected fleet value at default + workout: median x "
                   "EXP(collateral_vol^2 x horizon / 2) (the LGD collateral)",
                   "=fleet_value_workout*EXP(collateral_vol^2*collateral_horizon/2)",
                   "currency", "fleet_value_expected"),
            Output("Book LTV at close", "=deal_debt/fleet_book_value", "decimal",
                   "ltv_book_close"),
        ]),
        Chart("Economic vs book value per GPU", x_title="year", y_title="currency per GPU",
              y_format="#,##0", categories=Series("curve_h100", "year"), series=[
                  Series(f"curve_{sku}", f"{what} value", f"{sku.upper()} {what}")
                  for sku in ("h100", "b200") for what in ("economic", "book")]),
    ])

_PERIODS = "[:-1]"  # rows of DSCR_TABLE before its last row, the balloon at maturity

COVERAGE = Sheet(
    "Coverage", "Coverage: deflated DSCR and LTV paths against covenants",
    note="DSCR_TABLE: the debt schedule is fixed at close; spot rents deflate and step down "
         "when the next generation ships; contracted capacity rolls onto spot at expiry.",
    blocks=[
        Outputs(label_width=34, rows=[
            Output("Minimum DSCR", "=DSCR_MIN(deal_inputs, tenants)", "x", "min_dscr"),
            Output("LLCR at close", "=LLCR(deal_inputs, tenants)", "x", "llcr_close"),
            Output("Breakeven deflation (DSCR 1.00x)", "=DSCR_BREAKEVEN(deal_inputs, 1, tenants)",
                   "decimal per year", "be_deflation"),
            Output("Breakeven deflation at the covenant",
                   "=DSCR_BREAKEVEN(deal_inputs, dscr_covenant, tenants)", "decimal per year",
                   "be_deflation_cov"),
            Output("Breakeven spot rent at close (1.00x)",
                   "=RENT_BREAKEVEN(deal_inputs, 1, tenants)",
                   "currency per GPU-hour", "be_rent"),
            Output("Breakeven spot utilisation (1.00x)",
                   "=UTILIZATION_BREAKEVEN(deal_inputs, 1, tenants)", "decimal", "be_util"),
            Output("Debt capacity at the covenant DSCR",
                   "=DEBT_CAPACITY(deal_inputs, dscr_covenant, tenants)", "currency",
                   "capacity_at_covenant"),
        ]),
        Table("=DSCR_TABLE(deal_inputs, tenants)", id="dscr_table",
              title="Per period (DSCR_TABLE; the last row is the balloon at maturity)",
              extra=[Column("dscr_covenant", unit="x", formula="=dscr_covenant", rows=_PERIODS),
                     Column("ltv_covenant", unit="decimal", formula="=ltv_covenant",
                            rows=_PERIODS)],
              names={"tab_dscr": "dscr" + _PERIODS, "tab_closing": "closing_balance[-2]",
                     "tab_principal": "principal" + _PERIODS,
                     "tab_econ_ltv": "economic_ltv" + _PERIODS,
                     "tab_book_ltv": "book_ltv" + _PERIODS,
                     "tab_econ_value": "economic_value_per_gpu" + _PERIODS,
                     "tab_book_value": "book_value_per_gpu" + _PERIODS,
                     **{f"tab_{c}": c + _PERIODS for c in (
                         "revenue", "opex", "tax", "interest", "shortfall", "dsra_movement",
                         "trap_movement", "prepayment", "sweep", "distributions",
                         "dscr_after_reserves", "dsra_balance")}}),
        Beside([
            Chart("DSCR against covenant", x_title="year", y_title="DSCR (x)", y_format="0.00",
                  categories=Series("dscr_table", "year" + _PERIODS), series=[
                      Series("dscr_table", c + _PERIODS) for c in ("dscr", "dscr_covenant")]),
            Chart("LTV: economic vs book against covenant", x_title="year", y_title="LTV",
                  y_format="0%", categories=Series("dscr_table", "year" + _PERIODS), series=[
                      Series("dscr_table", c + _PERIODS)
                      for c in ("economic_ltv", "book_ltv", "ltv_covenant")]),
        ]),
        Beside([
            Table("=DSCR_COMPARE(deal_inputs, tenants)", id="compare",
                  title="What straight-line sheets show: flat rents and book collateral "
                        "(DSCR_COMPARE)",
                  names={"cmp_flat": "dscr_flat", "cmp_deflated": "dscr_deflated"}),
            Chart("DSCR: flat-rent sheet vs deflated", x_title="year", y_title="DSCR (x)",
                  y_format="0.00", categories=Series("compare", "year"),
                  series=[Series("compare", "dscr_flat"), Series("compare", "dscr_deflated")]),
        ]),
    ])

# arguments of the collateral LGD functions after (PD, coverage, vol, workout years)
_LGD_TAIL = "rho_collateral, , theta"

LOSS = Sheet(
    "Loss", "Loss: fire-sale haircut, correlated and downturn LGD, capital, pricing",
    note="Defaults come in downturns, when GPU rents fall: the LGD below lets the collateral "
         "fall with the borrower (correlated lognormal, closed form).",
    blocks=[Beside([
        Stack([
            Table("=FIRESALE_HAIRCUT(deal_gpus, daily_volume, collateral_vol, days_to_sell, 1, "
                  "cost_per_unit, fleet_value_expected/deal_gpus, , deal_deflation)", keyed=True,
                  title="Fire-sale haircut on the whole fleet (total includes a 99% VaR; the "
                        "LGD uses the expected part)",
                  names={"haircut_total": "total", "haircut_expected": "expected"}),
            Outputs(rows=[
                Output("Exposure at default (commitment)", "=deal_debt", "currency", "ead"),
                Output("Collateral: expected value at default + workout after the expected "
                       "haircut, discounted to the default date",
                       "=fleet_value_expected*(1-haircut_expected)/(1+workout_discount_rate)"
                       "^workout_years", "currency", "net_collateral"),
                Output("Coverage (net collateral / EAD)", "=net_collateral/ead", "x",
                       "coverage"),
                Output("Expected LGD, correlated collateral (LGD_CORR)",
                       f"=LGD_CORR(borrower_pd, coverage, collateral_vol, collateral_horizon, "
                       f"{_LGD_TAIL})", "decimal", "expected_lgd"),
                Output("Expected LGD if collateral were independent (rho = 0)",
                       "=LGD_CORR(borrower_pd, coverage, collateral_vol, collateral_horizon, 0, , "
                       "theta)", "decimal", "independent_lgd"),
                Output("Downturn LGD at 99.9% (LGD_DOWNTURN)",
                       f"=LGD_DOWNTURN(borrower_pd, coverage, collateral_vol, collateral_horizon, "
                       f"{_LGD_TAIL})", "decimal", "downturn_lgd"),
                Output("Capital per unit EAD, collateral model (LGD_CAPITAL)",
                       f"=LGD_CAPITAL(borrower_pd, coverage, collateral_vol, collateral_horizon, "
                       f"{_LGD_TAIL})", "decimal", "cap_collateral"),
                Output("Basel IRB capital K with downturn LGD (IRB_K)",
                       "=IRB_K(borrower_pd, downturn_lgd, maturity_years)", "decimal",
                       "k_irb"),
                Output("Basel IRB risk weight (IRB_RW)",
                       "=IRB_RW(borrower_pd, downturn_lgd, maturity_years)", "decimal",
                       "rw_irb"),
                Output("Capital (K x EAD)", "=k_irb*ead", "currency", "capital"),
                Output("Expected loss per year (EXPECTED_LOSS)",
                       "=EXPECTED_LOSS(borrower_pd, expected_lgd, ead)", "currency per year",
                       "el_per_year"),
                Output("Fair spread for expected loss (FAIR_SPREAD)",
                       "=FAIR_SPREAD(borrower_pd, expected_lgd)", "decimal per year",
                       "spread_fair"),
                Output("Facility margin", "=margin", "decimal per year", "margin_ref"),
                Output("Margin less fair spread", "=margin-spread_fair", "decimal per year",
                       "excess_spread"),
                Output("Return on capital of the excess spread", "=excess_spread*ead/capital",
                       "decimal", "return_on_capital"),
            ]),
            Grid(title="LGD distribution over the systematic factor (LGD_DOWNTURN at each "
                       "quantile)",
                 corner="systematic quantile", id="lgd_quantiles",
                 rows=[0.50, 0.75, 0.90, 0.95, 0.99, 0.999], row_unit="decimal",
                 columns=["LGD", "LGD, rho = 0"], unit="decimal", body=[
                     f"=LGD_DOWNTURN(borrower_pd, coverage, collateral_vol, collateral_horizon, "
                     f"{_LGD_TAIL}, {{row}})",
                     "=LGD_DOWNTURN(borrower_pd, coverage, collateral_vol, collateral_horizon, "
                     "0, , theta, {row})"],
                 names={"lgd_by_quantile": "LGD", "lgd_q_lower": "LGD[:-1]",
                        "lgd_q_upper": "LGD[1:]"}),
        ]),
        Chart("LGD by systematic quantile (downturn severity)", kind="bar",
              x_title="quantile of the systematic factor", y_title="LGD", y_format="0%",
              categories=Series("lgd_quantiles", "rows"),
              series=[Series("lgd_quantiles", "LGD"), Series("lgd_quantiles", "LGD, rho = 0")]),
    ])])


# ---- deal structure: tenants, waterfall, collateral with contracts, refinancing, pricing ----

PRICING = Inputs(title="Pricing against capital", rows=[
    Input("hurdle", 0.12, "decimal per year", "required return on capital (cost of equity)"),
    Input("cost_ratio", 0.30, "decimal", "operating cost as a share of the margin income "
          "(cost-income ratio of the lending desk)"),
    Input("funding_spread", 0.010, "decimal per year", "lender's funding cost above the base "
          "rate (treasury)"),
    Input("refi_max_ltv", 0.60, "decimal", "most a refinancing lender advances against "
          "contracts plus GPUs at maturity (credit policy; data-centre ABS up to 0.70)"),
    Input("stress_year", 1.0, "years", "year of the named tenant defaults in TENANT_STRESS"),
])

_TENANT_NAMES = [r[0] for r in TENANTS.rows]

STRUCTURE = Sheet(
    "Structure", "Deal structure: tenants, cash waterfall, collateral with contracts, "
    "refinancing, pricing against capital",
    note="Customer contracts first, hardware second: the tenants block drives the cash flows, "
         "the waterfall (reserve, lock-up, sweep) the debt, the contracts the collateral.",
    blocks=[
        Beside([
            Table("=TENANT_CONCENTRATION(deal_inputs, tenants)", keyed=True,
                  title="Contracts and concentration (TENANT_CONCENTRATION)", id="conc",
                  names={"conc_largest": "largest_tenant_share", "conc_hhi": "herfindahl",
                         "conc_ig": "investment_grade_share",
                         "conc_repaid": "debt_repaid_within_contract_term",
                         "conc_at_close": "contracted_share_at_close"}),
            Table("=REFI_RISK(deal_inputs, refi_max_ltv, , tenants)", keyed=True,
                  title="Refinancing the balloon (REFI_RISK)", id="refi",
                  names={"refi_prob": "refinance_probability",
                         "refi_short": "expected_shortfall_if_not",
                         "refi_balloon": "balloon"}),
            Outputs(title="Margin against capital", rows=[
                Output("Facility margin", "=margin", "decimal per year", "px_margin"),
                Output("Fair spread, expected loss only (FAIR_SPREAD)", "=spread_fair",
                       "decimal per year", "px_fair"),
                Output("Hurdle spread on IRB capital (HURDLE_SPREAD)",
                       "=HURDLE_SPREAD(borrower_pd, expected_lgd, k_irb, hurdle, cost_ratio, "
                       "funding_spread)", "decimal per year", "px_hurdle_irb"),
                Output("Hurdle spread on the collateral model's capital",
                       "=HURDLE_SPREAD(borrower_pd, expected_lgd, cap_collateral, hurdle, "
                       "cost_ratio, funding_spread)", "decimal per year", "px_hurdle_model"),
                Output("RAROC at the margin, IRB capital (RAROC)",
                       "=RAROC(borrower_pd, expected_lgd, k_irb, margin, cost_ratio, "
                       "funding_spread)", "decimal per year", "px_raroc_irb"),
                Output("RAROC at the margin, the model's capital",
                       "=RAROC(borrower_pd, expected_lgd, cap_collateral, margin, cost_ratio, "
                       "funding_spread)", "decimal per year", "px_raroc_model"),
                Output("Margin less hurdle spread (IRB)", "=margin-px_hurdle_irb",
                       "decimal per year", "px_excess_hurdle"),
            ]),
        ]),
        Grid(title="Refinancing probability by maximum LTV and rent volatility (REFI_RISK)",
             corner="max LTV / rent vol", id="refi_grid", rows=[0.30, 0.40, 0.50, 0.60, 0.70],
             row_unit="decimal", columns=[0.30, 0.50, 0.80], column_unit="decimal per sqrt(year)",
             unit="decimal", body="=INDEX(REFI_RISK(deal_inputs, {row}, {col}, tenants), 1, 2)",
             names={"refi_grid_body": "[:, :]", "refi_grid_lower": "[:-1, :]",
                    "refi_grid_upper": "[1:, :]"}),
        Table("=TENANT_STRESS(deal_inputs, stress_year, tenants)", id="tenant_stress",
              title="Named tenant defaults at stress_year (TENANT_STRESS)",
              names={"ts_min_dscr": "min_dscr"}),
        Beside([
            Table("=TENANT_CASHFLOWS(deal_inputs, tenants)", id="tenant_cf",
                  title="Revenue by tenant (TENANT_CASHFLOWS)",
                  units={n: "currency per period" for n in _TENANT_NAMES},
                  names={"tcf_revenue": "revenue"}),
            Chart("Revenue by tenant and at spot", x_title="year", y_title="currency per period",
                  y_format="#,##0", categories=Series("tenant_cf", "year"),
                  series=[Series("tenant_cf", n) for n in _TENANT_NAMES + ["spot"]]),
        ]),
        Beside([
            Table("=LTV_TABLE(deal_inputs, tenants)", id="ltv_table",
                  title="LTV on collateral with contracts vs GPU-only economic and book "
                        "(LTV_TABLE)",
                  names={"lt_coll_close": "collateral_ltv[0]", "lt_econ_close": "economic_ltv[0]",
                         "lt_coll": "collateral_ltv[:-1]"}),
            Chart("LTV: contracts + GPUs vs GPUs only vs book", x_title="year", y_title="LTV",
                  y_format="0%", categories=Series("ltv_table", "year"), series=[
                      Series("ltv_table", c) for c in ("collateral_ltv", "economic_ltv",
                                                       "book_ltv")]),
        ]),
    ])


INPUTS = Sheet(
    "Inputs", "Neo-cloud GPU facility: inputs",
    note="Blue-on-yellow cells are inputs; white cells in column B are formulas. Field names "
         "of the deal block are read by DSCR_TABLE and friends: do not rename them.",
    blocks=[Beside([FLEET, TENANTS]), DEAL, CREDIT, PRICING])

SUMMARY = [
    Output("Fleet economic value at close", "=fleet_econ_value", "currency"),
    Output("Fleet book value at close", "=fleet_book_value", "currency"),
    Output("Economic LTV at close", "=ltv_econ_close", "decimal"),
    Output("Maximum economic LTV over the loan", "=MAX(tab_econ_ltv)", "decimal"),
    Output("Maximum book LTV over the loan", "=MAX(tab_book_ltv)", "decimal"),
    Output("LTV covenant", "=ltv_covenant", "decimal"),
    Output("Minimum DSCR", "=min_dscr", "x"),
    Output("DSCR covenant", "=dscr_covenant", "x"),
    Output("LLCR at close", "=llcr_close", "x"),
    Output("Breakeven deflation (1.00x)", "=be_deflation", "decimal per year"),
    Output("Breakeven deflation at the covenant", "=be_deflation_cov", "decimal per year"),
    Output("Debt capacity at the covenant DSCR", "=capacity_at_covenant", "currency"),
    Output("Fleet value at default + workout (trend rent)", "=fleet_value_workout",
           "currency"),
    Output("Expected fleet value at default + workout (the LGD collateral)",
           "=fleet_value_expected", "currency"),
    Output("Fire-sale haircut, expected (used in the LGD)", "=haircut_expected", "decimal"),
    Output("Fire-sale haircut with the 99% VaR term", "=haircut_total", "decimal"),
    Output("Expected LGD (correlated)", "=expected_lgd", "decimal"),
    Output("Expected LGD if independent", "=independent_lgd", "decimal"),
    Output("Downturn LGD (99.9%)", "=downturn_lgd", "decimal"),
    Output("IRB risk weight", "=rw_irb", "decimal"),
    Output("Capital", "=capital", "currency"),
    Output("Expected loss per year", "=el_per_year", "currency"),
    Output("Fair spread", "=spread_fair", "decimal per year"),
    Output("Facility margin", "=margin", "decimal per year"),
    # deal structure
    Output("Contracted share of the fleet at close", "=conc_at_close", "decimal"),
    Output("Largest tenant's share of contract value", "=conc_largest", "decimal"),
    Output("Herfindahl index of contract value", "=conc_hhi", "decimal"),
    Output("Investment-grade share of contract value", "=conc_ig", "decimal"),
    Output("Debt repaid by contracted cash within the contract term", "=conc_repaid",
           "decimal"),
    Output("Minimum DSCR after reserves", "=MIN(tab_dscr_after_reserves)", "x"),
    Output("LTV on contracts + GPUs at close", "=lt_coll_close", "decimal"),
    Output("Probability the balloon refinances at the maximum LTV", "=refi_prob", "decimal"),
    Output("Hurdle spread (IRB capital)", "=px_hurdle_irb", "decimal per year"),
    Output("RAROC at the margin (IRB capital)", "=px_raroc_irb", "decimal per year"),
    Output("All checks TRUE", "=all_checks", "TRUE/FALSE"),
]

CHECKS = [
    Check("H100 economic value <= book value at the horizon (base case)",
          "=h100_econ_end<=h100_book_end"),
    Check("B200 economic value <= book value at the horizon (base case)",
          "=b200_econ_end<=b200_book_end"),
    Check("Balances end at the balloon less prepayments and sweeps (inverse order of maturity)",
          "=ABS(tab_closing-MAX(0, deal_balloon_share*deal_debt-SUM(tab_prepayment)"
          "-SUM(tab_sweep)))<=0.000001*deal_debt"),
    Check("Principal, prepayments and sweeps repaid over the loan = debt less the last balance",
          "=ABS(SUM(tab_principal)+SUM(tab_prepayment)+SUM(tab_sweep)-(deal_debt-tab_closing))"
          "<=0.000001*deal_debt"),
    Check("DSCR_MIN equals the minimum of the DSCR column",
          "=ABS(min_dscr-MIN(tab_dscr))<=0.000000001"),
    Check("Deflated DSCR never above the flat-rent DSCR",
          "=SUMPRODUCT(--(cmp_deflated>cmp_flat+0.000000001))=0"),
    Check("Expected LGD within [0, 1]", "=AND(expected_lgd>=0, expected_lgd<=1)"),
    Check("Downturn LGD within [0, 1] and >= expected LGD",
          "=AND(downturn_lgd<=1, downturn_lgd>=expected_lgd)"),
    Check("Correlation raises LGD: correlated >= independent", "=expected_lgd>=independent_lgd"),
    Check("LGD rises with the systematic quantile",
          "=SUMPRODUCT(--(lgd_q_upper<lgd_q_lower))=0"),
    Check("Fire-sale haircut within [0, 1]", "=AND(haircut_total>=0, haircut_total<=1)"),
    Check("Expected haircut below the total with its VaR term",
          "=AND(haircut_expected>=0, haircut_expected<=haircut_total)"),
    Check("Collateral at default + workout below its value at close",
          "=fleet_value_workout<=fleet_econ_value"),
    Check("Risk weight = 12.5 x K", "=ABS(rw_irb-12.5*k_irb)<=0.000000001"),
    Check("Economic value per GPU in DSCR_TABLE at close = GPU_RV of the blended fleet",
          f"=ABS(INDEX(tab_econ_value,1)-GPU_RV(deal_rent0, deal_utilization, deal_cash_cost, "
          f"deal_deflation, deal_discount_rate, deal_salvage, {_LIFE}, {_STEPS}))"
          f"<=0.000001*INDEX(tab_econ_value,1)"),
]


STRUCTURE_CHECKS = [
    Check("Waterfall conserves cash every period: revenue = opex + tax + debt service paid + "
          "reserve and trap movements + prepayment + sweep + distributions",
          "=SUMPRODUCT(ABS(tab_revenue-tab_opex-tab_tax-tab_interest-tab_principal+"
          "tab_shortfall-tab_dsra_movement-tab_trap_movement-tab_prepayment-tab_sweep-"
          "tab_distributions))<=0.000001*SUM(tab_revenue)"),
    Check("Revenue by tenant adds up to DSCR_TABLE's revenue",
          "=ABS(SUM(tcf_revenue)-SUM(tab_revenue))<=0.000001*SUM(tab_revenue)"),
    Check("Tenant shares of the fleet add up to at most 1", "=conc_at_close<=1"),
    Check("Herfindahl index between the largest share squared and the largest share",
          "=AND(conc_hhi>=conc_largest^2-0.000000001, conc_hhi<=conc_largest+0.000000001)"),
    Check("Refinancing probabilities within [0, 1] and rising with the maximum LTV",
          "=AND(MIN(refi_grid_body)>=0, MAX(refi_grid_body)<=1, refi_prob>=0, refi_prob<=1, "
          "SUMPRODUCT(--(refi_grid_upper<refi_grid_lower-0.000000001))=0)"),
    Check("Contracts add collateral: LTV on contracts + GPUs <= GPU-only economic LTV at close",
          "=lt_coll_close<=lt_econ_close"),
    Check("Hurdle spread >= the expected-loss fair spread", "=px_hurdle_irb>=px_fair"),
    Check("RAROC at the hurdle spread is the hurdle",
          "=ABS(RAROC(borrower_pd, expected_lgd, k_irb, px_hurdle_irb, cost_ratio, "
          "funding_spread)-hurdle)<=0.000000001"),
]


def template() -> Template:
    """The neo-cloud facility workbook, as data."""
    return Template(
        title="Neo-cloud GPU facility",
        subject="GPU-backed delayed-draw term loan to a neo-cloud",
        summary_title="Neo-cloud GPU facility: summary",
        sheets=[INPUTS, COLLATERAL, COVERAGE, LOSS, STRUCTURE], summary=SUMMARY,
        checks=CHECKS + STRUCTURE_CHECKS)
