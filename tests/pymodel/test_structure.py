"""Deal structure: tenants, concentration, the cash waterfall, collateral with contracts,
refinancing risk. Each feature is checked on a hand-built 4-period deal (numbers worked out in
the docstrings), then by identities and properties."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import norm

from pymodel import dscr, residual
from pymodel.dscr import cashflows
from pymodel.errors import DomainError, InputTypeError, NotAvailableError

H = 8760.0

#: 1 GPU, rent 1.00 halving every year (R = 1, 0.5, 0.25, 0.125 at the period starts), no
#: costs or tax, 8,760 of linear debt at 10% over 4 annual periods: principal 2,190, interest
#: 876, 657, 438, 219, debt service 3,066, 2,847, 2,628, 2,409; spot revenue 8,760, 4,380,
#: 2,190, 1,095; DSCR 2.857, 1.538, 0.833, 0.455.
HAND = {"gpus": 1, "rent0": 1.0, "deflation": 0.5, "utilization": 1.0, "cash_cost": 0.0,
        "tax_rate": 0.0, "debt": 8760.0, "debt_rate": 0.10, "debt_years": 4,
        "amortization": "linear", "payments_per_year": 1, "gpu_cost": 30000.0,
        "age_years": 1.0, "physical_life_years": 8.0, "discount_rate": 0.10}

#: A: half the fleet at 2.00 from close to year 2, PD 10%, rated A-, half backstopped.
#: B: a quarter at 1.50 from year 1 to 3 (forward start), renews with probability 0.5 at 0.8 of
#: the spot rent at expiry (0.8 x 0.125 = 0.10) for two more years.
TENANTS = [["name", "share", "rate", "start", "end", "pd", "rating", "backstop",
            "renewal_prob", "renewal_share"],
           ["A", 0.5, 2.0, 0, 2, 0.1, "A-", 0.5, None, None],
           ["B", 0.25, 1.5, 1, 3, None, "BB", None, 0.5, 0.8]]


def hand(**changes):
    return dict(HAND, **changes)


def waterfall(**changes):
    return dscr.coverage(hand(**changes)).waterfall


# --------------------------------------------------------------------------------------------
# tenants
# --------------------------------------------------------------------------------------------

def test_tenant_cash_flows_by_hand():
    """Per fleet GPU-hour. Period 1 (t=0): A pays 0.5 x 2 = 1.0, the other half at spot 1.0:
    1.5. Period 2 (t=1): A survives with 0.9: paying 0.45, guarantor 0.5 x 0.1 x 0.5 = 0.025,
    both at 2: 0.95; B 0.25 x 1.5 = 0.375; spot (1 - 0.725) x 0.5 = 0.1375: 1.4625. Period 3:
    B 0.375 + spot 0.75 x 0.25 = 0.5625. Period 4: B's renewal 0.25 x 0.5 x 0.10 = 0.0125 +
    spot 0.875 x 0.125 = 0.109375: 0.121875."""
    c = dscr.coverage(HAND, tenants=TENANTS)
    np.testing.assert_allclose(c.revenue / H, [1.5, 1.4625, 0.5625, 0.121875], rtol=1e-14)
    t = dscr.tenant_cashflows(HAND, tenants=TENANTS)
    assert list(t.columns) == ["period", "year", "A", "B", "spot", "revenue"]
    np.testing.assert_allclose(t["A"] / H, [1.0, 0.95, 0.0, 0.0], rtol=1e-14)
    np.testing.assert_allclose(t["B"] / H, [0.0, 0.375, 0.375, 0.0125], rtol=1e-14)
    np.testing.assert_allclose(t["A"] + t["B"] + t["spot"], t["revenue"], rtol=1e-14)


def test_named_default_stress_by_hand():
    """A defaults at year 1: it pays period 1 only; from year 1 its guarantor pays half of it,
    0.25 x 2 = 0.5; B 0.375; spot (1 - 0.5) x 0.5 = 0.25: period 2 is 1.125."""
    c = dscr.coverage(hand(default_tenants="a", tenant_default_year=1), tenants=TENANTS)
    np.testing.assert_allclose(c.revenue / H, [1.5, 1.125, 0.5625, 0.121875], rtol=1e-14)
    # every tenant (default_tenants empty) at year 1: B never starts paying, no renewal
    c = dscr.coverage(hand(tenant_default_year=1), tenants=TENANTS)
    np.testing.assert_allclose(c.revenue / H, [1.5, 0.5 + 0.75 * 0.5, 0.25, 0.125], rtol=1e-14)


def test_wrong_way_correlation_lowers_the_relet_rent_by_the_copula_factor():
    """Period 2: A's defaulted capacity not backstopped, 0.5 x 0.1 x 0.5 = 0.025 of the fleet,
    re-lets at the spot rent expected given the default, Phi(Phi^-1(0.1) - w sigma sqrt(1)) / 0.1
    of the unconditional rent 0.5."""
    rows = [r[:] for r in TENANTS]
    rows[0].append("wrong_way_corr")
    rows[1].append(0.6)
    rows[2].append(None)
    plain = dscr.coverage(hand(rent_vol=0.4), tenants=TENANTS).revenue
    ww = dscr.coverage(hand(rent_vol=0.4), tenants=rows).revenue
    m = norm.cdf(norm.ppf(0.1) - 0.6 * 0.4 * 1.0) / 0.1
    assert m < 1
    assert (plain[1] - ww[1]) / H == pytest.approx(0.025 * (1 - m) * 0.5, rel=1e-12)
    assert ww[0] == plain[0]  # no default can have happened at close


def test_one_tenant_block_gives_the_deal_fields_results():
    """The deal's own contract fields are the one-tenant case of the tenant block."""
    d = dscr.sample_deal()
    block = [["name", "share", "rate", "end", "pd"], ["contract", d["contracted_share"],
                                                      d["contract_rate"], d["contract_years"],
                                                      0.03]]
    bare = dict(d, contracted_share=None, contract_rate=None, contract_years=None)
    a = dscr.dscr_table(dict(d, tenant_pd=0.03))
    b = dscr.dscr_table(bare, tenants=block)
    np.testing.assert_allclose(a.iloc[:-1, 1:].to_numpy(float), b.iloc[:-1, 1:].to_numpy(float),
                               rtol=1e-13)
    assert dscr.dscr_breakeven(dict(d, tenant_pd=0.03)) == pytest.approx(
        dscr.dscr_breakeven(bare, tenants=block), abs=1e-10)


