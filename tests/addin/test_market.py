"""Market calibration Excel functions: what Excel sends in, exact cell text out."""

import datetime as dt

import pytest

import addin.udfs as x
from addin.registry import REGISTRY
from pymodel import implied, market


def test_signatures():
    args = [a.name for a in REGISTRY["GPU_IMPLIED_DEFLATION"].args]
    assert args == ["market_price", "rent0", "utilization", "cash_cost", "discount_rate",
                    "salvage", "max_life_years", "step_years", "step_downs"]
    opt = [a.name for a in REGISTRY["GPU_IMPLIED_DEFLATION"].args if a.optional]
    assert opt == ["salvage", "max_life_years", "step_years", "step_downs"]
    assert [a.name for a in REGISTRY["GPU_MARKET_EVIDENCE"].args] == ["sku", "basis"]
    for n in ("GPU_IMPLIED_DEFLATION", "GPU_MARKET_EVIDENCE"):
        assert REGISTRY[n].module == "addin.market"


def test_scalar_matches_pymodel_and_empty_cells_take_defaults():
    got = x.GPU_IMPLIED_DEFLATION(20000.0, 2.35, 0.85, 0.5, 0.1, None, None, None, None)
    assert got == implied.implied_deflation(20000, 2.35, 0.85, 0.5, 0.1)
    got = x.GPU_IMPLIED_DEFLATION([[20000.0]], [[2.35]], 0.85, 0.5, 0.1, 900.0, 7.0,
                                  [[0.17], [1.17]], [[0.19], [0.1]])
    assert got == pytest.approx(implied.implied_deflation(
        20000, 2.35, 0.85, 0.5, 0.1, salvage=900, max_life_years=7, step_years=[0.17, 1.17],
        step_downs=[0.19, 0.1]), abs=1e-15)


def test_tape_gives_a_column_with_reasons_in_failing_rows():
    out = x.GPU_IMPLIED_DEFLATION([[20000.0], [100.0], [25000.0]], [[2.35], [2.35], [0.4]],
                                  0.85, 0.5, 0.1, 900.0)
    assert len(out) == 3 and isinstance(out[0][0], float)
    assert out[1][0].startswith("#N/A no implied deflation: market_price 100 is at or below")
    assert "(row 2)" in out[1][0]
    assert out[2][0].startswith("#N/A no implied deflation: utilization x rent0")


@pytest.mark.parametrize("args, text", [
    ((1e8, 2.35, 0.85, 0.5, 0.1), "#N/A no implied deflation: market_price 100000000 is above"),
    (("abc", 2.35, 0.85, 0.5, 0.1), "#VALUE! market_price must be a number; got text 'abc'"),
    ((0.0, 2.35, 0.85, 0.5, 0.1), "#NUM! market_price must be > 0; got 0"),
    ((None, 2.35, 0.85, 0.5, 0.1), "#VALUE! market_price is required; got an empty cell"),
    ((20000.0, 2.35, 1.5, 0.5, 0.1), "#NUM! utilization must be in [0, 1]; got 1.5"),
    ((20000.0, 2.35, 0.85, 0.5, "#N/A"), "#VALUE! discount_rate refers to an error cell (#N/A)"),
    (([[1.0], [2.0]], [[2.0], [2.0], [2.0]], 0.85, 0.5, 0.1), "#VALUE! rent0 must have the same"),
])
def test_bad_input_is_clean_text(args, text):
    got = x.GPU_IMPLIED_DEFLATION(*args)
    assert isinstance(got, str) and got.startswith(text), got


def test_market_evidence_table():
    out = x.GPU_MARKET_EVIDENCE("H100", "used sale")
    assert out[0] == list(market.COLUMNS)
    assert all(r[1] == "H100 SXM" and r[3] == "used sale" for r in out[1:])
    assert all(isinstance(r[0], str) and dt.date.fromisoformat(r[0]) for r in out[1:])
    no_range = [r for r in out[1:] if r[6] == ""]
    assert no_range and all(r[7] == "" for r in no_range)   # empty, never #N/A or NaN
    every = x.GPU_MARKET_EVIDENCE(None, None)
    assert len(every) == len(market.load_market_evidence()) + 1
    assert x.GPU_MARKET_EVIDENCE("H200", "used sale").startswith("#N/A no shipped market")
    assert x.GPU_MARKET_EVIDENCE("H100", "weekly").startswith("#VALUE! basis must be one of")
    assert x.GPU_MARKET_EVIDENCE(3.0, None).startswith("#VALUE! sku must be text")
