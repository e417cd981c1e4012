"""Excel layer of the coverage functions: shapes, defaults and exact cell texts."""

import math

import numpy as np
import numpy_financial as npf
import pytest

import addin.udfs as udfs
from addin.registry import REGISTRY
from pymodel import dscr

NAMES = ["DSCR_TABLE", "DSCR_MIN", "LLCR", "DSCR_BREAKEVEN", "RENT_BREAKEVEN",
         "UTILIZATION_BREAKEVEN", "DSCR_COMPARE", "DEBT_CAPACITY", "DEBT_SCHEDULE",
         "DEAL_FIELDS"]


def block(**changes):
    """The sample deal as Excel sends a two-column range (list of rows)."""
    d = dict(dscr.sample_deal(), **changes)
    return [[k, v] for k, v in d.items() if v is not None]


def test_every_function_is_registered_with_the_issue_signature():
    for name in NAMES:
        assert name in REGISTRY, name
        assert REGISTRY[name].category == "ComputeCredit Coverage"
    args = {n: [a.name for a in REGISTRY[n].args] for n in NAMES}
    # the tenant block is an optional last argument of every deal function
    assert args["DSCR_BREAKEVEN"] == ["deal_inputs", "target", "tenants"]
    assert args["RENT_BREAKEVEN"] == ["deal_inputs", "target", "tenants"]
    assert args["UTILIZATION_BREAKEVEN"] == ["deal_inputs", "target", "tenants"]
    assert args["DEBT_CAPACITY"] == ["deal_inputs", "target_dscr", "tenants"]
    assert args["DEBT_SCHEDULE"] == ["debt", "debt_rate", "debt_years", "amortization",
                                     "payments_per_year", "balloon_share"]
    assert args["DEAL_FIELDS"] == []
    for n in ("DSCR_TABLE", "DSCR_MIN", "LLCR", "DSCR_COMPARE"):
        assert args[n] == ["deal_inputs", "tenants"]
    assert REGISTRY["DEBT_SCHEDULE"].args[3].default == "annuity"
    assert REGISTRY["DEBT_SCHEDULE"].args[4].default == 4
    assert REGISTRY["DEBT_SCHEDULE"].args[5].default == 0.0
    assert REGISTRY["DSCR_BREAKEVEN"].args[1].default == 1.0
    assert REGISTRY["DEBT_CAPACITY"].args[1].default == 1.3


def test_dscr_table_spills_header_periods_and_maturity_row():
    t = udfs.DSCR_TABLE(block())
    assert t[0] == list(dscr.TABLE_COLUMNS)
    deal = dscr.parse_deal(dscr.sample_deal())
    assert len(t) == 1 + deal.n + 1
    assert [r[0] for r in t[1:-1]] == [float(p) for p in range(1, deal.n + 1)]
    assert t[-1][0] == "maturity"
    # every cell is a plain float or text, never NaN/inf/None
    for row in t:
        for v in row:
            assert isinstance(v, (float, str))
            if isinstance(v, float):
                assert math.isfinite(v)
    first = dict(zip(t[0], t[1]))
    assert first["spot_rent"] == pytest.approx(2.35)
    assert first["dscr"] == pytest.approx(first["cfads"] / first["debt_service"])
    assert t[-1][t[0].index("closing_balance")] == pytest.approx(0.10 * 16e6)


def test_scalars_match_the_model():
    d = dscr.sample_deal()
    assert udfs.DSCR_MIN(block()) == pytest.approx(dscr.dscr_min(d), rel=1e-15)
    assert udfs.LLCR(block()) == pytest.approx(dscr.llcr(d), rel=1e-15)
    g = udfs.DSCR_BREAKEVEN(block())
    assert isinstance(g, float) and -0.5 < g < 1
    assert udfs.DSCR_BREAKEVEN(block(), None) == g           # empty cell -> target 1
    assert udfs.DSCR_BREAKEVEN(block(), 1.25) < g             # a covenant binds earlier
    assert udfs.DSCR_MIN(block(deflation=g)) == pytest.approx(1.0, abs=1e-9)
    r = udfs.RENT_BREAKEVEN(block())
    assert udfs.DSCR_MIN(block(rent0=r)) == pytest.approx(1.0, abs=1e-9)
    u = udfs.UTILIZATION_BREAKEVEN(block(), 1.2)
    assert udfs.DSCR_MIN(block(utilization=u)) == pytest.approx(1.2, abs=1e-9)
    cap = udfs.DEBT_CAPACITY(block())
    assert cap == pytest.approx(dscr.debt_capacity(d, target_dscr=1.3), rel=1e-15)
    assert udfs.DEBT_CAPACITY(block(), 1.5) < cap


