"""miner_convertible.xlsx: a crypto miner turned AI host. Secured project notes on an H100 fleet
and its hosting lease rank first on those assets; the parent's convertible senior notes are
unsecured, share the BTC treasury with other unsecured creditors and get only what the project
leaves; Monte Carlo LGD calm vs stress, Gaussian vs t; the conversion feature as a scenario."""

from __future__ import annotations

from .blocks import (CORR, MONEY2, Beside, Chart, Check, Grid, Input, Inputs, Note, Output,
                     Outputs, Series, Sheet, Stack, Table, Template)

__all__ = ["template"]

COMPANY = Inputs(title="Capital structure", rows=[
    Input("secured_notes", 60e6, "currency", "senior secured project notes: first lien on the "
          "GPU fleet, the hosting lease and its receivables, at the project company "
          "(TeraWulf 7.75% and Cipher 7.125% notes are this kind, docs/model.md §7)"),
    Input("secured_rate", 0.075, "nominal annual decimal", "coupon of the secured notes "
          "(between the TeraWulf and Cipher coupons, §7)"),
    Input("secured_years", 5.0, "years", "years to maturity of the secured notes (bullet)"),
    Input("notes_principal", 400e6, "currency", "convertible senior notes at the parent: "
          "unsecured, structurally behind the project notes on the GPUs and the lease "
          "(indenture)"),
    Input("notes_coupon", 0.03, "nominal annual decimal", "coupon (indenture; miner converts "
          "pay 0-3.5%, §7)"),
    Input("notes_years", 5.0, "years", "years to maturity (indenture)"),
    Input("other_unsecured", 40e6, "currency", "other senior unsecured claims at the parent "
          "(leases, payables): pari passu with the converts"),
    Input("stock_price", 20.0, "currency per share", "share price at close"),
    Input("conversion_price", 26.0, "currency per share", "conversion price: a 30% premium at "
          "issue (miner converts 25-30%, §7)"),
    Input("stock_btc_beta", 1.5, "x", "% change of the share price per % change of the BTC "
          "price (miner equities move more than BTC; an assumption)"),
    Input("cash", 60e6, "currency", "unrestricted cash (last balance sheet)"),
    Input("borrower_pd", 0.06, "decimal per year", "internal rating B- (one-year PD)"),
    Input("mining_ebitda", 90e6, "currency per year", "mining EBITDA at today's BTC price "
          "(last twelve months)"),
    Input("mining_elasticity", 1.6, "x", "% change of mining EBITDA per % change of the BTC "
          "price (operating leverage)"),
])

BTC = Inputs(title="BTC treasury", rows=[
    Input("btc_units", 3000.0, "BTC", "treasury holdings (last filing)"),
    Input("btc_price", 90000.0, "currency per BTC", "spot price at close"),
    Input("btc_treasury", "=btc_units*btc_price", "currency", "treasury value"),
    Input("btc_vol", 0.55, "decimal per sqrt(year)", "BTC volatility, calm regime"),
    Input("btc_vol_stress", 0.90, "decimal per sqrt(year)", "BTC volatility, stress regime "
          "(2022 drawdown)"),
    Input("btc_haircut", 0.05, "decimal", "slippage selling the treasury in a workout"),
])