def test_concentration_by_hand():
    """Contract value A 0.5 x 2 x 8,760 x 2 = 17,520, B 0.25 x 1.5 x 8,760 x 2 = 6,570; shares
    0.7273 and 0.2727; Herfindahl 0.6033; A is investment grade (A-), half backstopped
    (0.3636); value-weighted years to expiry 0.7273 x 2 + 0.2727 x 3 = 2.2727.

    Debt repaid by contracts (30,000 at 10%): contracted cash 8,760, 11,607 and 3,285 in years
    1-3 (last expiry); balances 33,000 - 8,760 = 24,240; 26,664 - 11,607 = 15,057;
    16,562.7 - 3,285 = 13,277.7: 1 - 13,277.7/30,000 = 0.55741 repaid."""
    rows = dict(dscr.tenant_concentration(hand(debt=30000.0), tenants=TENANTS))
    assert rows["tenants"] == 2 and rows["contract_value"] == pytest.approx(24090.0)
    assert rows["largest_tenant"] == "A"
    assert rows["largest_tenant_share"] == pytest.approx(17520 / 24090, rel=1e-12)
    assert rows["herfindahl"] == pytest.approx((17520 / 24090) ** 2 + (6570 / 24090) ** 2)
    assert rows["investment_grade_share"] == pytest.approx(17520 / 24090)
    assert rows["backstopped_share"] == pytest.approx(0.5 * 17520 / 24090)
    assert rows["weighted_average_term_years"] == pytest.approx((2 * 17520 + 3 * 6570) / 24090)
    assert rows["contracted_share_at_close"] == 0.5
    assert rows["debt_repaid_within_contract_term"] == pytest.approx(1 - 13277.7 / 30000,
                                                                      rel=1e-12)
    assert rows["contract_term_tested_years"] == 3.0
    small = dict(dscr.tenant_concentration(hand(debt=20000.0), tenants=TENANTS))
    assert small["debt_repaid_within_contract_term"] == 1.0  # 22,000-8,760; x1.1-11,607; ...


