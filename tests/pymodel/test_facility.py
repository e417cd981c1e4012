"""Facility metrics of a tape (vectorised) agree with the one-deal DSCR model."""

import numpy as np
import pandas as pd
import pytest

from pymodel import dscr, facility, residual
from pymodel.errors import InputError


def _deals(n=9, seed=3):
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        rows.append(dict(
            gpus=int(rng.integers(100, 3000)), rent0=rng.uniform(1.5, 3), utilization=rng.uniform(
                0.6, 0.95), deflation=rng.uniform(0.1, 0.4), cash_cost=rng.uniform(0.3, 0.6),
            contracted_share=rng.uniform(0, 0.8), contract_rate=rng.uniform(1.8, 2.8),
            contract_years=float(rng.integers(1, 5)), tax_rate=0.21, debt=rng.uniform(5e6, 3e7),
            debt_rate=0.1, debt_years=float(rng.integers(2, 6)),
            amortization=["annuity", "linear", "bullet"][i % 3],
            balloon_share=0.1 if i % 3 == 0 else 0.0, payments_per_year=[1, 4, 12][i % 3],
            age_years=0.5, physical_life_years=7.0, salvage=500.0, discount_rate=0.12))
    return rows


@pytest.mark.parametrize("g, u", [(None, None), (0.45, 0.6), (-0.2, 0.9)])
def test_min_dscr_and_value_agree_with_the_deal_model(g, u):
    rows = _deals()
    df = pd.DataFrame(rows)
    fac = facility.prepare_facilities(df, df["debt"].to_numpy(), [f"L{i}" for i in range(9)])
    m = facility.facility_metrics(fac, g, u)
    stress = {} if g is None else {"deflation": g, "utilization": u}
    ref = [dscr.dscr_min({**r, "gpu_cost": 40000.0}, **stress) for r in rows]
    assert np.allclose(m["min_dscr"], ref, rtol=1e-12, atol=1e-12)
    gg = df["deflation"] if g is None else g
    uu = df["utilization"] if u is None else u
    v = residual.income_value(df["rent0"].to_numpy(), uu, df["cash_cost"].to_numpy(), gg, 0.12,
                              salvage=500.0, max_life_years=6.5)
    assert np.allclose(m["value_per_gpu"], v, rtol=1e-12)
    assert np.allclose(m["gpu_value"], df["gpus"] * v)


def test_defaults_and_errors_name_row_and_column():
    df = pd.DataFrame({"gpus": [100, 200], "rent0": [2.0, 2.5], "cash_cost": [0.4, 0.4],
                       "debt_rate": [0.1, 0.1], "debt_years": [4, 4]})
    fac = facility.prepare_facilities(df, np.array([1e6, 2e6]), ["a", "b"])
    assert fac.values["debt"].tolist() == [1e6, 2e6]             # debt defaults to EAD
    assert fac.values["contract_rate"].tolist() == [0.0, 0.0]     # no contract, no rate
    with pytest.raises(InputError, match=r"tape row 2 \(loan 'b'\), column rent0 must be > 0"):
        facility.prepare_facilities(df.assign(rent0=[2.0, -1.0]), np.ones(2), ["a", "b"])
    with pytest.raises(InputError, match="tape has no column debt_rate"):
        facility.prepare_facilities(df.drop(columns="debt_rate"), np.ones(2), ["a", "b"])
    with pytest.raises(InputError, match=r"column contract_rate \(contracted_share > 0\) is "
                                         r"required"):
        facility.prepare_facilities(df.assign(contracted_share=[0.5, 0.0]), np.ones(2),
                                    ["a", "b"])
    got = facility.prepare_facilities(df.drop(columns="debt_rate"), np.ones(2), ["a", "b"],
                                      {"debt_rate": 0.09})
    assert got.values["debt_rate"].tolist() == [0.09, 0.09]