DEAL = Inputs(
    title="GPU fleet and hosting lease (deal_inputs)", note="read as one range by DSCR_TABLE",
    name="deal_inputs", prefix="deal_", rows=[
        Input("gpus", 4096, "GPUs", "H100 fleet hosted for an AI tenant (fleet register)"),
        Input("rent0", 2.00, "currency per GPU-hour", "H100 spot rent at close (SDH100RT about "
              "2.60 mid-2026, catalogue; used fleet discount)"),
        Input("deflation", 0.25, "decimal per year", "trend decline of spot rents, new "
              "generations included (default, docs/model.md §2.3)"),
        Input("utilization", 0.85, "decimal", "spot utilisation of capacity outside the lease"),
        Input("contracted_share", 0.80, "decimal", "capacity under the hosting lease"),
        Input("contract_rate", 2.10, "currency per GPU-hour", "hosting lease rate (lease "
              "agreement)"),
        Input("contract_years", 5.0, "years", "hosting lease term"),
        Input("cash_cost", 0.30, "currency per GPU-hour", "power at the miner's own sites, "
              "maintenance"),
        Input("tax_rate", 0.21, "decimal", "US federal corporate rate"),
        Input("tenant_pd", 0.005, "decimal per year", "hosting tenant PD (hyperscaler-backed, "
              "A-)"),
        Input("tenant_default_year", None, "years from close", "none: no tenant-default stress "
              "in the base case"),
        Input("step_years", None, "years from the valuation date", "none: the deflation is a "
              "total trend that already contains new generations (§4.1)"),
        Input("step_downs", None, "decimal", "none (see step_years)"),
        Input("debt", "=secured_notes", "currency", "the project's debt: the secured notes "
              "(the converts sit at the parent)"),
        Input("debt_rate", "=secured_rate", "nominal annual decimal", "coupon of the secured "
              "notes"),
        Input("debt_years", "=secured_years", "years", "years to the secured notes' maturity"),
        Input("amortization", "bullet", "-", "the secured notes pay coupons only"),
        Input("balloon_share", 0.0, "decimal of debt", "none beyond the bullet: the principal is "
              "due at maturity"),
        Input("payments_per_year", 1, "payments per year", "annual view"),
        Input("gpu_cost", 27000.0, "currency per GPU", "purchase invoices"),
        Input("age_years", 0.5, "years", "GPUs six months old at close"),
        Input("book_life_years", 6.0, "years", "straight-line depreciation life"),
        Input("physical_life_years", 7.0, "years", "physical life of a data-centre GPU"),
        Input("salvage", 1000.0, "currency per GPU", "scrap/parts value"),
        Input("discount_rate", 0.14, "annual effective decimal", "collateral discount rate"),
    ] + [  # deal structure: one lease (the contract fields above), no reserve, lock-up or sweep
        Input("default_tenants", None, "-", "none: the tenant-default stress (if any) hits the "
              "lease"),
        Input("rent_vol", None, "decimal per sqrt(year)", "empty: 0.50 (H100 rent fit)"),
        Input("contract_discount_rate", None, "annual effective decimal", "empty: the "
              "collateral discount rate"),
        Input("dsra_months", 0.0, "months of debt service", "none: convertible notes carry no "
              "reserve account"),
        Input("dsra_funding", "close", "-", "close | cash (no reserve)"),
        Input("lockup_dscr", None, "times (x)", "none: no distribution lock-up on the notes"),
        Input("sweep_share", 0.0, "decimal", "none: no cash sweep on the notes"),
        Input("sweep_dscr_levels", None, "times (x)", "none"),
        Input("sweep_dscr_shares", None, "decimal", "none"),
        Input("sweep_ltv_levels", None, "decimal", "none"),
        Input("sweep_ltv_shares", None, "decimal", "none"),
        Input("prepay_ltv", None, "decimal", "none: unsecured notes, no LTV test"),
        Input("ltv_basis", "collateral", "-", "collateral | economic | book (no LTV test)"),
    ])

