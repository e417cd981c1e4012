"""Multi-collateral Monte Carlo LGD: agreement with the closed form, determinism, properties."""

import numpy as np
import pytest

from pymodel import lgd, lgd_mc
from pymodel.errors import DomainError, InputError, InputTypeError

# One lognormal collateral, Gaussian copula, one regime, no haircuts, costs or discounting:
# the setting of the closed form (§8.4 with theta = 0).
ONE = [("ead", 100.0), ("pd", 0.02), ("asset_corr", 0.2), ("gpu_value", 120.0),
       ("gpu_vol", 0.4), ("gpu_corr_calm", 0.5), ("p_stress", 0.0), ("workout_discount_rate", 0.0),
       ("workout_years", 0.0), ("horizon_years", 1.0), ("n_paths", 40_000)]
CLOSED = (0.02, 1.2, 0.4, 1.0, 0.5)


#: The deal facts every block must give (no silent defaults), at the values the tests
#: used to take by default.
FACTS = [("ead", 100.0), ("pd", 0.03), ("gpu_value", 60.0)]


def _with(block, **over):
    """The block with fields replaced or added."""
    return [(k, v) for k, v in block if k not in over] + list(over.items())


@pytest.mark.parametrize("sampling", ["conditional", "plain", "sobol"])
def test_agrees_with_closed_form_within_three_standard_errors(sampling):
    out = lgd_mc.simulate_lgd(ONE + [("sampling", sampling)])
    cf = lgd.lgd_corr(*CLOSED, asset_corr=0.2)
    assert abs(out["expected_lgd"] - cf) < 3 * out["std_error"]
    dt = lgd.lgd_downturn(*CLOSED, asset_corr=0.2)
    assert abs(out["downturn_lgd"] - dt) < 3 * out["downturn_std_error"]
    k = lgd.lgd_capital(*CLOSED, asset_corr=0.2) * 100
    assert out["capital"] == pytest.approx(k, rel=0.02)


def test_closed_form_agreement_with_other_seeds_and_inputs():
    for seed, pd, cov, rho in [(2, 0.05, 0.9, 0.3), (3, 0.01, 1.5, 0.7)]:
        out = lgd_mc.simulate_lgd(_with(ONE, seed=seed, pd=pd, gpu_value=100 * cov,
                                        gpu_corr_calm=rho))
        cf = lgd.lgd_corr(pd, cov, 0.4, 1.0, rho, asset_corr=0.2)
        assert abs(out["expected_lgd"] - cf) < 3 * out["std_error"]


def test_conditional_sampling_beats_plain():
    cond = lgd_mc.simulate_lgd(ONE + [("sampling", "conditional")])
    plain = lgd_mc.simulate_lgd(ONE + [("sampling", "plain")])
    sobol = lgd_mc.simulate_lgd(ONE + [("sampling", "sobol")])
    assert cond["std_error"] < plain["std_error"] / 3
    assert sobol["std_error"] < cond["std_error"]


def test_deterministic_per_seed_and_common_random_numbers():
    a = lgd_mc.simulate_lgd(lgd_mc.sample_inputs("miner") + [("n_paths", 20_000)])
    b = lgd_mc.simulate_lgd(lgd_mc.sample_inputs("miner") + [("n_paths", 20_000)])
    assert a == b
    sob = _with(ONE, sampling="sobol", n_paths=8_000)
    assert lgd_mc.simulate_lgd(sob) == lgd_mc.simulate_lgd(sob)
    assert lgd_mc.simulate_lgd(_with(sob, seed=5)) != lgd_mc.simulate_lgd(sob)
    c = lgd_mc.simulate_lgd(_with(lgd_mc.sample_inputs("miner"), n_paths=20_000, seed=2))
    assert c["expected_lgd"] != a["expected_lgd"]
    assert abs(c["expected_lgd"] - a["expected_lgd"]) < 5 * a["std_error"]
    # the stream does not depend on economic inputs: a small bump moves the result smoothly
    lo = lgd_mc.simulate_lgd(ONE)
    hi = lgd_mc.simulate_lgd(_with(ONE, gpu_value=120.01))
    assert 0 < lo["expected_lgd"] - hi["expected_lgd"] < 1e-4


