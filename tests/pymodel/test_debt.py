"""Debt schedules (pymodel.debt): identities, numpy-financial oracle, error paths."""

import numpy as np
import numpy_financial as npf
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pymodel.debt import (AMORTIZATIONS, annuity_payment, debt_schedule, period_count,
                          sculpted_schedule)
from pymodel.errors import ConvergenceError, DomainError, InputTypeError

PPY = st.sampled_from([1, 2, 4, 12])


def _identities(s, principal, balloon_amount):
    """Identities every schedule satisfies."""
    np.testing.assert_allclose(s.opening[0], principal)
    np.testing.assert_allclose(s.opening[1:], s.closing[:-1], rtol=0, atol=1e-9 * principal)
    scale = 1e-12 * max(principal, 1.0)
    np.testing.assert_allclose(s.interest, s.opening * s.rate_per_period, rtol=1e-12,
                               atol=scale)
    np.testing.assert_allclose(s.debt_service, s.interest + s.principal, rtol=1e-12,
                               atol=scale)
    # principal repaid sums to the debt less the balloon; the balance ends at the balloon
    np.testing.assert_allclose(s.principal.sum(), principal - balloon_amount, rtol=1e-9,
                               atol=1e-9 * max(principal, 1))
    assert s.closing[-1] == pytest.approx(balloon_amount, rel=1e-12)
    assert s.balloon == pytest.approx(balloon_amount, rel=1e-12)


@pytest.mark.parametrize("rate, n, balloon", [
    (0.11 / 4, 20, 0.0), (0.11 / 4, 20, 0.1), (0.08 / 12, 120, 0.3), (0.05, 7, 0.0),
    (0.0, 12, 0.0), (0.0, 12, 0.25), (0.15 / 2, 10, 1.0),
])
def test_annuity_payment_matches_numpy_financial_pmt(rate, n, balloon):
    """Oracle: numpy_financial.pmt(rate, nper, pv, fv) (numpy-financial 1.0, the spreadsheet
    PMT convention: pv borrowed as -D, fv the balloon left)."""
    d = 1_000_000.0
    expected = npf.pmt(rate, n, -d, balloon * d)
    assert annuity_payment(d, rate, n, balloon_amount=balloon * d) == pytest.approx(expected, rel=1e-12)
    s = debt_schedule(d, rate * 4, n / 4, payments_per_year=4, balloon_share=balloon)
    np.testing.assert_allclose(s.debt_service, expected, rtol=1e-12)
    per = np.arange(1, n + 1)
    # interest and principal split against ipmt/ppmt (same sign convention)
    if rate > 0:
        np.testing.assert_allclose(s.interest, -npf.ipmt(rate, per, n, d, -balloon * d),
                                   rtol=1e-9, atol=1e-9 * d)
        np.testing.assert_allclose(s.principal, -npf.ppmt(rate, per, n, d, -balloon * d),
                                   rtol=1e-9, atol=1e-9 * d)
    _identities(s, d, balloon * d)


@settings(max_examples=60, deadline=None)
@given(principal=st.one_of(st.just(0.0), st.floats(1.0, 1e10)),
       rate=st.one_of(st.just(0.0), st.floats(1e-6, 1)), years=st.integers(1, 30), ppy=PPY,
       balloon=st.one_of(st.just(0.0), st.floats(1e-6, 1)),
       kind=st.sampled_from(["annuity", "linear", "bullet"]))
def test_identities_for_every_profile(principal, rate, years, ppy, balloon, kind):
    s = debt_schedule(principal, rate, years, amortization=kind, payments_per_year=ppy,
                      balloon_share=balloon)
    assert s.n == years * ppy
    bal = principal if kind == "bullet" else principal * balloon
    _identities(s, principal, bal)
    if kind == "linear":
        np.testing.assert_allclose(s.principal, principal * (1 - balloon) / s.n, rtol=1e-12,
                                   atol=1e-13 * principal)
    if kind == "bullet":
        assert np.all(s.principal == 0) and np.all(s.closing == principal)
    if kind == "annuity":
        np.testing.assert_allclose(s.debt_service, s.debt_service[0], rtol=1e-9,
                                   atol=1e-12 * principal)


def test_linear_hand_case():
    s = debt_schedule(1000.0, 0.08, 1, amortization="linear", payments_per_year=4)
    assert s.principal.tolist() == [250.0, 250.0, 250.0, 250.0]
    assert s.interest.tolist() == [20.0, 15.0, 10.0, 5.0]
    assert s.closing.tolist() == [750.0, 500.0, 250.0, 0.0]
    assert s.year_end.tolist() == [0.25, 0.5, 0.75, 1.0]


def test_zero_rate_bullet_has_no_debt_service():
    s = debt_schedule(500.0, 0.0, 2, amortization="bullet", payments_per_year=1)
    assert s.debt_service.tolist() == [0.0, 0.0]
    assert s.balloon == 500.0


