"""GPU catalogue data and throughput-parity step-downs (§3 and §4.1)."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from pymodel.catalogue import (FIELDS, catalogue_step_downs, find_sku, gpu_spec,
                               load_catalogue, parity_step_down, sku_names)
from pymodel.errors import DomainError, InputError, InputTypeError, NotAvailableError
from pymodel.residual import rent_path

REQUIRED = ["A100 SXM", "H100 SXM", "H200 SXM", "B200", "B300", "MI300X"]


def test_catalogue_has_required_skus_with_sources():
    cat = load_catalogue()
    assert tuple(cat.columns) == FIELDS
    assert set(REQUIRED) <= set(cat["sku"])
    assert cat["sku"].is_unique
    for _, row in cat.iterrows():
        assert isinstance(row["sources"], str) and len(row["sources"]) > 20, row["sku"]
        assert row["announce_date"] <= row["volume_date"], row["sku"]
        assert row["gpu_kw"] < row["system_kw_per_gpu"], row["sku"]
        for f in ("gpu_kw", "memory_gb", "bf16_dense_tflops", "ref_price", "ref_rent"):
            assert row[f] > 0, (row["sku"], f)


def test_datasheet_figures():
    """Figures from §3 and vendor datasheets."""
    assert gpu_spec("H100 SXM", "gpu_kw") == 0.7
    assert gpu_spec("H100 SXM", "system_kw_per_gpu") == pytest.approx(10.2 / 8)
    assert gpu_spec("B200", "system_kw_per_gpu") == pytest.approx(14.3 / 8)
    assert gpu_spec("B300", "system_kw_per_gpu") == pytest.approx(14.5 / 8)
    assert gpu_spec("H200", "memory_gb") == 141
    assert gpu_spec("MI300X", "gpu_kw") == 0.75
    assert gpu_spec("H100", "fp8_dense_tflops") == 1979
    assert gpu_spec("H100", "volume_date") == dt.date(2022, 9, 20)
    assert gpu_spec("B200", "announce_date") == dt.date(2024, 3, 18)
    assert gpu_spec("B200", "ref_rent") == 5.30 and gpu_spec("H100", "ref_rent") == 2.60
    # §4.1: FP8 ratio H100/B200 ~ 0.44
    assert gpu_spec("H100", "fp8_dense_tflops") / gpu_spec("B200", "fp8_dense_tflops") == \
        pytest.approx(0.44, abs=0.005)


def test_sku_lookup_is_forgiving_but_not_silent():
    assert find_sku("h100") == "H100 SXM"
    assert find_sku(" H100-SXM5 ") == "H100 SXM"
    assert find_sku("instinct mi300x") == "MI300X"
    assert sku_names()[:2] == ["A100 SXM", "H100 SXM"]
    with pytest.raises(InputTypeError, match=r"sku must be one of A100 SXM \| H100 SXM .*; "
                                             r"got text 'H1000'"):
        find_sku("H1000")
    with pytest.raises(InputTypeError, match=r"sku must be text; got 100"):
        find_sku(100.0)
    with pytest.raises(InputTypeError, match=r"field must be one of sku \| vendor .*; got "
                                             r"text 'tdp'"):
        gpu_spec("H100", "tdp")
    with pytest.raises(NotAvailableError, match="fp8_dense_tflops is not available for "
                                                "A100 SXM"):
        gpu_spec("A100", "fp8_dense_tflops")
    assert "estimate" in gpu_spec("B300", "estimates")
    assert gpu_spec("h100", "SKU") == "H100 SXM"


def test_parity_step_down_formula_and_calibration():
    # §4.1: at pi = 0 the H100 (2.60) reprices to 5.30 * 1979 / 4500 = 2.331
    j0 = parity_step_down(2.60, 5.30, 1979, 4500, premium=0.0)
    assert j0 == pytest.approx(1 - 5.30 * 1979 / 4500 / 2.60, rel=1e-12)
    # the calibrated premium ~ +0.11 makes mid-2026 H100 almost exactly at parity
    assert parity_step_down(2.60, 5.30, 1979, 4500, premium=0.11) < 0.01
    # never a step-up
    assert parity_step_down(1.0, 5.30, 1979, 4500, premium=0.0) == 0.0
    # a larger premium never deepens the step-down
    js = parity_step_down(2.6, 5.3, 1979, 4500, premium=np.array([-0.2, 0.0, 0.2]))
    assert np.all(np.diff(js) <= 0)
    with pytest.raises(DomainError, match=r"premium must be > -1; got -1"):
        parity_step_down(2.6, 5.3, 1979, 4500, premium=-1.0)
    with pytest.raises(DomainError, match=r"throughput_new must be > 0; got 0"):
        parity_step_down(2.6, 5.3, 1979, 0)
    with pytest.raises(InputTypeError, match=r"rent_old must be a number; got text 'x'"):
        parity_step_down("x", 5.3, 1979, 4500)


def test_catalogue_step_downs_hand_computed():
    """H100 valued 2026-06-30: the only later NVIDIA SKU is Rubin (2026-09-01)."""
    years, downs = catalogue_step_downs("H100", "2026-06-30", deflation=0.3, premium=0.0)
    assert len(years) == 1
    tau = (pd.Timestamp("2026-09-01") - pd.Timestamp("2026-06-30")).days / 365.25
    assert years[0] == pytest.approx(tau)
    r_old = 2.60 * 0.7 ** tau
    expected = 1 - 14.72 * 1979 / 16667 / r_old    # Rubin rent quoted at its volume date
    assert downs[0] == pytest.approx(expected, rel=1e-12)
    # usable directly as rent_path step lists
    assert rent_path(2.6, 1.0, 0.3, step_years=years, step_downs=downs) == pytest.approx(
        2.6 * 0.7 * (1 - expected))


def test_rubin_throughput_is_dense():
    """NVL144: 1.2 EF FP8 over 72 packages, quoted as 3.3x GB300 NVL72 (72 B300 at 4.5 PF
    dense): the 1.2 EF is a dense figure, not sparse."""
    fp8 = gpu_spec("Rubin", "fp8_dense_tflops")
    assert fp8 == pytest.approx(1.2e6 / 72, rel=1e-4)
    assert 1.2e6 / (72 * gpu_spec("B300", "fp8_dense_tflops")) == pytest.approx(3.3, abs=0.45)


def test_total_deflation_adds_no_step_for_launches_already_in_the_record():
    """With a total deflation (the default) the record's own launches are in the trend: none
    steps an older SKU down, at any historical valuation date; only a successor not yet
    trading (Rubin, estimated rent) can."""
    for sku, date in (("A100", "2022-10-01"), ("H100", "2023-01-01"), ("H100", "2024-10-01"),
                      ("A100", "2021-01-01"), ("H200", "2024-01-01")):
        years, downs = catalogue_step_downs(sku, date)
        volume = pd.Timestamp(date) + pd.to_timedelta(np.array(years) * 365.25, unit="D")
        assert all(v > pd.Timestamp("2026-06-30") for v in volume), (sku, date)
        assert len(downs) <= 1
    within = catalogue_step_downs("H100", "2024-01-01", deflation=0.10, premium=0.0,
                                  deflation_basis="within_generation")
    assert len(within[0]) == 3 and within[1][0] > 0      # B200 reprices the H100 at launch
    with pytest.raises(InputError, match="deflation .*needed when deflation_basis is "
                                         "within_generation"):
        catalogue_step_downs("H100", "2024-01-01", deflation_basis="within_generation")
    with pytest.raises(InputTypeError, match="deflation_basis must be one of total"):
        catalogue_step_downs("H100", "2024-01-01", deflation_basis="partial")


def test_catalogue_step_downs_cumulate_and_skip():
    years, downs = catalogue_step_downs("H100", dt.date(2024, 1, 1), premium=0.0, deflation=0.3,
                                        deflation_basis="within_generation")
    assert list(years) == sorted(years) and len(years) == 3   # H200 equal throughput: skipped
    assert all(0 <= j < 1 for j in downs)
    assert downs[1] == 0.0                                    # B300 no cheaper than B200
    # B200 step: old rent rolled from its reference date, new rent rolled to its volume date
    tau = years[0]
    r_h100 = 2.60 * 0.7 ** ((pd.Timestamp("2024-01-01") - pd.Timestamp("2026-06-30")).days
                            / 365.25) * 0.7 ** tau
    r_b200 = 5.30 * 0.7 ** ((pd.Timestamp("2024-12-01") - pd.Timestamp("2026-06-30")).days
                            / 365.25)
    assert downs[0] == pytest.approx(1 - r_b200 * 1979 / 4500 / r_h100, rel=1e-12)
    # AMD has no later AMD SKU; cross-vendor successors only on request
    assert catalogue_step_downs("MI300X", "2024-01-01") == ((), ())
    assert len(catalogue_step_downs("MI300X", "2024-01-01", same_vendor=False, deflation=0.3,
                                    deflation_basis="within_generation")[0]) > 0
    # A100 lacks FP8: BF16 is used for its pairs
    y, d = catalogue_step_downs("A100", "2026-06-30", premium=0.0, deflation=0.3)
    assert d[0] == pytest.approx(1 - 14.72 * 312 / 8333 / (1.10 * 0.7 ** y[0]), rel=1e-12)
    # nothing after the last volume date
    assert catalogue_step_downs("H100", "2030-01-01") == ((), ())


def test_catalogue_step_downs_errors():
    with pytest.raises(InputTypeError, match=r"valuation_date must be a date; got text 'soon'"):
        catalogue_step_downs("H100", "soon")
    with pytest.raises(DomainError, match=r"deflation must be in \(-1, 1\); got 1"):
        catalogue_step_downs("H100", "2026-01-01", deflation=1.0)
    with pytest.raises(InputTypeError, match=r"metric must be one of fp8 \| bf16"):
        catalogue_step_downs("H100", "2026-01-01", metric="fp4")