def test_rng_digest_uses_seed_function_and_paths():
    x = lgd_mc.rng_for(1, 1000).random(3)
    assert np.array_equal(x, lgd_mc.rng_for(1, 1000).random(3))
    assert not np.array_equal(x, lgd_mc.rng_for(1, 1001).random(3))
    assert not np.array_equal(x, lgd_mc.rng_for(1, 1000, "OTHER").random(3))


def test_outputs_order_and_ranges():
    out = lgd_mc.simulate_lgd(lgd_mc.sample_inputs("miner") + [("n_paths", 20_000)])
    assert list(out) == list(lgd_mc.OUTPUTS)
    assert list(out)[0] == "expected_lgd"
    assert 0 <= out["expected_lgd"] <= out["downturn_lgd"] <= 1
    shares = [out[f"recovery_share_{k}"] for k in lgd_mc.COLLATERALS]
    assert sum(shares) == pytest.approx(1.0) and shares[2] == 0.0 and min(shares[:2]) > 0
    assert out["expected_loss"] == pytest.approx(0.04 * out["expected_lgd"] * 100)
    assert out["capital"] == pytest.approx(out["loss_q999"] - out["expected_loss"])
    neo = lgd_mc.simulate_lgd(lgd_mc.sample_inputs("neocloud") + [("n_paths", 20_000)])
    assert neo["recovery_share_btc"] == 0.0 and neo["recovery_share_receivables"] > 0


def test_stress_t_copula_and_haircuts_raise_loss():
    calm = lgd_mc.simulate_lgd(ONE)
    stress = lgd_mc.simulate_lgd(_with(ONE, p_stress=1.0))
    assert stress["expected_lgd"] > calm["expected_lgd"] + 5 * calm["std_error"]
    t = lgd_mc.simulate_lgd(_with(ONE, copula="t", nu=3.0))
    assert t["loss_q999"] > calm["loss_q999"]
    cut = lgd_mc.simulate_lgd(_with(ONE, gpu_haircut=0.3, gpu_liquidation_cost=5.0))
    assert cut["expected_lgd"] > calm["expected_lgd"] + 0.05


def test_t_copula_with_huge_nu_approaches_gaussian():
    g = lgd_mc.simulate_lgd(ONE)
    t = lgd_mc.simulate_lgd(_with(ONE, copula="t", nu=1e6))
    assert t["expected_lgd"] == pytest.approx(g["expected_lgd"], abs=4 * g["std_error"])


def test_discounting_and_cap_at_ead():
    big = lgd_mc.simulate_lgd(_with(ONE, gpu_value=1e6, gpu_vol=0.1, workout_discount_rate=0.1,
                                    workout_years=2.0))
    # recovery capped at EAD, then discounted two years at 10%
    assert big["expected_lgd"] == pytest.approx(1 - 1.1 ** -2, abs=1e-12)
    none = lgd_mc.simulate_lgd(_with(FACTS, gpu_value=0.0))
    assert none["expected_lgd"] == 1.0 and none["recovery_share_gpu"] == 0.0


@pytest.mark.parametrize("block, exc, msg", [
    ([("gpu_corr_stress", 0.99), ("btc_value", 10.0), ("btc_corr_stress", 0.9),
      ("gpu_btc_corr_stress", -0.9)], DomainError,
     r"lgd_inputs must be a positive definite stress correlation matrix of the systematic factor "
     r"and the collateral; got gpu_corr_stress 0.99, btc_corr_stress 0.9, "
     r"gpu_btc_corr_stress -0.9 \(not positive definite\)"),
    ([("n_paths", 10**7)], DomainError, r"n_paths must be in \[1000, 250000\]; got 10000000"),
    ([("n_paths", 5000.5)], InputTypeError, r"n_paths must be a whole number; got 5000.5"),
    ([("copula", "clayton")], InputTypeError, r"copula must be one of gaussian \| t"),
    ([("pd", 0.0)], DomainError, r"pd must be in \(0, 1\); got 0"),
    ([("gpu_haircut", 1.5)], DomainError, r"gpu_haircut must be in \[0, 1\]; got 1.5"),
    ([("p_stress", -0.1)], DomainError, r"p_stress must be in \[0, 1\]; got -0.1"),
    ([("gpu_vale", 1.0)], InputTypeError, r"lgd_inputs: unknown field 'gpu_vale'; did you mean "
     r"'gpu_value'\?"),
    ([("seed", -1)], DomainError, r"seed must be in \[0, 2147483647\]; got -1"),
    ([("sampling", "plain"), ("pd", 1e-7), ("n_paths", 1000)], DomainError,
     r"lgd_inputs.n_paths must be large enough to see a default \(or use sampling conditional\); "
     r"got 1000"),
    ([("sampling", "lhs")], InputTypeError,
     r"sampling must be one of conditional \| plain \| sobol"),
])
def test_error_paths(block, exc, msg):
    with pytest.raises(exc, match=msg):
        lgd_mc.simulate_lgd(_with(FACTS, **dict(block)))


