"""Build the regression fixture: every Excel function and the main public model functions on a
grid of representative inputs, with their results (``tests/regression/fixture.json``).

Run ``python -m tests.regression.build_fixture`` only when results change on purpose; the
committed fixture was built from the code before the parameter schema and the coverage
package split, and ``test_regression.py`` replays it (argument renames mapped).

Inputs: the documented examples of ``docs/functions.md`` (``addin.packaging.generate``
SAMPLES), the sample deal (:func:`pymodel.dscr.sample_deal`), the deal blocks of the shipped
templates (neo-cloud facility, miner notes, portfolio tape), stressed and edge variants, and bad
inputs whose error text is part of the contract.
"""

from __future__ import annotations

import json
import pathlib
import sys
from typing import Any

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[2]
FIXTURE = pathlib.Path(__file__).with_name("fixture.json")

# ---------------------------------------------------------------------------- deal blocks
SAMPLE_DEAL = {
    "gpus": 1024, "rent0": 2.35, "deflation": 0.3, "utilization": 0.85,
    "contracted_share": 0.5, "contract_rate": 2.2, "contract_years": 4.0, "cash_cost": 0.5,
    "tax_rate": 0.21, "step_years": "0.17; 1.17", "step_downs": "0.19; 0.1",
    "debt": 16000000.0, "debt_rate": 0.11, "debt_years": 4.0, "amortization": "annuity",
    "balloon": 0.1, "periods_per_year": 4, "gpu_cost": 30000.0, "age_years": 1.0,
    "book_life_years": 6.0, "physical_life_years": 8.0, "salvage": 900.0,
    "discount_rate": 0.1}
# the neo-cloud template's deal block (H100 + B200 fleet, IG and sub-IG tenants)
NEO_DEAL = {
    "gpus": 2048, "rent0": 2.35, "deflation": 0.2, "utilization": 0.85,
    "contracted_share": 0.30000000000000004, "contract_rate": 2.6, "contract_years": 4.0,
    "cash_cost": 0.35, "tax_rate": 0.21, "tenant_pd": 0.014666666666666665, "step_years": 2.0,
    "step_downs": 0.1, "debt": 35000000.0, "debt_rate": 0.105, "debt_years": 4.0,
    "amortization": "annuity", "balloon": 0.2, "periods_per_year": 4, "gpu_cost": 31500.0,
    "age_years": 0.0, "book_life_years": 6.0, "physical_life_years": 7.0, "salvage": 1500.0,
    "discount_rate": 0.12}
# the miner template's deal block (convertible notes, bullet, annual)
MINER_DEAL = {
    "gpus": 4096, "rent0": 2.0, "deflation": 0.25, "utilization": 0.85,
    "contracted_share": 0.8, "contract_rate": 2.1, "contract_years": 5.0, "cash_cost": 0.30,
    "tax_rate": 0.21, "tenant_pd": 0.005, "debt": 400e6, "debt_rate": 0.03, "debt_years": 5.0,
    "amortization": "bullet", "periods_per_year": 1, "gpu_cost": 27000.0, "age_years": 0.5,
    "book_life_years": 6.0, "physical_life_years": 7.0, "salvage": 1000.0,
    "discount_rate": 0.14}


def block(d: dict[str, Any], **changes: Any) -> list[list[Any]]:
    d = {**d, **changes}
    return [[k, v] for k, v in d.items()]


DEALS = {
    "sample": block(SAMPLE_DEAL),
    "neocloud": block(NEO_DEAL),
    "miner": block(MINER_DEAL),
    "sample_sculpted": block(SAMPLE_DEAL, amortization="sculpted"),
    "sample_linear_monthly": block(SAMPLE_DEAL, amortization="linear", periods_per_year=12,
                                   balloon=0.0),
    "sample_bullet_semi": block(SAMPLE_DEAL, amortization="bullet", periods_per_year=2),
    "sample_tenant_default": block(SAMPLE_DEAL, tenant_default_year=1.5, tenant_pd=0.03),
    "sample_spot_only": block(SAMPLE_DEAL, contracted_share=0.0),
    "sample_rising": block(SAMPLE_DEAL, deflation=-0.05, step_years="", step_downs=""),
    "sample_ten_year": block(SAMPLE_DEAL, debt_years=10, periods_per_year=12,
                             contract_years=10, contracted_share=0.6, debt=40_000_000.0,
                             step_years="1.5; 3", step_downs="0.1; 0.1"),
    "sample_heavy": block(SAMPLE_DEAL, debt=60_000_000.0, contracted_share=0.0),
    "sample_all_contract": block(SAMPLE_DEAL, contracted_share=1.0, contract_rate=3.5,
                                 debt=5_000_000.0),
    "sample_no_debt": block(SAMPLE_DEAL, debt=0.0),
    "sample_old_fleet": block(SAMPLE_DEAL, age_years=5.0, physical_life_years=6.0),
    "sample_zero_tax": block(SAMPLE_DEAL, tax_rate=0.0, amortization="sculpted"),
    "miner_sculpted": block(MINER_DEAL, amortization="sculpted", debt=50e6),
}
DEAL_FUNCS = ["DSCR_TABLE", "DSCR_MIN", "LLCR", "DSCR_BREAKEVEN", "RENT_BREAKEVEN",
              "UTILIZATION_BREAKEVEN", "DSCR_COMPARE", "DEBT_CAPACITY"]