def test_tenant_stress_rows():
    rows = [r[:] for r in TENANTS]
    rows[2][-1] = 1.2  # B renews above spot, so no default can raise revenue
    t = dscr.tenant_stress(hand(debt=20000.0), 1.0, tenants=rows)
    assert list(t["scenario"]) == ["expected", "A", "B", "all tenants"]
    by = t.set_index("scenario")
    assert by.loc["A", "investment_grade"] == 1.0 and by.loc["B", "investment_grade"] == 0.0
    assert by.loc["A", "contract_value_share"] == pytest.approx(17520 / 24090)
    # a default never raises the coverage; every tenant defaulting is the worst
    assert by.loc["A", "min_dscr"] <= by.loc["expected", "min_dscr"] + 1e-12
    assert by.loc["all tenants", "min_dscr"] <= min(by.loc["A", "min_dscr"],
                                                     by.loc["B", "min_dscr"]) + 1e-12
    # the named-default row equals the deal with that stress typed in
    stressed = dscr.dscr_min(hand(debt=20000.0, tenant_default_year=1.0, default_tenants="B"),
                             tenants=rows)
    assert by.loc["B", "min_dscr"] == pytest.approx(stressed, rel=1e-13)


@pytest.mark.parametrize("rows, match", [
    ([["name", "share", "rate", "end"], ["A", 0.6, 2, 3], ["B", 0.6, 2, 3]],
     r"^tenants: share must be <= 1 in total .*at year 0: A 0\.6 \+ B 0\.6\); got 1\.2$"),
    ([["name", "share", "rate", "start", "end"], ["A", 0.5, 2, 0, 3], ["A", 0.5, 2, 2, 4]],
     r"^tenants row 2 \(A\): start must be >= 3, the end of the same tenant's contract in "
     r"tenants row 1 .*; got 2$"),
    ([["name", "share", "rate", "end"], ["A", 1.5, 2, 3]],
     r"^tenants row 1 \(A\): share must be in \(0, 1\]; got 1\.5$"),
    ([["name", "share", "rate", "start", "end"], ["A", 0.5, 2, 3, 3]],
     r"^tenants row 1 \(A\): end must be > start \(3\); got 3$"),
])
def test_tenant_block_domain_errors_name_the_field(rows, match):
    bare = hand()
    with pytest.raises(DomainError, match=match):
        dscr.dscr_min(bare, tenants=rows)


@pytest.mark.parametrize("rows, match", [
    ([["nmae", "share", "rate", "end"], ["A", 0.5, 2, 3]], "did you mean 'name'"),
    ([["name", "share", "end"], ["A", 0.5, 3]], "column 'rate' is required"),
    ([["name", "share", "rate", "end"], ["A", 0.5, None, 3]],
     r"^tenants row 1 \(A\): 'rate' is required \(currency per GPU-hour\)$"),
    ([["name", "share", "rate", "end"], ["A", 0.5, "two", 3]],
     r"^tenants row 1 \(A\): rate must be a number"),
    ([["name", "share", "rate", "end", "rating"], ["A", 0.5, 2, 3, "Investment"]],
     r"rating must be one of AAA\.\.D"),
    ([["name", "share", "rate", "end", "share"], ["A", 0.5, 2, 3, 0.5]], "more than once"),
])
def test_tenant_block_type_errors_name_the_field(rows, match):
    with pytest.raises(InputTypeError, match=match):
        dscr.dscr_min(HAND, tenants=rows)


def test_tenant_block_and_deal_contract_fields_are_exclusive():
    with pytest.raises(InputTypeError, match="contracted_share must be empty when the tenants "
                                             "block gives the contracts; got 0.5"):
        dscr.dscr_min(dscr.sample_deal(), tenants=TENANTS)
    with pytest.raises(InputTypeError, match="default_tenants: unknown tenant text 'C'; the "
                                             "tenants are A, B"):
        dscr.dscr_min(hand(tenant_default_year=1, default_tenants="A; C"), tenants=TENANTS)
    with pytest.raises(InputTypeError, match="default_tenants needs tenant_default_year"):
        dscr.dscr_min(hand(default_tenants="A"), tenants=TENANTS)