def test_sample_inputs_and_fields_table():
    assert lgd_mc.sample_inputs("neocloud")[0] == ("ead", 100.0)
    with pytest.raises(DomainError, match=r"kind must be one of miner \| neocloud"):
        lgd_mc.sample_inputs("bank")
    names = [r[0] for r in lgd_mc.FIELDS.table()[1:]]
    for f in ("ead", "pd", "asset_corr", "horizon_years", "gpu_value", "gpu_vol", "gpu_corr_calm",
              "gpu_corr_stress", "btc_value", "btc_vol", "btc_corr_calm", "btc_corr_stress",
              "gpu_btc_corr_calm", "gpu_btc_corr_stress", "p_stress", "copula", "nu",
              "gpu_haircut", "gpu_liquidation_cost", "workout_years", "workout_discount_rate",
              "n_paths", "seed"):
        assert f in names


def test_t_copula_conditional_sampler_agrees_with_plain_sampling():
    """The likelihood-ratio weights of the conditional t-copula sampler against brute force."""
    blk = _with(ONE, copula="t", nu=3.0, pd=0.05, n_paths=100_000)
    cond = lgd_mc.simulate_lgd(blk)
    plain = lgd_mc.simulate_lgd(_with(blk, sampling="plain"))
    se = np.hypot(cond["std_error"], plain["std_error"])
    assert abs(cond["expected_lgd"] - plain["expected_lgd"]) < 3.5 * se


def test_t_copula_downturn_against_independent_binned_simulation():
    """Downturn batch (systematic normal score fixed at x_q, W drawn from its conditional law)
    against an independent brute-force simulation binned on the systematic score."""
    from scipy.special import ndtri, stdtr, stdtrit
    nu, pd, r, rho, sig, cov, q = 4.0, 0.05, 0.2, 0.5, 0.4, 1.2, 0.9
    out = lgd_mc.simulate_lgd(_with(ONE, copula="t", nu=nu, pd=pd, quantile=q,
                                    n_paths=100_000))
    rng = np.random.default_rng(7)
    n = 3_000_000
    w = rng.chisquare(nu, n)
    s = np.sqrt(w / nu)
    zx, xi, e = rng.standard_normal((3, n))
    za = np.sqrt(r) * zx + np.sqrt(1 - r) * xi
    zc = rho * zx + np.sqrt(1 - rho ** 2) * e
    score_x = ndtri(stdtr(nu, zx / s))
    x_q = ndtri(1 - q)
    sel = (np.abs(score_x - x_q) < 0.02) & (za / s < stdtrit(nu, pd))
    tc = zc[sel] / s[sel]
    y = np.where(tc < 0, ndtri(stdtr(nu, tc)), -ndtri(stdtr(nu, -tc)))
    lgd_bf = np.maximum(1 - cov * np.exp(sig * y - sig * sig / 2), 0)
    se = lgd_bf.std() / np.sqrt(lgd_bf.size)
    assert lgd_bf.size > 1000
    assert abs(out["downturn_lgd"] - lgd_bf.mean()) < 3.5 * np.hypot(se, out["downturn_std_error"])


def test_regime_mixture_is_the_average_of_its_regimes():
    """Regimes independent of the economy (regime_factor_corr 0): a plain mixture."""
    calm = lgd_mc.simulate_lgd(_with(ONE, p_stress=0.0, sampling="sobol"))
    stress = lgd_mc.simulate_lgd(_with(ONE, p_stress=1.0, sampling="sobol"))
    mix = lgd_mc.simulate_lgd(_with(ONE, p_stress=0.3, n_paths=100_000,
                                    regime_factor_corr=0.0))
    target = 0.7 * calm["expected_lgd"] + 0.3 * stress["expected_lgd"]
    assert abs(mix["expected_lgd"] - target) < 3 * mix["std_error"]
    d_target = 0.7 * calm["downturn_lgd"] + 0.3 * stress["downturn_lgd"]
    assert abs(mix["downturn_lgd"] - d_target) < 4 * mix["downturn_std_error"] + 1e-3