BAD_DEALS = {
    "unknown_field": [["gpu", 512], ["rent0", 2.0]],
    "bad_ppy": block(SAMPLE_DEAL, periods_per_year=3),
    "bad_tenor": block(SAMPLE_DEAL, debt_years=4.1),
    "bad_balloon": block(SAMPLE_DEAL, balloon=1.5),
    "bad_steps": block(SAMPLE_DEAL, step_downs="0.1"),
    "salvage_above_cost": block(SAMPLE_DEAL, salvage=40000.0),
    "text_debt": block(SAMPLE_DEAL, debt="lots"),
}

# ---------------------------------------------------------------------------- LGD_MC blocks
MINER_MC = [
    ("ead", 100.0), ("pd", 0.04), ("horizon_years", 1.0),
    ("gpu_value", 55.0), ("gpu_vol", 0.45), ("gpu_vol_stress", 0.65),
    ("gpu_corr_calm", 0.4), ("gpu_corr_stress", 0.7),
    ("btc_value", 35.0), ("btc_vol", 0.50), ("btc_vol_stress", 0.80),
    ("btc_corr_calm", 0.3), ("btc_corr_stress", 0.7),
    ("gpu_btc_corr_calm", 0.2), ("gpu_btc_corr_stress", 0.6),
    ("p_stress", 0.25), ("copula", "t"), ("nu", 4.0),
    ("gpu_haircut", 0.30), ("btc_haircut", 0.05), ("gpu_liquidation_cost", 3.0),
    ("workout_years", 1.0), ("discount_rate", 0.12), ("seed", 1),
]
NEO_MC = [
    ("ead", 100.0), ("pd", 0.025), ("horizon_years", 1.0),
    ("gpu_value", 70.0), ("gpu_vol", 0.40), ("gpu_vol_stress", 0.60),
    ("gpu_corr_calm", 0.4), ("gpu_corr_stress", 0.7),
    ("receivables_value", 20.0), ("receivables_vol", 0.20), ("receivables_corr", 0.3),
    ("receivables_haircut", 0.20),
    ("p_stress", 0.2), ("copula", "gaussian"),
    ("gpu_haircut", 0.25), ("gpu_liquidation_cost", 2.0),
    ("workout_years", 1.5), ("discount_rate", 0.10), ("seed", 1),
]
# the miner template's Monte Carlo block, sized as the template sizes it
TEMPLATE_MC = [
    ("ead", 400e6), ("pd", 0.06), ("horizon_years", 1.0), ("gpu_value", 4096 * 15000.0),
    ("gpu_vol", 0.5), ("gpu_vol_stress", 0.5), ("gpu_corr_calm", 0.3), ("gpu_corr_stress", 0.3),
    ("btc_value", 270e6), ("btc_vol", 0.5), ("btc_vol_stress", 0.5), ("btc_corr_calm", 0.3),
    ("btc_corr_stress", 0.3), ("gpu_btc_corr_calm", 0.3), ("gpu_btc_corr_stress", 0.3),
    ("receivables_value", 0.5 * 4096 * 8760 * 0.8 * 2.1), ("receivables_vol", 0.5),
    ("receivables_corr", 0.3), ("p_stress", 0.5), ("copula", "gaussian"), ("nu", 0.5),
    ("gpu_haircut", 0.5), ("btc_haircut", 0.5), ("workout_years", 0.5),
    ("discount_rate", 0.5), ("n_paths", 20000), ("seed", 1),
]
RENT_MC = [
    ("ead", 20e6), ("pd", 0.03), ("horizon_years", 1.0), ("gpu_value_model", "rent"),
    ("gpu_units", 1024), ("rent0", 2.35), ("cash_cost", 0.5), ("utilization", 0.8),
    ("deflation", 0.3), ("rv_discount_rate", 0.12), ("salvage", 500.0),
    ("max_life_years", 6.0), ("step_years", "0.5; 1.5"), ("step_downs", "0.1; 0.05"),
    ("gpu_vol", 0.45), ("gpu_haircut", 0.2), ("n_paths", 20000), ("seed", 7),
]


def mc(rows, **changes):
    d = dict(rows)
    d.update(changes)
    return [[k, v] for k, v in d.items()]


LGD_BLOCKS = {
    "miner": mc(MINER_MC),
    "neocloud": mc(NEO_MC),
    "template_miner_gauss": mc(TEMPLATE_MC),
    "template_miner_t_stress": mc(TEMPLATE_MC, copula="t", p_stress=1.0, nu=4.0),
    "template_calm": mc(TEMPLATE_MC, p_stress=0.0),
    "rent_model": mc(RENT_MC),
    "miner_plain": mc(MINER_MC, sampling="plain", n_paths=20000),
    "neocloud_sobol": mc(NEO_MC, sampling="sobol", n_paths=16000),
    "miner_asset_corr": mc(MINER_MC, asset_corr=0.2, n_paths=20000, seed=3),
    "bad_corr": mc(MINER_MC, gpu_btc_corr_calm=-0.99, gpu_corr_calm=0.9, btc_corr_calm=0.9),
    "bad_rent_missing": mc(RENT_MC, cash_cost=None),
    "bad_field": mc(NEO_MC, gpu_vlue=3.0),
}

# ---------------------------------------------------------------------------- portfolio tape
TAPE = {  # the first rows of the portfolio template's synthetic tape (workbook.build.tape)
    "rent0": [2.18, 3.74, 1.08, 2.85, 1.99, 2.0],
    "utilization": [0.71, 0.93, 0.8, 0.88, 0.76, 0.9],
    "cash_cost": [0.32, 0.44, 0.22, 0.33, 0.33, 0.32],
    "deflation": [0.22, 0.31, 0.17, 0.26, 0.35, 0.2],
    "pd": [0.005, 0.03, 0.08, 0.02, 0.01, 0.05],
    "ead": [4.5e6, 3.1e7, 1.2e6, 8.0e6, 2.2e6, 5.0e7],
    "coverage": [1.2, 0.7, 0.4, 0.95, 1.6, 0.3],
    "collateral_vol": [0.4, 0.55, 0.35, 0.6, 0.45, 0.5],
    "rho_collateral": [0.3, 0.7, 0.5, 0.45, 0.6, 0.35],
    "maturity": [2.0, 3.0, 4.0, 5.0, 2.0, 3.0],
    "lgd": [0.25, 0.45, 0.6, 0.35, 0.1, 0.75],
}


