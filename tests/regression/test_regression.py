"""Every Excel function and the main model functions give the results recorded in
``fixture.json`` (built by ``build_fixture.py`` before the parameter schema and the coverage
package split), to a relative tolerance of 1e-12.

Renamed arguments are mapped with :data:`RENAMES`: Excel calls are positional (positions never
change), Python keywords and the names inside messages are translated per function; deal and
LGD blocks keep their old field names, which are still read (with a deprecation note). Results
that another change alters on purpose are listed in :data:`CHANGED` with the reason; the test
checks their new value instead.
"""

from __future__ import annotations

import json
import pathlib
import warnings

import pytest

from tests.regression.codec import differences, run_case

FIXTURE = pathlib.Path(__file__).with_name("fixture.json")
CASES = json.loads(FIXTURE.read_text(encoding="utf-8"))["cases"]

_DEAL = {"periods_per_year": "payments_per_year", "balloon": "balloon_share"}
_CURVE = {"cost": "gpu_cost", "horizon_years": "curve_years",
          "periods_per_year": "points_per_year"}
_BOOK = {"cost": "gpu_cost", "life_years": "book_life_years"}
_LOAN = {"principal": "debt", "annual_rate": "debt_rate", "years": "debt_years",
         "periods_per_year": "payments_per_year", "balloon": "balloon_share"}
_R = "pymodel.residual."

#: Renamed arguments and fields, per function (Excel name or Python path): old -> new.
RENAMES: dict[str, dict[str, str]] = {
    "GPU_RENT": {"years": "t_years"},
    "GPU_BOOK_VALUE": _BOOK,
    "GPU_RV_CURVE": _CURVE,
    "DEBT_SCHEDULE": _LOAN,
    **{f: _DEAL for f in ("DSCR_TABLE", "DSCR_MIN", "LLCR", "DSCR_BREAKEVEN", "RENT_BREAKEVEN",
                          "UTILIZATION_BREAKEVEN", "DSCR_COMPARE", "DEBT_CAPACITY")},
    "FRYE_JACOBS_LGD": {"rho": "asset_corr"},
    "TAIL_DEPENDENCE": {"rho": "pair_corr"},
    "FIRESALE_HAIRCUT": {"deflation": "value_decline"},
    "LGD_MC": {"inputs": "lgd_inputs", "gpu_units": "gpus",
               "discount_rate": "workout_discount_rate"},
    _R + "rent_path": {"years": "t_years"},
    _R + "economic_value_path": {"times": "t_years"},
    _R + "book_value": _BOOK,
    _R + "value_curve": _CURVE,
    "pymodel.samples.sample_report": _CURVE,
    "pymodel.debt.debt_schedule": _LOAN,
    "pymodel.debt.annuity_payment": {"balloon": "balloon_amount", "principal": "debt",
                                     "rate": "rate_per_period", "n": "n_periods"},
    "pymodel.debt.sculpted_schedule": {"balloon": "balloon_amount", "principal": "debt",
                                       "rate": "rate_per_period",
                                       "periods_per_year": "payments_per_year"},
    "pymodel.debt.period_count": {"years": "debt_years", **_LOAN},
    "pymodel.irb.frye_jacobs_lgd": {"rho": "asset_corr"},
    "pymodel.lgd.tail_dependence": {"rho": "pair_corr"},
    "pymodel.lgd.conditional_correlation": {"rho": "pair_corr"},
    "pymodel.bivariate.bvn_cdf": {"rho": "pair_corr"},
    "pymodel.haircut.firesale_components": {"deflation": "value_decline"},
    "pymodel.haircut.firesale_haircut": {"deflation": "value_decline"},
    "pymodel.lgd_mc.simulate_lgd": {"inputs": "lgd_inputs",
                                    "discount_rate": "workout_discount_rate"},
    **{"pymodel.dscr." + f: _DEAL for f in (
        "dscr_table", "dscr_min", "llcr", "plcr", "coverage", "dscr_compare", "dscr_breakeven",
        "rent_breakeven", "utilization_breakeven", "debt_capacity")},
}
#: Function moves (old dotted path -> new).
FUNCTIONS: dict[str, str] = {}
#: case id -> (expected new result, reason).
CHANGED: dict[str, tuple[object, str]] = {
    "udf:schedule_bad_tenor": (
        "#NUM! debt_years must be a positive multiple of 1/payments_per_year (0.25 years); "
        "got 2.1", "DEBT_SCHEDULE's years and periods_per_year renamed debt_years and "
        "payments_per_year (the deal's names)"),
    "udf:lgd_mc_bad_rent_missing": (
        "#VALUE! lgd_inputs: 'cash_cost' is required when gpu_value_model is rent "
        "(currency per GPU-hour)", "a missing required field names the block, the field and "
        "its unit, as for deal blocks"),
}


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_result_unchanged(case):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # old field names still accepted
        actual = run_case(case, FUNCTIONS, RENAMES)
    if case["id"] in CHANGED:
        diffs = differences(CHANGED[case["id"]][0], actual, case["id"])
    else:
        diffs = differences(case["out"], actual, case["id"], RENAMES.get(case["name"], {}))
    assert not diffs, "\n".join(diffs)


def test_fixture_covers_every_excel_function():
    import addin.udfs  # noqa: F401
    from addin.registry import REGISTRY
    from tests.regression.build_fixture import METADATA
    covered = {c["name"] for c in CASES if c["kind"] == "udf"}
    assert sorted(set(REGISTRY) - covered - METADATA) == []


def test_the_comparison_can_fail():
    """The tolerance is tight: a change in the 11th significant digit is caught."""
    assert differences(1.0, 1.0 + 1e-10) != []
    assert differences([1.0, "a"], [1.0, "b"]) != []
    assert differences({"x": 2.0}, {"y": 2.0}) != []
    assert differences("#NUM! balloon must", "#NUM! balloon_share must",
                       words={"balloon": "balloon_share"}) == []
    assert differences("principal", "debt", words={"principal": "debt"}) != []  # data, not names