def test_defaults_cluster_in_stress():
    """Tied to the systematic factor, stress is more likely given default: expected LGD
    (given default) is above the independent mixture, and rises with the link."""
    out = {b: lgd_mc.simulate_lgd(_with(ONE, p_stress=0.3, n_paths=50_000,
                                        regime_factor_corr=b))["expected_lgd"]
           for b in (0.0, 0.5, 0.9, 1.0)}
    assert out[0.0] < out[0.5] < out[0.9] <= out[1.0] + 1e-3


def test_continuous_in_p_stress():
    """No jump between p_stress = 0 and a tiny p_stress (the regime was drawn apart from
    default, and the downturn batch switched wholesale to stress, before)."""
    base = lgd_mc.sample_inputs("miner")
    a = lgd_mc.simulate_lgd(_with(base, p_stress=0.0, n_paths=20_000))
    b = lgd_mc.simulate_lgd(_with(base, p_stress=1e-6, n_paths=20_000))
    for k in ("expected_lgd", "downturn_lgd", "loss_q999"):
        assert b[k] == pytest.approx(a[k], rel=1e-3), k
    prev = None
    for p in (0.0, 1e-4, 1e-3, 1e-2, 0.05):
        d = lgd_mc.simulate_lgd(_with(base, p_stress=p, n_paths=20_000))["downturn_lgd"]
        if prev is not None:
            assert d >= prev - 2e-3 and d - prev < 0.2
        prev = d


def test_hard_threshold_regime():
    """regime_factor_corr 1: stress exactly when the systematic score is below
    Phi^-1(p_stress); at the 99.9% quantile the downturn is all stress once p_stress > 0.001
    and all calm below."""
    base = lgd_mc.sample_inputs("miner")
    calm = lgd_mc.simulate_lgd(_with(base, p_stress=0.0, n_paths=20_000))
    stress = lgd_mc.simulate_lgd(_with(base, p_stress=1.0, n_paths=20_000))
    lo = lgd_mc.simulate_lgd(_with(base, p_stress=0.0009, regime_factor_corr=1.0,
                                   n_paths=20_000))
    hi = lgd_mc.simulate_lgd(_with(base, p_stress=0.0011, regime_factor_corr=1.0,
                                   n_paths=20_000))
    assert lo["downturn_lgd"] == pytest.approx(calm["downturn_lgd"], rel=1e-12)
    assert hi["downturn_lgd"] == pytest.approx(stress["downturn_lgd"], rel=1e-12)


RENT = [("pd", 0.03), ("gpu_vol", 0.4), ("p_stress", 0.0), ("ead", 30e6), ("gpu_corr_calm", 0.6),
        ("n_paths", 20_000)]


def test_rent_linked_gpu_value_without_cash_cost_is_the_lognormal_model():
    """With no cash cost the income value is proportional to the rent, so the rent-linked GPU
    value is lognormal around units x V(horizon): both models give the same numbers (same
    draws)."""
    from pymodel import residual
    per_gpu = float(residual.economic_value_path(1.0, 2.4, 0.85, 0.0, 0.3, 0.12)[0])
    # the rent is lognormal around the trend (median) path; the lognormal model's gpu_value is
    # the mean, e^(sigma^2 T / 2) above the median (sigma 0.4, T = 1)
    a = lgd_mc.simulate_lgd(_with(RENT, gpu_value=2000 * per_gpu * np.exp(0.4 ** 2 / 2)))
    b = lgd_mc.simulate_lgd(_with(RENT, gpu_value_model="rent", gpus=2000, rent0=2.4,
                                  cash_cost=0.0, deflation=0.3))
    for k in ("expected_lgd", "downturn_lgd", "loss_q999"):
        assert b[k] == pytest.approx(a[k], rel=1e-10)


def test_rent_linked_value_has_operating_leverage():
    """With a cash cost the GPU value falls faster than rent: the downturn LGD exceeds the
    lognormal model centred on the value at the expected rent."""
    from pymodel import residual
    per_gpu = float(residual.economic_value_path(1.0, 2.4, 0.85, 0.8, 0.3, 0.12)[0])
    a = lgd_mc.simulate_lgd(_with(RENT, gpu_value=2000 * per_gpu))
    b = lgd_mc.simulate_lgd(_with(RENT, gpu_value_model="rent", gpus=2000, rent0=2.4,
                                  cash_cost=0.8, step_years="0.5", step_downs="0.1"))
    assert b["downturn_lgd"] > a["downturn_lgd"] + 0.05