def col(values):
    return [[v] for v in values]


def udf_cases() -> list[tuple[str, str, list[Any]]]:
    """(id, function, positional args) for every registered Excel function."""
    c: list[tuple[str, str, list[Any]]] = []
    add = lambda cid, name, *args: c.append((cid, name, list(args)))  # noqa: E731
    # ---- residual value
    add("rent_sample", "GPU_RENT", 2.4, 3.0, 0.3)
    add("rent_column", "GPU_RENT", 2.35, col([0, 0.5, 1, 2, 3, 4, 5]), 0.30)
    add("rent_steps", "GPU_RENT", 2.35, col([0, 0.17, 0.5, 1.17, 2]), 0.30, col([0.17, 1.17]),
        col([0.19, 0.10]))
    add("rent_rising", "GPU_RENT", 2.0, 2.5, -0.1)
    add("rent_bad_deflation", "GPU_RENT", 2.4, 3.0, 1.2)
    add("rent_bad_years", "GPU_RENT", 2.4, -1.0, 0.3)
    add("rent_text", "GPU_RENT", "abc", 3.0, 0.3)
    add("rent_missing", "GPU_RENT", 2.4, None, 0.3)
    add("life_sample", "GPU_ECON_LIFE", 2.4, 0.85, 0.45, 0.3)
    add("life_full", "GPU_ECON_LIFE", 2.35, 0.85, 0.5, 0.3, 7.0, col([0.17, 1.17]),
        col([0.19, 0.10]))
    add("life_dead", "GPU_ECON_LIFE", 0.5, 0.85, 0.5, 0.3)
    add("life_rising", "GPU_ECON_LIFE", 2.0, 0.85, 0.5, -0.05, 5.0)
    add("life_bad_util", "GPU_ECON_LIFE", 2.4, 1.5, 0.45, 0.3)
    add("rv_sample", "GPU_RV", 2.4, 0.85, 0.45, 0.3, 0.1)
    add("rv_full", "GPU_RV", 2.35, 0.85, 0.5, 0.3, 0.1, 900.0, 7.0, col([0.17, 1.17]),
        col([0.19, 0.10]))
    add("rv_zero_rate", "GPU_RV", 2.35, 0.85, 0.5, 0.3, 0.0)
    add("rv_g_minus_r", "GPU_RV", 2.35, 0.85, 0.5, -0.1, 0.1, 0.0, 6.0)
    add("rv_tape", "GPU_RV", col(TAPE["rent0"]), col(TAPE["utilization"]),
        col(TAPE["cash_cost"]), col(TAPE["deflation"]), 0.12, 1000.0, 6.0)
    add("rv_tape_mismatch", "GPU_RV", col([2.0, 2.1]), col([0.8, 0.8, 0.8]), 0.3, 0.3, 0.1)
    add("rv_bad_rate", "GPU_RV", 2.4, 0.85, 0.45, 0.3, -1.0)
    add("rv_steps_mismatch", "GPU_RV", 2.4, 0.85, 0.45, 0.3, 0.1, None, None, col([1.0, 2.0]),
        col([0.1]))
    add("book_sample", "GPU_BOOK_VALUE", 30000.0, 3.0, 6.0)
    add("book_salvage", "GPU_BOOK_VALUE", 30000.0, 2.5, 6.0, 900.0)
    add("book_written_off", "GPU_BOOK_VALUE", 30000.0, 9.0, 6.0, 900.0)
    add("book_bad_life", "GPU_BOOK_VALUE", 30000.0, 3.0, 0.0)
    add("book_salvage_above", "GPU_BOOK_VALUE", 30000.0, 3.0, 6.0, 40000.0)
    add("curve_sample", "GPU_RV_CURVE", 30000.0, 2.4, 0.85, 0.45, 0.3, 0.1)
    add("curve_readme", "GPU_RV_CURVE", 30000, 2.35, 0.85, 0.50, 0.30, 0.10, None, None, None,
        1, 900, 7, col([0.17, 1.17]), col([0.19, 0.10]))
    add("curve_neocloud_h100", "GPU_RV_CURVE", 28000.0, 2.0, 0.85, 0.32, 0.20, 0.12, 4.0, 1,
        6.0, 0.0, 1500.0, 7.0, 2.0, 0.10)
    add("curve_neocloud_b200", "GPU_RV_CURVE", 42000.0, 3.4, 0.85, 0.44, 0.20, 0.12, 4.0, 1,
        6.0, 0.0, 1500.0, 7.0, 2.0, 0.10)
    add("curve_miner", "GPU_RV_CURVE", 27000.0, 2.0, 0.85, 0.30, 0.25, 0.14, 5.0, 1, 6.0, 0.5,
        1000.0, 7.0)
    add("curve_quarterly", "GPU_RV_CURVE", 30000.0, 2.4, 0.85, 0.45, 0.3, 0.1, 3.0, 4, 5.0,
        1.0, 500.0, 6.0)
    add("curve_bad_ppy", "GPU_RV_CURVE", 30000.0, 2.4, 0.85, 0.45, 0.3, 0.1, 6.0, 13)
    add("curve_too_many", "GPU_RV_CURVE", 30000.0, 2.4, 0.85, 0.45, 0.3, 0.1, 100.0, 12)
    add("spec_kw", "GPU_SPEC", "H100", "gpu_kw")
    add("spec_date", "GPU_SPEC", "B200", "volume_date")
    add("spec_na", "GPU_SPEC", "A100", "fp8_dense_tflops")
    add("spec_bad_sku", "GPU_SPEC", "H999", "gpu_kw")
    add("skus", "GPU_SKUS")
    add("fit_sample", "RENT_DEFLATION_FIT",
        col(["2025-01-01", "2025-07-01", "2026-01-01", "2026-07-01"]),
        col([2.9, 2.6, 2.45, 2.2]))
    add("fit_serials", "RENT_DEFLATION_FIT", col([45658, 45839, 46023, 46204, 46388]),
        col([3.1, 2.7, 2.5, 2.1, 1.9]))
    add("fit_too_few", "RENT_DEFLATION_FIT", col(["2025-01-01", "2025-07-01"]),
        col([2.9, 2.6]))
    # ---- coverage
    for deal, rows in DEALS.items():
        for fn in DEAL_FUNCS:
            add(f"{fn.lower()}_{deal}", fn, rows)
        add(f"dscr_breakeven_{deal}_covenant", "DSCR_BREAKEVEN", rows, 1.25)
        add(f"rent_breakeven_{deal}_covenant", "RENT_BREAKEVEN", rows, 1.2)
        add(f"util_breakeven_{deal}_covenant", "UTILIZATION_BREAKEVEN", rows, 1.1)
        add(f"debt_capacity_{deal}_15", "DEBT_CAPACITY", rows, 1.5)
    for name, rows in BAD_DEALS.items():
        add(f"dscr_table_{name}", "DSCR_TABLE", rows)
        add(f"dscr_min_{name}", "DSCR_MIN", rows)
    add("dscr_breakeven_bad_target", "DSCR_BREAKEVEN", DEALS["sample"], 0.0)
    add("dscr_min_not_pairs", "DSCR_MIN", [["gpus", 1, 2]])
    add("schedule_sample", "DEBT_SCHEDULE", 100_000_000.0, 0.08, 3.0)
    add("schedule_readme", "DEBT_SCHEDULE", 16000000, 0.11, 4, "annuity", 4, 0.1)
    add("schedule_linear", "DEBT_SCHEDULE", 1000.0, 0.08, 1, "linear", 4)
    add("schedule_bullet", "DEBT_SCHEDULE", 5e6, 0.06, 2, "bullet", 2, 0.3)
    add("schedule_monthly", "DEBT_SCHEDULE", 2.4e6, 0.09, 10, "annuity", 12, 0.25)
    add("schedule_zero_rate", "DEBT_SCHEDULE", 1200.0, 0.0, 3, "annuity", 1, 0.5)
    add("schedule_sculpted", "DEBT_SCHEDULE", 1e6, 0.05, 2, "sculpted")
    add("schedule_bad_ppy", "DEBT_SCHEDULE", 1e6, 0.05, 2, "annuity", 3)
    add("schedule_bad_tenor", "DEBT_SCHEDULE", 1e6, 0.05, 2.1, "annuity", 4)
    add("schedule_bad_balloon", "DEBT_SCHEDULE", 1e6, 0.05, 2, "annuity", 4, 1.5)
    add("schedule_bad_rate", "DEBT_SCHEDULE", 1e6, 1.5, 2)
    # ---- loss
    add("basel_sample", "BASEL_CORR", 0.02)
    add("basel_column", "BASEL_CORR", col(TAPE["pd"]))
    add("basel_sme", "BASEL_CORR", 0.02, "corporate", 20.0)
    add("basel_sme_column", "BASEL_CORR", col([0.01, 0.02]), None, col([3.0, 30.0]))
    for seg in ("mortgage", "qrre", "other_retail"):
        add(f"basel_{seg}", "BASEL_CORR", 0.03, seg)
    add("basel_bad_segment", "BASEL_CORR", 0.02, "sovereign")
    add("basel_bad_pd", "BASEL_CORR", 1.2)
    for fn in ("IRB_K", "IRB_RW"):
        add(f"{fn.lower()}_sample", fn, 0.02, 0.45)
        add(f"{fn.lower()}_full", fn, 0.03, 0.4, 4.0, 0.18, 1.06)
        add(f"{fn.lower()}_tape", fn, col(TAPE["pd"]), col(TAPE["lgd"]), col(TAPE["maturity"]))
        add(f"{fn.lower()}_bad_scaling", fn, 0.02, 0.45, None, None, 1.03)
        add(f"{fn.lower()}_bad_maturity", fn, 0.02, 0.45, 7.0)
    add("vasicek_sample", "VASICEK_PD", 0.02)
    add("vasicek_full", "VASICEK_PD", 0.02, 0.15, 0.99)
    add("vasicek_tape", "VASICEK_PD", col(TAPE["pd"]), col([0.12, 0.2, 0.15, 0.1, 0.22, 0.18]))
    add("fj_sample", "FRYE_JACOBS_LGD", 0.1, 0.02, 0.4, 0.2)
    add("fj_column", "FRYE_JACOBS_LGD", col([0.05, 0.1, 0.2]), 0.02, 0.4, 0.15)
    add("fj_bad_rho", "FRYE_JACOBS_LGD", 0.1, 0.02, 0.4, 1.0)
    for fn in ("LGD_CORR", "LGD_DOWNTURN", "LGD_CAPITAL"):
        low = fn.lower()
        add(f"{low}_sample", fn, 0.02, 0.8, 0.5, 1.0, 0.5)
        add(f"{low}_full", fn, 0.03, 1.1, 0.45, 1.5, 0.6, 0.2, 0.1,
            *([0.995] if fn != "LGD_CORR" else []))
        add(f"{low}_tape", fn, col(TAPE["pd"]), col(TAPE["coverage"]),
            col(TAPE["collateral_vol"]), 1.0, col(TAPE["rho_collateral"]))
        add(f"{low}_no_collateral", fn, 0.02, 0.0, 0.5, 1.0, 0.5)
        add(f"{low}_deterministic", fn, 0.02, 0.8, 0.0, 1.0, 0.5)
        add(f"{low}_bad_horizon", fn, 0.02, 0.8, 0.5, 0.0, 0.5)
        add(f"{low}_bad_rho", fn, 0.02, 0.8, 0.5, 1.0, 1.5)
    for name, rows in LGD_BLOCKS.items():
        add(f"lgd_mc_{name}", "LGD_MC", rows)
    add("haircut_sample", "FIRESALE_HAIRCUT", 1000.0, 200.0, 0.4)
    add("haircut_readme", "FIRESALE_HAIRCUT", 10000, 500, 0.5, 30, None, 1500, 20000)
    add("haircut_neocloud", "FIRESALE_HAIRCUT", 2048, 300.0, 0.45, 60.0, 1, 1500.0, 20000.0)
    add("haircut_full", "FIRESALE_HAIRCUT", 5000, 400, 0.6, 45, 0.8, 1000, 25000, 0.975, 0.2)
    add("haircut_missing_value", "FIRESALE_HAIRCUT", 1000.0, 200.0, 0.4, None, None, 100.0)
    add("haircut_bad_deflation", "FIRESALE_HAIRCUT", 1000.0, 200.0, 0.4, None, None, None,
        None, None, 1.5)
    add("el_sample", "EXPECTED_LOSS", 0.02, 0.45, 1000000.0)
    add("el_tape", "EXPECTED_LOSS", col(TAPE["pd"]), col(TAPE["lgd"]), col(TAPE["ead"]))
    add("el_bad_ead", "EXPECTED_LOSS", 0.02, 0.45, -1.0)
    add("spread_sample", "FAIR_SPREAD", 0.02, 0.45)
    add("spread_tape", "FAIR_SPREAD", col(TAPE["pd"]), col(TAPE["lgd"]))
    add("tail_sample", "TAIL_DEPENDENCE", 0.2, 4.0)
    add("tail_column", "TAIL_DEPENDENCE", col([-0.5, 0.0, 0.5, 0.9]), 4.0)
    add("tail_bad_nu", "TAIL_DEPENDENCE", 0.2, 0.0)
    add("version", "COMPUTECREDIT_VERSION")
    # ---- market calibration
    add("implied_sample", "GPU_IMPLIED_DEFLATION", 20000.0, 2.4, 0.85, 0.45, 0.1)
    add("implied_full", "GPU_IMPLIED_DEFLATION", 22000.0, 2.35, 0.85, 0.5, 0.1, 900.0, 7.0,
        col([0.17, 1.17]), col([0.19, 0.10]))
    add("implied_tape", "GPU_IMPLIED_DEFLATION", col([20000.0, 100.0, 5e7, 15000.0, 9000.0]),
        col([2.35, 2.35, 2.35, 0.4, 1.2]), 0.85, 0.5, 0.1, 900.0)
    add("implied_above", "GPU_IMPLIED_DEFLATION", 5e7, 2.35, 0.85, 0.5, 0.1)
    add("implied_not_earning", "GPU_IMPLIED_DEFLATION", 20000.0, 0.5, 0.85, 0.5, 0.1)
    add("implied_bad_price", "GPU_IMPLIED_DEFLATION", -1.0, 2.35, 0.85, 0.5, 0.1)
    add("rv_at_sample", "GPU_RV_AT", 2.0, 2.35, 0.85, 0.5, 0.25, 0.1, 900.0, 7.0)
    add("rv_at_tape", "GPU_RV_AT", col([0.0, 1.0, 2.5]), col([2.35, 2.0, 3.1]), 0.85, 0.5,
        0.25, 0.1, 900.0, col([7.0, 3.0, 6.0]), col([0.5]), col([0.2]))
    add("rv_at_bad_t", "GPU_RV_AT", -1.0, 2.35, 0.85, 0.5, 0.25, 0.1)
    add("rv_flexible", "GPU_RV", 2.35, 0.85, 0.5, 0.25, 0.1, 900.0, 7.0, None, None, True, 0.4,
        0.6)
    add("rv_curve_market", "GPU_RV_CURVE", 30000.0, 2.35, 0.85, 0.5, 0.25, 0.1, None, None,
        None, 1.0, 900.0, 7.0, None, None, "H100", "2026-06-30")
    add("evidence_h100_used", "GPU_MARKET_EVIDENCE", "H100", "used sale")
    add("evidence_none", "GPU_MARKET_EVIDENCE", "H200", "used sale")
    add("evidence_bad_basis", "GPU_MARKET_EVIDENCE", "H100", "weekly")
    # ---- deal structure: tenants, waterfall, collateral with contracts, refinancing, pricing
    for cid, name, args in STRUCTURE_CASES:
        add(cid, name, *args)
    # ---- portfolio loss (small path counts: the fixture records the seeded numbers)
    ptape = [["loan_id", "borrower", "tenant", "ead", "pd", "collateral_value", "sku",
              "btc_share", "seniority", "prior_claims"],
             ["F1", "Neo A", "Meta", 60.0, 0.02, 70.0, "H100", 0.0, "senior", 0.0],
             ["F2", "Miner B", "-", 40.0, 0.04, 45.0, "B200", 0.3, "senior", 0.0],
             ["F3", "Neo A", "Meta", 25.0, 0.02, 30.0, "H100: 0.5; B200: 0.5", 0.0,
              "subordinated", 10.0]]
    pset = [["loss_paths", 2000.0], ["loan_paths", 1000.0]]
    add("portfolio_loss", "PORTFOLIO_LOSS", ptape, pset)
    add("portfolio_loss_t", "PORTFOLIO_LOSS", ptape, pset + [["copula", "t"],
                                                            ["common_factors", "off"]])
    add("portfolio_contrib", "PORTFOLIO_CONTRIB", ptape, pset)
    add("portfolio_bad_ead", "PORTFOLIO_LOSS", [ptape[0], ["F1", "A", "-", -1.0, 0.02, 1.0,
                                                          "H100", 0.0, "senior", 0.0]], pset)
    add("portfolio_bad_corr", "PORTFOLIO_CONTRIB", ptape, pset + [["gpu_credit_corr", 0.95],
                                                                  ["btc_credit_corr", 0.95],
                                                                  ["gpu_btc_corr", -0.9]])
    return c