def test_tenant_block_skips_empty_rows_and_columns_and_takes_long_names():
    rows = [["tenant_name", None, "tenant_share", "contract_rate", "contract_end"],
            ["A", "note", 0.5, 2.0, 2], [None, None, None, None, None]]
    ten = dscr.parse_tenants(rows)
    assert ten.name == ("A",) and ten.share.tolist() == [0.5]
    assert dscr.parse_tenants(None) is None
    assert dscr.parse_tenants([[None, None]]) is None


# --------------------------------------------------------------------------------------------
# waterfall
# --------------------------------------------------------------------------------------------

def test_dsra_funded_at_close_by_hand():
    """12 months of an annual schedule = the next payment. At close 3,066; end of year 1 the
    target is 2,847: 219 released, 8,760 - 3,066 + 219 = 5,913 distributed. Year 2: 219
    released, 1,533 + 219 = 1,752 distributed. Year 3: CFADS 2,190 < 2,628: 438 drawn (2,190
    left; target 2,409 but no cash to top up). Year 4: 1,314 drawn, 876 released at maturity
    (no balloon to repay) and distributed. DSCR after reserves = (CFADS - movement) / DS."""
    w = waterfall(dsra_months=12)
    assert w.dsra_at_close == pytest.approx(3066.0)
    np.testing.assert_allclose(w.dsra_balance, [2847, 2628, 2190, 0], atol=1e-9)
    np.testing.assert_allclose(w.dsra_movement, [-219, -219, -438, -2190], atol=1e-9)
    np.testing.assert_allclose(w.distributions, [5913, 1752, 0, 876], atol=1e-9)
    np.testing.assert_allclose(w.shortfall, 0.0, atol=1e-9)
    np.testing.assert_allclose(w.dscr_after_reserves,
                               [8979 / 3066, 4599 / 2847, 1.0, 3285 / 2409], rtol=1e-12)
    np.testing.assert_allclose(w.dscr, [8760 / 3066, 4380 / 2847, 2190 / 2628, 1095 / 2409],
                               rtol=1e-12)


def test_dsra_funded_from_cash_by_hand():
    """From cash: year 1 tops up to 2,847 (the next payment) out of 5,694."""
    w = waterfall(dsra_months=12, dsra_funding="cash")
    assert w.dsra_at_close == 0.0
    assert w.dsra_movement[0] == pytest.approx(2847.0)
    assert w.distributions[0] == pytest.approx(5694.0 - 2847.0)


def test_lockup_traps_and_the_trap_pays_debt_service_by_hand():
    """Lock-up at 1.6x. Year 2 (1.538x) traps 1,533. Year 3: 438 of it pays debt service,
    1,095 stays trapped (still locked). Year 4: it covers 1,095 of the 1,314 gap; 219 is
    unpaid."""
    w = waterfall(lockup_dscr=1.6)
    np.testing.assert_allclose(w.trapped_cash, [0, 1533, 1095, 0], atol=1e-9)
    np.testing.assert_allclose(w.trap_movement, [0, 1533, -438, -1095], atol=1e-9)
    np.testing.assert_allclose(w.distributions, [5694, 0, 0, 0], atol=1e-9)
    np.testing.assert_allclose(w.shortfall, [0, 0, 0, 219], atol=1e-9)
    np.testing.assert_allclose(w.lockup, [0, 1, 1, 1])


def test_trapped_cash_is_released_when_the_test_is_met_again():
    """A tenant from year 2 lifts year 3 to 9,855 (3.75x): the 1,533 trapped in year 2 is
    released with year 3's distribution."""
    rows = [["name", "share", "rate", "start", "end"], ["X", 0.5, 2.0, 2, 4]]
    w = dscr.coverage(hand(lockup_dscr=1.6), tenants=rows).waterfall
    assert w.trapped_cash[1] == pytest.approx(1533.0)
    assert w.trapped_cash[2] == 0.0
    assert w.distributions[2] == pytest.approx(9855.0 - 2628.0 + 1533.0)


