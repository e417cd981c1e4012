"""Excel functions of the loss area, called as Excel would (cells, ranges, empty cells)."""

import pytest

import addin.udfs as x
from addin.registry import REGISTRY
from pymodel import irb, lgd, lgd_mc

NAMES = ["BASEL_CORR", "IRB_K", "IRB_RW", "VASICEK_PD", "FRYE_JACOBS_LGD", "LGD_CORR",
         "LGD_DOWNTURN", "LGD_CAPITAL", "LGD_MC", "LGD_FIELDS", "FIRESALE_HAIRCUT",
         "EXPECTED_LOSS", "FAIR_SPREAD", "TAIL_DEPENDENCE"]


def test_every_function_registered_with_the_issue_signature():
    sig = {
        "BASEL_CORR": ["pd", "segment", "sales_eur_m"],
        "IRB_K": ["pd", "lgd", "maturity", "asset_corr", "scaling"],
        "IRB_RW": ["pd", "lgd", "maturity", "asset_corr", "scaling"],
        "VASICEK_PD": ["pd", "asset_corr", "quantile"],
        "FRYE_JACOBS_LGD": ["cdr", "pd", "elgd", "asset_corr"],
        "LGD_CORR": ["pd", "coverage", "collateral_vol", "horizon_years", "rho_collateral",
                     "asset_corr", "theta"],
        "LGD_DOWNTURN": ["pd", "coverage", "collateral_vol", "horizon_years", "rho_collateral",
                         "asset_corr", "theta", "quantile"],
        "LGD_CAPITAL": ["pd", "coverage", "collateral_vol", "horizon_years", "rho_collateral",
                        "asset_corr", "theta", "quantile"],
        "LGD_MC": ["lgd_inputs"], "LGD_FIELDS": [],
        "FIRESALE_HAIRCUT": ["units", "daily_volume", "annual_vol", "days_to_sell",
                             "impact_coef", "cost_per_unit", "unit_value", "confidence",
                             "value_decline"],
        "EXPECTED_LOSS": ["pd", "lgd", "ead"], "FAIR_SPREAD": ["pd", "lgd"],
        "TAIL_DEPENDENCE": ["pair_corr", "nu"],
    }
    for name in NAMES:
        spec = REGISTRY[name]
        assert spec.module == "addin.lgd"
        assert [a.name for a in spec.args] == sig[name]
    assert REGISTRY["LGD_CORR"].args[3].doc != REGISTRY["LGD_CORR"].args[0].doc
    assert "workout horizon" in REGISTRY["LGD_CORR"].args[3].doc


def test_oracles_through_excel():
    # Basel II Annex 5 (PD 0.01, corporate 92.32%) and SAMA Basel III (PD 0.001, LGD 0.40, 26.36%)
    assert 100 * x.IRB_RW(0.01, 0.45) == pytest.approx(92.32, abs=0.01)
    assert 100 * x.IRB_RW(0.001, 0.40, None, None, None) == pytest.approx(26.36, abs=0.01)
    assert 100 * x.IRB_RW(0.01, 0.45, 2.5, x.BASEL_CORR(0.01, None, 5.0)) == pytest.approx(
        72.40, abs=0.01)
    assert x.IRB_RW(0.01, 0.45, None, None, 1.06) == pytest.approx(1.06 * x.IRB_RW(0.01, 0.45))
    # retail through Excel: maturity 1 makes the maturity adjustment exactly 1 (Annex 5 rows)
    assert 100 * x.IRB_RW(0.01, 0.45, 1, x.BASEL_CORR(0.01, "mortgage")) == pytest.approx(
        56.40, abs=0.01)
    assert 100 * x.IRB_RW(0.0003, 0.85, 1, x.BASEL_CORR(0.0003, "qrre")) == pytest.approx(
        1.85, abs=0.01)
    assert 100 * x.IRB_RW(0.01, 0.85, 1, x.BASEL_CORR(0.01, "other_retail")) == pytest.approx(
        86.46, abs=0.01)
    assert x.FRYE_JACOBS_LGD(0.05, 0.08, 0.40, 0.20) == pytest.approx(0.3197, abs=5e-5)
    assert x.TAIL_DEPENDENCE(0.5, 4) == pytest.approx(0.25, abs=0.005)