@pytest.mark.parametrize("block, exc, msg", [
    ([("gpu_value_model", "rent"), ("gpus", 10.0), ("cash_cost", 0.5)], InputError,
     r"^lgd_inputs: 'rent0' is required when gpu_value_model is rent "
     r"\(currency per GPU-hour\)$"),
    ([("gpu_value_model", "rent"), ("rent0", 2.0), ("cash_cost", 0.5)], InputError,
     r"^lgd_inputs: 'gpus' is required when gpu_value_model is rent \(GPUs\)$"),
    ([("gpu_value_model", "rent"), ("gpus", 0), ("rent0", 2.0), ("cash_cost", 0.5)],
     DomainError, r"^gpus must be >= 1; got 0$"),
    ([("gpu_value_model", "rent"), ("gpus", 10.0), ("rent0", 2.0), ("cash_cost", 0.5),
      ("step_years", "0.5; 1"), ("step_downs", "0.1")], InputTypeError,
     r"lgd_inputs.step_downs must have the same length as step_years \(2\); got 1"),
    ([("gpu_value_model", "dcf")], InputTypeError,
     r"gpu_value_model must be one of lognormal \| rent"),
])
def test_rent_model_errors(block, exc, msg):
    with pytest.raises(exc, match=msg):
        lgd_mc.simulate_lgd(_with(FACTS[:2], **dict(block)))


def test_renamed_fields_are_still_read_with_a_note():
    """gpu_units is now gpus and discount_rate (of the workout) workout_discount_rate; the old
    names are read for one release, with a DeprecationWarning and a row in the field list."""
    new = _with(RENT, gpu_value_model="rent", gpus=2000, rent0=2.4, cash_cost=0.5,
                workout_discount_rate=0.08)
    old = _with(RENT, gpu_value_model="rent", gpu_units=2000.0, rent0=2.4, cash_cost=0.5,
                discount_rate=0.08)
    with pytest.warns(DeprecationWarning) as rec:
        assert lgd_mc.simulate_lgd(old) == lgd_mc.simulate_lgd(new)
    said = " ".join(str(w.message) for w in rec)
    assert "'gpu_units' is renamed 'gpus'" in said
    assert "'discount_rate' is renamed 'workout_discount_rate'" in said
    rows = {r[0]: r for r in lgd_mc.FIELDS.table()[1:]}
    assert rows["discount_rate"][1] == "renamed"
    assert "'workout_discount_rate'" in rows["discount_rate"][3]


def test_ead_pd_and_the_collateral_are_required():
    with pytest.raises(InputError, match=r"^lgd_inputs: 'ead' is required \(currency\); also "
                                         r"missing: 'pd', 'gpu_value'$"):
        lgd_mc.simulate_lgd([("btc_value", 10.0)])
    with pytest.raises(DomainError, match=r"^ead must be > 0 \(the LGD is a share of EAD\); "
                                          r"got 0$"):
        lgd_mc.simulate_lgd(_with(FACTS, ead=0.0))


def test_waterfall_prior_and_pari_passu_claims():
    """Prior claims take the GPUs and receivables first; pari passu claims share the rest. By
    hand on one deterministic path (no volatility): collateral values are their expectations."""
    det = [("ead", 100.0), ("pd", 0.03), ("gpu_value", 80.0), ("gpu_vol", 0.0),
           ("gpu_vol_stress", 0.0), ("btc_value", 30.0), ("btc_vol", 0.0),
           ("btc_vol_stress", 0.0), ("receivables_value", 20.0), ("receivables_vol", 0.0),
           ("workout_years", 0.0), ("p_stress", 0.0), ("n_paths", 1000)]
    senior = lgd_mc.simulate_lgd(det)
    assert senior["expected_lgd"] == pytest.approx(0.0, abs=1e-12)   # 130 covers 100
    sub = lgd_mc.simulate_lgd(_with(det, senior_secured_claims=90.0, pari_passu_claims=25.0))
    # (max(0, 80 + 20 - 90) + 30) x 100 / 125 = 32
    assert sub["expected_lgd"] == pytest.approx(1 - 32.0 / 100.0, rel=1e-12)
    assert sub["recovery_share_gpu"] == pytest.approx(8.0 / 40.0, rel=1e-12)
    assert sub["recovery_share_btc"] == pytest.approx(30.0 / 40.0, rel=1e-12)
    wiped = lgd_mc.simulate_lgd(_with(det, senior_secured_claims=500.0))
    assert wiped["expected_lgd"] == pytest.approx(1 - 30.0 / 100.0, rel=1e-12)
    # subordination never lowers the LGD
    mc = lgd_mc.sample_inputs("miner")
    a = lgd_mc.simulate_lgd(_with(mc, n_paths=20_000))
    b = lgd_mc.simulate_lgd(_with(mc, n_paths=20_000, senior_secured_claims=30.0))
    c = lgd_mc.simulate_lgd(_with(mc, n_paths=20_000, senior_secured_claims=30.0,
                                  pari_passu_claims=50.0))
    assert a["expected_lgd"] < b["expected_lgd"] < c["expected_lgd"]