def test_cash_sweep_by_hand():
    """Half the excess prepays, in inverse order of maturity. Year 1: 5,694 excess, 2,847
    swept: balance 8,760 - 2,190 - 2,847 = 3,723. Year 2: interest 372.30, principal 2,190,
    excess 1,817.70, 908.85 swept: 624.15 left. Year 3: interest 62.415, the last 624.15 of
    principal; nothing left to sweep. Year 4: no debt service."""
    w = waterfall(sweep_share=0.5)
    np.testing.assert_allclose(w.sweep, [2847, 908.85, 0, 0], atol=1e-9)
    np.testing.assert_allclose(w.closing, [3723, 624.15, 0, 0], atol=1e-9)
    np.testing.assert_allclose(w.interest, [876, 372.3, 62.415, 0], atol=1e-9)
    np.testing.assert_allclose(w.principal, [2190, 2190, 624.15, 0], atol=1e-9)
    np.testing.assert_allclose(w.distributions, [2847, 908.85, 1503.435, 1095], atol=1e-9)
    assert math.isnan(w.dscr[3])


def test_stepped_sweeps_by_hand():
    """DSCR steps: below 2x sweep everything, below 3x a quarter. Year 1 (2.857x): a quarter of
    5,694. LTV steps on book value (12,000 cost, age 1, life 6: 8,000 at year 1): LTV after
    scheduled principal 6,570/8,000 = 0.82 > 0.8: sweep 0.6."""
    w = waterfall(sweep_dscr_levels="2; 3", sweep_dscr_shares="1; 0.25")
    assert w.sweep[0] == pytest.approx(0.25 * 5694)
    w = waterfall(sweep_ltv_levels="0.5; 0.8", sweep_ltv_shares="0.3; 0.6", ltv_basis="book",
                  gpu_cost=12000.0)
    assert w.ltv_tested[0] == pytest.approx(6570 / 8000)
    assert w.sweep[0] == pytest.approx(0.6 * 5694)


def test_ltv_prepayment_by_hand():
    """Book LTV limit 0.5 on 12,000 GPUs: at year 1 the book value is 8,000, the balance after
    scheduled principal 6,570: 2,570 prepaid from the 5,694 excess, 3,124 distributed. Year 2:
    balance 4,000, interest 400, principal 2,190: 1,810 against 6,000 x 0.5, no breach."""
    w = waterfall(prepay_ltv=0.5, ltv_basis="book", gpu_cost=12000.0)
    np.testing.assert_allclose(w.prepayment, [2570, 0, 0, 0], atol=1e-9)
    np.testing.assert_allclose(w.closing, [4000, 1810, 0, 0], atol=1e-9)
    np.testing.assert_allclose(w.distributions, [3124, 1790, 199, 1095], atol=1e-9)


def test_reserves_prepay_the_balloon_at_maturity():
    """A bullet of 8,760: interest 876 a year. DSRA 12 months funded at close holds 876; at
    maturity it is released against the balloon: 8,760 - 876 left."""
    w = waterfall(amortization="bullet", dsra_months=12)
    assert w.dsra_at_close == pytest.approx(876.0)
    assert w.prepayment[-1] == pytest.approx(876.0)
    assert w.balloon == pytest.approx(8760.0 - 876.0)
    # and trapped cash (every period locked at an impossible 100x)
    w = waterfall(amortization="bullet", lockup_dscr=100)
    trapped = sum(HAND_REVENUE) - 4 * 876.0
    assert w.prepayment[-1] == pytest.approx(min(trapped, 8760.0))
    assert w.balloon == pytest.approx(max(8760.0 - trapped, 0.0))


HAND_REVENUE = (8760.0, 4380.0, 2190.0, 1095.0)


def _identity(c):
    w = c.waterfall
    out = (c.opex + w.tax + w.interest_paid + w.principal_paid + w.dsra_movement +
           w.trap_movement + w.prepayment + w.sweep + w.distributions)
    return c.revenue, out, w


