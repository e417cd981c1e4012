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
    'udf:haircut_sample': (
        [['total', 0.29483538302110346], ['expected', 0.07764499415199533], ['drift', 0.022573234869631142], ['volatility', 0.23547374654233622], ['impact', 0.05634361698190111], ['cost', 0.0]],
        'FIRESALE_HAIRCUT adds the expected haircut (drift, impact, cost; no VaR term) after the total, and its value decline follows the 0.25 rent default; the total is the same to rounding'),
    'udf:haircut_readme': (
        [['total', 0.4935075045452634], ['expected', 0.23205079148482066], ['drift', 0.03366804566149817], ['volatility', 0.34046094476217537], ['impact', 0.14085904245475275], ['cost', 0.075]],
        'FIRESALE_HAIRCUT adds the expected haircut (drift, impact, cost; no VaR term) after the total, and its value decline follows the 0.25 rent default; the total is the same to rounding'),
    'udf:haircut_neocloud': (
        [['total', 0.5315519185667079], ['expected', 0.2002124673729473], ['drift', 0.06620255402433173], ['volatility', 0.41428434137428205], ['impact', 0.07406560798180413], ['cost', 0.075]],
        'FIRESALE_HAIRCUT adds the expected haircut (drift, impact, cost; no VaR term) after the total, and its value decline follows the 0.25 rent default; the total is the same to rounding'),
    'py:firesale_basel_almgren': (
        {'total': 0.28117837361329845, 'expected': 0.025789332381919938, 'drift': 0.022573234869631142, 'volatility': 0.2621497071632341, 'impact': 0.003290371848841054, 'cost': 0.0},
        'FIRESALE_HAIRCUT adds the expected haircut (drift, impact, cost; no VaR term) after the total, and its value decline follows the 0.25 rent default; the total is the same to rounding'),
    'py:optimal_days_to_sell': (
        [2.533105177736072, 0.19731687779171792],
        'the fire-sale total is now multiplied in a different order (expected part first), which moves the optimiser by about 1e-11'),
    'udf:skus': (
        [['sku', 'vendor', 'aliases', 'announce_date', 'volume_date', 'gpu_kw', 'system_kw_per_gpu', 'memory_gb', 'bf16_dense_tflops', 'fp8_dense_tflops', 'ref_price', 'ref_rent', 'ref_rent_date', 'rent_basis', 'estimates', 'sources'], ['A100 SXM', 'NVIDIA', 'A100;A100 SXM4;A100 80GB;A100-SXM4-80GB', '2020-05-14', '2020-09-01', 0.4, 0.8125, 80.0, 312.0, '#N/A', 15000.0, 1.1, '2026-06-30', '1-year contract (estimate)', 'volume_date (DGX A100 shipped from May 2020; volume taken as Q3 2020); ref_rent (no public index in the model reference; design estimate); fp8 not supported', 'P: NVIDIA A100 datasheet (400 W; 80 GB; BF16 dense 312 TFLOPS; DGX A100 6.5 kW for 8 GPUs); S: giacomo-brunetta/MLPerf_per_Watt README (May 2020; 400 W); V: v2-pseo (price ~15k for 80 GB); docs/model.md §3'], ['H100 SXM', 'NVIDIA', 'H100;H100 SXM5;H100-SXM;H100 80GB', '2022-03-22', '2022-09-20', 0.7, 1.275, 80.0, 989.0, 1979.0, 30000.0, 2.6, '2026-06-30', 'Silicon Data SDH100RT index mid-2026', 'ref_price (midpoint-type figure inside the 25k-40k public range)', 'P: NVIDIA H100 datasheet (700 W; 80 GB HBM3; BF16 dense 989 TFLOPS; FP8 dense 1979 TFLOPS); S: Hardware_spec.md and grokipedia H100 (GTC 22 Mar 2022; full production Sep 2022; DGX H100 10.2 kW for 8 GPUs); S: neighborhoodsf.com (25k-40k new); S: chris-gpu-rental.pages.dev (SDH100RT ~2.60 mid-2026); docs/model.md §2.1 and §3'], ['H200 SXM', 'NVIDIA', 'H200;H200 SXM5;H200 141GB', '2023-11-13', '2024-06-01', 0.7, 1.275, 141.0, 989.0, 1979.0, 32000.0, 3.0, '2026-06-30', '1-year contract (estimate)', 'volume_date (shipments Q2 2024; day is nominal); system_kw_per_gpu (assumed equal to DGX H100 10.2/8); ref_rent (design estimate: H100 index 2.60 plus ~15% memory premium; no public index in the model reference)', 'P: NVIDIA H200 datasheet (700 W; 141 GB HBM3e; same tensor throughput as H100); S: aiwiki.ai/wiki/nvidia_h200 (SC23 13 Nov 2023; shipments Q2 2024); S: huggingface.co/hardware/h200 (~32k); docs/model.md §3'], ['B200', 'NVIDIA', 'B200 SXM;HGX B200;B200 192GB', '2024-03-18', '2024-12-01', 1.0, 1.7875, 192.0, 2250.0, 4500.0, 35000.0, 5.3, '2026-06-30', 'Silicon Data SDB200RT index mid-2026', 'volume_date (shipping late 2024; day is nominal); ref_price (midpoint of the Morgan Stanley 30k-40k estimate)', 'P: NVIDIA HGX B200 specifications (BF16 dense 2.25 PFLOPS and FP8 dense 4.5 PFLOPS per GPU); S: Hardware_spec.md and thedailyscout (GTC 18 Mar 2024; 1000 W air / 1200 W liquid; DGX B200 14.3 kW for 8 GPUs); S: geektopia.es (Morgan Stanley 30k-40k); S: chris-gpu-rental.pages.dev (SDB200RT ~5.30 mid-2026); docs/model.md §3 and §4.1'], ['B300', 'NVIDIA', 'B300 SXM;HGX B300;Blackwell Ultra', '2025-03-18', '2025-07-15', 1.2, 1.8125, 288.0, 2250.0, 4500.0, 45000.0, 6.0, '2026-06-30', '1-year contract (estimate)', 'volume_date (first GB300 rack to CoreWeave Jul 2025; day is nominal); bf16 and fp8 (HGX B300 dense figures taken equal to B200; Blackwell Ultra gains are in FP4); ref_price and ref_rent (design estimates; no public figure in the model reference)', 'S: aibase.com and aiwiki GB300 (GTC 18 Mar 2025; first GB300 NVL72 to CoreWeave Jul 2025; HGX B300 1.2 kW; DGX B300 14.5 kW for 8 GPUs; 288 GB HBM3e); P: NVIDIA HGX B300 specifications (FP8 and BF16 tensor throughput); docs/model.md §3'], ['MI300X', 'AMD', 'AMD MI300X;Instinct MI300X', '2023-12-06', '2024-03-01', 0.75, 1.3, 192.0, 1307.0, 2615.0, 15000.0, 2.45, '2026-06-30', 'RunPod 36-month term (≈2024 page)', 'volume_date (Q1 2024; day is nominal); system_kw_per_gpu (design estimate for an 8-GPU OAM server); ref_price (design estimate; no public list price); ref_rent (≈2024 36-month quote used as a 2026 1-year proxy)', 'P: AMD Instinct MI300X datasheet (750 W; 192 GB HBM3; BF16 dense 1307.4 TFLOPS; FP8 dense 2614.9 TFLOPS; launch 6 Dec 2023); S: MLPerf_per_Watt and Hardware_spec.md (750 W); V: lukepiette/takehome-cro-eng RunPod page (MI300X 4.99 on-demand / 3.25 12-month / 2.45 36-month); docs/model.md §2.1 and §3'], ['Rubin', 'NVIDIA', 'VR200;Vera Rubin;Rubin NVL144;R200', '2025-03-18', '2026-09-01', 1.8, 2.0, 288.0, 8333.0, 16667.0, 60000.0, 14.72, '2026-09-01', 'expected launch rent (estimate)', 'announce_date is the GTC 2025 roadmap date (Rubin was first named earlier); power and system kW are design estimates extrapolated from B300; fp8 dense = NVL144 1.2 EF FP8 / 72 packages (NVIDIA quotes the 1.2 EF as 3.3x GB300 NVL72, whose 72 x 4.5 PF = 0.32 EF is dense, so the 1.2 EF is dense too); bf16 = fp8 / 2 (estimate); ref_rent = expected rent at volume, 25% cheaper per unit of dense FP8 throughput than B200 at 5.30 (5.30 x 16667/4500 x 0.75; design estimate); ref_price extrapolated', 'S: asianfin.com (GTC DC Oct 2025: mass production Q3-Q4 2026; 288 GB HBM4; NVL144 figures); S: hyper.ai (NVL144: 144 GPU dies in 72 packages; 3.6 EF NVFP4 inference; 1.2 EF FP8 training); S: megaobzor.com (1.2 EF FP8, 3.3x GB300 NVL72); S: futuretechstocks (H2 2026); S: itdaily.com (annual cadence; Rubin roadmap at GTC 18 Mar 2025); docs/model.md §3 and §10']],
        "catalogue: Rubin's dense FP8 is NVIDIA's 1.2 EF / 72 = 16,667 TFLOPS (it was halved as if sparse), its estimated rent follows (14.72); catalogue_step_downs with a total deflation (the default basis) skips launches already in the record and its default g is 0.25"),
    'py:catalogue_step_downs': (
        [[0.17248459958932238], [0.21585602919991753]],
        "catalogue: Rubin's dense FP8 is NVIDIA's 1.2 EF / 72 = 16,667 TFLOPS (it was halved as if sparse), its estimated rent follows (14.72); catalogue_step_downs with a total deflation (the default basis) skips launches already in the record and its default g is 0.25"),
    'py:catalogue_step_downs_rent': (
        [[0.6652977412731006], [0.07444498911413455]],
        "catalogue: Rubin's dense FP8 is NVIDIA's 1.2 EF / 72 = 16,667 TFLOPS (it was halved as if sparse), its estimated rent follows (14.72); catalogue_step_downs with a total deflation (the default basis) skips launches already in the record and its default g is 0.25"),
    'py:sample_report': (
        {'inputs': {'fleet': 'Sample H100 fleet (illustrative neo-cloud borrower)', 'sku': 'H100 SXM', 'gpus': 1024, 'valuation_date': '2026-06-30', 'gpu_cost': 30000.0, 'rent0': 2.35, 'utilization': 0.85, 'cash_cost': 0.5, 'deflation': 0.25, 'discount_rate': 0.1, 'salvage': 900.0, 'age_years': 1.0, 'book_life_years': 6.0, 'max_life_years': 7.0, 'curve_years': 6.0, 'points_per_year': 1, 'step_years': [], 'step_downs': []}, 'curve': {'columns': ['year', 'market rent', 'economic value', 'book value', 'gap', 'economic/book'], 'rows': [[0.0, 2.35, 22117.333167157874, 25150.0, 3032.6668328421256, 0.8794168257319235], [1.0, 1.7625000000000002, 12933.833900983906, 20300.0, 7366.166099016094, 0.6371346749253155], [2.0, 1.3218750000000001, 6829.67328016963, 15450.0, 8620.32671983037, 0.44205005049641616], [3.0, 0.99140625, 3113.3630262567426, 10600.0, 7486.636973743258, 0.2937134930430889], [4.0, 0.7435546875, 1274.1215686896767, 5750.0, 4475.878431310323, 0.22158635977211769], [5.0, 0.5576660156250001, 900.0, 900.0, 0.0, 1.0], [6.0, 0.41824951171875, 900.0, 900.0, 0.0, 1.0]]}, 'economic_life': 4.8144938869987755, 'value_per_gpu': 22117.333167157874, 'fleet_curve': {'columns': ['year', 'economic value', 'book value', 'gap'], 'rows': [[0.0, 22648149.163169663, 25753600.0, 3105450.8368303366], [1.0, 13244245.91460752, 20787200.0, 7542954.085392481], [2.0, 6993585.438893701, 15820800.0, 8827214.561106298], [3.0, 3188083.7388869044, 10854400.0, 7666316.261113096], [4.0, 1304700.486338229, 5888000.0, 4583299.513661771], [5.0, 921600.0, 921600.0, 0.0], [6.0, 921600.0, 921600.0, 0.0]]}},
        'the sample fleet takes the new default: a total deflation of 0.25 with no step-downs (docs/model.md 2.3, 4.1)'),
    'py:sample_report_override': (
        {'inputs': {'fleet': 'Sample H100 fleet (illustrative neo-cloud borrower)', 'sku': 'H100 SXM', 'gpus': 1024, 'valuation_date': '2026-06-30', 'gpu_cost': 30000.0, 'rent0': 2.35, 'utilization': 0.85, 'cash_cost': 0.5, 'deflation': 0.2, 'discount_rate': 0.1, 'salvage': 900.0, 'age_years': 1.0, 'book_life_years': 6.0, 'max_life_years': 7.0, 'curve_years': 4.0, 'points_per_year': 2, 'step_years': [], 'step_downs': []}, 'curve': {'columns': ['year', 'market rent', 'economic value', 'book value', 'gap', 'economic/book'], 'rows': [[0.0, 2.35, 27311.69360645188, 25150.0, -2161.6936064518814, 1.0859520320656812], [0.5, 2.101903898849802, 22404.94713738846, 22725.0, 320.05286261154106, 0.9859162656716594], [1.0, 1.8800000000000001, 18154.2631591978, 20300.0, 2145.736840802201, 0.894298677792995], [1.5, 1.681523119079842, 14497.117055245497, 17875.0, 3377.882944754503, 0.8110275275661817], [2.0, 1.5040000000000004, 11377.913969801883, 15450.0, 4072.0860301981174, 0.7364345611522254], [2.5, 1.3452184952638737, 8747.273265068312, 13025.0, 4277.726734931688, 0.6715756825388339], [3.0, 1.2032000000000003, 6561.389303533227, 10600.0, 4038.6106964667733, 0.6189989908993611], [3.5, 1.076174796211099, 4781.460536017475, 8175.0, 3393.5394639825254, 0.5848881389623822], [4.0, 0.9625600000000002, 3373.1797242911935, 5750.0, 2376.8202757088065, 0.5866399520506423]]}, 'economic_life': 6.206962159833828, 'value_per_gpu': 27311.69360645188, 'fleet_curve': {'columns': ['year', 'economic value', 'book value', 'gap'], 'rows': [[0.0, 27967174.253006727, 25753600.0, -2213574.2530067265], [0.5, 22942665.868685782, 23270400.0, 327734.13131421804], [1.0, 18589965.475018546, 20787200.0, 2197234.524981454], [1.5, 14845047.864571389, 18304000.0, 3458952.135428611], [2.0, 11650983.905077128, 15820800.0, 4169816.0949228723], [2.5, 8957207.823429951, 13337600.0, 4380392.176570049], [3.0, 6718862.646818024, 10854400.0, 4135537.353181976], [3.5, 4896215.588881894, 8371200.0, 3474984.411118106], [4.0, 3454136.037674182, 5888000.0, 2433863.962325818]]}},
        'the sample fleet takes the new default: a total deflation of 0.25 with no step-downs (docs/model.md 2.3, 4.1)'),
    'udf:haircut_full': (
        [['total', 0.5146161422983329], ['expected', 0.17612034917781183], ['drift', 0.03906360910139206], ['volatility', 0.41085587292114845], ['impact', 0.10690449676496976], ['cost', 0.04]],
        'FIRESALE_HAIRCUT adds the expected haircut (drift, impact, cost; no VaR term) after the total, and its value decline follows the 0.25 rent default; the total is the same to rounding'),
    'py:firesale_components': (
        {'total': [0.32003406395073275, 0.3597070519004074], 'expected': [0.1002947217798047, 0.15278852296707812], 'drift': [0.03366804566149817, 0.03366804566149817], 'volatility': [0.2442348038744624, 0.2442348038744624], 'impact': [0.045074893585520893, 0.10079052613579394], 'cost': [0.025, 0.025]},
        'FIRESALE_HAIRCUT adds the expected haircut (drift, impact, cost; no VaR term) after the total, and its value decline follows the 0.25 rent default; the total is the same to rounding'),
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