_BARE = dict(SAMPLE_DEAL, contracted_share=None, contract_rate=None, contract_years=None)
TENANT_BLOCK = [["name", "share", "rate", "start", "end", "pd", "rating", "backstop",
                 "renewal_prob", "renewal_share", "wrong_way_corr"],
                ["Anchor", 0.35, 2.40, 0.0, 4.0, 0.0025, "BBB", 1.0, 0.5, 0.9, 0.0],
                ["AI lab", 0.25, 2.70, 0.0, 3.0, 0.05, "B", 0.0, 0.3, 0.85, 0.5]]
WATERFALL = block(_BARE, dsra_months=6, lockup_dscr=1.6, sweep_dscr_levels=1.6,
                  sweep_dscr_shares=0.5, prepay_ltv=0.9, ltv_basis="economic", rent_vol=0.4)
STRUCTURE_CASES = [
    ("dscr_table_tenants_waterfall", "DSCR_TABLE", [WATERFALL, TENANT_BLOCK]),
    ("dscr_min_tenants", "DSCR_MIN", [block(_BARE), TENANT_BLOCK]),
    ("dscr_breakeven_sweep", "DSCR_BREAKEVEN", [WATERFALL, 1.8, TENANT_BLOCK]),
    ("tenant_cashflows", "TENANT_CASHFLOWS", [WATERFALL, TENANT_BLOCK]),
    ("tenant_concentration", "TENANT_CONCENTRATION", [WATERFALL, TENANT_BLOCK]),
    ("tenant_concentration_one", "TENANT_CONCENTRATION", [block(SAMPLE_DEAL)]),
    ("tenant_stress", "TENANT_STRESS", [WATERFALL, 1.0, TENANT_BLOCK]),
    ("ltv_table", "LTV_TABLE", [WATERFALL, TENANT_BLOCK]),
    ("refi_risk", "REFI_RISK", [block(_BARE, amortization="bullet"), 0.6, 0.5,
                                TENANT_BLOCK]),
    ("refi_risk_sample", "REFI_RISK", [block(SAMPLE_DEAL)]),
    ("tenants_over_one", "DSCR_MIN", [block(_BARE), [["name", "share", "rate", "end"],
                                                     ["A", 0.7, 2.0, 3.0],
                                                     ["B", 0.4, 2.0, 3.0]]]),
    ("tenants_overlap", "DSCR_MIN", [block(_BARE), [["name", "share", "rate", "start", "end"],
                                                    ["A", 0.5, 2.0, 0.0, 3.0],
                                                    ["A", 0.5, 2.2, 2.5, 5.0]]]),
    ("reserve_without_debt", "DSCR_TABLE", [block(SAMPLE_DEAL, debt=0.0, dsra_months=6)]),
    ("hurdle_sample", "HURDLE_SPREAD", [0.02, 0.45, 0.08]),
    ("hurdle_full", "HURDLE_SPREAD", [0.02, 0.45, 0.08, 0.15, 0.4, 0.005]),
    ("hurdle_tape", "HURDLE_SPREAD", [col(TAPE["pd"]), col(TAPE["lgd"]),
                                      col([0.05, 0.08, 0.11, 0.06, 0.09, 0.12])]),
    ("raroc_sample", "RAROC", [0.02, 0.45, 0.08, 0.065]),
    ("raroc_tape", "RAROC", [col(TAPE["pd"]), col(TAPE["lgd"]),
                             col([0.05, 0.08, 0.11, 0.06, 0.09, 0.12]), 0.06, 0.3, 0.01]),
    ("raroc_no_capital", "RAROC", [0.02, 0.45, 0.0, 0.065]),
]


