"""Portfolio loss with common GPU-price factors: limits, agreement with LGD_MC, Euler
allocation, determinism, bad input."""

import numpy as np
import pandas as pd
import pytest

from pymodel import lgd, lgd_mc, portfolio as P
from pymodel.errors import DomainError, InputError, InputTypeError


def _book(n=40, seed=0):
    rng = np.random.default_rng(seed)
    pds = np.repeat(rng.choice([0.01, 0.02, 0.05], (n + 1) // 2), 2)[:n]
    return pd.DataFrame({
        "loan_id": [f"F{i:03d}" for i in range(n)],
        "borrower": [f"B{i // 2}" for i in range(n)],
        "tenant": rng.choice(["Microsoft", "Meta", "-"], n),
        "sector": rng.choice(["neo-cloud", "miner"], n),
        "ead": rng.uniform(10, 100, n), "pd": pds,
        "collateral_value": rng.uniform(10, 120, n),
        "collateral_vol": rng.uniform(0.3, 0.6, n),
        "sku": rng.choice(["H100", "B200", "H100: 0.5; B200: 0.5", "MI300X"], n),
        "btc_share": rng.choice([0.0, 0.0, 0.3], n),
    })


FAST = {"loss_paths": 8192, "loan_paths": 4096}


def test_euler_contributions_add_up_to_es_exactly_and_outputs_are_consistent():
    res = P.simulate_portfolio(_book(), {**FAST, "copula": "t"})
    s = res.summary
    assert list(s) == list(P.OUTPUTS)
    assert res.loans["es_contribution"].sum() == pytest.approx(s["expected_shortfall"],
                                                               rel=1e-12)
    assert res.loans["es_share"].sum() == pytest.approx(1.0, rel=1e-12)
    assert res.loans["expected_loss"].sum() == pytest.approx(s["expected_loss"], rel=1e-12)
    assert 0 < s["expected_loss"] < s["loss_q99"] <= s["loss_q999"] <= s["expected_shortfall"]
    assert s["expected_shortfall"] <= s["total_ead"]
    assert s["capital"] == pytest.approx(s["loss_q999"] - s["expected_loss"])
    assert s["diversification_factor"] == pytest.approx(s["capital"] /
                                                        s["sum_single_capital"])
    assert (res.loans["expected_lgd"].between(0, 1)).all()
    assert (res.loans["downturn_lgd"] >= res.loans["expected_lgd"] - 0.02).all()
    # contributions of a loan never exceed its EAD (losses are bounded by EAD on every path)
    assert (res.loans["es_contribution"] <= res.loans["ead"] * (1 + 1e-12)).all()
    for dim in ("borrower", "sku", "tenant", "sector"):
        c = res.concentration[dim]
        assert c["es_contribution"].sum() == pytest.approx(s["expected_shortfall"], rel=1e-9)
        assert c["ead"].sum() == pytest.approx(s["total_ead"], rel=1e-12)
    assert set(res.concentration["sku"]["sku"]) == {"H100 SXM", "B200", "MI300X", "BTC"}
    assert s["hhi_borrower"] == pytest.approx(
        ((res.concentration["borrower"]["ead"] / s["total_ead"]) ** 2).sum())


def test_the_weighted_sample_reproduces_the_reported_tail():
    """ES from the per-path sample and the tail weights, computed here independently."""
    res = P.simulate_portfolio(_book(20), FAST)
    loss, w = res.losses, res.weights
    n = loss.size
    var = res.summary["loss_q999"]
    tail_above = w[loss > var].sum() / n
    tail_at = w[loss >= var].sum() / n
    assert tail_above <= 0.001 <= tail_at
    es = (np.sum(w[loss > var] * loss[loss > var]) / n + var * (0.001 - tail_above)) / 0.001
    assert res.summary["expected_shortfall"] == pytest.approx(es, rel=1e-10)
    assert np.mean(w) == pytest.approx(1.0, abs=0.05)    # the likelihood ratio averages to 1


def test_deterministic_per_seed_and_independent_of_the_executor():
    book = _book(30)
    a = P.simulate_portfolio(book, FAST)
    # simulate_many: simulate_portfolio would answer from its memo
    b = P.simulate_many([P.prepare(book, FAST)], map_fn=lambda fn, args: [
        fn(*x) for x in reversed(list(args))][::-1])[0]
    assert a.summary == b.summary
    pd.testing.assert_frame_equal(a.loans, b.loans)
    c = P.simulate_portfolio(book, {**FAST, "seed": 2})
    assert c.summary["loss_q999"] != a.summary["loss_q999"]
    assert abs(c.summary["loss_q999"] - a.summary["loss_q999"]) < \
        5 * (a.summary["loss_q999_std_error"] + c.summary["loss_q999_std_error"])


def test_loss_and_contributions_of_the_same_inputs_simulate_once(monkeypatch):
    calls = []
    real = P.simulate_many

    def counting(models, map_fn=P.serial_map):
        calls.append(len(models))
        return real(models, map_fn)

    monkeypatch.setattr(P, "simulate_many", counting)
    monkeypatch.setattr(P, "_MEMO", type(P._MEMO)())
    book = _book(24)
    block = P.portfolio_loss_block(book, FAST)
    table = P.contribution_table(book, FAST)
    assert calls == [1]
    fresh = real([P.prepare(book, FAST)])[0]      # the memo answers what a simulation gives
    assert block == [[k, v] for k, v in fresh.summary.items()]
    pd.testing.assert_frame_equal(table, fresh.loans)
    table["es_contribution"] = 0.0                 # a caller's change does not reach the memo
    pd.testing.assert_frame_equal(P.contribution_table(book, FAST), fresh.loans)
    assert calls == [1]
    P.contribution_table(book, {**FAST, "seed": 2})          # other settings: simulated
    changed = book.assign(ead=book["ead"] * 1.01)            # other tape: simulated
    P.portfolio_loss_block(changed, FAST)
    assert calls == [1, 1, 1]
    for i in range(P.MEMO_SIZE + 2):                        # bounded
        P.portfolio_loss_block(book, {**FAST, "seed": 10 + i})
    assert len(P._MEMO) == P.MEMO_SIZE


def test_the_loan_batch_in_row_blocks_gives_the_same_draws_and_results(monkeypatch):
    book = _book(30)
    whole = P.simulate_many([P.prepare(book, FAST)])[0]
    monkeypatch.setattr(P, "ROW_BLOCK", 333)      # blocks not dividing the chunk
    blocks = P.simulate_many([P.prepare(book, FAST)])[0]
    assert blocks.summary == whole.summary
    pd.testing.assert_frame_equal(blocks.loans, whole.loans)
    monkeypatch.setattr(P, "BLOCK_CELLS", 1000)   # 33 paths a block for 30 loans
    assert P._block_rows(30) == 33
    P.clear_memo()
    small = P.simulate_many([P.prepare(book, FAST)])[0]
    assert small.summary == whole.summary
    pd.testing.assert_frame_equal(small.loans, whole.loans)


@pytest.mark.parametrize("copula", ["gaussian", "t"])
def test_the_loan_batch_memory_is_bounded_by_its_row_blocks(copula):
    import tracemalloc
    paths, n = P.PATH_CHUNK, 256
    m = P.prepare(_book(n), {"loan_paths": paths, "copula": copula})
    assert len(m.chunks) == 1 and P.ROW_BLOCK < paths
    P.clear_memo()
    tracemalloc.start()
    try:
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(P, "SCORE_MEMORY", 0)       # kept scores have their own bound (below)
            P._task_loans(m, 0, 0, paths)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # the two per-(path, loan) arrays the chunk's sums need, and the LGD's temporaries for one
    # block of paths (the LGD of a whole chunk at once held about a dozen such arrays)
    assert peak < (2 * paths + 16 * P.ROW_BLOCK) * n * 8


def test_one_loan_matches_lgd_mc():
    for copula in ("gaussian", "t"):
        tape = {"ead": [100.0], "pd": [0.02], "asset_corr": [0.2], "collateral_value": [120.0],
                "collateral_vol": [0.4], "sku": ["H100"]}
        common = {"copula": copula, "workout_discount_rate": 0.05, "workout_years": 1.0,
                  "gpu_haircut": 0.2}
        res = P.simulate_portfolio(tape, {**common, "gpu_credit_corr": 0.5,
                                          "collateral_loading": 1.0, "loss_paths": 4096,
                                          "loan_paths": 60_000})
        mc = lgd_mc.simulate_lgd(list(common.items()) + [
            ("ead", 100.0), ("pd", 0.02), ("asset_corr", 0.2), ("gpu_value", 120.0),
            ("gpu_vol", 0.4), ("gpu_corr_calm", 0.5), ("p_stress", 0.0),
            ("n_paths", 60_000)])
        row = res.loans.iloc[0]
        assert row["expected_lgd"] == pytest.approx(mc["expected_lgd"], abs=4 * mc["std_error"]
                                                    + 0.003)
        assert row["downturn_lgd"] == pytest.approx(mc["downturn_lgd"], abs=0.006)
        assert row["expected_loss"] == pytest.approx(mc["expected_loss"], rel=0.02)
        assert row["single_capital"] == pytest.approx(mc["capital"], rel=0.02)
        # one loan: the 99.9% loss is EAD x the 95% quantile of its LGD given default (0.001 /
        # 0.02 = 5% of the default mass), far above its ASRF capital
        assert res.summary["loss_q999"] > res.summary["fine_grained_loss_q999"]


def test_fine_grained_limit_without_common_factors_matches_the_closed_form():
    """Many small loans, only the credit factor common: VaR_0.999 -> sum_i EL_i(x_q), the ASRF
    loss of pymodel.lgd (LGD_CAPITAL + EL), with collateral correlation beta x rho_XG."""
    n = 1500
    tape = {"ead": np.full(n, 1.0), "pd": np.full(n, 0.02), "asset_corr": np.full(n, 0.15),
            "collateral_value": np.full(n, 1.2), "collateral_vol": np.full(n, 0.4)}
    settings = {"common_factors": "off", "gpu_credit_corr": 0.6, "collateral_loading": 0.8,
                "workout_discount_rate": 0.0, "workout_years": 0.0, "loss_paths": 12_288,
                "loan_paths": 2048}
    res = P.simulate_portfolio(tape, settings)
    rho = 0.6 * 0.8
    asrf = (lgd.lgd_capital(0.02, 1.2, 0.4, 1.0, rho, asset_corr=0.15)
            + lgd.expected_loss_corr(0.02, 1.2, 0.4, 1.0, rho, asset_corr=0.15))
    s = res.summary
    assert s["fine_grained_loss_q999"] / n == pytest.approx(asrf, rel=0.015)
    # the granularity add-on is positive and small (order 1/n), within the Monte Carlo error
    gap = s["loss_q999"] / n - asrf
    assert -3 * s["loss_q999_std_error"] / n < gap < 0.03 * asrf + 3 * s[
        "loss_q999_std_error"] / n
    assert s["loss_q999_std_error"] / s["loss_q999"] < 0.02   # the stated tail error is small


def test_common_gpu_factor_raises_capital_above_single_loan_capital():
    """Same loans, concentrated on one SKU: the common GPU factor (on) makes the tail heavier
    than the single-factor view (off)."""
    n = 200
    tape = {"ead": np.full(n, 1.0), "pd": np.full(n, 0.02), "asset_corr": np.full(n, 0.15),
            "collateral_value": np.full(n, 1.1), "collateral_vol": np.full(n, 0.5),
            "sku": ["H100"] * n}
    base = {"gpu_credit_corr": 0.3, "collateral_loading": 0.95, **FAST}
    on = P.simulate_portfolio(tape, {**base, "common_factors": "on"}).summary
    off = P.simulate_portfolio(tape, {**base, "common_factors": "off"}).summary
    assert on["loss_q999"] > off["loss_q999"] + 3 * (on["loss_q999_std_error"]
                                                      + off["loss_q999_std_error"])
    assert on["expected_loss"] == pytest.approx(off["expected_loss"], rel=1e-12)
    assert on["sum_single_capital"] == pytest.approx(off["sum_single_capital"], rel=1e-12)
    assert on["diversification_factor"] > off["diversification_factor"]


def test_importance_sampling_lowers_the_tail_error():
    book = _book(40)
    imp = P.simulate_portfolio(book, FAST).summary
    plain = P.simulate_portfolio(book, {**FAST, "tail_sampling": "plain"}).summary
    assert imp["loss_q999_std_error"] < plain["loss_q999_std_error"]
    assert abs(imp["loss_q999"] - plain["loss_q999"]) < 4 * (imp["loss_q999_std_error"]
                                                             + plain["loss_q999_std_error"])


def test_collateral_and_seniority_move_loss_the_right_way():
    base = _book(20)
    res = P.simulate_portfolio(base, FAST).summary
    more = base.assign(collateral_value=base["collateral_value"] * 1.5)
    assert P.simulate_portfolio(more, FAST).summary["expected_loss"] < res["expected_loss"]
    unsec = base.assign(seniority="unsecured")
    out = P.simulate_portfolio(unsec, {**FAST, "workout_discount_rate": 0.0})
    assert np.allclose(out.loans["expected_lgd"], 1.0)
    sub = base.assign(seniority="subordinated", prior_claims=base["collateral_value"] * 0.5)
    assert P.simulate_portfolio(sub, FAST).summary["expected_loss"] > res["expected_loss"]
    dd = P.simulate_portfolio(base, {**FAST, "btc_drawdown": 0.5}).summary
    assert dd["expected_loss"] > res["expected_loss"]


def test_borrowers_default_together():
    tape = {"loan_id": ["a", "b"], "borrower": ["X", "X"], "ead": [10.0, 20.0],
            "pd": [0.05, 0.05], "collateral_value": [0.0, 0.0]}
    res = P.simulate_portfolio(tape, {**FAST, "workout_discount_rate": 0.0})
    loss = res.losses
    assert set(np.round(np.unique(loss), 9)) <= {0.0, 30.0}
    assert res.summary["n_borrowers"] == 1


def test_factor_corr_matrix_and_its_errors():
    book = _book(10)
    labels = P.factor_labels(P.parse_tape(book).families)
    assert labels[0] == "credit" and labels[-1] == "btc"
    k = len(labels)
    c = np.full((k, k), 0.3) + 0.7 * np.eye(k)
    a = P.simulate_portfolio(book, FAST, factor_corr=pd.DataFrame(c, labels, labels)).summary
    assert a["expected_loss"] > 0
    bad = c.copy()
    bad[0, 1] = 0.9
    with pytest.raises(DomainError, match=r"factor_corr row credit, column gpu:.* symmetric"):
        P.prepare(book, FAST, factor_corr=pd.DataFrame(bad, labels, labels))
    bad = np.eye(k)
    bad[0, 1:] = bad[1:, 0] = 0.9
    bad[1:, 1:] = -0.3 + 1.3 * np.eye(k - 1)
    with pytest.raises(DomainError, match="positive semi-definite"):
        P.prepare(book, FAST, factor_corr=bad)
    with pytest.raises(InputTypeError, match="missing"):
        P.prepare(book, FAST, factor_corr=pd.DataFrame(c[:-1, :-1], labels[:-1], labels[:-1]))


def test_settings_that_do_not_form_a_correlation_matrix():
    with pytest.raises(DomainError, match=r"gpu_credit_corr 0.9, btc_credit_corr 0.9, "
                                          r"gpu_btc_corr -0.9.*smallest eigenvalue"):
        P.prepare(_book(6), {"gpu_credit_corr": 0.9, "btc_credit_corr": 0.9,
                             "gpu_btc_corr": -0.9})


@pytest.mark.parametrize("change, pattern", [
    (lambda t: t.drop(columns="pd"), r"tape has no column pd \(required\)"),
    (lambda t: t.assign(ead=[5.0, -1.0] + [5.0] * 4),
     r"tape row 2 \(loan 'F001'\), column ead must be >= 0; got -1"),
    (lambda t: t.assign(pd=[0.02] * 3 + [1.5] * 3),
     r"tape row 4 \(loan 'F003'\), column pd must be in \(0, 1\); got 1.5"),
    (lambda t: t.assign(pd=[0.02, 0.03] + [0.02] * 4),
     r"tape row 2 \(loan 'F001'\), column pd must be the same for every loan of borrower "
     r"'B0' \(tape row 1 has 0.02\)"),
    (lambda t: t.assign(sku=["H100: 0.5; B200: 0.4"] + ["H100"] * 5),
     r"tape row 1 \(loan 'F000'\), column sku .*add up to 0.9"),
    (lambda t: t.rename(columns={"collateral_vol": "colateral_vol"}),
     r"did you mean 'collateral_vol'"),
    (lambda t: t.assign(collateral_value=[1.0, None, 1, 1, 1, 1]),
     r"tape row 2 \(loan 'F001'\), column collateral_value is required"),
    (lambda t: t.assign(btc_share=[0, 0, "lots", 0, 0, 0]),
     r"tape row 3 \(loan 'F002'\), column btc_share must be a number"),
    (lambda t: t.assign(seniority=["senior", "junior"] + ["senior"] * 4),
     r"tape row 2 .*column seniority must be one of senior \| subordinated \| unsecured"),
    (lambda t: t.assign(seniority=["subordinated"] + ["senior"] * 5),
     r"tape row 1 .*column prior_claims must be > 0 for a subordinated loan"),
    (lambda t: t.assign(loan_id=["a", "b", "a", "c", "d", "e"]),
     r"tape row 3 \(loan 'a'\), column loan_id repeats 'a', already in tape row 1"),
])
def test_bad_tapes_name_row_and_column(change, pattern):
    tape = change(_book(6))
    with pytest.raises(InputError, match=pattern):
        P.simulate_portfolio(tape, FAST)


def test_tape_as_an_excel_range_with_header_and_blank_rows():
    rows = [["Loan ID", "EAD", "PD", "Collateral value", "SKU", None],
            ["A1", 50.0, 0.02, 60.0, "H100 SXM5", None],
            [1002.0, 30.0, 0.03, 20.0, "b200", None],
            [None, None, None, None, None, None]]
    book = P.parse_tape(rows)
    assert book.loan_id == ("A1", "1002") and book.n == 2
    assert book.families == ("H100 SXM", "B200")
    assert book.asset_corr[0] == pytest.approx(0.12 * (1 - np.exp(-1)) / (1 - np.exp(-50))
                                               + 0.24 * (1 - (1 - np.exp(-1))
                                                         / (1 - np.exp(-50))))
    with pytest.raises(InputError, match="tape must be a range with a header row"):
        P.parse_tape(5.0)


def test_unknown_sku_names_are_their_own_family_and_mixes_parse():
    book = P.parse_tape({"ead": [1, 1, 1], "pd": [0.01] * 3, "collateral_value": [1, 1, 1],
                         "sku": ["Gaudi 3", "H100 60%, gaudi 3 40%", "H200"]})
    assert book.families == ("Gaudi 3", "H100 SXM", "H200 SXM")
    assert book.mix[1].tolist() == pytest.approx([0.4, 0.6, 0.0])


def test_stated_tail_standard_errors_match_the_spread_over_seeds():
    """The 99.9% loss and ES standard errors (sectioning) describe the spread of the estimate
    over independent seeds: sd over 8 seeds / mean stated error within chi-square bounds for
    7 degrees of freedom (0.3 and 2.0 hold with probability above 99.8%)."""
    book = _book(30)
    runs = [P.simulate_portfolio(book, {"loss_paths": 4096, "loan_paths": 1000,
                                        "seed": s}).summary for s in range(8)]
    for key in ("loss_q999", "expected_shortfall"):
        values = np.array([r[key] for r in runs])
        stated = np.mean([r[key + "_std_error"] for r in runs])
        assert stated > 0
        assert 0.3 < np.std(values, ddof=1) / stated < 2.0, key


def test_t_copula_results_with_the_closed_form_tail_are_those_of_scipy(monkeypatch):
    """The Student-t tail in closed form (nu = 4) changes the arithmetic, not the draws: every
    output agrees with scipy's incomplete beta function to 1e-12 relative."""
    from scipy.special import stdtr
    book, st = _book(30), {**FAST, "copula": "t", "nu": 4.0}
    fast = P.simulate_many([P.prepare(book, st)])[0]
    monkeypatch.setattr(lgd_mc, "t_lower_tail", lambda nu, t: stdtr(nu, -np.asarray(t)))
    ref = P.simulate_many([P.prepare(book, st)])[0]
    assert fast.summary.keys() == ref.summary.keys()
    for k, v in ref.summary.items():
        assert fast.summary[k] == pytest.approx(v, rel=1e-12, abs=1e-300), k
    num = [c for c in P.CONTRIB_COLUMNS if c not in ("loan_id", "borrower", "tenant", "sku")]
    np.testing.assert_allclose(fast.loans[num].to_numpy(float), ref.loans[num].to_numpy(float),
                               rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(fast.losses, ref.losses, rtol=1e-12, atol=0)
    assert np.array_equal(fast.weights, ref.weights)


#: A new value of every setting (the base below is the t copula with importance sampling).
_NEW_SETTING = {
    "copula": "gaussian", "nu": 5.0, "gpu_credit_corr": 0.5, "btc_credit_corr": 0.35,
    "gpu_btc_corr": 0.25, "gpu_family_corr": 0.7, "collateral_loading": 0.8,
    "common_factors": "off", "gpu_vol": 0.45, "btc_vol": 0.6, "btc_drawdown": 0.1,
    "horizon_years": 1.5, "gpu_haircut": 0.1, "btc_haircut": 0.1, "unsecured_recovery": 0.1,
    "workout_years": 1.5, "workout_discount_rate": 0.12, "es_level": 0.99,
    "tail_sampling": "plain", "is_shift": -2.0, "loss_paths": 1500, "loan_paths": 1500,
    "seed": 2}


def _memo_book():
    df = _book(12)
    df["asset_corr"] = np.repeat([0.12, 0.15, 0.2, 0.18, 0.1, 0.14], 2)
    df["seniority"] = ["senior"] * 5 + ["subordinated"] + ["senior"] * 6
    df["prior_claims"] = [0.0] * 5 + [5.0] + [0.0] * 6
    df["gpu_liquidation_cost"] = 1.0
    df.loc[7, "collateral_vol"] = np.nan         # takes the setting gpu_vol
    df["btc_share"] = [0.0, 0.3] * 6
    df["hurdle_spread"] = np.linspace(0.02, 0.05, 12)     # columns the model does not read
    df["note"] = "priced"
    return df


def test_the_memo_is_keyed_on_exactly_what_the_simulation_reads(monkeypatch):
    """Every tape column and setting the model reads re-simulates when it changes; a column it
    does not read (a pricing column next to the tape, a note) does not."""
    calls = []
    real = P.simulate_many

    def counting(models, map_fn=P.serial_map):
        calls.append(1)
        return real(models, map_fn)

    monkeypatch.setattr(P, "simulate_many", counting)
    P.clear_memo()
    base = _memo_book()
    st = {"copula": "t", "loss_paths": 1000, "loan_paths": 1000}
    ref = P.simulate_portfolio(base, st)
    assert len(calls) == 1
    # columns the model does not read: the same simulation, not run again
    unused = base.assign(hurdle_spread=base["hurdle_spread"] * 1.2, note="repriced",
                         margin=0.05)
    got = P.simulate_portfolio(unused, st)
    assert len(calls) == 1
    assert got.summary == ref.summary
    pd.testing.assert_frame_equal(got.loans, ref.loans)

    def one_row(col, value, rows=(3,)):
        df = base.copy()
        for r in rows:
            df.loc[r, col] = value
        return df

    tapes = {
        "ead": one_row("ead", base.loc[3, "ead"] * 1.001),
        "pd": one_row("pd", 0.07, rows=(2, 3)),
        "asset_corr": one_row("asset_corr", 0.16, rows=(2, 3)),
        "collateral_value": one_row("collateral_value", base.loc[3, "collateral_value"] + 1),
        "collateral_vol": one_row("collateral_vol", 0.61),
        "btc_share": one_row("btc_share", 0.31),
        "seniority": one_row("seniority", "unsecured"),
        "prior_claims": one_row("prior_claims", 6.0, rows=(5,)),
        "gpu_liquidation_cost": one_row("gpu_liquidation_cost", 2.0),
        "sku": one_row("sku", "H200" if base.loc[3, "sku"] != "H200" else "B200"),
        "borrower": one_row("borrower", "another borrower"),
    }
    assert set(tapes) | {"loan_id", "tenant", "sector"} >= \
        {c for c in P.TAPE_COLUMNS.names() if c != "sku_mix"} | {"sku"}
    for col, df in tapes.items():
        n = len(calls)
        P.simulate_portfolio(df, st)
        assert len(calls) == n + 1, col
    assert set(_NEW_SETTING) == set(P.SETTINGS.names())
    for name, value in _NEW_SETTING.items():
        n = len(calls)
        P.simulate_portfolio(base, {**st, name: value})
        assert len(calls) == n + 1, name
    n = len(calls)
    labels = P.factor_labels(P.parse_tape(base).families)
    corr = np.full((len(labels), len(labels)), 0.3) + 0.7 * np.eye(len(labels))
    P.simulate_portfolio(base, st, factor_corr=corr)
    assert len(calls) == n + 1
    # labels are part of the result: a new one is in it
    renamed = base.assign(loan_id=[f"X{i}" for i in range(12)], tenant="T", sector="S")
    got = P.simulate_portfolio(renamed, st)
    assert list(got.loans["loan_id"]) == [f"X{i}" for i in range(12)]
    assert list(got.concentration["tenant"]["tenant"]) == ["T"]


def _same_result(a, b):
    assert a.summary == b.summary
    pd.testing.assert_frame_equal(a.loans, b.loans)
    assert np.array_equal(a.losses, b.losses) and np.array_equal(a.weights, b.weights)


@pytest.mark.parametrize("copula,factors", [("t", "on"), ("gaussian", "off")])
def test_kept_scores_never_change_a_result(copula, factors):
    """After a simulation, another with any one input changed gives what it gives in a new
    process (bit for bit): the scores kept are used exactly when their inputs are the same."""
    base = _memo_book()
    st = {"copula": copula, "common_factors": factors, "loss_paths": 1000,
          "loan_paths": 1000}
    changes = [(base.assign(collateral_value=base["collateral_value"] * 1.1), st),
               (base.assign(ead=base["ead"] * 1.001), st),
               (base.assign(pd=base["pd"] * 1.5), st),
               (base.assign(btc_share=0.0), st),
               (base.assign(sku="H100"), st)]
    changes += [(base, {**st, k: v}) for k, v in _NEW_SETTING.items()
                if k not in ("copula", "common_factors", "loss_paths", "loan_paths")]
    for tape, settings in changes:
        P.clear_memo()
        P.simulate_portfolio(base, st)              # keeps the scores of the base
        P._MEMO.clear()                             # but not its result
        warm = P.simulate_portfolio(tape, settings)
        P.clear_memo()
        _same_result(warm, P.simulate_portfolio(tape, settings))


def test_kept_scores_serve_a_collateral_change_and_pass_two(monkeypatch):
    book = _memo_book()
    st = {"copula": "t", "loss_paths": 2000, "loan_paths": 2000}
    P.clear_memo()
    computed = []
    real = P._scores
    monkeypatch.setattr(P, "_scores", lambda *a: computed.append(1) or real(*a))
    cold = P.simulate_portfolio(book, st)
    n_cold = len(computed)
    assert n_cold > 0
    # an LGD input: no score computed again, and the result of a new process
    changed = book.assign(collateral_value=book["collateral_value"] * 0.9)
    warm = P.simulate_portfolio(changed, {**st, "gpu_haircut": 0.2})
    assert len(computed) == n_cold
    P.clear_memo()
    _same_result(warm, P.simulate_portfolio(changed, {**st, "gpu_haircut": 0.2}))
    assert len(computed) == 2 * n_cold
    # a borrower's PD (the loan batch's sampling shift stays): the loss run's defaults
    # change, the loan batch's scores do not
    grid = []
    monkeypatch.setattr(P, "_scores", lambda *a: grid.append(np.ndim(a[3]) == 2) or real(*a))
    riskier = changed.assign(pd=np.where(changed["borrower"] == "B1", 0.021, changed["pd"]))
    P._MEMO.clear()
    warm = P.simulate_portfolio(riskier, {**st, "gpu_haircut": 0.2})
    assert grid and not any(grid)
    P.clear_memo()
    _same_result(warm, P.simulate_portfolio(riskier, {**st, "gpu_haircut": 0.2}))
    assert any(grid)
    # nothing kept: the same numbers
    P.clear_memo()
    monkeypatch.setattr(P, "SCORE_MEMORY", 0)
    _same_result(cold, P.simulate_portfolio(book, st))
    assert not P._SCORES


def test_kept_scores_are_bounded(monkeypatch):
    monkeypatch.setattr(P, "SCORE_MEMORY", 3 * 2 ** 20)
    P.clear_memo()
    for seed in range(4):
        P.simulate_portfolio(_book(40), {"loss_paths": 4096, "loan_paths": 4096,
                                         "seed": seed})
        kept = sum(P._nbytes(v[0]) for v in P._SCORES.values())
        assert 0 < kept <= P.SCORE_MEMORY
    P.clear_memo()
    assert not P._SCORES
