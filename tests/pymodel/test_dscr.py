"""Deflated DSCR (pymodel.dscr): hand-checked cases, identities, properties, breakevens and
error paths."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pymodel import dscr, residual
from pymodel.errors import (ConvergenceError, DomainError, InputTypeError,
                            NotAvailableError)

H = 8760.0

#: Hand case: 1 GPU, rent 1.00 halving every year, no costs, 8,760 of linear debt at 10% over
#: two annual periods.
HAND = {"gpus": 1, "rent0": 1.0, "deflation": 0.5, "utilization": 1.0, "cash_cost": 0.0,
        "tax_rate": 0.0, "debt": 8760.0, "debt_rate": 0.10, "debt_years": 2,
        "amortization": "linear", "payments_per_year": 1, "gpu_cost": 30000.0,
        "age_years": 1.0, "physical_life_years": 8.0, "discount_rate": 0.10}


def deal(**changes):
    return dict(HAND, **changes)


def sample(**changes):
    return dict(dscr.sample_deal(), **changes)


# --------------------------------------------------------------------------------------------
# hand-checked small case
# --------------------------------------------------------------------------------------------

def test_hand_case_cash_flows_debt_and_ratios():
    """Period 1: R = 1, revenue 8,760, interest 876, principal 4,380, DS 5,256,
    DSCR 8760/5256 = 1.6667. Period 2: R = 0.5, revenue 4,380, interest 438, DS 4,818,
    DSCR 4380/4818 = 0.90909. LLCR_1 = (8760/1.1 + 4380/1.21)/8760 = 1.322314;
    LLCR_2 = (4380/1.1)/4380 = 0.909091."""
    c = dscr.coverage(HAND)
    np.testing.assert_allclose(c.spot_rent, [1.0, 0.5])
    np.testing.assert_allclose(c.revenue, [8760.0, 4380.0])
    np.testing.assert_allclose(c.opex, [0.0, 0.0])
    np.testing.assert_allclose(c.cfads, [8760.0, 4380.0])
    np.testing.assert_allclose(c.schedule.interest, [876.0, 438.0])
    np.testing.assert_allclose(c.schedule.principal, [4380.0, 4380.0])
    np.testing.assert_allclose(c.schedule.debt_service, [5256.0, 4818.0])
    np.testing.assert_allclose(c.dscr, [8760 / 5256, 4380 / 4818], rtol=1e-14)
    np.testing.assert_allclose(c.llcr, [(8760 / 1.1 + 4380 / 1.21) / 8760, 1 / 1.1],
                               rtol=1e-14)
    assert c.llcr[0] == pytest.approx(1.322314, abs=1e-6)
    assert dscr.dscr_min(HAND) == pytest.approx(0.909091, abs=1e-6)
    assert dscr.llcr(HAND) == pytest.approx(1.322314, abs=1e-6)
    np.testing.assert_allclose(c.year, [1.0, 2.0])


def test_hand_case_breakevens():
    """DSCR_2(g) = 8760 (1-g)/4818 >= 1 iff g <= 1 - 4818/8760 = 0.45; DSCR_1 does not depend
    on g. Rent: 4380 R0/4818 = 1 gives R0 = 1.1. Utilisation: 4380 u/4818 = 1 needs u = 1.1
    (impossible: #NUM!); at target 0.9, u = 0.9 * 4818/4380 = 0.99."""
    assert dscr.dscr_breakeven(HAND) == pytest.approx(0.45, abs=1e-10)
    assert dscr.rent_breakeven(HAND) == pytest.approx(1.1, abs=1e-10)
    assert dscr.utilization_breakeven(HAND, target=0.9) == pytest.approx(0.99, abs=1e-10)
    with pytest.raises(ConvergenceError, match=r"^breakeven utilization: no solution; the "
                       r"minimum DSCR is 0.9091, below the target 1, even at full "
                       r"utilization \(1\)$"):
        dscr.utilization_breakeven(HAND)
    # the covenant level 1.25: DSCR_2 = 8760(1-g)/4818 = 1.25 -> g = 1 - 1.25*4818/8760
    assert dscr.dscr_breakeven(HAND, target=1.25) == pytest.approx(1 - 1.25 * 4818 / 8760,
                                                                  abs=1e-10)


def test_hand_case_tax_on_ebitda_less_interest():
    c = dscr.coverage(deal(tax_rate=0.2))
    np.testing.assert_allclose(c.tax, [0.2 * (8760 - 876), 0.2 * (4380 - 438)])
    np.testing.assert_allclose(c.cfads, [8760 - 1576.8, 4380 - 788.4])
    # tax is never negative: losses carry no credit
    c = dscr.coverage(deal(tax_rate=0.2, cash_cost=0.8))
    np.testing.assert_allclose(c.tax, [0.2 * (8760 - 7008 - 876), 0.0])


def test_contract_roll_off_and_tenant_credit():
    """contracted 0.5 at 2.00 for 1.5 years. Period 1 (t=0): w = 0.5, revenue
    8760 (0.5*2 + 0.5*1) = 13,140. Period 2 (t=1): f = 0.5, w = 0.25,
    8760 (0.25*2 + 0.75*0.5) = 7,665. With tenant_pd 0.1: w_2 = 0.25 * 0.9 = 0.225,
    8760 (0.45 + 0.775*0.5) = 7,336.5. Tenant default at 0.5 years: w_1 = 0.25,
    8760 (0.25*2 + 0.75*1) = 10,950; w_2 = 0, 8760*0.5 = 4,380."""
    base = deal(contracted_share=0.5, contract_rate=2.0, contract_years=1.5)
    np.testing.assert_allclose(dscr.coverage(base).revenue, [13140.0, 7665.0])
    np.testing.assert_allclose(dscr.coverage(base).contracted_share, [0.5, 0.25])
    np.testing.assert_allclose(dscr.coverage(dict(base, tenant_pd=0.1)).revenue,
                               [13140.0, 7336.5])
    np.testing.assert_allclose(dscr.coverage(dict(base, tenant_default_year=0.5)).revenue,
                               [10950.0, 4380.0])
    # a default after the contract has ended changes nothing; tenant_pd 0 is no tenant risk
    np.testing.assert_allclose(dscr.coverage(dict(base, tenant_default_year=3)).revenue,
                               [13140.0, 7665.0])
    np.testing.assert_allclose(dscr.coverage(dict(base, tenant_pd=0)).revenue,
                               [13140.0, 7665.0])


def test_spot_rent_matches_residual_rent_path_with_step_downs():
    d = sample(rent0=2.40, payments_per_year=12, step_years="0.5; 1.25", step_downs="0.2; 0.1",
               deflation=0.30)
    c = dscr.coverage(d, collateral=False)
    starts = np.arange(c.schedule.n) / 12
    expected = residual.rent_path(2.40, starts, 0.30, step_years=[0.5, 1.25],
                                  step_downs=[0.2, 0.1])
    np.testing.assert_allclose(c.spot_rent, expected, rtol=1e-13)
    # the step is in force from the start of the period that begins at tau
    assert c.spot_rent[6] == pytest.approx(2.40 * 0.7 ** 0.5 * 0.8, rel=1e-13)


# --------------------------------------------------------------------------------------------
# identities
# --------------------------------------------------------------------------------------------

def test_collateral_columns_use_residual_value_and_book_value():
    d = sample()
    c = dscr.coverage(d)
    p = dscr.parse_deal(d)
    times = np.arange(p.n + 1) / p.payments_per_year
    # sample: rent 2.35, u 0.85, cost 0.50, g 0.25 (a total trend: no step-downs), r 0.10,
    # salvage 900, physical life 8 less age 1
    ev = residual.economic_value_path(times, 2.35, 0.85, 0.50, 0.25, 0.10, salvage=900.0,
                                      max_life_years=8.0 - 1.0)
    bv = residual.book_value(30000.0, 1.0 + times, 6.0, salvage=900.0)
    np.testing.assert_allclose(c.economic_value, ev[:-1], rtol=1e-13)
    np.testing.assert_allclose(c.book_value, bv[:-1], rtol=1e-13)
    np.testing.assert_allclose(c.economic_ltv, c.schedule.opening / (1024 * ev[:-1]))
    np.testing.assert_allclose(c.book_ltv, c.schedule.opening / (1024 * bv[:-1]))
    assert c.maturity_value == pytest.approx(ev[-1])
    assert c.balloon_ltv == pytest.approx(0.10 * 16e6 / (1024 * ev[-1]))
    assert c.balloon_book_ltv == pytest.approx(0.10 * 16e6 / (1024 * bv[-1]))
    # economic LTV drifts above book LTV as rents deflate
    assert np.all(c.economic_ltv > c.book_ltv)


def test_llcr_recursion_and_plcr():
    c = dscr.coverage(sample())
    s = c.schedule
    i = s.rate_per_period
    # LLCR_p B_(p-1) = (CFADS_p + LLCR_(p+1) B_p) / (1 + i)
    lhs = c.llcr[:-1] * s.opening[:-1]
    rhs = (c.cfads[:-1] + c.llcr[1:] * s.opening[1:]) / (1 + i)
    np.testing.assert_allclose(lhs, rhs, rtol=1e-12)
    assert c.llcr[-1] == pytest.approx(c.cfads[-1] / (1 + i) / s.opening[-1], rel=1e-12)
    # PLCR adds the discounted economic value of the fleet at maturity
    n = s.n
    extra = 1024 * c.maturity_value * (1 + i) ** -(n - np.arange(n))
    np.testing.assert_allclose(c.plcr, c.llcr + extra / s.opening, rtol=1e-12)
    assert dscr.plcr(sample()) == pytest.approx(c.plcr[0])


@pytest.mark.parametrize("balloon", [0.0, 0.2])
@pytest.mark.parametrize("tax_rate", [0.0, 0.21])
def test_sculpted_dscr_is_constant_in_the_base_case(balloon, tax_rate):
    d = sample(amortization="sculpted", balloon_share=balloon, tax_rate=tax_rate)
    c = dscr.coverage(d)
    np.testing.assert_allclose(c.dscr, c.dscr[0], rtol=1e-9)
    assert c.schedule.closing[-1] == pytest.approx(balloon * 16e6, abs=1e-6)
    # the schedule is consistent with the CFADS it produced (the tax/interest circularity)
    np.testing.assert_allclose(c.schedule.interest, c.schedule.opening * 0.11 / 4,
                               rtol=1e-12)


def test_schedule_fixed_at_close_under_stress():
    d = sample(amortization="sculpted")
    base = dscr.coverage(d, collateral=False)
    for stress in (dict(deflation=0.6), dict(rent0=1.0), dict(utilization=0.3)):
        s = dscr.coverage(d, collateral=False, **stress)
        np.testing.assert_array_equal(s.schedule.debt_service, base.schedule.debt_service)
        assert not np.allclose(s.cfads, base.cfads)


def test_debt_capacity_sculpted_at_target():
    """A loan of the capacity, sculpted and fully amortising, has DSCR = target in every
    period and LLCR_1 = target (every CFADS of the sample is positive)."""
    for target in (1.3, 1.0, 2.0):
        cap = dscr.debt_capacity(sample(), target_dscr=target)
        d = sample(debt=cap, amortization="sculpted", balloon_share=0.0)
        c = dscr.coverage(d, collateral=False)
        assert np.all(c.cfads > 0)
        np.testing.assert_allclose(c.dscr, target, rtol=1e-9)
        assert c.llcr[0] == pytest.approx(target, rel=1e-9)
    # without tax, the capacity is the closed form sum CFADS v^p / X
    d = sample(tax_rate=0.0)
    cf = dscr.coverage(d, collateral=False).cfads
    v = (1 + 0.11 / 4) ** -np.arange(1, cf.size + 1)
    assert dscr.debt_capacity(d, target_dscr=1.3) == pytest.approx(np.sum(cf * v) / 1.3,
                                                                   rel=1e-12)
    # no positive CFADS: no capacity
    assert dscr.debt_capacity(sample(cash_cost=10.0)) == 0.0


# --------------------------------------------------------------------------------------------
# properties
# --------------------------------------------------------------------------------------------

deals = st.fixed_dictionaries({
    "rent0": st.floats(0.5, 5.0), "deflation": st.floats(-0.3, 0.6),
    "utilization": st.floats(0.3, 1.0), "contracted_share": st.floats(0, 1),
    "contract_rate": st.floats(0.5, 4.0), "contract_years": st.floats(0, 6),
    "cash_cost": st.floats(0.1, 1.0), "tax_rate": st.floats(0, 0.4),
    "debt": st.floats(1e6, 4e7), "debt_rate": st.one_of(st.just(0.0), st.floats(1e-4, 0.2)),
    "debt_years": st.sampled_from([2, 3, 5]), "payments_per_year": st.sampled_from([1, 4, 12]),
    "amortization": st.sampled_from(["annuity", "linear", "bullet", "sculpted"]),
    "balloon_share": st.floats(0, 0.5),
})


@settings(max_examples=40, deadline=None)
@given(d=deals, g1=st.floats(-0.49, 0.99), g2=st.floats(-0.49, 0.99))
def test_dscr_non_increasing_in_deflation_with_the_schedule_fixed(d, g1, g2):
    d = dict(dscr.sample_deal(), **d)
    if d["amortization"] == "sculpted":  # sculpting needs some positive base-case CFADS
        d["cash_cost"] = min(d["cash_cost"],
                             0.5 * d["utilization"] * min(d["rent0"], d["contract_rate"]))
    lo, hi = sorted((g1, g2))
    a = dscr.coverage(d, deflation=lo, collateral=False)
    b = dscr.coverage(d, deflation=hi, collateral=False)
    np.testing.assert_array_equal(a.schedule.debt_service, b.schedule.debt_service)
    ok = ~np.isnan(a.dscr)
    assert np.all(b.dscr[ok] <= a.dscr[ok] + 1e-12 * np.abs(a.dscr[ok]) + 1e-12)


@settings(max_examples=25, deadline=None)
@given(target=st.floats(0.5, 2.5), debt=st.floats(5e6, 3e7),
       share=st.floats(0.0, 0.6), years=st.sampled_from([3, 5]))
def test_breakeven_deflation_solves_min_dscr_equal_target(target, debt, share, years):
    d = sample(debt=debt, contracted_share=share, debt_years=years)
    try:
        g = dscr.dscr_breakeven(d, target=target)
    except (NotAvailableError, ConvergenceError):
        # the reported reason must be true
        lo = dscr.dscr_min(d, deflation=-0.5)
        top = dscr.coverage(d, deflation=1.0, collateral=False).min_dscr()
        assert lo < target or top >= target
        return
    assert -0.5 <= g < 1
    assert dscr.dscr_min(d, deflation=g) == pytest.approx(target, abs=1e-8)
    assert dscr.dscr_min(d, deflation=min(g + 1e-6, 0.999999)) < target
    assert dscr.dscr_min(d, deflation=g - 1e-6) >= target


def test_sample_breakevens_solve_to_1e_8():
    d = sample()
    for target in (1.0, 1.10, 1.25, 1.35):
        g = dscr.dscr_breakeven(d, target=target)
        assert dscr.dscr_min(d, deflation=g) == pytest.approx(target, abs=1e-8)
        r = dscr.rent_breakeven(d, target=target)
        assert dscr.dscr_min(d, rent0=r) == pytest.approx(target, abs=1e-8)
    for target in (1.0, 1.10, 1.25):
        u = dscr.utilization_breakeven(d, target=target)
        assert 0 <= u <= 1
        assert dscr.dscr_min(d, utilization=u) == pytest.approx(target, abs=1e-8)
    # the sample's minimum DSCR is 1.529 at full utilisation: a 2.0x target cannot be met
    with pytest.raises(ConvergenceError, match=r"^breakeven utilization: no solution; the "
                       r"minimum DSCR is 1.529, below the target 2, even at full "
                       r"utilization \(1\)$"):
        dscr.utilization_breakeven(d, target=2.0)
    # covenants bind earlier than payment default
    assert dscr.dscr_breakeven(d, target=1.35) < dscr.dscr_breakeven(d, target=1.0)


def test_breakeven_not_binding_and_no_solution():
    covered = sample(contracted_share=1.0, contract_years=10)
    with pytest.raises(NotAvailableError, match=r"^breakeven deflation: not binding; the "
                       r"minimum DSCR stays >= 1 at any deflation \([0-9.]+ with spot rents "
                       r"falling to 0\): contracted cash alone covers debt service$"):
        dscr.dscr_breakeven(covered)
    with pytest.raises(NotAvailableError, match="breakeven rent: not binding"):
        dscr.rent_breakeven(covered)
    with pytest.raises(NotAvailableError, match="breakeven utilization: not binding"):
        dscr.utilization_breakeven(covered)
    heavy = sample(debt=1e9)
    with pytest.raises(ConvergenceError, match=r"^breakeven deflation: no solution; the "
                       r"minimum DSCR is [-0-9.]+, below the target 1, even with rents rising "
                       r"50% a year \(deflation -0.5\)$"):
        dscr.dscr_breakeven(heavy)
    # all contracted with a shortfall: no spot rent helps
    short = sample(contracted_share=1.0, contract_years=10, contract_rate=0.6)
    with pytest.raises(ConvergenceError, match="breakeven rent: no solution; the minimum DSCR "
                       "stays below 1 at any spot rent"):
        dscr.rent_breakeven(short)
    with pytest.raises(NotAvailableError, match="no debt service"):
        dscr.dscr_breakeven(sample(debt=0))


def test_flat_view_against_deflated_view():
    d = sample()
    t = dscr.dscr_compare(d)
    assert list(t.columns) == list(dscr.COMPARE_COLUMNS)
    flat = dscr.coverage(sample(deflation=0.0, step_years=None, step_downs=None),
                         collateral=False)
    np.testing.assert_allclose(t["dscr_flat"].to_numpy(float), flat.dscr, rtol=1e-13)
    assert np.all(t["dscr_flat"] >= t["dscr_deflated"] - 1e-12)
    np.testing.assert_allclose(t["dscr_deflated"].to_numpy(float), dscr.coverage(d).dscr)
    assert np.all(t["economic_ltv_deflated"] > t["book_ltv_flat"])


def test_negative_cfads_and_zero_debt_service_are_plain():
    c = dscr.coverage(sample(cash_cost=5.0))
    assert np.all(c.cfads < 0) and np.all(c.dscr < 0)
    assert dscr.dscr_min(sample(cash_cost=5.0)) < 0
    c = dscr.coverage(sample(amortization="bullet", debt_rate=0.0))
    assert np.all(np.isnan(c.dscr))
    with pytest.raises(NotAvailableError, match=r"^DSCR: no debt service in any period \(no "
                       r"debt, or interest only at a rate of 0\)$"):
        dscr.dscr_min(sample(amortization="bullet", debt_rate=0.0))
    with pytest.raises(NotAvailableError, match=r"^LLCR: no debt outstanding at close"):
        dscr.llcr(sample(debt=0))
    with pytest.raises(NotAvailableError, match=r"^PLCR: no debt outstanding at close"):
        dscr.plcr(sample(debt=0))
    with pytest.raises(ConvergenceError, match="sculpted amortization needs positive "
                       "base-case CFADS"):
        dscr.coverage(sample(cash_cost=5.0, amortization="sculpted"))


def test_table_frame_and_maturity_row():
    df = dscr.dscr_table(sample())
    assert list(df.columns) == list(dscr.TABLE_COLUMNS)
    assert len(df) == 16 + 1
    assert df["period"].iloc[0] == 1 and df["period"].iloc[-1] == "maturity"
    assert df["closing_balance"].iloc[-1] == pytest.approx(1.6e6)
    assert df["dscr"].iloc[-1] is None


def test_ten_year_monthly_deal():
    c = dscr.coverage(sample(debt_years=10, payments_per_year=12, contract_years=10))
    assert c.schedule.n == 120 and c.year[-1] == pytest.approx(10.0)
    assert np.all(np.isfinite(c.dscr))


# --------------------------------------------------------------------------------------------
# fields and errors
# --------------------------------------------------------------------------------------------

def test_default_deal_and_fields():
    d = dscr.parse_deal(HAND)
    assert d.amortization == "linear" and d.utilization == 1.0
    assert d.tenant_pd is None and d.step_years == () and d.balloon_share == 0.0
    assert d.contract_rate is None and d.contracted_share == 0.0  # nothing contracted
    assert isinstance(dscr.dscr_min(HAND), float)
    p = dscr.parse_deal([(k, v) for k, v in HAND.items() if k != "payments_per_year"] + [
        ("Step_Years", "1.5; 3"), ("step_downs", "0.2; 0.1"), ("payments_per_year", 12.0)])
    assert p.step_years == (1.5, 3.0) and p.step_downs == (0.2, 0.1)
    assert p.payments_per_year == 12
    rows = dscr.deal_fields()
    assert rows[0] == ["field", "default", "unit", "description", "source"]
    assert all(len(r) == 5 and r[4] for r in rows[1:])
    assert dscr.parse_deal(dscr.sample_deal()).n == 16
    assert dscr.parse_deal(dscr.parse_deal(HAND)) == dscr.parse_deal(HAND)


@pytest.mark.parametrize("block, exc, msg", [
    ([("gpu", 1)], InputTypeError,
     r"^deal_inputs: unknown field 'gpu'; did you mean 'gpus'\?$"),
    ([("defaltion", 0.3)], InputTypeError, r"did you mean 'deflation'\?$"),
    ([("zzzz", 1)], InputTypeError, r"see the list of fields for valid names$"),
    ([("amortization", "balloon")], InputTypeError,
     r"^amortization must be one of annuity \| linear \| bullet \| sculpted; "
     r"got text 'balloon'$"),
    ([("payments_per_year", 3)], DomainError,
     r"^payments_per_year must be one of 1 \| 2 \| 4 \| 12; got 3$"),
    ([("payments_per_year", 24)], DomainError, r"^payments_per_year must be one of 1 \| 2 \| 4 \| 12; got 24$"),
    ([("debt_years", 2.3)], DomainError,
     r"^debt_years must be a positive multiple of 1/payments_per_year \(0.25 years\); got 2.3$"),
    ([("debt_years", 2.5), ("payments_per_year", 1)], DomainError,
     r"^debt_years must be a positive multiple of 1/payments_per_year \(1 years\); got 2.5$"),
    ([("gpus", 10.5)], InputTypeError, r"^gpus must be a whole number; got 10.5$"),
    ([("utilization", 1.5)], DomainError, r"^utilization must be in \[0, 1\]; got 1.5$"),
    ([("tenant_pd", 1)], DomainError, r"^tenant_pd must be in \[0, 1\); got 1$"),
    ([("step_years", "1; x")], InputTypeError, r"^step_years must be a number; got text"),
    ([("step_years", "1; 2"), ("step_downs", "0.1")], InputTypeError,
     r"^step_downs must have the same length as step_years \(2\); got 1$"),
    ([("salvage", 40000)], DomainError, r"^salvage must be <= gpu_cost \(30000\); got 40000$"),
    ([("rent0", 0)], DomainError, r"^rent0 must be > 0; got 0$"),
])
def test_deal_error_paths(block, exc, msg):
    with pytest.raises(exc, match=msg):
        dscr.parse_deal(list({**dscr.sample_deal(), **dict(block)}.items()))


def test_function_argument_errors():
    with pytest.raises(DomainError, match=r"^target must be > 0; got 0$"):
        dscr.dscr_breakeven(HAND, target=0)
    with pytest.raises(DomainError, match=r"^target_dscr must be > 0; got -1$"):
        dscr.debt_capacity(HAND, target_dscr=-1)
    with pytest.raises(DomainError, match=r"^deflation must be in \(-1, 1\]; got -1$"):
        dscr.coverage(HAND, deflation=-1)
    with pytest.raises(DomainError, match=r"^utilization must be in \[0, 1\]; got 2$"):
        dscr.dscr_min(HAND, utilization=2)
    with pytest.raises(DomainError, match=r"^rent0 must be >= 0; got -1$"):
        dscr.dscr_min(HAND, rent0=-1)


def test_short_and_semi_annual_deals():
    one = dscr.coverage(sample(debt_years=0.25))
    assert one.schedule.n == 1 and one.llcr[0] == pytest.approx(
        one.cfads[0] / (1 + 0.11 / 4) / 16e6)
    semi = dscr.coverage(sample(payments_per_year=2, debt_years=3.5))
    assert semi.schedule.n == 7
    np.testing.assert_allclose(semi.year, np.arange(1, 8) / 2)
    # revenue scales with the period length: two half-years at flat rents make one year
    flat = dict(deflation=0.0, step_years=None, step_downs=None, contracted_share=0.0)
    a = dscr.coverage(sample(payments_per_year=1, debt_years=1, **flat), collateral=False)
    b = dscr.coverage(sample(payments_per_year=2, debt_years=1, **flat), collateral=False)
    assert a.revenue.sum() == pytest.approx(b.revenue.sum(), rel=1e-14)


def test_fixed_point_guards(monkeypatch):
    """The tax/interest circularity converges in a few iterations; if it did not, the cell
    would say so instead of showing an unsettled schedule."""
    from pymodel.dscr import cashflows
    monkeypatch.setattr(cashflows, "MAX_FIXED_POINT", 1)
    monkeypatch.setattr(cashflows, "_MEMO", type(cashflows._MEMO)())  # paths computed anew
    with pytest.raises(ConvergenceError, match=r"^sculpted amortization: the tax on CFADS and "
                       r"the interest did not settle in 1 iterations$"):
        dscr.coverage(sample(amortization="sculpted"))
    with pytest.raises(ConvergenceError, match=r"^debt capacity: the tax on CFADS and the "
                       r"interest did not settle in 1 iterations$"):
        dscr.debt_capacity(sample())
    # without tax there is no circularity: one pass is enough
    assert dscr.coverage(sample(amortization="sculpted", tax_rate=0.0)).schedule.n == 16
    assert dscr.debt_capacity(sample(tax_rate=0.0)) > 0


def test_shared_fields_mean_what_the_model_parameters_mean():
    from pymodel.schema import SCHEMA
    # every deal field is the one declared parameter of that name (same unit, domain, default)
    for p in dscr.DEAL_FIELDS:
        assert SCHEMA[p.name] is p
    d = dscr.parse_deal(sample())
    assert d.replace(debt=1.0).debt == 1.0
    with pytest.raises(DomainError, match="payments_per_year must be one of"):
        d.replace(payments_per_year=3)


def test_vanishing_balance_gives_nan_not_inf():
    # hand case sculpted: base CFADS [4380, 0] puts all debt service in period 1, so the
    # balance left for period 2 is the balloon, 5e-324 x 8760; with flat rents CFADS_2 = 8760
    # and CFADS_2 / balance overflows: shown as NaN (#N/A), never inf
    d = deal(amortization="sculpted", balloon_share=5e-324, cash_cost=0.5, debt_rate=0.0)
    c = dscr.coverage(d, deflation=0.0, collateral=False)
    assert 0 < c.schedule.opening[1] < 1e-300
    assert np.isnan(c.llcr[1]) and np.isfinite(c.llcr[0])


def test_collateral_without_rent_is_salvage():
    for stress in (dict(deflation=1.0), dict(rent0=0.0)):
        c = dscr.coverage(sample(), **stress)
        np.testing.assert_allclose(c.economic_value, 900.0)
        assert np.all(c.cfads < dscr.coverage(sample()).cfads + 1e-9)


def _reference_schedule(d):
    """A slow, obvious period loop written from the issue's formulas (independent of the
    vectorised kernels): returns revenue, CFADS, debt service, opening balances, DSCR, LLCR."""
    p = dscr.parse_deal(d)
    dt = 1 / p.payments_per_year
    n = round(p.debt_years * p.payments_per_year)
    i = p.debt_rate / p.payments_per_year
    bal = p.debt if p.amortization == "bullet" else p.debt * p.balloon_share
    pay = None
    if p.amortization == "annuity":
        pay = ((p.debt - bal) / n if i == 0 else
               (p.debt - bal / (1 + i) ** n) * i / (1 - (1 + i) ** -n))
    end = p.contract_years if p.tenant_default_year is None else min(
        p.contract_years, p.tenant_default_year)
    rows, b = [], p.debt
    for k in range(1, n + 1):
        t = (k - 1) * dt
        rent = p.rent0 * (1 - p.deflation) ** t
        for tau, j in zip(p.step_years, p.step_downs):
            if tau <= t:
                rent *= 1 - j
        f = min(max((end - t) / dt, 0.0), 1.0)
        w = p.contracted_share * f * (1 - (p.tenant_pd or 0.0)) ** t
        hours = p.gpus * 8760 * dt
        revenue = hours * (w * p.contract_rate + (1 - w) * p.utilization * rent)
        ebitda = revenue - hours * p.cash_cost
        interest = b * i
        if p.amortization == "annuity":
            principal = pay - interest
        elif p.amortization == "linear":
            principal = (p.debt - bal) / n
        else:
            principal = 0.0
        cfads = ebitda - p.tax_rate * max(ebitda - interest, 0.0)
        ds = interest + principal
        rows.append((revenue, cfads, ds, b, cfads / ds if ds > 0 else np.nan))
        b -= principal
    revenue, cfads, ds, opening, ratio = map(np.array, zip(*rows))
    llcr = [sum(cfads[q] / (1 + i) ** (q - k + 1) for q in range(k, n)) / opening[k]
            for k in range(n)]
    return revenue, cfads, ds, opening, ratio, np.array(llcr), b


@settings(max_examples=40, deadline=None)
@given(d=deals, pd_=st.one_of(st.none(), st.floats(0, 0.3)),
       default_year=st.one_of(st.none(), st.floats(0, 6)),
       steps=st.sampled_from([("", ""), ("0.5", "0.2"), ("0.17; 1.17", "0.19; 0.1")]))
def test_vectorised_schedule_matches_a_plain_period_loop(d, pd_, default_year, steps):
    if d["amortization"] == "sculpted":
        d = dict(d, amortization="annuity")
    d = dict(dscr.sample_deal(), **d, tenant_pd=pd_, tenant_default_year=default_year,
             step_years=steps[0], step_downs=steps[1])
    d = {k: v for k, v in d.items() if v is not None}
    revenue, cfads, ds, opening, ratio, llcr, last = _reference_schedule(d)
    c = dscr.coverage(d, collateral=False)
    scale = max(d["debt"], 1.0)
    np.testing.assert_allclose(c.revenue, revenue, rtol=1e-11)
    np.testing.assert_allclose(c.cfads, cfads, rtol=1e-9, atol=1e-9 * scale)
    np.testing.assert_allclose(c.schedule.debt_service, ds, rtol=1e-9, atol=1e-9 * scale)
    np.testing.assert_allclose(c.schedule.opening, opening, rtol=1e-9, atol=1e-9 * scale)
    assert c.schedule.balloon == pytest.approx(last, rel=1e-9, abs=1e-9 * scale)
    np.testing.assert_allclose(c.dscr, ratio, rtol=1e-8, atol=1e-9)
    np.testing.assert_allclose(c.llcr, llcr, rtol=1e-8, atol=1e-9)


# --------------------------------------------------------------------------------------------
# the deal's facts are required; conventions keep their documented defaults
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("missing, unit", [
    ("gpus", "GPUs"), ("rent0", "currency per GPU-hour"), ("cash_cost", "currency per GPU-hour"),
    ("debt", "currency"), ("debt_rate", "nominal annual decimal"), ("debt_years", "years"),
    ("gpu_cost", "currency per GPU"),
])
def test_a_missing_deal_fact_is_an_error_naming_it(missing, unit):
    block = [(k, v) for k, v in HAND.items() if k != missing]
    with pytest.raises(InputTypeError, match=rf"^deal_inputs: '{missing}' is required "
                                             rf"\({unit}\)$"):
        dscr.dscr_min(block)
    # an empty cell is not a value either
    with pytest.raises(InputTypeError, match=rf"^deal_inputs: '{missing}' is required"):
        dscr.dscr_min(block + [(missing, None)])


def test_the_issue_example_no_longer_gives_a_number():
    """DSCR_MIN on a block that only says gpus 512 used to return -0.107 with a debt of
    20,000,000 nobody typed; now it names what is missing."""
    with pytest.raises(InputTypeError) as err:
        dscr.dscr_min([("gpus", 512)])
    assert str(err.value) == ("deal_inputs: 'rent0' is required (currency per GPU-hour); also "
                              "missing: 'cash_cost', 'debt', 'debt_rate', 'debt_years', "
                              "'gpu_cost'")


def test_contract_facts_are_required_only_with_contracts():
    spot = dscr.parse_deal(HAND)
    assert spot.contract_rate is None and spot.contract_years is None
    with pytest.raises(InputTypeError, match=r"^deal_inputs: 'contract_rate' is required when "
                                             r"contracted_share > 0 \(currency per GPU-hour\); "
                                             r"also missing: 'contract_years'$"):
        dscr.parse_deal(deal(contracted_share=0.5))
    with pytest.raises(InputTypeError, match=r"'contract_years' is required when "
                                             r"contracted_share > 0 \(years\)$"):
        dscr.parse_deal(deal(contracted_share=0.5, contract_rate=1.0))
    # giving them with nothing contracted changes nothing
    np.testing.assert_array_equal(
        dscr.coverage(deal(contract_rate=9.0, contract_years=3.0)).revenue,
        dscr.coverage(HAND).revenue)


def test_deal_fields_mark_the_required_fields_and_source_every_default():
    rows = {r[0]: r for r in dscr.deal_fields()[1:]}
    for name in ("gpus", "rent0", "cash_cost", "debt", "debt_rate", "debt_years", "gpu_cost"):
        assert rows[name][1] == "required", name
    assert rows["contract_rate"][1] == "required when contracted_share > 0"
    for name, row in rows.items():
        if row[1] not in ("required", "(none)", "renamed") and not str(row[1]).startswith(
                "required when"):
            assert row[4] not in ("", "-"), f"{name}: a default without its source"


def test_renamed_deal_fields_are_still_read_with_a_note():
    old = [(k, v) for k, v in HAND.items() if k != "payments_per_year"] + [
        ("periods_per_year", 1), ("balloon", 0.25)]
    with pytest.warns(DeprecationWarning) as rec:
        d = dscr.parse_deal(old)
    said = " ".join(str(w.message) for w in rec)
    assert "'balloon' is renamed 'balloon_share'" in said
    assert "'periods_per_year' is renamed 'payments_per_year'" in said
    assert d.payments_per_year == 1 and d.balloon_share == 0.25
    with pytest.warns(DeprecationWarning):
        assert dscr.dscr_min(old) == dscr.dscr_min(deal(balloon_share=0.25))
    rows = {r[0]: r for r in dscr.deal_fields()[1:]}
    assert rows["balloon"][1] == "renamed" and "'balloon_share'" in rows["balloon"][3]
    assert rows["periods_per_year"][1] == "renamed"


def test_table_without_collateral_has_empty_collateral_columns():
    df = dscr.coverage(HAND, collateral=False).frame()
    assert list(df.columns) == list(dscr.TABLE_COLUMNS)
    assert np.isnan(float(df["plcr"].iloc[0])) and df["dscr"].iloc[0] > 0


def test_a_deal_is_validated_once_per_call(monkeypatch):
    """DSCR_TABLE used to validate the deal three times (the block, then the debt schedule and
    the residual values again); now the block is checked once and kernels take clean values."""
    from collections import Counter

    from pymodel import schema, validation
    seen = Counter()
    for mod in (schema, validation):
        real = getattr(mod, "check")

        def counting(name, value, *a, _real=real, **k):
            seen[name] += 1
            return _real(name, value, *a, **k)
        monkeypatch.setattr(mod, "check", counting)
    block = sample()
    seen.clear()
    dscr.dscr_table(block)
    assert seen and max(seen.values()) == 1, seen
    for fn in (dscr.dscr_compare, dscr.dscr_breakeven, dscr.rent_breakeven, dscr.plcr):
        seen.clear()
        try:
            fn(block)
        except Exception:  # noqa: BLE001 - a breakeven may be not binding; counting matters
            pass
        assert max(seen.values()) == 1, (fn.__name__, seen)