@settings(max_examples=60, deadline=None)
@given(cf=st.lists(st.one_of(st.just(0.0), st.floats(1e-2, 1e7), st.floats(-1e6, -1e-2)),
                  min_size=1, max_size=40).filter(lambda c: max(c) > 1.0),
       rate=st.floats(0, 0.1), balloon=st.floats(0, 0.9))
def test_sculpted_identities(cf, rate, balloon):
    d = 1e6
    s = sculpted_schedule(d, rate, cf, balloon_amount=balloon * d)
    _identities(s, d, balloon * d)
    cf = np.asarray(cf)
    pos = cf > 0
    # debt service proportional to the positive part of CFADS: constant DSCR, zero elsewhere
    ratio = cf[pos] / s.debt_service[pos]
    np.testing.assert_allclose(ratio, ratio[0], rtol=1e-9)
    assert np.all(s.debt_service[~pos] == 0)
    # discounted debt service repays the debt less the discounted balloon
    v = (1 + rate) ** -np.arange(1, cf.size + 1)
    assert np.sum(s.debt_service * v) == pytest.approx(d - balloon * d * v[-1], rel=1e-9)


def test_sculpted_through_debt_schedule_and_errors():
    cf = [100.0, 200.0, 300.0, 400.0]
    s = debt_schedule(600.0, 0.08, 1, amortization="sculpted", payments_per_year=4, cfads=cf)
    np.testing.assert_allclose(np.asarray(cf) / s.debt_service, cf[0] / s.debt_service[0])
    with pytest.raises(InputTypeError, match=r"amortization must be one of annuity \| linear "
                       r"\| bullet \(sculpted needs"):
        debt_schedule(600.0, 0.08, 1, amortization="sculpted")
    with pytest.raises(InputTypeError, match=r"cfads must have the same length as the number "
                       r"of periods \(4\); got 3"):
        debt_schedule(600.0, 0.08, 1, amortization="sculpted", cfads=cf[:3])
    with pytest.raises(ConvergenceError, match="needs positive base-case CFADS"):
        sculpted_schedule(600.0, 0.02, [-1.0, 0.0])
    # nothing to repay: no cash flow needed
    z = sculpted_schedule(0.0, 0.02, [-1.0, 0.0])
    assert z.debt_service.tolist() == [0.0, 0.0]


@pytest.mark.parametrize("kwargs, exc, msg", [
    (dict(payments_per_year=3), DomainError,
     r"^payments_per_year must be one of 1 \| 2 \| 4 \| 12; got 3$"),
    (dict(payments_per_year=2.5), DomainError,
     r"^payments_per_year must be one of 1 \| 2 \| 4 \| 12; got 2.5$"),
    (dict(debt_years=1.1), DomainError,
     r"^debt_years must be a positive multiple of 1/payments_per_year \(0.25 years\); got 1.1$"),
    (dict(debt_years=0), DomainError, r"^debt_years must be in \(0, 50\]; got 0$"),
    (dict(debt_years=60), DomainError, r"^debt_years must be in \(0, 50\]; got 60$"),
    (dict(amortization="balon"), InputTypeError,
     r"^amortization must be one of annuity \| linear \| bullet \| sculpted; got text 'balon'$"),
    (dict(amortization=3), InputTypeError, r"^amortization must be one of .*; got 3$"),
    (dict(debt=-1), DomainError, r"^debt must be >= 0; got -1$"),
    (dict(debt="x"), InputTypeError, r"^debt must be a number; got text 'x'$"),
    (dict(debt_rate=-0.01), DomainError, r"^debt_rate must be in \[0, 1\]; got -0.01$"),
    (dict(balloon_share=1.01), DomainError, r"^balloon_share must be in \[0, 1\]; got 1.01$"),
    (dict(debt_rate=float("nan")), DomainError,
     r"^debt_rate must be a finite number in \[0, 1\]; got NaN$"),
])
def test_error_paths(kwargs, exc, msg):
    args = dict(debt=1000.0, debt_rate=0.08, debt_years=1)
    args.update(kwargs)
    with pytest.raises(exc, match=msg):
        debt_schedule(args.pop("debt"), args.pop("debt_rate"), args.pop("debt_years"),
                      **args)


def test_period_count_and_choices():
    assert period_count(2.5, 4) == 10
    assert period_count(10, 12) == 120
    assert AMORTIZATIONS == ("annuity", "linear", "bullet", "sculpted")
    # case-insensitive choice, canonical spelling recorded
    assert debt_schedule(1.0, 0.1, 1, amortization=" Linear ").amortization == "linear"


def test_rows_for_excel():
    rows = debt_schedule(1000.0, 0.08, 1, amortization="linear").rows()
    assert rows[0] == ["period", "year", "opening_balance", "interest", "principal",
                       "debt_service", "closing_balance"]
    assert rows[1] == [1, 0.25, 1000.0, 20.0, 250.0, 270.0, 750.0]