def test_dscr_compare_spills():
    t = udfs.DSCR_COMPARE(block())
    assert t[0] == list(dscr.COMPARE_COLUMNS)
    assert len(t) == 1 + dscr.parse_deal(dscr.sample_deal()).n
    h = t[0]
    # same loan, flat rents: the flat DSCR is never below the deflated one
    assert all(r[h.index("dscr_flat")] >= r[h.index("dscr_deflated")] - 1e-12 for r in t[1:])


def test_debt_schedule_matches_numpy_financial():
    t = udfs.DEBT_SCHEDULE(1_000_000, 0.08, 5, None, 12, 0.2)
    h = t[0]
    assert h == ["period", "year", "opening_balance", "interest", "principal", "debt_service",
                 "closing_balance"]
    assert len(t) == 61
    pay = npf.pmt(0.08 / 12, 60, -1_000_000, 200_000)
    assert all(r[h.index("debt_service")] == pytest.approx(pay, rel=1e-12) for r in t[1:])
    assert t[-1][h.index("closing_balance")] == pytest.approx(200_000)
    q = udfs.DEBT_SCHEDULE(1000, 0.08, 1)           # quarterly annuity by default
    assert len(q) == 5 and q[1][3] == pytest.approx(20.0)
    lin = udfs.DEBT_SCHEDULE(1000, 0.08, 1, "Linear", 4)
    assert [r[4] for r in lin[1:]] == [250.0] * 4


def test_deal_fields_lists_every_field():
    t = udfs.DEAL_FIELDS()
    assert t[0] == ["field", "default", "unit", "description", "source"]
    assert [r[0] for r in t[1:len(dscr.DEAL_FIELDS.names()) + 1]] == dscr.DEAL_FIELDS.names()
    for name in ["gpus", "rent0", "deflation", "utilization", "contracted_share",
                 "contract_rate", "contract_years", "cash_cost", "tax_rate", "tenant_pd",
                 "tenant_default_year", "step_years", "step_downs", "debt", "debt_rate",
                 "debt_years", "amortization", "balloon_share", "payments_per_year", "gpu_cost",
                 "age_years", "book_life_years", "physical_life_years", "salvage",
                 "discount_rate"]:
        assert name in dscr.DEAL_FIELDS.names()
    assert all(isinstance(v, (float, str)) for r in t for v in r)


@pytest.mark.parametrize("fn, args, text", [
    ("DSCR_MIN", ([["gpu", 1024]],),
     "#VALUE! deal_inputs: unknown field 'gpu'; did you mean 'gpus'?"),
    ("DSCR_TABLE", ([["amortization", "balloon"]],),
     "#VALUE! amortization must be one of annuity | linear | bullet | sculpted; "
     "got text 'balloon'"),
    ("LLCR", ([["payments_per_year", 3]],),
     "#NUM! payments_per_year must be one of 1 | 2 | 4 | 12; got 3"),
    ("DSCR_MIN", (block(debt_years=2.3),),
     "#NUM! debt_years must be a positive multiple of 1/payments_per_year (0.25 years); "
     "got 2.3"),
    ("DSCR_MIN", ([["deflation", 1.2]],), "#NUM! deflation must be in (-1, 1); got 1.2"),
    ("DSCR_MIN", ([["rent0", "abc"]],), "#VALUE! rent0 must be a number; got text 'abc'"),
    ("DSCR_MIN", (block(step_years="1; 2", step_downs="0.1"),),
     "#VALUE! step_downs must have the same length as step_years (2); got 1"),
    ("DSCR_MIN", ([["step_downs", "0.1; 1"], ["step_years", "1; 2"]],),
     "#NUM! step_downs[2] must be in [0, 1); got 1"),
    ("DSCR_MIN", ([["gpus", 1], ["gpus", 2]],),
     "#VALUE! deal_inputs: field 'gpus' appears more than once"),
    ("DSCR_MIN", ([["rent0", "#N/A"]],),
     "#VALUE! deal_inputs.rent0 refers to an error cell (#N/A)"),
    ("DSCR_MIN", ([["rent0", 2.4, 3]],),
     "#VALUE! deal_inputs must be a two-column range of field name and value; got 3 column(s)"),
    ("DSCR_MIN", (block(debt=0),),
     "#N/A DSCR: no debt service in any period (no debt, or interest only at a rate of 0)"),
    ("LLCR", (block(debt=0),), "#N/A LLCR: no debt outstanding at close (debt is 0)"),
    ("DSCR_MIN", (block(salvage=40000),),
     "#NUM! salvage must be <= gpu_cost (30000); got 40000"),
    ("DSCR_BREAKEVEN", (block(), 0), "#NUM! target must be > 0; got 0"),
    ("DSCR_BREAKEVEN", (block(), "x"), "#VALUE! target must be a number; got text 'x'"),
    ("DEBT_CAPACITY", (block(), -1), "#NUM! target_dscr must be > 0; got -1"),
    ("DEBT_SCHEDULE", (1000, 0.08, 1, "sculpted"),
     "#VALUE! amortization must be one of annuity | linear | bullet (sculpted needs the deal's "
     "cash flows: use a deal_inputs block); got text 'sculpted'"),
    ("DEBT_SCHEDULE", (1000, 0.08, 1, "balloon"),
     "#VALUE! amortization must be one of annuity | linear | bullet | sculpted; "
     "got text 'balloon'"),
    ("DEBT_SCHEDULE", (1000, 0.08, 1, None, 3),
     "#NUM! payments_per_year must be one of 1 | 2 | 4 | 12; got 3"),
    ("DEBT_SCHEDULE", (1000, 0.08, 1, None, 2.5),
     "#VALUE! payments_per_year must be a whole number; got 2.5"),
    ("DEBT_SCHEDULE", (1000, 0.08, 1.1),
     "#NUM! debt_years must be a positive multiple of 1/payments_per_year (0.25 years); "
     "got 1.1"),
    ("DEBT_SCHEDULE", (1000, 0.08, 0), "#NUM! debt_years must be in (0, 50]; got 0"),
    ("DEBT_SCHEDULE", (-1, 0.08, 1), "#NUM! debt must be >= 0; got -1"),
    ("DEBT_SCHEDULE", (1000, 1.5, 1), "#NUM! debt_rate must be in [0, 1]; got 1.5"),
    ("DEBT_SCHEDULE", (1000, 0.08, 1, None, None, 1.5),
     "#NUM! balloon_share must be in [0, 1]; got 1.5"),
    ("DEBT_SCHEDULE", (None, 0.08, 1), "#VALUE! debt is required; got an empty cell"),
])
def test_error_cells(fn, args, text):
    assert getattr(udfs, fn)(*args) == text