@settings(max_examples=60, deadline=None)
@given(g=st.floats(-0.2, 0.8), share=st.floats(0, 1), months=st.sampled_from([0, 3, 6, 12]),
       funding=st.sampled_from(["close", "cash"]), lock=st.one_of(st.none(), st.floats(0.8, 3)),
       sweep=st.floats(0, 1), prepay=st.one_of(st.none(), st.floats(0.2, 2)),
       basis=st.sampled_from(["collateral", "economic", "book"]),
       amort=st.sampled_from(["annuity", "linear", "bullet", "sculpted"]),
       ppy=st.sampled_from([1, 4, 12]), tax=st.floats(0, 0.4), cost=st.floats(0, 1.5),
       pd=st.floats(0, 0.2), backstop=st.floats(0, 1))
def test_waterfall_conserves_cash_every_period(g, share, months, funding, lock, sweep, prepay,
                                               basis, amort, ppy, tax, cost, pd, backstop):
    """cash in = opex + tax + interest + principal + reserve movements + prepayment + sweep +
    distributions, every period, exactly (to rounding); balances follow the payments."""
    d = dict(dscr.sample_deal(), deflation=g, contracted_share=None, contract_rate=None,
             contract_years=None, dsra_months=months, dsra_funding=funding, lockup_dscr=lock,
             sweep_share=sweep, prepay_ltv=prepay, ltv_basis=basis, amortization=amort,
             payments_per_year=ppy, tax_rate=tax, cash_cost=cost,
             sweep_dscr_levels="1.3", sweep_dscr_shares="0.75")
    rows = [["name", "share", "rate", "end", "pd", "backstop", "renewal_prob"],
            ["T", share * 0.9 + 0.05, 2.0, 3, pd, backstop, 0.5]]
    try:
        c = dscr.coverage(d, tenants=rows)
    except Exception as exc:  # a sculpted loan without positive cash has no schedule
        assert "sculpted" in str(exc)
        return
    rev, out, w = _identity(c)
    scale = max(1.0, float(np.max(np.abs(rev))))
    np.testing.assert_allclose(rev, out, rtol=0, atol=1e-9 * scale)
    np.testing.assert_allclose(w.closing, w.opening - w.principal - w.prepayment - w.sweep,
                               rtol=0, atol=1e-6 * d["debt"])
    np.testing.assert_allclose(w.interest_paid + w.principal_paid + w.shortfall,
                               w.debt_service, rtol=0, atol=1e-9 * scale)
    assert np.all(w.dsra_balance >= -1e-9) and np.all(w.trapped_cash >= -1e-9)
    assert np.all(w.closing >= -1e-9 * d["debt"])
    assert w.trapped_cash[-1] == 0 and w.dsra_balance[-1] == pytest.approx(0, abs=1e-9)
    assert np.all(w.sweep >= 0) and np.all(w.prepayment >= 0)


def test_reserve_and_lockup_keep_the_schedule_fixed_at_close():
    """Without prepayments the debt service is the schedule at close: same DSCR, breakevens."""
    d = dscr.sample_deal()
    plain = dscr.coverage(d)
    wf = dscr.coverage(dict(d, dsra_months=6, lockup_dscr=1.3))
    np.testing.assert_array_equal(plain.dscr, wf.dscr)
    np.testing.assert_array_equal(plain.schedule.debt_service, wf.schedule.debt_service)
    assert dscr.dscr_breakeven(d) == dscr.dscr_breakeven(dict(d, dsra_months=6,
                                                              lockup_dscr=1.3))
    # the DSCR table keeps its columns and adds the waterfall after them
    t = dscr.dscr_table(dict(d, dsra_months=6))
    assert list(t.columns) == list(dscr.TABLE_COLUMNS) + list(dscr.WATERFALL_COLUMNS)
    assert list(dscr.dscr_table(d).columns) == list(dscr.TABLE_COLUMNS)
    # LLCR counts the reserve at the start of each period
    llcr = dscr.coverage(dict(d, dsra_months=6))
    assert llcr.llcr[0] == pytest.approx(plain.llcr[0] + llcr.waterfall.dsra_at_close / 16e6)