COLLATERAL_MODEL = Inputs(title="Collateral model (Monte Carlo LGD)", rows=[
    Input("default_years", 1.0, "years from close", "when a default is taken to happen: the "
          "end of the one-year PD horizon"),
    Input("workout_years", 1.0, "years", "default to sale of the collateral"),
    Input("collateral_horizon", "=default_years+workout_years", "years", "collateral is valued "
          "and uncertain up to the sale: default plus workout"),
    Input("gpu_vol", 0.45, "decimal per sqrt(year)", "GPU value volatility, calm"),
    Input("gpu_vol_stress", 0.70, "decimal per sqrt(year)", "GPU value volatility, stress"),
    Input("gpu_corr_calm", 0.40, "decimal", "GPU values with the systematic factor, calm",
          fmt=CORR),
    Input("gpu_corr_stress", 0.70, "decimal", "GPU values with the systematic factor, stress",
          fmt=CORR),
    Input("btc_corr_calm", 0.30, "decimal", "BTC with the systematic factor, calm", fmt=CORR),
    Input("btc_corr_stress", 0.75, "decimal", "BTC with the systematic factor, stress",
          fmt=CORR),
    Input("gpu_btc_corr_calm", 0.20, "decimal", "GPU values with BTC, calm", fmt=CORR),
    Input("gpu_btc_corr_stress", 0.70, "decimal", "GPU values with BTC, stress (they fall "
          "together)", fmt=CORR),
    Input("p_stress", 0.20, "decimal", "probability that a default happens in the stress "
          "regime"),
    Input("t_nu", 4.0, "degrees of freedom", "Student-t copula tail parameter"),
    Input("gpu_haircut", 0.20, "decimal", "expected fire-sale haircut on the GPUs: drift, "
          "impact and costs only (FIRESALE_HAIRCUT's expected row); LGD_MC applies the "
          "volatility itself"),
    Input("lease_receivables", "=0.5*deal_gpus*8760*deal_contracted_share*deal_contract_rate",
          "currency", "six months of hosting-lease receivables (pledged)"),
    Input("receivables_vol", 0.20, "decimal per sqrt(year)", "receivables value volatility"),
    Input("receivables_corr", 0.30, "decimal", "receivables with the systematic factor",
          fmt=CORR),
    Input("mc_paths", 20000, "paths", "Monte Carlo paths per variant (deterministic)"),
    Input("mc_seed", 1, "integer", "seed: change it to see the Monte Carlo noise"),
])

INPUTS = Sheet(
    "Inputs", "Miner convertible notes: inputs",
    note="Blue-on-yellow cells are inputs. Field names of the deal and Monte Carlo blocks are "
         "read by DSCR_TABLE and LGD_MC: do not rename them. Claims: the secured project notes "
         "take the GPUs and the lease receivables first; the converts and the other unsecured "
         "claims share what is left and the BTC treasury.",
    blocks=[COMPANY, BTC, DEAL, COLLATERAL_MODEL])

COLLATERAL = Sheet(
    "Collateral", "Collateral: GPU fleet and BTC treasury",
    note="GPU_RV_CURVE per GPU; GPU_RV_AT values the fleet at default plus workout, the "
         "collateral of the Monte Carlo LGD.",
    blocks=[Beside([
        Stack([
            Table("=GPU_RV_CURVE(deal_gpu_cost, deal_rent0, deal_utilization, deal_cash_cost, "
                  "deal_deflation, deal_discount_rate, deal_debt_years, 1, "
                  "deal_book_life_years, deal_age_years, deal_salvage, "
                  "deal_physical_life_years-deal_age_years, deal_step_years, deal_step_downs)",
                  id="curve", names={"curve_year": "year", "curve_econ": "economic value",
                                     "curve_econ_end": "economic value[-1]",
                                     "curve_book_end": "book value[-1]"}),
            Outputs(span=4, rows=[
                Output("GPU value per GPU at default + workout (GPU_RV_AT)",
                       "=GPU_RV_AT(collateral_horizon, deal_rent0, deal_utilization, "
                       "deal_cash_cost, deal_deflation, deal_discount_rate, deal_salvage, "
                       "deal_physical_life_years-deal_age_years, deal_step_years, "
                       "deal_step_downs)", "currency per GPU", "gpu_value_per_gpu"),
                Output("Fleet value at default + workout, trend rent (the median)",
                       "=deal_gpus*gpu_value_per_gpu", "currency", "gpu_value_at_horizon"),
                Output("Expected fleet value at default + workout (gpu_value): median x "
                       "EXP(gpu_vol^2 x horizon / 2)",
                       "=gpu_value_at_horizon*EXP(gpu_vol^2*collateral_horizon/2)", "currency",
                       "gpu_value_expected"),
                Output("BTC treasury", "=btc_treasury", "currency", "btc_value_now"),
                Output("Project assets / secured notes", "=(gpu_value_at_horizon+"
                       "lease_receivables)/secured_notes", "decimal", "secured_cover"),
                Output("Left for the parent after the secured notes", "=MAX(0, "
                       "gpu_value_at_horizon+lease_receivables-secured_notes)", "currency",
                       "project_residual"),
                Output("Parent assets / unsecured claims (converts + other)",
                       "=(project_residual+btc_treasury)/(notes_principal+other_unsecured)",
                       "decimal", "collateral_cover"),
            ]),
        ]),
        Chart("GPU economic vs book value per GPU", x_title="year", y_title="currency per GPU",
              y_format="#,##0", categories=Series("curve", "year"),
              series=[Series("curve", "economic value"), Series("curve", "book value")]),
    ])])