# metadata listings: documented, not computed; their text changes with the docs
METADATA = {"DEAL_FIELDS", "LGD_FIELDS", "COMPUTECREDIT_FUNCTIONS", "PORTFOLIO_FIELDS"}


def py_cases() -> list[dict[str, Any]]:
    """Main public model functions, called from Python."""
    c: list[dict[str, Any]] = []

    def add(cid, name, *args, post=None, **kwargs):
        case = {"id": cid, "kind": "py", "name": name, "args": list(args), "kwargs": kwargs}
        if post:
            case["post"] = post
        c.append(case)

    r = "pymodel.residual."
    steps = dict(step_years=[0.17, 1.17], step_downs=[0.19, 0.10])
    add("rent_path", r + "rent_path", 2.35, [0.0, 0.5, 1.0, 2.0, 5.0], 0.3, **steps)
    add("rent_path_vector_rent", r + "rent_path", [2.0, 2.5, 3.0], 1.5, [0.2, 0.3, 0.4])
    add("economic_life", r + "economic_life", [2.35, 1.0, 3.0], 0.85, 0.5, 0.3,
        max_life_years=7.0, **steps)
    add("income_value", r + "income_value", [2.35, 2.0], [0.85, 0.7], 0.5, 0.3, 0.1,
        salvage=900.0, max_life_years=7.0, **steps)
    add("income_value_periodic", r + "income_value_periodic", 2.35, 0.85, 0.5, 0.3, 0.1,
        periods_per_year=12, salvage=900.0, max_life_years=7.0, **steps)
    add("income_value_periodic_default", r + "income_value_periodic", 2.35, 0.85, 0.5, 0.3,
        0.1)
    add("income_value_periodic_daily", r + "income_value_periodic", 2.35, 0.85, 0.5, 0.3, 0.1,
        periods_per_year=365)
    add("economic_value_path", r + "economic_value_path", [0.0, 0.25, 0.5, 1.0, 2.0, 4.0],
        2.35, 0.85, 0.5, 0.3, 0.1, salvage=900.0, max_life_years=7.0, **steps)
    add("book_value", r + "book_value", 30000.0, [0.0, 1.0, 3.0, 7.0], 6.0, salvage=900.0)
    add("book_value_kw", r + "book_value", cost=30000.0, age_years=2.0, life_years=5.0)
    add("value_curve", r + "value_curve", 30000.0, 2.35, 0.85, 0.5, 0.3, 0.1,
        horizon_years=6.0, periods_per_year=2, book_life_years=6.0, age_years=1.0,
        salvage=900.0, max_life_years=7.0, **steps)
    add("value_curve_default", r + "value_curve", 30000.0, 2.35, 0.85, 0.5, 0.3, 0.1)
    d = "pymodel.debt."
    add("debt_schedule_kw", d + "debt_schedule", principal=16e6, annual_rate=0.11, years=4.0,
        amortization="annuity", periods_per_year=4, balloon=0.1, post="rows")
    add("debt_schedule_linear", d + "debt_schedule", 1e6, 0.07, 3.0, amortization="linear",
        periods_per_year=12, balloon=0.2, post="rows")
    add("debt_schedule_sculpted", d + "debt_schedule", 1e6, 0.06, 2.0, amortization="sculpted",
        periods_per_year=4, cfads=[2e5, 1.5e5, -1e4, 3e5, 2e5, 2e5, 1e5, 2.5e5], post="rows")
    add("annuity_payment", d + "annuity_payment", 16e6, 0.0275, 16, balloon=1.6e6)
    add("annuity_payment_zero", d + "annuity_payment", 1200.0, 0.0, 12, balloon=0.0)
    add("sculpted_schedule", d + "sculpted_schedule", 1e6, 0.015, [2e5, 1e5, 3e5, 2.5e5],
        balloon=1e5, periods_per_year=4, post="rows")
    add("period_count", d + "period_count", 2.5, 4)
    s = "pymodel.dscr."
    for name in ("sample", "neocloud", "miner", "sample_sculpted"):
        rows = DEALS[name]
        add(f"dscr_table_{name}", s + "dscr_table", rows)
        add(f"plcr_{name}", s + "plcr", rows)
        add(f"coverage_flat_{name}", s + "coverage", rows, flat=True, post="frame")
        add(f"dscr_min_stress_{name}", s + "dscr_min", rows, deflation=0.45, rent0=2.0,
            utilization=0.7)
        add(f"llcr_{name}", s + "llcr", rows)
        add(f"dscr_compare_{name}", s + "dscr_compare", rows)
        add(f"dscr_breakeven_{name}", s + "dscr_breakeven", rows, target=1.15)
        add(f"rent_breakeven_{name}", s + "rent_breakeven", rows, target=1.05)
        add(f"utilization_breakeven_{name}", s + "utilization_breakeven", rows, target=1.0)
        add(f"debt_capacity_{name}", s + "debt_capacity", rows, target_dscr=1.4)
    add("dscr_min_dict", s + "dscr_min", dict(SAMPLE_DEAL))
    add("dscr_min_stress_zero_rent", s + "dscr_min", DEALS["sample"], rent0=0.0)
    add("dscr_min_stress_g1", s + "dscr_min", DEALS["sample"], deflation=1.0)
    i = "pymodel.irb."
    pds = [0.001, 0.01, 0.03, 0.1, 0.3]
    add("basel_corr", i + "basel_corr", pds)
    add("basel_corr_sme", i + "basel_corr", pds, sales_eur_m=[5.0, 10.0, 30.0, 50.0, 80.0])
    add("conditional_pd", i + "conditional_pd", pds)
    add("conditional_pd_corr", i + "conditional_pd", pds, 0.2, quantile=0.99)
    add("irb_capital", i + "irb_capital", pds, 0.45, maturity=[1.0, 2.5, 3.0, 5.0, 4.0])
    add("irb_capital_retail", i + "irb_capital", pds, 0.3, segment="other_retail")
    add("irb_capital_mortgage", i + "irb_capital", 0.02, 0.45, segment="mortgage",
        scaling=1.06, quantile=0.995)
    add("maturity_adjustment", i + "maturity_adjustment", pds, [1.0, 2.0, 2.5, 4.0, 5.0])
    add("irb_risk_weight", i + "irb_risk_weight", pds, 0.45, asset_corr=0.15)
    add("expected_loss", i + "expected_loss", pds, 0.45, 1e6)
    add("fair_spread", i + "fair_spread", pds, [0.2, 0.3, 0.4, 0.5, 0.6])
    add("frye_jacobs", i + "frye_jacobs_lgd", [0.01, 0.05, 0.2], 0.02, 0.4, 0.2)
    g = "pymodel.lgd."
    args = ([0.01, 0.03, 0.08], [0.6, 1.0, 1.4], 0.5, 1.0, [0.3, 0.5, 0.7])
    add("lgd_corr", g + "lgd_corr", *args)
    add("lgd_corr_theta", g + "lgd_corr", *args, asset_corr=0.2, theta=0.3)
    add("lgd_downturn", g + "lgd_downturn", *args, quantile=0.99)
    add("lgd_capital", g + "lgd_capital", *args)
    add("expected_loss_corr", g + "expected_loss_corr", *args, theta=-0.2)
    add("conditional_loss", g + "conditional_loss", -2.0, *args)
    add("tail_dependence", g + "tail_dependence", [-0.5, 0.0, 0.3, 0.9], [2.0, 4.0, 10.0, 30.0])
    add("conditional_correlation", g + "conditional_correlation", 0.5, [0.5, 1.0, 2.0])
    add("conditional_correlation_below", g + "conditional_correlation", 0.5, 1.5,
        region="below")
    add("conditional_correlation_inside", g + "conditional_correlation", 0.5, 1.5,
        region="inside")
    m = "pymodel.lgd_mc."
    add("simulate_lgd_rent", m + "simulate_lgd", LGD_BLOCKS["rent_model"])
    add("simulate_lgd_dict", m + "simulate_lgd", dict(MINER_MC, n_paths=20000))
    h = "pymodel.haircut."
    add("firesale_components", h + "firesale_components", [1000.0, 5000.0], 200.0, 0.4,
        days_to_sell=30.0, impact_coef=0.8, cost_per_unit=500.0, unit_value=20000.0,
        confidence=0.975, deflation=0.25, impact_cap=0.5)
    add("firesale_basel_almgren", h + "firesale_components", 1000.0, 200.0, 0.4,
        vol_method="basel", impact_law="almgren", impact_coef=0.3)
    add("firesale_haircut", h + "firesale_haircut", 1000.0, 200.0, 0.4, deflation=0.1)
    add("holding_period_scale", h + "holding_period_scale", 0.08, 10.0, [20.0, 60.0],
        remargin_days=5.0)
    add("optimal_days_to_sell", h + "optimal_days_to_sell", 5000.0, 100.0, 0.5,
        impact_law="almgren", impact_coef=0.5)
    f = "pymodel.deflation."
    add("deflation_fit", f + "deflation_fit",
        ["2024-01-01", "2024-06-01", "2025-01-01", "2025-06-01", "2026-01-01"],
        [4.0, 3.3, 2.9, 2.5, 1.96])
    cat = "pymodel.catalogue."
    add("parity_step_down", cat + "parity_step_down", 2.60, 5.30, 1979.0, 4500.0)
    add("parity_step_down_premium", cat + "parity_step_down", [2.6, 2.0], 5.3, 1979.0, 4500.0,
        premium=0.2)
    add("catalogue_step_downs", cat + "catalogue_step_downs", "H100", "2026-06-30")
    add("catalogue_step_downs_rent", cat + "catalogue_step_downs", "H100 SXM", "2026-01-01",
        deflation=0.25, premium=0.05, metric="bf16", rent0=2.4, same_vendor=False)
    add("gpu_spec", cat + "gpu_spec", "H200", "ref_rent")
    b = "pymodel.bivariate."
    add("bvn_cdf", b + "bvn_cdf", [-1.0, 0.0, 1.5, 3.0], [0.5, 0.0, -0.2, 2.0],
        [-0.95, 0.5, 0.3, 0.99])
    add("implied_deflation", "pymodel.implied.implied_deflation", [15000.0, 22000.0, 28000.0],
        2.35, 0.85, 0.5, 0.1, salvage=900.0, max_life_years=7.0, **steps)
    add("implied_deflation_table", "pymodel.implied.implied_deflation_table",
        [20000.0, 100.0, 5e7], [2.35, 2.35, 0.3], 0.85, 0.5, 0.1, salvage=900.0)
    add("market_series", "pymodel.market.market_series", "H100", "1-year contract")
    add("sample_report", "pymodel.samples.sample_report")
    add("sample_report_override", "pymodel.samples.sample_report", horizon_years=4.0,
        periods_per_year=2, deflation=0.2)
    return c


