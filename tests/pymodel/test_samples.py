"""The shipped sample deal loads, validates and reproduces the residual-value functions."""

import datetime as dt

import pytest

from pymodel.errors import DomainError
from pymodel.residual import book_value, economic_value_path, income_value
from pymodel.samples import SAMPLE_FIELDS, load_sample_h100, sample_report


def test_sample_inputs_are_typed_and_sourced():
    x = load_sample_h100()
    assert set(x) == set(SAMPLE_FIELDS.names())
    assert x["sku"] == "H100 SXM" and x["gpus"] == 1024
    assert x["valuation_date"] == dt.date(2026, 6, 30)
    assert x["step_years"] == () and x["step_downs"] == ()   # a total deflation: no steps
    assert x["rent0"] == 2.35 and x["deflation"] == 0.25


def test_sample_report_matches_the_model():
    rep = sample_report()
    x = rep["inputs"]
    kw = dict(salvage=900.0, max_life_years=7.0)
    assert rep["value_per_gpu"] == pytest.approx(income_value(2.35, 0.85, 0.5, 0.25, 0.1, **kw))
    # inside the 2026 used-H100 band of the market evidence (15,000-28,000)
    assert 15000 < rep["value_per_gpu"] < 28000
    curve = rep["curve"]
    assert len(curve) == 7
    assert curve["economic value"].tolist() == pytest.approx(
        economic_value_path(curve["year"], 2.35, 0.85, 0.5, 0.25, 0.1, **kw).tolist())
    assert curve["book value"].tolist() == pytest.approx(
        book_value(30000, 1.0 + curve["year"], 6.0, salvage=900.0).tolist())
    assert rep["fleet_curve"]["book value"].iloc[0] == pytest.approx(1024 * 25150.0)
    assert (curve["gap"] > -1e-9).all()      # the sample's book value never undershoots
    assert x["gpus"] == 1024


def test_sample_overrides_are_validated():
    assert len(sample_report(curve_years=2, points_per_year=4)["curve"]) == 9
    with pytest.raises(DomainError, match=r"deflation must be in \(-1, 1\); got 1\.5"):
        sample_report(deflation=1.5)