COVERAGE = Sheet(
    "Coverage", "Coverage: hosting cash flows against the notes' coupon",
    note="DSCR_TABLE of the project (GPU hosting) against the secured notes; the converts are "
         "paid by the parent from mining and what the project leaves. Both are bullets: the "
         "principal is refinancing or conversion risk at maturity.",
    blocks=[
        Table("=DSCR_TABLE(deal_inputs)", id="dscr_table",
              names={"miner_dscr": "dscr[:-1]", "miner_closing": "closing_balance[-2]",
                     "miner_cfads": "cfads[:-1]", "miner_debt_service": "debt_service[:-1]"}),
        Chart("Secured notes' coupon cover by hosting CFADS", x_title="year",
              y_title="DSCR (x)", y_format="0.00", categories=Series("dscr_table", "year[:-1]"),
              series=[Series("dscr_table", "dscr[:-1]")]),
        Outputs(title="The parent's converts", rows=[
            Output("Converts' coupon", "=notes_principal*notes_coupon", "currency per year",
                   "converts_coupon"),
            Output("Coupon cover by mining EBITDA alone", "=mining_ebitda/converts_coupon", "x",
                   "converts_cover_mining"),
            Output("Coupon cover by mining EBITDA and the project's first-year CFADS after "
                   "the secured coupon", "=(mining_ebitda+INDEX(miner_cfads,1)-"
                   "INDEX(miner_debt_service,1))/converts_coupon", "x", "converts_cover"),
        ]),
    ])

# LGD_MC fields: (field, formula or value, unit, format) - the names come from the Inputs sheet
MC_FIELDS = [
    ("ead", "=notes_principal", "currency", None),
    ("pd", "=borrower_pd", "decimal per year", None),
    ("horizon_years", "=collateral_horizon", "years", None),
    ("gpu_value", "=gpu_value_expected", "currency", None),
    ("gpu_vol", "=gpu_vol", "decimal per sqrt(year)", None),
    ("gpu_vol_stress", "=gpu_vol_stress", "decimal per sqrt(year)", None),
    ("gpu_corr_calm", "=gpu_corr_calm", "decimal", CORR),
    ("gpu_corr_stress", "=gpu_corr_stress", "decimal", CORR),
    ("btc_value", "=btc_treasury", "currency", None),
    ("btc_vol", "=btc_vol", "decimal per sqrt(year)", None),
    ("btc_vol_stress", "=btc_vol_stress", "decimal per sqrt(year)", None),
    ("btc_corr_calm", "=btc_corr_calm", "decimal", CORR),
    ("btc_corr_stress", "=btc_corr_stress", "decimal", CORR),
    ("gpu_btc_corr_calm", "=gpu_btc_corr_calm", "decimal", CORR),
    ("gpu_btc_corr_stress", "=gpu_btc_corr_stress", "decimal", CORR),
    ("receivables_value", "=lease_receivables", "currency", None),
    ("receivables_vol", "=receivables_vol", "decimal per sqrt(year)", None),
    ("receivables_corr", "=receivables_corr", "decimal", CORR),
    ("p_stress", "=p_stress", "decimal", None),
    ("copula", "gaussian", "-", None),
    ("nu", "=t_nu", "degrees of freedom", None),
    ("gpu_haircut", "=gpu_haircut", "decimal", None),
    ("senior_secured_claims", "=secured_notes", "currency", None),
    ("pari_passu_claims", "=other_unsecured", "currency", None),
    ("btc_haircut", "=btc_haircut", "decimal", None),
    ("workout_years", "=workout_years", "years", None),
    ("workout_discount_rate", "=deal_discount_rate", "annual effective decimal", None),
    ("n_paths", "=mc_paths", "paths", None),
    ("seed", "=mc_seed", "integer", None),
]
# variants: label, fields overridden
MC_VARIANTS = [
    ("Converts: calm only, Gaussian", {"p_stress": 0.0}),
    ("Converts: calm/stress mix, Gaussian", {}),
    ("Converts: calm/stress mix, t copula", {"copula": "t"}),
    ("Converts: stress only, t copula", {"p_stress": 1.0, "copula": "t"}),
    ("Secured project notes: calm/stress mix, Gaussian",
     {"ead": "=secured_notes", "btc_value": 0.0, "senior_secured_claims": 0.0,
      "pari_passu_claims": 0.0}),
]