def build() -> dict[str, Any]:
    sys.path.insert(0, str(ROOT))
    from tests.regression.codec import encode, run_case  # noqa: F401
    import addin.udfs
    from addin.registry import REGISTRY
    cases = []
    for cid, name, args in udf_cases():
        cases.append({"id": "udf:" + cid, "kind": "udf", "name": name, "args": args})
    covered = {c["name"] for c in cases}
    missing = sorted(set(REGISTRY) - covered - METADATA)
    if missing:
        raise SystemExit(f"no regression case for {missing}")
    for case in py_cases():
        case["id"] = "py:" + case["id"]
        cases.append(case)
    ids = [c["id"] for c in cases]
    if len(ids) != len(set(ids)):
        raise SystemExit("duplicate case ids")
    for case in cases:
        case["out"] = run_case(case)
    import pymodel
    return {"about": "Regression fixture built by tests/regression/build_fixture.py from "
                     f"ComputeCredit {pymodel.__version__}; replayed by test_regression.py.",
            "cases": cases}


def main() -> int:
    data = build()
    text = json.dumps(data, indent=1, sort_keys=False, allow_nan=False)
    FIXTURE.write_text(text + "\n", encoding="utf-8")
    print(f"wrote {FIXTURE} ({len(data['cases'])} cases)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