def test_empty_asset_corr_is_basel_corporate():
    r = irb.basel_corr(0.02)
    assert x.VASICEK_PD(0.02, None) == pytest.approx(irb.conditional_pd(0.02, r))
    assert x.VASICEK_PD(0.02, [[None]]) == x.VASICEK_PD(0.02)
    assert x.IRB_K(0.02, 0.4, None, "") == x.IRB_K(0.02, 0.4, 2.5, r)
    assert x.LGD_CORR(0.02, 1.2, 0.4, 1, 0.5, None) == pytest.approx(
        lgd.lgd_corr(0.02, 1.2, 0.4, 1, 0.5, asset_corr=r))
    assert x.BASEL_CORR(0.02, "mortgage") == 0.15


def test_loan_tape_columns_spill_columns():
    pds = [[0.01], [0.02], [0.05]]
    lgds = [[0.45], [0.30], [0.60]]
    out = x.IRB_K(pds, lgds)
    assert len(out) == 3 and all(len(r) == 1 for r in out)
    assert out[1][0] == pytest.approx(x.IRB_K(0.02, 0.30))
    el = x.EXPECTED_LOSS(pds, lgds, [[100.0], [200.0], [50.0]])
    assert [r[0] for r in el] == pytest.approx([0.45, 1.2, 1.5])
    sp = x.FAIR_SPREAD(pds, 0.4)
    assert sp[2][0] == pytest.approx(irb.fair_spread(0.05, 0.4))
    lg = x.LGD_CORR(pds, [[0.8], [1.2], [1.5]], 0.4, 1.0, 0.5)
    assert lg[0][0] == pytest.approx(x.LGD_CORR(0.01, 0.8, 0.4, 1.0, 0.5))
    assert len(x.LGD_DOWNTURN(pds, 1.2, 0.4, 1.0, 0.5)) == 3
    assert len(x.LGD_CAPITAL(pds, 1.2, 0.4, 1.0, 0.5)) == 3
    assert len(x.BASEL_CORR(pds)) == 3 and len(x.VASICEK_PD(pds)) == 3


#: The facts an LGD_MC block must give.
FACTS = [["ead", 100.0], ["pd", 0.03], ["gpu_value", 60.0]]


def test_lgd_mc_table_and_determinism():
    block = [[k, v] for k, v in lgd_mc.sample_inputs("miner")] + [["n_paths", 20000.0],
                                                                  [None, None]]
    out = x.LGD_MC(block)
    assert out[0][0] == "expected_lgd" and isinstance(out[0][1], float)
    assert [r[0] for r in out] == list(lgd_mc.OUTPUTS)
    assert x.LGD_MC(block) == out
    fields = x.LGD_FIELDS()
    assert fields[0] == ["field", "default", "unit", "description", "source"]
    assert fields[1][0] == "ead" and fields[1][1] == "required"


def test_firesale_haircut_table():
    out = x.FIRESALE_HAIRCUT(10000, 500, 0.5, 30, None, 1500, 20000)
    assert [r[0] for r in out] == ["total", "expected", "drift", "volatility", "impact", "cost"]
    assert out[5][1] == pytest.approx(0.075)
    assert 0 < out[0][1] < 1
    h = {k: v for k, v in out}
    # the expected haircut leaves out the volatility (value-at-risk) term
    assert 1 - h["expected"] == pytest.approx((1 - h["drift"]) * (1 - h["impact"])
                                              * (1 - h["cost"]))
    assert 1 - h["total"] == pytest.approx((1 - h["expected"]) * (1 - h["volatility"]))
    assert h["expected"] < h["total"]