def test_cash_flow_driven_sweep_breakeven_reruns_the_waterfall():
    """With a sweep the minimum DSCR at the breakeven deflation, on the waterfall path under that
    deflation, is the target."""
    d = dict(dscr.sample_deal(), sweep_share=0.5, debt_years=4)
    g = dscr.dscr_breakeven(d, target=1.2)
    base = cashflows.Base(dscr.parse_deal(d))
    path = base.path(deflation=g)
    m = np.nanmin(path.cfads / np.where(path.schedule.debt_service > 0,
                                        path.schedule.debt_service, np.nan))
    assert m == pytest.approx(1.2, abs=1e-8)
    # the sweep repays faster: the breakeven is not below the fixed schedule's
    assert g >= dscr.dscr_breakeven(dscr.sample_deal(), target=1.2) - 1e-9


def test_waterfall_errors_name_the_field():
    with pytest.raises(DomainError, match=r"^dsra_months must be 0 when the deal has no debt "):
        dscr.dscr_min(hand(debt=0.0, dsra_months=6))
    with pytest.raises(InputTypeError, match="sweep_dscr_shares must have the same length as "
                                             "sweep_dscr_levels"):
        dscr.dscr_min(hand(sweep_dscr_levels="1.2; 1.5", sweep_dscr_shares="1"))
    with pytest.raises(InputTypeError, match="dsra_funding must be one of close | cash"):
        dscr.dscr_min(hand(dsra_months=6, dsra_funding="later"))
    with pytest.raises(DomainError, match=r"^sweep_share must be in \[0, 1\]; got 1.5"):
        dscr.dscr_min(hand(sweep_share=1.5))
    with pytest.raises(InputTypeError, match=r"^dsra_months must be a number; got a range of "
                                             r"1x2 cells$"):
        dscr.dscr_min(hand(dsra_months=[[6, 12]]))
    with pytest.raises(InputTypeError, match=r"^tenants row 1 \(A\): rate must be a number; got "
                                             r"a range"):
        dscr.dscr_min(HAND, tenants=[["name", "share", "rate", "end"], ["A", 0.5, [2, 3], 3]])


# --------------------------------------------------------------------------------------------
# collateral with contracts, refinancing
# --------------------------------------------------------------------------------------------

def test_collateral_of_one_contract_by_hand():
    """One contract from close to year 2 on 40% of the fleet, no PD: collateral at close =
    PV of the contract cash (0.4 x (2 - 0.2) x 8,760 a year, discounted at 10%) + 0.4 V(2)/1.1^2
    + 0.6 V(0), V the GPU's economic value (GPU_RV path)."""
    d = hand(cash_cost=0.2, salvage=100.0)
    rows = [["name", "share", "rate", "end"], ["A", 0.4, 2.0, 2]]
    t = dscr.ltv_table(d, tenants=rows)
    v = residual.economic_value_path([0.0, 2.0], 1.0, 1.0, 0.2, 0.5, 0.10, salvage=100.0,
                                     max_life_years=7.0)
    cash = 0.4 * 1.8 * H
    pv = cash / 1.1 + cash / 1.1 ** 2
    assert t["contract_value"][0] == pytest.approx(pv, rel=1e-12)
    assert t["collateral_value"][0] == pytest.approx(pv + 0.4 * v[1] / 1.21 + 0.6 * v[0],
                                                     rel=1e-10)
    assert t["economic_value"][0] == pytest.approx(v[0], rel=1e-12)
    assert t["collateral_ltv"][0] == pytest.approx(8760 / t["collateral_value"][0])
    # after the contract the collateral is the GPUs alone
    assert t["collateral_value"][2] == pytest.approx(t["economic_value"][2], rel=1e-12)
    assert list(t.columns) == list(dscr.LTV_COLUMNS) and t["period"].iloc[-1] == "maturity"


def test_tenant_pd_is_a_discount_rate():
    """Survival weighting at r is discounting the promised cash at (1 + r)/(1 - pd) - 1."""
    rows = [["name", "share", "rate", "end", "pd"], ["A", 1.0, 2.0, 3, 0.05]]
    t = dscr.ltv_table(hand(), tenants=rows)
    y = 1.1 / 0.95 - 1
    # survival is measured at the period start: cash of year q weighted by 0.95^(q-1)
    promised = sum(2 * H * 0.95 ** (q - 1) / 1.1 ** q for q in (1, 2, 3))
    assert t["contract_value"][0] == pytest.approx(promised, rel=1e-12)
    assert promised == pytest.approx(sum(2 * H / 0.95 / (1 + y) ** q for q in (1, 2, 3)))


