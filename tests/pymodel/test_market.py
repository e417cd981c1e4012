"""The shipped market evidence: layout, vocabulary, sources, and the loader's validation."""

import io
import math

import numpy as np
import pandas as pd
import pytest

from pymodel import catalogue, market
from pymodel.errors import DomainError, InputTypeError


@pytest.fixture(scope="module")
def ev():
    return market.load_market_evidence()


def _raw():
    path = __import__("importlib").resources.files("pymodel") / "data" / "market_evidence.csv"
    with path.open("r", encoding="utf-8") as fh:
        return pd.read_csv(fh, dtype=str, keep_default_na=False)


def test_every_row_has_date_sku_basis_unit_source_and_url(ev):
    assert len(ev) >= 60
    assert ev["date"].dtype.kind == "M"
    assert set(ev["sku"]) <= set(catalogue.sku_names())
    assert set(ev["basis"]) <= set(market.BASES)
    assert set(ev["segment"]) <= set(market.SEGMENTS)
    for _, r in ev.iterrows():
        assert r["unit"] == market.basis_unit(r["basis"])
        assert r["source"][:2] in ("P:", "S:", "V:"), r["source"]
        assert r["url"].startswith("http"), r["url"]
        assert r["value"] > 0 and math.isfinite(r["value"])
        if not math.isnan(r["low"]):
            assert r["low"] <= r["value"] <= r["high"] and r["estimate"]


def test_coverage_asked_for_rents_and_used_prices(ev):
    def years(sku, bases):
        d = ev[(ev["sku"] == sku) & ev["basis"].isin(bases)]["date"].dt.year
        return set(d)
    rent = market.RENT_BASES
    assert {2021, 2022, 2024, 2026} <= years("A100 SXM", rent)
    assert {2022, 2023, 2024, 2025, 2026} <= years("H100 SXM", rent)
    assert years("A100 SXM", ["used sale"]) and years("H100 SXM", ["used sale"])
    assert years("A100 SXM", ["list"]) and years("H100 SXM", ["list"])
    assert years("H200 SXM", ["list"]) and years("B200", ["list"])


def test_used_h100_band_from_the_issue_is_in_the_data(ev):
    used = ev[(ev["sku"] == "H100 SXM") & (ev["basis"] == "used sale")
              & (ev["date"].dt.year == 2026)]
    assert used["low"].min() == 15000 and used["high"].max() == 28000


def test_filters(ev):
    h = market.load_market_evidence("H100", ["spot", "1-year contract"])
    assert set(h["sku"]) == {"H100 SXM"} and set(h["basis"]) == {"spot", "1-year contract"}
    assert market.load_market_evidence(estimates=False)["estimate"].sum() == 0
    seg = market.load_market_evidence(market_segment="hyperscaler")
    assert set(seg["segment"]) == {"hyperscaler"}
    with pytest.raises(InputTypeError, match="basis must be one of"):
        market.load_market_evidence(basis="weekly")
    with pytest.raises(InputTypeError, match="sku"):
        market.load_market_evidence(sku="TPU v9")


def test_market_series_is_one_basis_in_date_order_without_hyperscalers(ev):
    s = market.market_series("H100 SXM", "on-demand", evidence=ev)
    assert s["date"].is_monotonic_increasing and len(s) >= 10
    assert "hyperscaler" not in set(s["segment"])
    hs = market.market_series("H100 SXM", "on-demand", market_segment="hyperscaler",
                              evidence=ev)
    assert set(hs["segment"]) == {"hyperscaler"}
    with pytest.raises(InputTypeError, match="basis"):
        market.market_series("H100", "cheap")


def _write(tmp_path, df):
    p = tmp_path / "ev.csv"
    df.to_csv(p, index=False)
    return p


@pytest.mark.parametrize("column, value, error, text", [
    ("date", "2026-13-01", InputTypeError, "line 2 (date) must be an ISO date"),
    ("date", "15/03/2026", InputTypeError, "line 2 (date)"),
    ("sku", "H900", InputTypeError, "line 2 (sku) must be one of"),
    ("basis", "monthly", InputTypeError, "line 2 (basis) must be one of"),
    ("segment", "cloud", InputTypeError, "line 2 (segment)"),
    ("value", "abc", InputTypeError, "line 2 (value) must be a number"),
    ("value", "-3", DomainError, "line 2 (value) must be > 0"),
    ("value", "nan", DomainError, "line 2 (value)"),
    ("value", "", InputTypeError, "line 2 (value) is required"),
    ("unit", "EUR per GPU", InputTypeError, "line 2 (unit)"),
    ("estimate", "maybe", InputTypeError, "line 2 (estimate)"),
    ("source", "", InputTypeError, "line 2 (source) is required"),
    ("url", " ", InputTypeError, "line 2 (url) is required"),
    ("date_precision", "week", InputTypeError, "line 2 (date_precision)"),
])
def test_bad_rows_are_named(tmp_path, column, value, error, text):
    raw = _raw()
    raw.loc[0, column] = value
    with pytest.raises(error, match=text.replace("(", r"\(").replace(")", r"\)")):
        market.load_market_evidence(path=_write(tmp_path, raw))


def test_range_rules(tmp_path):
    raw = _raw()
    i = int(np.flatnonzero(raw["low"].to_numpy() != "")[0])
    bad = raw.copy()
    bad.loc[i, "value"] = str(float(bad.loc[i, "high"]) * 2)
    with pytest.raises(DomainError, match=r"\(value\) must be in \[low, high\]"):
        market.load_market_evidence(path=_write(tmp_path, bad))
    bad = raw.copy()
    bad.loc[i, "estimate"] = "false"
    with pytest.raises(InputTypeError, match="true when a range is given"):
        market.load_market_evidence(path=_write(tmp_path, bad))
    bad = raw.copy()
    bad.loc[i, "high"] = ""
    with pytest.raises(InputTypeError, match=r"\(high\) is required"):
        market.load_market_evidence(path=_write(tmp_path, bad))


def test_wrong_columns_and_empty_file(tmp_path):
    raw = _raw()
    with pytest.raises(InputTypeError, match="market evidence columns"):
        market.load_market_evidence(path=_write(tmp_path, raw.drop(columns=["url"])))
    with pytest.raises(InputTypeError, match="at least 1"):
        market.load_market_evidence(path=_write(tmp_path, raw.iloc[:0]))


def test_declared_as_package_data():
    text = io.open(__import__("pathlib").Path(__file__).resolve().parents[2] / "setup.cfg",
                   encoding="utf-8").read()
    assert "pymodel = data/*.csv" in text


def test_observed_prices_windows():
    med, n = market.observed_prices("H100", ["2026-06-30", "2025-01-01", "2023-04-01"])
    assert n[1] == 0 and np.isnan(med[1])
    ev = market.load_market_evidence("H100", ["used sale", "refurbished"])
    near = ev[(ev["date"] - pd.Timestamp("2026-06-30")).abs().dt.days <= 182.625]
    assert n[0] == len(near) and med[0] == float(np.median(near["value"]))
    assert med[2] == 43000.0 and n[2] == 1
    wide, m = market.observed_prices("H100", ["2025-01-01"], window_years=2.0)
    assert m[0] > 0 and np.isfinite(wide[0])