def test_breakeven_messages_in_cells():
    # contracted cash alone covers: never binding -> #N/A with the reason
    covered = block(contracted_share=1.0, contract_years=10)
    out = udfs.DSCR_BREAKEVEN(covered)
    assert out.startswith("#N/A breakeven deflation: not binding; the minimum DSCR stays >= 1 "
                          "at any deflation")
    assert out.endswith("contracted cash alone covers debt service")
    assert udfs.RENT_BREAKEVEN(covered).startswith("#N/A breakeven rent: not binding")
    assert udfs.UTILIZATION_BREAKEVEN(covered).startswith(
        "#N/A breakeven utilization: not binding")
    # far too much debt: fails even with rents rising 50% a year -> #NUM! with the reason
    heavy = block(debt=1e9)
    out = udfs.DSCR_BREAKEVEN(heavy)
    assert out.startswith("#NUM! breakeven deflation: no solution; the minimum DSCR is ")
    assert out.endswith("even with rents rising 50% a year (deflation -0.5)")
    assert udfs.UTILIZATION_BREAKEVEN(heavy).startswith(
        "#NUM! breakeven utilization: no solution")


def test_plain_handling_of_negative_cfads_and_zero_debt_service():
    # cash cost above any revenue: negative CFADS, DSCR shown as a negative number
    t = udfs.DSCR_TABLE(block(cash_cost=5.0))
    h = t[0]
    assert all(r[h.index("cfads")] < 0 and r[h.index("dscr")] < 0 for r in t[1:-1])
    assert udfs.DSCR_MIN(block(cash_cost=5.0)) < 0
    # interest-only at rate 0: no debt service -> DSCR cells #N/A, DSCR_MIN #N/A text
    t = udfs.DSCR_TABLE(block(amortization="bullet", debt_rate=0))
    assert all(r[h.index("dscr")] == "#N/A" for r in t[1:-1])
    assert udfs.DSCR_MIN(block(amortization="bullet", debt_rate=0)).startswith(
        "#N/A DSCR: no debt service")
    # sculpting against cash flows that never cover opex
    out = udfs.DSCR_TABLE(block(cash_cost=5.0, amortization="sculpted"))
    assert out == ("#NUM! sculpted amortization needs positive base-case CFADS in at least one "
                   "period; got none, so the debt cannot be repaid")


def test_empty_rows_and_case_are_accepted():
    rows = [["  RENT0 ", 2.35], [None, None], ["", ""]] + [r for r in block() if r[0] != "rent0"]
    assert isinstance(udfs.DSCR_MIN(rows), float)
    np.testing.assert_allclose(udfs.DSCR_MIN(rows), udfs.DSCR_MIN(block()))
