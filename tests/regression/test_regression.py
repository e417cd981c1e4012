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
    "udf:fit_sample": (
        [[0.16304456340476506, 0.04163404118475373, 4.0, 0.16231886246006388]],
        "RENT_DEFLATION_FIT returns g_trend, volatility, n_points and g_mean = 1 - (1 - g_trend) "
        "e^(volatility^2/2); the first three unchanged"),
    "udf:fit_serials": (
        [[0.21822760883283804, 0.062159103363674854, 5.0, 0.21671586089449735]],
        "RENT_DEFLATION_FIT adds g_mean; the first three unchanged"),
    "py:deflation_fit": (
        {"g_trend": 0.2883060255661073, "volatility": 0.07756776276735958, "n_points": 5,
         "g_mean": 0.2861617566532949, "log_slope": -0.34010727115381906,
         "residual_std": 0.03460243099775406, "start": "2024-01-01", "end": "2026-01-01",
         "bases": []},
        "DeflationFit: deflation is g_trend (the trend/median decline), plus g_mean and the "
        "bases fitted; the other fields unchanged"),
    'udf:lgd_mc_miner': (
        [['expected_lgd', 0.5805611072259884], ['downturn_lgd', 0.8916807947753618], ['expected_loss', 2.3222444289039537], ['loss_q999', 48.026911137946016], ['std_error', 0.001725411117357437], ['recovery_share_gpu', 0.5228972355070345], ['recovery_share_btc', 0.47710276449296546], ['recovery_share_receivables', 0.0], ['capital', 45.70466670904206], ['downturn_std_error', 0.000534094691003007], ['n_paths', 100000.0]],
        'LGD_MC: the stress regime is tied to the systematic factor (probit link, regime_factor_corr 0.9) and the downturn batch draws it given x_q'),
    'udf:lgd_mc_neocloud': (
        [['expected_lgd', 0.56200985306358], ['downturn_lgd', 0.7885354690876081], ['expected_loss', 1.4050246326589502], ['loss_q999', 16.4554836490377], ['std_error', 0.0005541361522351251], ['recovery_share_gpu', 0.7017289650068779], ['recovery_share_btc', 0.0], ['recovery_share_receivables', 0.29827103499312224], ['capital', 15.050459016378749], ['downturn_std_error', 0.0001759667419794566], ['n_paths', 100000.0]],
        'LGD_MC: the stress regime is tied to the systematic factor (probit link, regime_factor_corr 0.9) and the downturn batch draws it given x_q'),
    'udf:lgd_mc_rent_model': (
        [['expected_lgd', 0.8258390965209641], ['downturn_lgd', 0.9784956924017371], ['expected_loss', 495503.4579125785], ['loss_q999', 4408905.070067996], ['std_error', 0.0014684024133524167], ['recovery_share_gpu', 1.0], ['recovery_share_btc', 0.0], ['recovery_share_receivables', 0.0], ['capital', 3913401.612155418], ['downturn_std_error', 0.00011414226368518033], ['n_paths', 20000.0]],
        'LGD_MC: the stress regime is tied to the systematic factor (probit link, regime_factor_corr 0.9) and the downturn batch draws it given x_q; the rent is lognormal around the trend (median) path'),
    'udf:lgd_mc_miner_plain': (
        [['expected_lgd', 0.5851055620034946], ['downturn_lgd', 0.8925259394610418], ['expected_loss', 2.3404222480139785], ['loss_q999', 48.07145052990626], ['std_error', 0.00982454001895375], ['recovery_share_gpu', 0.517423586031507], ['recovery_share_btc', 0.48257641396849293], ['recovery_share_receivables', 0.0], ['capital', 45.73102828189228], ['downturn_std_error', 0.0011781974658839074], ['n_paths', 20000.0]],
        'LGD_MC: the stress regime is tied to the systematic factor (probit link, regime_factor_corr 0.9) and the downturn batch draws it given x_q'),
    'udf:lgd_mc_neocloud_sobol': (
        [['expected_lgd', 0.5615894020996769], ['downturn_lgd', 0.7885461278531829], ['expected_loss', 1.4039735052491924], ['loss_q999', 16.45570608055728], ['std_error', 0.00016209584875035254], ['recovery_share_gpu', 0.7018379234137886], ['recovery_share_btc', 0.0], ['recovery_share_receivables', 0.2981620765862114], ['capital', 15.051732575308089], ['downturn_std_error', 1.1643374569689876e-05], ['n_paths', 16384.0]],
        'LGD_MC: the stress regime is tied to the systematic factor (probit link, regime_factor_corr 0.9) and the downturn batch draws it given x_q'),
    'udf:lgd_mc_miner_asset_corr': (
        [['expected_lgd', 0.6063494556966027], ['downturn_lgd', 0.8950750214314818], ['expected_loss', 2.425397822786411], ['loss_q999', 54.57737066255823], ['std_error', 0.0038010384544399176], ['recovery_share_gpu', 0.522391299748574], ['recovery_share_btc', 0.4776087002514261], ['recovery_share_receivables', 0.0], ['capital', 52.15197283977182], ['downturn_std_error', 0.001133560918403229], ['n_paths', 20000.0]],
        'LGD_MC: the stress regime is tied to the systematic factor (probit link, regime_factor_corr 0.9) and the downturn batch draws it given x_q'),
    'py:simulate_lgd_rent': (
        {'expected_lgd': 0.8258390965209641, 'downturn_lgd': 0.9784956924017371, 'expected_loss': 495503.4579125785, 'loss_q999': 4408905.070067996, 'std_error': 0.0014684024133524167, 'recovery_share_gpu': 1.0, 'recovery_share_btc': 0.0, 'recovery_share_receivables': 0.0, 'capital': 3913401.612155418, 'downturn_std_error': 0.00011414226368518033, 'n_paths': 20000.0},
        'LGD_MC: the stress regime is tied to the systematic factor (probit link, regime_factor_corr 0.9) and the downturn batch draws it given x_q; the rent is lognormal around the trend (median) path'),
    'py:simulate_lgd_dict': (
        {'expected_lgd': 0.5790244970225189, 'downturn_lgd': 0.8925259394610418, 'expected_loss': 2.3160979880900756, 'loss_q999': 48.07145052990626, 'std_error': 0.0038213271163544185, 'recovery_share_gpu': 0.528866135214373, 'recovery_share_btc': 0.47113386478562697, 'recovery_share_receivables': 0.0, 'capital': 45.75535254181618, 'downturn_std_error': 0.0011781974658839074, 'n_paths': 20000.0},
        'LGD_MC: the stress regime is tied to the systematic factor (probit link, regime_factor_corr 0.9) and the downturn batch draws it given x_q'),
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


def test_lgd_mc_with_independent_regimes_reproduces_the_recorded_main_batch():
    """The LGD_MC cases changed on purpose (regimes tied to the systematic factor); with the
    link off (regime_factor_corr 0) the main batch draws the regime exactly as before, so the
    recorded expected LGD, expected loss, standard error and recovery shares come back."""
    keys = ("expected_lgd", "expected_loss", "std_error", "recovery_share_gpu",
            "recovery_share_btc", "recovery_share_receivables", "n_paths")
    checked = 0
    for cid, (_, why) in CHANGED.items():
        if "regime" not in why or "rent" in why:
            continue
        case = dict(CASES_BY_ID[cid])
        if case["kind"] == "udf":
            block = [list(r) for r in case["args"][0]] + [["regime_factor_corr", 0.0]]
            case["args"] = [block] + case["args"][1:]
        else:
            case["args"] = [dict(case["args"][0], regime_factor_corr=0.0)]
        old = dict(case["out"])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            new = dict(run_case(case, FUNCTIONS, RENAMES))
        for k in keys:
            assert not differences(old[k], new[k], f"{cid}.{k}"), (cid, k)
        checked += 1
    assert checked >= 5


CASES_BY_ID = {c["id"]: c for c in CASES}


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