def _mc(k: int, key: str) -> str:
    """The LGD_MC result ``key`` of variant ``k`` (1-based)."""
    return f'VLOOKUP("{key}", mc_result_{k}, 2, FALSE)'


def _variant(k: int, label: str, override: dict) -> Stack:
    return Stack([
        Inputs(title=label, compact=True, row_names=False, name=f"mc_inputs_{k}", rows=[
            Input(f, override.get(f, value), unit, "", fmt) for f, value, unit, fmt in MC_FIELDS]),
        Table(f"=LGD_MC(mc_inputs_{k})", keyed=True, name=f"mc_result_{k}"),
    ])


_K = range(1, len(MC_VARIANTS) + 1)
_EAD = {k: "secured_notes" if "ead" in ov else "notes_principal"
        for k, (_, ov) in zip(_K, MC_VARIANTS)}

LOSS = Sheet(
    "Loss", "Loss: multi-collateral LGD, calm vs stress, Gaussian vs t copula",
    note="LGD_MC with GPUs, the BTC treasury and the lease receivables, through the waterfall: "
         "the secured project notes take the GPUs and receivables first "
         "(senior_secured_claims), the converts share the rest and the BTC with the other "
         "unsecured claims (pari_passu_claims). In a stress regime correlations converge and "
         "the t copula adds tail dependence.",
    blocks=[
        Beside([_variant(k, label, ov) for k, (label, ov) in zip(_K, MC_VARIANTS)]),
        Grid(title="Comparison", corner="variant", id="comparison",
             rows=[label for label, _ in MC_VARIANTS],
             columns=["expected LGD", "downturn LGD", "99.9% loss / EAD", "std error"],
             body=[[f"={_mc(k, 'expected_lgd')}", f"={_mc(k, 'downturn_lgd')}",
                    f"={_mc(k, 'loss_q999')}/{_EAD[k]}", f"={_mc(k, 'std_error')}"]
                   for k in _K],
             unit="decimal", fmt=[None, None, None, "0.0000"],
             names={"cmp_expected": "expected LGD", "cmp_downturn": "downturn LGD",
                    "cmp_q999": "99.9% loss / EAD", "cmp_stderr": "std error"}),
        Chart("LGD: calm vs stress, Gaussian vs t copula", kind="bar", width=18,
              y_title="LGD / loss over EAD", y_format="0%",
              categories=Series("comparison", "rows"),
              series=[Series("comparison", c)
                      for c in ("expected LGD", "downturn LGD", "99.9% loss / EAD")]),
        Grid(title="Tail dependence of the t copula (TAIL_DEPENDENCE): probability that one "
                   "collateral crashes given the other does",
             corner="rho \\ nu", rows=[0.3, 0.5, 0.7],
             columns=[4, 10, 30, 100], body="=TAIL_DEPENDENCE({row}, {col})",
             unit="decimal",
             names={"tail_dep": "", "tail_dep_first": "[:, :-1]", "tail_dep_next": "[:, 1:]"}),
    ])

