"""Excel layer of the deal-structure functions: tenant block ranges, waterfall tables,
refinancing risk, pricing against capital; shapes, defaults and exact error texts."""

import math

import pytest

import addin.udfs as udfs
from addin.registry import REGISTRY
from pymodel import dscr, pricing

TENANTS = [["name", "share", "rate", "start", "end", "pd", "rating", "backstop", None],
           ["Hyperscaler", 0.35, 2.40, 0.0, 4.0, 0.002, "AA-", None, None],
           ["AI lab", 0.25, 2.70, 0.0, 3.0, 0.06, "B", 0.8, "Google backstop"],
           [None, None, None, None, None, None, None, None, None]]


def block(**changes):
    d = dict(dscr.sample_deal(), contracted_share=None, contract_rate=None,
             contract_years=None, **changes)
    return [[k, v] for k, v in d.items()]


def _cells_ok(table):
    for row in table:
        for v in row:
            assert isinstance(v, (float, str)), v
            if isinstance(v, float):
                assert math.isfinite(v)


def test_signatures_and_defaults():
    args = {n: [a.name for a in REGISTRY[n].args] for n in (
        "TENANT_CASHFLOWS", "TENANT_CONCENTRATION", "TENANT_STRESS", "LTV_TABLE", "REFI_RISK",
        "HURDLE_SPREAD", "RAROC")}
    assert args["REFI_RISK"] == ["deal_inputs", "max_ltv", "rent_vol", "tenants"]
    assert args["TENANT_STRESS"] == ["deal_inputs", "tenant_default_year", "tenants"]
    assert args["HURDLE_SPREAD"] == ["pd", "lgd", "capital", "hurdle", "cost_ratio",
                                     "funding_spread"]
    assert args["RAROC"] == ["pd", "lgd", "capital", "margin", "cost_ratio", "funding_spread"]
    assert REGISTRY["HURDLE_SPREAD"].args[3].default == 0.12
    assert REGISTRY["REFI_RISK"].args[1].default == 0.70
    assert REGISTRY["DSCR_TABLE"].args[1].kind == "matrix"
    assert REGISTRY["DSCR_TABLE"].args[1].optional


def test_dscr_table_with_tenants_reserve_and_sweep_spills_every_line():
    b = block(dsra_months=6, lockup_dscr=1.3, sweep_dscr_levels=1.3, sweep_dscr_shares=0.5,
              debt_years=4, payments_per_year=12)
    t = udfs.DSCR_TABLE(b, TENANTS)
    assert t[0] == list(dscr.TABLE_COLUMNS) + list(dscr.WATERFALL_COLUMNS)
    assert len(t) == 1 + 48 + 1 and t[-1][0] == "maturity"
    for row in t[1:-1]:
        r = dict(zip(t[0], row))
        assert r["dscr"] == pytest.approx(r["cfads"] / r["debt_service"])
    assert isinstance(udfs.DSCR_MIN(b, TENANTS), float)
    assert isinstance(udfs.DSCR_BREAKEVEN(b, 1.0, TENANTS), float)


def test_tenant_views():
    b = block()
    cf = udfs.TENANT_CASHFLOWS(b, TENANTS)
    assert cf[0] == ["period", "year", "Hyperscaler", "AI lab", "spot", "revenue"]
    _cells_ok(cf)
    conc = dict(udfs.TENANT_CONCENTRATION(b, TENANTS))
    assert conc["largest_tenant"] == "Hyperscaler" and 0 < conc["herfindahl"] <= 1
    st = udfs.TENANT_STRESS(b, 1, TENANTS)
    assert [r[0] for r in st[1:]] == ["expected", "Hyperscaler", "AI lab", "all tenants"]
    assert st[1][2] == ""  # no investment-grade flag for the expected case
    ltv = udfs.LTV_TABLE(b, TENANTS)
    assert ltv[0] == list(dscr.LTV_COLUMNS) and ltv[-1][0] == "maturity"
    refi = udfs.REFI_RISK(b, None, None, TENANTS)
    assert refi[0][0] == "refinance_probability" and 0 <= refi[0][1] <= 1
    assert refi[1][0] == "expected_shortfall_if_not"
    assert dict(refi)["max_ltv"] == 0.7
    assert dict(udfs.REFI_RISK(b, 0.5, 0.3, TENANTS))["rent_vol"] == 0.3


@pytest.mark.parametrize("call, text", [
    (lambda: udfs.DSCR_MIN(block(), [["name", "share", "rate", "end"], ["A", 0.7, 2, 3],
                                     ["B", 0.4, 2, 3]]),
     "#NUM! tenants: share must be <= 1 in total for the contracts running at one time (at "
     "year 0: A 0.7 + B 0.4); got 1.1"),
    (lambda: udfs.DSCR_MIN(block(), [["name", "share", "rate", "start", "end"],
                                     ["A", 0.5, 2, 0, 3], ["A", 0.5, 2.2, 2.5, 5]]),
     "#NUM! tenants row 2 (A): start must be >= 3, the end of the same tenant's contract in "
     "tenants row 1 (rows of one tenant are successive contracts on the same capacity: they "
     "must not overlap); got 2.5"),
    (lambda: udfs.DSCR_TABLE(block(debt=0.0, dsra_months=6)),
     "#NUM! dsra_months must be 0 when the deal has no debt (a reserve target is months of "
     "debt service); got 6"),
    (lambda: udfs.DSCR_MIN(block(), [["name", "share", "rate"], ["A", 0.5, 2]]),
     "#VALUE! tenants: column 'end' is required (the header row must name it)"),
    (lambda: udfs.DSCR_MIN([[k, v] for k, v in dscr.sample_deal().items()], TENANTS),
     "#VALUE! deal_inputs: contracted_share must be empty when the tenants block gives the "
     "contracts; got 0.5"),
    (lambda: udfs.RAROC(0.02, 0.45, 0, 0.05),
     "#NUM! capital must be > 0 (RAROC divides by the capital); got 0"),
    (lambda: udfs.REFI_RISK(block(), 0),
     "#NUM! max_ltv must be > 0; got 0"),
])
def test_bad_input_is_a_clean_message(call, text):
    assert call() == text


def test_pricing_columns():
    out = udfs.HURDLE_SPREAD([[0.01], [0.03]], 0.45, [[0.06], [0.09]])
    assert out == [[pytest.approx(pricing.hurdle_spread(0.01, 0.45, 0.06))],
                   [pytest.approx(pricing.hurdle_spread(0.03, 0.45, 0.09))]]
    assert udfs.RAROC(0.02, 0.45, 0.08, 0.065) == pytest.approx(
        pricing.raroc(0.02, 0.45, 0.08, 0.065))
    assert udfs.HURDLE_SPREAD(0.02, 0.45, 0.08, None, None, None) == pytest.approx(
        pricing.hurdle_spread(0.02, 0.45, 0.08))


def test_deal_fields_lists_the_tenant_columns():
    t = udfs.DEAL_FIELDS()
    names = [r[0] for r in t]
    for f in ("dsra_months", "lockup_dscr", "sweep_share", "prepay_ltv", "ltv_basis",
              "rent_vol", "default_tenants", "tenants: share", "tenants: backstop"):
        assert f in names
    row = dict((r[0], r) for r in t)["dsra_months"]
    assert row[2] == "months of debt service" and "6.1" in row[4]