@pytest.mark.parametrize("call, text", [
    (lambda: x.IRB_K(1.5, 0.45), "#NUM! pd must be in (0, 1); got 1.5"),
    (lambda: x.IRB_K(0.01, 0.45, None, None, 1.2),
     "#NUM! scaling must be 1 (Basel III) or 1.06 (Basel II); got 1.2"),
    (lambda: x.IRB_RW(0.01, 0.45, 10), "#NUM! maturity must be in [1, 5]; got 10"),
    (lambda: x.IRB_K("abc", 0.45), "#VALUE! pd must be a number; got text 'abc'"),
    (lambda: x.IRB_K(None, 0.45), "#VALUE! pd is required; got an empty cell"),
    (lambda: x.IRB_K([[0.01], [0.02]], [[0.4], [0.3], [0.2]]),
     "#VALUE! lgd must have the same length as pd (2); got 3"),
    (lambda: x.IRB_K([[0.01], ["x"]], 0.4)[1][0], "#VALUE! pd[2] must be a number; got text 'x'"),
    (lambda: x.BASEL_CORR(0.01, "bank"),
     "#VALUE! segment must be one of corporate | mortgage | qrre | other_retail; got text 'bank'"),
    (lambda: x.BASEL_CORR(0.01, None, -3), "#NUM! sales_eur_m must be > 0; got -3"),
    (lambda: x.VASICEK_PD(0.01, 1.0), "#NUM! asset_corr must be in [0, 1); got 1"),
    (lambda: x.FRYE_JACOBS_LGD(0.05, 0.08, 0.4, 1), "#NUM! asset_corr must be in [0, 1); got 1"),
    (lambda: x.LGD_CORR(0.02, -1, 0.4, 1, 0.5), "#NUM! coverage must be >= 0; got -1"),
    (lambda: x.LGD_CORR(0.02, 1, 0.4, 1, None), "#VALUE! rho_collateral is required; got an "
                                                 "empty cell"),
    (lambda: x.LGD_DOWNTURN(0.02, 1, 0.4, 1, 0.5, None, None, 1.5),
     "#NUM! quantile must be in (0, 1); got 1.5"),
    (lambda: x.LGD_CAPITAL(0.02, 1, 0.4, "#N/A", 0.5),
     "#VALUE! horizon_years refers to an error cell (#N/A)"),
    (lambda: x.LGD_MC([["gpu_vale", 1.0]]),
     "#VALUE! lgd_inputs: unknown field 'gpu_vale'; did you mean 'gpu_value'?"),
    (lambda: x.LGD_MC([["gpu_value", 1.0, 2.0]]),
     "#VALUE! lgd_inputs must be a two-column range of field name and value; got 3 column(s)"),
    (lambda: x.LGD_MC([["n_paths", 1e7]]), "#NUM! n_paths must be in [1000, 250000]; got 10000000"),
    (lambda: x.LGD_MC(FACTS + [["btc_value", 10.0], ["gpu_corr_calm", 0.95],
                               ["btc_corr_calm", 0.95], ["gpu_btc_corr_calm", 0.0]]),
     "#NUM! lgd_inputs must be a positive definite calm correlation matrix of the systematic factor "
     "and the collateral; got gpu_corr_calm 0.95, btc_corr_calm 0.95, gpu_btc_corr_calm 0 "
     "(not positive definite)"),
    (lambda: x.LGD_MC([["pd", "#DIV/0!"]]),
     "#VALUE! lgd_inputs.pd refers to an error cell (#DIV/0!)"),
    (lambda: x.LGD_MC([["pd", 0.03], ["gpu_value", 60.0]]),
     "#VALUE! lgd_inputs: 'ead' is required (currency)"),
    (lambda: x.FIRESALE_HAIRCUT(0, 500, 0.5), "#NUM! units must be > 0; got 0"),
    (lambda: x.FIRESALE_HAIRCUT(10, 500, 0.5, None, None, 100),
     "#VALUE! unit_value (needed when cost_per_unit > 0) is required; got an empty cell"),
    (lambda: x.FIRESALE_HAIRCUT(10, 500, 0.5, None, None, None, None, 1),
     "#NUM! confidence must be in (0, 1); got 1"),
    (lambda: x.EXPECTED_LOSS(0.01, 0.4, -5), "#NUM! ead must be >= 0; got -5"),
    (lambda: x.FAIR_SPREAD(0.01, True), "#VALUE! lgd must be a number; got TRUE"),
    (lambda: x.TAIL_DEPENDENCE(0.5, 0), "#NUM! nu must be > 0; got 0"),
])
def test_error_cells(call, text):
    assert call() == text