GPU_SHOCKS, BTC_SHOCKS = [0.0, -0.2, -0.4, -0.6], [0.0, -0.25, -0.5, -0.75]
# hosting EBITDA with the spot part shocked ({col}) + mining EBITDA with the BTC shock ({row})
_EBITDA = ("(deal_gpus*8760*(deal_contracted_share*deal_contract_rate+(1-deal_contracted_share)"
           "*deal_utilization*deal_rent0*(1+{col})-deal_cash_cost)"
           "+mining_ebitda*(1+mining_elasticity*{row}))")

LEVERAGE = Sheet(
    "Leverage", "Net leverage when BTC and GPU rents fall together",
    note="Net debt = secured notes + converts - cash - BTC treasury; EBITDA = hosting EBITDA "
         "(spot part shocked) + mining EBITDA (BTC shock x elasticity). Plain Excel formulas.",
    blocks=[Beside([
        Stack([
            Grid(title="BTC price change (rows) \\ GPU spot rent change (columns)",
                 id="leverage", rows=BTC_SHOCKS, columns=GPU_SHOCKS, row_unit="decimal",
                 column_unit="decimal", unit="x",
                 body=f"=IF({_EBITDA}>0,(secured_notes+notes_principal-cash-btc_treasury*"
                      f"(1+{{row}}))/{_EBITDA},99)",
                 names={"lev_base": "[0, 0]", "lev_joint": "[2, 2]", "lev_worst": "[3, 3]",
                        "lev_grid": ""}),
            Note("99 stands for EBITDA <= 0 (leverage not meaningful)"),
        ], gap=1),
        Chart("Net leverage vs BTC price change, per GPU rent change",
              x_title="BTC price change", y_title="net debt / EBITDA (x)", y_format="0.0",
              categories=Series("leverage", "rows"),
              series=[Series("leverage", f"[:, {j}]",
                             f"GPU rents {g:+.0%}" if g else "GPU rents flat")
                      for j, g in enumerate(GPU_SHOCKS)]),
    ])])

BTC_PATHS = [-0.5, -0.25, 0.0, 0.25, 0.5, 1.0]
_STOCK = "MAX(0, stock_price*(1+stock_btc_beta*{row}))"

CONVERSION = Sheet(
    "Conversion", "The conversion feature: a scenario on the BTC price",
    note="The share price moves with BTC (stock_btc_beta); the holders convert at maturity when "
         "the shares are worth more than the principal. A scenario, not a valuation: no "
         "volatility, no timing option, no dilution.",
    blocks=[Beside([
        Grid(title="BTC price change by maturity (rows)", corner="BTC change", id="conversion",
             rows=BTC_PATHS, row_unit="decimal",
             columns=["share price", "conversion value", "conversion value / principal",
                      "converts"],
             body=[f"={_STOCK}", f"=notes_principal/conversion_price*{_STOCK}",
                   f"=notes_principal/conversion_price*{_STOCK}/notes_principal",
                   f"=IF(notes_principal/conversion_price*{_STOCK}>notes_principal, 1, 0)"],
             unit="currency", fmt=[MONEY2, None, "0%", "0"],
             names={"conv_ratio": "conversion value / principal", "conv_flag": "converts"}),
        Outputs(title="Break-even", rows=[
            Output("Conversion shares", "=notes_principal/conversion_price", "count",
                   "conversion_shares"),
            Output("Share price rise needed to convert", "=conversion_price/stock_price-1",
                   "decimal", "conversion_premium"),
            Output("BTC rise that gets there (through stock_btc_beta)",
                   "=conversion_premium/stock_btc_beta", "decimal", "btc_rise_to_convert"),
        ]),
    ])])