def test_refi_risk_matches_the_lognormal_closed_form():
    """No cash cost, no salvage, no steps: the GPU's value at maturity is proportional to the
    rent then. The deal's path is the median (g the trend decline), so C_T = V exp(a Z),
    a = sigma sqrt(T), V the value on the path (GPU_RV rolled to T). P(refinance) =
    1 - Phi(z*), z* = ln(B / (L V)) / a; E[(B - L C)+] = B Phi(z*) - L V e^(a^2/2) Phi(z* - a)."""
    d = hand(deflation=0.2, amortization="bullet", physical_life_years=40.0, salvage=0.0)
    rows = dict(dscr.refi_risk(d, max_ltv=0.6, rent_vol=0.35))
    b, lim, a = 8760.0, 0.6, 0.35 * 2.0
    v = float(np.ravel(residual.economic_value_path(4.0, 1.0, 1.0, 0.0, 0.2, 0.10,
                                                    max_life_years=39.0))[0])
    assert rows["collateral_at_maturity_median"] == pytest.approx(v, rel=1e-12)
    z = math.log(b / (lim * v)) / a
    assert 0.05 < norm.cdf(z) < 0.95
    assert rows["refinance_probability"] == pytest.approx(1 - norm.cdf(z), abs=1e-9)
    es = b * norm.cdf(z) - lim * v * math.exp(a * a / 2) * norm.cdf(z - a)
    assert rows["expected_shortfall"] == pytest.approx(es, rel=1e-9)
    assert rows["expected_shortfall_if_not"] == pytest.approx(es / norm.cdf(z), rel=1e-9)
    assert rows["ltv_at_maturity_median"] == pytest.approx(b / v)
    assert rows["ltv_at_maturity_p95"] == pytest.approx(
        b / (v * math.exp(a * norm.ppf(0.05))), rel=1e-10)


def test_refi_risk_without_volatility_is_the_deterministic_shortfall():
    """rent_vol 0: the collateral at maturity is certain; a balloon above max_ltv of it never
    refinances and the whole gap is the shortfall (also when every state fails at vol > 0)."""
    d = dscr.sample_deal()
    rows = dict(dscr.refi_risk(d, rent_vol=0.0))
    gap = rows["balloon"] - 0.7 * rows["collateral_at_maturity_median"]
    assert gap > 0
    assert rows["refinance_probability"] == 0.0
    assert rows["expected_shortfall"] == pytest.approx(gap, rel=1e-12)
    assert rows["expected_shortfall_if_not"] == pytest.approx(gap, rel=1e-12)
    low = dict(dscr.refi_risk(d, rent_vol=1e-6))
    assert low["expected_shortfall"] == pytest.approx(gap, rel=1e-4)
    easy = dict(dscr.refi_risk(d, rent_vol=0.0, max_ltv=50.0))
    assert easy["refinance_probability"] == 1.0 and easy["expected_shortfall"] == 0.0


def test_refi_risk_edges_and_monotonicity():
    d = hand(amortization="bullet", deflation=0.2, physical_life_years=40.0)
    p = [dict(dscr.refi_risk(d, max_ltv=x))["refinance_probability"] for x in (0.3, 0.6, 0.9)]
    assert p[0] <= p[1] <= p[2]
    full = dict(dscr.refi_risk(hand()))  # fully amortising: nothing to refinance
    assert full["refinance_probability"] == 1.0 and full["expected_shortfall"] == 0.0
    assert full["balloon"] == pytest.approx(0.0, abs=1e-9)
    # the deal's rent_vol is used when the call gives none
    assert dict(dscr.refi_risk(hand(rent_vol=0.3)))["rent_vol"] == 0.3
    assert dict(dscr.refi_risk(hand()))["rent_vol"] == 0.5
    with pytest.raises(DomainError, match="max_ltv must be > 0"):
        dscr.refi_risk(hand(), max_ltv=0)


def test_concentration_needs_contracts():
    with pytest.raises(NotAvailableError, match="no contracts"):
        dscr.tenant_concentration(HAND)
    with pytest.raises(NotAvailableError, match="no contracts"):
        dscr.tenant_stress(HAND, 1.0)