@pytest.mark.parametrize("nu", [2.0, 4.0, 6.0, 10.0, 30.0, 60.0])
def test_closed_form_t_tail_agrees_with_the_incomplete_beta_function(nu):
    from scipy.special import stdtr
    t = np.concatenate([[0.0, 1e-300, 1e-12, 0.5, 1.0, 3.0], np.logspace(-8, min(150.0, 600.0 / nu), 4000),
                        [1e200]])
    got = lgd_mc.t_lower_tail(nu, t)
    ref = stdtr(nu, -t)
    normal = ref > 1e-290                  # above underflow (the score clips at 1e-300)
    assert normal.sum() > 1000
    np.testing.assert_allclose(got[normal], ref[normal], rtol=1e-13, atol=0)
    assert (got[~normal] <= 1e-290).all() and (got >= 0).all()
    assert lgd_mc.t_lower_tail(nu, np.array([np.inf]))[0] == 0.0
    assert float(lgd_mc.t_lower_tail(nu, 2.0)) == pytest.approx(stdtr(nu, -2.0), rel=1e-13)
    assert float(lgd_mc._normal_score(-1.5, 1.0, nu)) == pytest.approx(
        -float(lgd_mc._normal_score(np.array([1.5]), 1.0, nu)[0]), rel=1e-15)
    assert np.isnan(lgd_mc.t_lower_tail(nu, np.array([np.nan]))[0])


def test_closed_form_t_tail_against_textbook_formulas():
    """nu = 2: (1 - t / sqrt(2 + t^2)) / 2; nu = 4: 1/2 - 3q/4 + q^3/4, q = t / sqrt(4 + t^2)
    (Abramowitz and Stegun 26.7.4), where the tail is not so small that they cancel."""
    t = np.linspace(0.0, 3.0, 301)
    q2, q4 = t / np.sqrt(2 + t * t), t / np.sqrt(4 + t * t)
    np.testing.assert_allclose(lgd_mc.t_lower_tail(2.0, t), (1 - q2) / 2, rtol=1e-14)
    np.testing.assert_allclose(lgd_mc.t_lower_tail(4.0, t), 0.5 - 0.75 * q4 + 0.25 * q4 ** 3,
                               rtol=1e-13)
    assert lgd_mc._t_tail_poly(2) == (1.0, 0.5)
    assert all(c > 0 for k in range(1, 31) for c in lgd_mc._t_tail_poly(k))


@pytest.mark.parametrize("nu", [3.0, 4.5, 62.0, 1e6])
def test_other_degrees_of_freedom_use_the_incomplete_beta_function(nu):
    from scipy.special import stdtr
    t = np.logspace(-3, 3, 50)
    assert np.array_equal(lgd_mc.t_lower_tail(nu, t), stdtr(nu, -t))


def test_t_copula_results_with_the_closed_form_tail_are_those_of_scipy(monkeypatch):
    """The closed form changes the arithmetic only: the results agree to 1e-12 relative."""
    from scipy.special import stdtr
    blk = _with(ONE, copula="t", nu=4.0, n_paths=20_000, btc_value=30.0, btc_vol=0.7)
    fast = lgd_mc.simulate_lgd(blk)
    monkeypatch.setattr(lgd_mc, "t_lower_tail", lambda nu, t: stdtr(nu, -np.asarray(t)))
    ref = lgd_mc.simulate_lgd(blk)
    assert fast.keys() == ref.keys()
    for k in ref:
        assert fast[k] == pytest.approx(ref[k], rel=1e-12, abs=1e-300), k