SUMMARY = [
    Output("Secured project notes", "=secured_notes", "currency"),
    Output("Convertible notes (senior unsecured)", "=notes_principal", "currency"),
    Output("BTC treasury", "=btc_treasury", "currency"),
    Output("GPU fleet value at default + workout", "=gpu_value_at_horizon", "currency"),
    Output("Project assets / secured notes", "=secured_cover", "decimal"),
    Output("Parent assets / unsecured claims", "=collateral_cover", "decimal"),
    Output("Minimum secured coupon cover (hosting CFADS)", "=MIN(miner_dscr)", "x"),
    Output("Converts' coupon cover (mining + project after the secured coupon)",
           "=converts_cover", "x"),
    Output("Expected LGD, calm Gaussian", "=INDEX(cmp_expected,1)", "decimal"),
    Output("Expected LGD, calm/stress Gaussian", "=INDEX(cmp_expected,2)", "decimal"),
    Output("Expected LGD, calm/stress t copula", "=INDEX(cmp_expected,3)", "decimal"),
    Output("Expected LGD, stress t copula", "=INDEX(cmp_expected,4)", "decimal"),
    Output("Expected LGD of the secured project notes", "=INDEX(cmp_expected,5)", "decimal"),
    Output("99.9% loss / EAD, calm/stress Gaussian", "=INDEX(cmp_q999,2)", "decimal"),
    Output("99.9% loss / EAD, calm/stress t copula", "=INDEX(cmp_q999,3)", "decimal"),
    Output("Net leverage today", "=lev_base", "x"),
    Output("Net leverage, BTC -50% and GPU rents -40%", "=lev_joint", "x"),
    Output("BTC rise by maturity that makes the converts convert", "=btc_rise_to_convert",
           "decimal"),
    Output("All checks TRUE", "=all_checks", "TRUE/FALSE"),
]

_SHARES = ("recovery_share_gpu", "recovery_share_btc", "recovery_share_receivables")

CHECKS = [
    Check("Every Monte Carlo expected LGD within [0, 1]",
          "=AND(MIN(cmp_expected)>=0, MAX(cmp_expected)<=1)"),
    Check("Every downturn LGD within [0, 1] and >= the expected LGD",
          "=AND(MAX(cmp_downturn)<=1, SUMPRODUCT(--(cmp_downturn<cmp_expected))=0)"),
    Check("Correlation convergence: stress-only t copula LGD >= calm Gaussian LGD",
          "=INDEX(cmp_expected,4)>=INDEX(cmp_expected,1)"),
    Check("Tail dependence: t copula 99.9% loss >= Gaussian 99.9% loss (same regimes)",
          "=INDEX(cmp_q999,3)>=INDEX(cmp_q999,2)"),
    Check("Recovery shares add up to 1 in every variant", "=AND(" + ", ".join(
        f"ABS({'+'.join(_mc(k, s) for s in _SHARES)}-1)<=0.000001" for k in _K) + ")"),
    Check("Monte Carlo standard errors below 1 percentage point", "=MAX(cmp_stderr)<0.01"),
    Check("Tail dependence falls as nu rises",
          "=SUMPRODUCT(--(tail_dep_next>tail_dep_first))=0"),
    Check("Bullet secured notes: balance at maturity = principal",
          "=ABS(miner_closing-secured_notes)<=0.000001*secured_notes"),
    Check("Seniority: the secured notes lose less than the converts (same regimes)",
          "=INDEX(cmp_expected,5)<=INDEX(cmp_expected,2)"),
    Check("Conversion only above the conversion price",
          "=SUMPRODUCT(conv_flag, --(conv_ratio<=1))=0"),
    Check("GPU economic value <= book value at the horizon (base case)",
          "=curve_econ_end<=curve_book_end"),
    Check("Net leverage rises when BTC and GPU rents fall together", "=lev_joint>lev_base"),
]


def template() -> Template:
    """The miner convertible-notes workbook, as data."""
    return Template(
        title="Miner convertible notes",
        subject="Crypto miner turned AI host: convertible notes, BTC treasury, GPU fleet and "
                "hosting lease",
        summary_title="Miner convertible notes: summary",
        sheets=[INPUTS, COLLATERAL, COVERAGE, LOSS, LEVERAGE, CONVERSION], summary=SUMMARY,
        checks=CHECKS)
