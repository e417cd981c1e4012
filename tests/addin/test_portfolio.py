"""PORTFOLIO_LOSS / PORTFOLIO_CONTRIB / PORTFOLIO_FIELDS called as Excel would."""

import pytest

import addin.udfs as x
from addin.registry import REGISTRY
from pymodel import portfolio

TAPE = [["Loan ID", "Borrower", "EAD", "PD", "Collateral value", "SKU", "BTC share"],
        ["F1", "Neo A", 60.0, 0.02, 70.0, "H100", 0.0],
        ["F2", "Miner B", 40.0, 0.04, 45.0, "B200", 0.3],
        ["F3", "Neo A", 25.0, 0.02, 20.0, "H100: 0.5; B200: 0.5", None],
        [None, None, None, None, None, None, None]]      # a range selected one row too long
SETTINGS = [["loss_paths", 5000.0], ["loan_paths", 2000.0], [None, None]]


def test_registered_in_the_loss_category():
    for name, args in (("PORTFOLIO_LOSS", ["tape", "settings"]),
                       ("PORTFOLIO_CONTRIB", ["tape", "settings"]), ("PORTFOLIO_FIELDS", [])):
        spec = REGISTRY[name]
        assert spec.module == "addin.portfolio"
        assert [a.name for a in spec.args] == args
    assert REGISTRY["PORTFOLIO_LOSS"].args[1].optional


def test_loss_block_is_the_model_summary():
    out = x.PORTFOLIO_LOSS(TAPE, SETTINGS)
    assert [r[0] for r in out] == list(portfolio.OUTPUTS)
    ref = portfolio.simulate_portfolio(TAPE, [("loss_paths", 5000), ("loan_paths", 2000)])
    assert dict(out) == pytest.approx(ref.summary)
    assert dict(out)["n_loans"] == 3 and dict(out)["n_borrowers"] == 2
    assert x.PORTFOLIO_LOSS(TAPE, SETTINGS) == out          # seeded: recalculation repeats


def test_contrib_spills_one_row_per_loan_adding_up_to_es():
    out = x.PORTFOLIO_CONTRIB(TAPE, SETTINGS)
    assert out[0] == list(portfolio.CONTRIB_COLUMNS)
    assert [r[0] for r in out[1:]] == ["F1", "F2", "F3"]
    es = dict(x.PORTFOLIO_LOSS(TAPE, SETTINGS))["expected_shortfall"]
    col = out[0].index("es_contribution")
    assert sum(r[col] for r in out[1:]) == pytest.approx(es, rel=1e-12)


def test_empty_settings_cell_means_defaults():
    a = x.PORTFOLIO_LOSS(TAPE[:3], None)
    b = x.PORTFOLIO_LOSS(TAPE[:3], [[None]])
    assert a == b and dict(a)["loss_paths"] == 20_000


@pytest.mark.parametrize("tape, settings, text", [
    ([r[:3] + r[4:] for r in TAPE], SETTINGS, "#VALUE! tape has no column pd"),
    ([TAPE[0], ["F1", "A", -5.0, 0.02, 1.0, "H100", 0.0]], SETTINGS,
     "#NUM! tape row 1 (loan 'F1'), column ead must be >= 0; got -5"),
    ([TAPE[0], ["F1", "A", 5.0, "#N/A", 1.0, "H100", 0.0]], SETTINGS,
     "#VALUE! tape row 1 (loan 'F1'), column pd refers to an error cell (#N/A)"),
    (TAPE, [["gpu_credit_corr", 0.95], ["btc_credit_corr", 0.95], ["gpu_btc_corr", -0.9]],
     "#NUM! settings must be correlations that form a positive semi-definite matrix"),
    (TAPE, [["copula", "clayton"]], "#VALUE! copula must be one of gaussian | t"),
    (None, None, "#VALUE! tape must be a range with a header row"),
])
def test_bad_input_is_a_clean_message(tape, settings, text):
    out = x.PORTFOLIO_LOSS(tape, settings)
    assert isinstance(out, str) and out.startswith(text), out
    assert x.PORTFOLIO_CONTRIB(tape, settings) == out


def test_fields_lists_columns_and_settings():
    out = x.PORTFOLIO_FIELDS()
    names = [r[1] for r in out[1:]]
    assert {"ead", "pd", "collateral_value", "copula", "loss_paths", "seed"} <= set(names)
    assert [r[2] for r in out[1:] if r[1] == "ead"] == ["required"]
