"""Residual value: closed form vs numerical integration, economic life, properties, errors.

No published oracle exists for the GPU income-approach value (§12):
the closed form is checked against scipy.integrate.quad of the defining integral, the economic
life against its formula and a brute-force grid, and the model against its properties (4.8).
"""

import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from scipy.integrate import quad

from pymodel.errors import DomainError, InputTypeError
from pymodel.residual import (CURVE_COLUMNS, book_value, economic_life, economic_value_path,
                              income_value, income_value_periodic, rent_path, value_curve)

H = 8760.0


def _rent(t, r0, g, steps=(), downs=()):
    f = 1.0
    for tau, j in zip(steps, downs):
        if t >= tau:
            f *= 1.0 - j
    return r0 * (1.0 - g) ** t * f


def _brute_life(r0, u, c, g, life, steps=(), downs=()):
    """First grid point where u R(t) <= c (grid 1e-4 years), capped at life."""
    grid = np.arange(0.0, life + 1e-4, 1e-4)
    m = np.array([u * _rent(t, r0, g, steps, downs) - c for t in grid])
    dead = np.flatnonzero(m <= 0)
    return min(grid[dead[0]], life) if dead.size else life


def _quad_value(r0, u, c, g, r, salvage=0.0, life=8.0, steps=(), downs=()):
    """The defining integral by adaptive quadrature, T* from the grid search."""
    t_star = economic_life(r0, u, c, g, max_life_years=life, step_years=steps,
                           step_downs=downs)
    pts = [s for s in steps if 0 < s < t_star]
    integral, _ = quad(lambda t: H * (u * _rent(t, r0, g, steps, downs) - c) * (1 + r) ** -t,
                       0.0, t_star, points=pts or None, limit=200, epsabs=1e-9, epsrel=1e-12)
    return integral + salvage * (1 + r) ** -t_star


CASES = [
    # rent0, u, c, g, r, salvage, life, steps, downs
    (2.5, 0.85, 0.5, 0.30, 0.10, 0.0, 8.0, (), ()),
    (2.5, 0.85, 0.5, 0.30, 0.10, 750.0, 8.0, (), ()),
    (2.5, 0.85, 0.2, 0.30, 0.10, 0.0, 5.0, (), ()),            # capped by physical life
    (2.5, 0.85, 0.5, 0.30, 0.10, 0.0, 8.0, (0.75, 1.75), (0.15, 0.10)),
    (2.5, 0.90, 0.4, 0.20, 0.08, 500.0, 6.0, (2.0, 0.5, 1.0), (0.3, 0.1, 0.2)),  # unsorted
    (2.5, 0.85, 0.5, 0.30, 0.0, 0.0, 8.0, (), ()),             # r = 0
    (2.5, 0.85, 0.5, 0.30, 0.0, 300.0, 8.0, (1.0,), (0.25,)),  # r = 0 with steps
    (2.5, 0.85, 0.5, -0.10, 0.10, 0.0, 8.0, (), ()),           # g = -r: delta + k = 0
    (2.5, 0.85, 0.5, -0.10, 0.10, 0.0, 8.0, (1.5, 3.0), (0.3, 0.4)),
    (2.5, 0.85, 0.5, -0.40, 0.10, 0.0, 7.0, (2.0,), (0.5,)),   # rising rent, step ends life?
    (1.7, 0.85, 0.6, 0.45, 0.15, 0.0, 8.0, (0.0, 1.0), (0.1, 0.2)),  # step at t = 0
    (2.35, 1.0, 0.0, 0.30, 0.12, 0.0, 8.0, (), ()),            # zero cash cost
]


@pytest.mark.parametrize("case", CASES)
def test_closed_form_matches_quadrature(case):
    r0, u, c, g, r, sv, life, steps, downs = case
    v = income_value(r0, u, c, g, r, salvage=sv, max_life_years=life, step_years=steps,
                     step_downs=downs)
    assert v == pytest.approx(_quad_value(r0, u, c, g, r, sv, life, steps, downs), rel=1e-9,
                              abs=1e-6)


def test_limits_are_continuous():
    """r -> 0 and g -> -r approach the exact limit values smoothly (no cancellation blow-up)."""
    base = income_value(2.5, 0.85, 0.5, 0.3, 0.0)
    for eps in (1e-4, 1e-7, 1e-10, 1e-14):
        assert income_value(2.5, 0.85, 0.5, 0.3, eps) == pytest.approx(base, rel=5e-4)
    g = -0.1
    at = income_value(2.5, 0.85, 0.5, g, 0.1)
    for eps in (1e-6, 1e-10, 1e-14):
        assert income_value(2.5, 0.85, 0.5, g + eps, 0.1) == pytest.approx(at, rel=1e-5)
        assert income_value(2.5, 0.85, 0.5, g - eps, 0.1) == pytest.approx(at, rel=1e-5)


def test_hand_computed_case():
    """g = -r (rent grows 10% a year, discount 10%): delta + k = 0, so with c = 0 the revenue
    term is H u R0 T exactly; the cost annuity is c (1 - (1+r)^-T) / ln(1+r)."""
    v = income_value(2.0, 0.5, 0.0, -0.1, 0.1, max_life_years=4.0)
    assert v == pytest.approx(H * 0.5 * 2.0 * 4.0, rel=1e-12)
    v3 = income_value(2.0, 0.5, 0.3, -0.1, 0.1, max_life_years=4.0)
    cost = H * 0.3 * (1 - 1.1 ** -4) / math.log(1.1)
    assert v3 == pytest.approx(H * 4.0 - cost, rel=1e-12)


def test_economic_life_formula():
    r0, u, c, g = 2.5, 0.85, 0.5, 0.3
    assert economic_life(r0, u, c, g) == pytest.approx(math.log(u * r0 / c) / -math.log(1 - g),
                                                       rel=1e-12)
    assert economic_life(r0, u, c, g, max_life_years=3.0) == 3.0
    assert economic_life(r0, u, 3.0, g) == 0.0          # u R0 <= c
    assert economic_life(r0, u, u * r0, g) == 0.0       # equality counts as dead
    assert economic_life(r0, u, c, 0.0) == 8.0          # flat rent lives to the cap
    assert economic_life(r0, u, c, -0.2, max_life_years=6.5) == 6.5
    assert economic_life(r0, 0.0, 0.0, g) == 0.0        # no revenue, no cost: margin 0


@pytest.mark.parametrize("case", [c for c in CASES if c[7]])
def test_economic_life_with_steps_matches_grid(case):
    r0, u, c, g, r, sv, life, steps, downs = case
    t = economic_life(r0, u, c, g, max_life_years=life, step_years=steps, step_downs=downs)
    assert t == pytest.approx(_brute_life(r0, u, c, g, life, steps, downs), abs=2e-4)


def test_step_down_can_end_life_at_its_date():
    # rising rent, but a 50% markdown at year 2 pushes margin below cost
    t = economic_life(1.0, 1.0, 0.6, -0.1, step_years=[2.0], step_downs=[0.6])
    assert 1.21 * 0.4 < 0.6 and t == 2.0
    assert economic_life(1.0, 1.0, 0.6, -0.1, step_years=[2.0], step_downs=[0.5]) == 8.0


def test_rent_path():
    assert rent_path(2.5, 1.0, 0.3) == pytest.approx(1.75)
    out = rent_path(2.5, [0.0, 1.0, 1.5, 2.0], 0.3, step_years=[1.5], step_downs=[0.2])
    assert out == pytest.approx([2.5, 1.75, 2.5 * 0.7 ** 1.5 * 0.8, 2.5 * 0.49 * 0.8])
    assert isinstance(rent_path(2.5, 1.0, 0.3), float)
    assert rent_path(2.0, 1.0, -0.4) == pytest.approx(2.8)


def test_vectorised_matches_scalar():
    rents = np.array([1.7, 2.35, 2.65, 5.3])
    g = np.array([0.2, 0.3, 0.45, -0.4])
    vec = income_value(rents, 0.85, 0.5, g, 0.1, step_years=[1.0], step_downs=[0.2])
    one = [income_value(a, 0.85, 0.5, b, 0.1, step_years=[1.0], step_downs=[0.2])
           for a, b in zip(rents, g)]
    assert vec == pytest.approx(one, rel=1e-14)
    grid = income_value(rents[:, None], 0.85, 0.5, g[None, :], 0.1)
    assert grid.shape == (4, 4)


@pytest.mark.parametrize("steps, downs", [((), ()), ((0.75, 2.25), (0.15, 0.2))])
def test_periodic_converges_to_continuous(steps, downs):
    args = (2.5, 0.85, 0.5, 0.3, 0.10)
    kw = dict(salvage=500.0, step_years=steps, step_downs=downs)
    exact = income_value(*args, **kw)
    errors = [abs(income_value_periodic(*args, periods_per_year=p, **kw) - exact)
              for p in (4, 12, 52, 365)]
    assert errors[0] > errors[1] > errors[2] > errors[3]
    assert errors[3] < 2e-3 * exact          # daily periods: within 0.2%
    assert errors[1] < 5e-2 * exact          # monthly: within 5%


def test_periodic_hand_computed_annual():
    """Annual periods, flat rent (g = 0), 2-year life: two mid-year payments."""
    v = income_value_periodic(2.0, 0.5, 0.25, 0.0, 0.1, periods_per_year=1,
                              max_life_years=2.0, salvage=100.0)
    m = H * (0.5 * 2.0 - 0.25)
    assert v == pytest.approx(m * 1.1 ** -0.5 + m * 1.1 ** -1.5 + 100 * 1.1 ** -2, rel=1e-12)


def test_periodic_life_ends_at_period_start():
    """u R0 / c = 1/0.75 with g = 0.30: period 1 (rent 1.0) earns, period 2 starts at rent
    0.70 < 0.75, so n* = 1 and V = H (1.0 - 0.75) at r = 0."""
    v = income_value_periodic(1.0, 1.0, 0.75, 0.3, 0.0, periods_per_year=1)
    assert v == pytest.approx(H * 0.25, rel=1e-12)


# ---------------------------------------------------------------- properties (4.8)

finite = dict(allow_nan=False, allow_infinity=False)
rent_s = st.floats(0.5, 10.0, **finite)
u_s = st.floats(0.3, 1.0, **finite)
cost_s = st.floats(0.0, 2.0, **finite)
g_s = st.floats(-0.5, 0.7, **finite)
r_s = st.floats(0.0, 0.3, **finite)
steps_s = st.lists(st.tuples(st.floats(0.0, 8.0, **finite), st.floats(0.0, 0.5, **finite)),
                   max_size=3)


@settings(max_examples=60, deadline=None)
@given(rent_s, u_s, cost_s, g_s, r_s, st.floats(0.0, 0.2, **finite), steps_s)
def test_value_falls_as_deflation_rises(r0, u, c, g, r, dg, steps):
    tau, j = [s[0] for s in steps], [s[1] for s in steps]
    v1 = income_value(r0, u, c, g, r, step_years=tau, step_downs=j)
    v2 = income_value(r0, u, c, g + dg, r, step_years=tau, step_downs=j)
    assert v2 <= v1 * (1 + 1e-12) + 1e-9
    l1 = economic_life(r0, u, c, g, step_years=tau, step_downs=j)
    assert economic_life(r0, u, c, g + dg, step_years=tau, step_downs=j) <= l1 + 1e-12


@settings(max_examples=60, deadline=None)
@given(rent_s, u_s, cost_s, g_s, r_s, st.floats(0.0, 1.0, **finite), steps_s)
def test_value_falls_as_cash_cost_rises(r0, u, c, g, r, dc, steps):
    tau, j = [s[0] for s in steps], [s[1] for s in steps]
    v1 = income_value(r0, u, c, g, r, step_years=tau, step_downs=j)
    v2 = income_value(r0, u, c + dc, g, r, step_years=tau, step_downs=j)
    assert v2 <= v1 * (1 + 1e-12) + 1e-9


@settings(max_examples=40, deadline=None)
@given(rent_s, u_s, cost_s, st.floats(0.0, 0.7, **finite), r_s, steps_s)
def test_value_falls_with_age(r0, u, c, g, r, steps):
    """Rolled forward in time (older GPU, lower rent, shorter life), g >= 0, no salvage."""
    tau, j = [s[0] for s in steps], [s[1] for s in steps]
    path = economic_value_path(np.linspace(0, 8, 17), r0, u, c, g, r, step_years=tau,
                               step_downs=j)
    assert np.all(np.diff(path) <= 1e-9 * (1 + path[:-1]))
    assert path[-1] == 0.0


@settings(max_examples=60, deadline=None)
@given(rent_s, u_s, cost_s, g_s, r_s, st.floats(0.0, 5000.0, **finite), steps_s)
def test_bounds_undiscounted_rent_and_discounted_salvage(r0, u, c, g, r, sv, steps):
    tau, j = [s[0] for s in steps], [s[1] for s in steps]
    v = income_value(r0, u, c, g, r, salvage=sv, step_years=tau, step_downs=j)
    t_star = economic_life(r0, u, c, g, step_years=tau, step_downs=j)
    assert v >= sv * (1 + r) ** -t_star * (1 - 1e-12) - 1e-9
    pts = sorted({s for s in tau if 0 < s < t_star}) or None
    rent_int, _ = quad(lambda t: _rent(t, r0, g, tau, j), 0, t_star, points=pts, limit=200) \
        if t_star > 0 else (0.0, 0.0)
    assert v <= H * u * rent_int * (1 + 1e-8) + sv + 1e-6


def test_salvage_discounting_can_raise_later_values():
    """Documented behaviour: with salvage, V(t) rises towards SV as T* approaches."""
    t_star = economic_life(2.5, 0.85, 0.5, 0.3)
    times = t_star - np.array([0.6, 0.3, 0.1])
    path = economic_value_path(times, 2.5, 0.85, 0.5, 0.3, 0.1, salvage=20000.0)
    assert np.all(np.diff(path) > 0) and path[-1] < 20000.0


# ---------------------------------------------------------------- path, book, curve

def test_economic_value_path_rolls_market_forward():
    kw = dict(salvage=300.0, step_years=[0.5, 2.0], step_downs=[0.1, 0.25])
    path = economic_value_path([0.0, 1.0, 2.0, 3.0], 2.5, 0.85, 0.4, 0.3, 0.1, **kw)
    assert path[0] == pytest.approx(income_value(2.5, 0.85, 0.4, 0.3, 0.1, **kw), rel=1e-14)
    r1 = 2.5 * 0.7 * 0.9
    assert path[1] == pytest.approx(income_value(r1, 0.85, 0.4, 0.3, 0.1, salvage=300.0,
                                                 max_life_years=7.0, step_years=[1.0],
                                                 step_downs=[0.25]), rel=1e-14)
    r2 = 2.5 * 0.49 * 0.9 * 0.75    # step at tau = t = 2 is already in the rent
    assert path[2] == pytest.approx(income_value(r2, 0.85, 0.4, 0.3, 0.1, salvage=300.0,
                                                 max_life_years=6.0), rel=1e-14)
    beyond = economic_value_path([9.0], 2.5, 0.85, 0.4, 0.0, 0.1, salvage=300.0)
    assert beyond[0] == 300.0      # no physical life left: salvage now


def test_book_value():
    assert book_value(30000, 3, 6) == 15000.0
    assert book_value(30000, 9, 6) == 0.0
    assert book_value(30000, 0, 6, salvage=900) == 30000.0
    assert book_value(30000, 6, 6, salvage=900) == 900.0
    assert book_value(30000, [0, 1.5, 12], 6).tolist() == [30000.0, 22500.0, 0.0]
    with pytest.raises(DomainError, match=r"salvage must be <= gpu_cost \(30000\); got 40000"):
        book_value(30000, 1, 6, salvage=40000)
    with pytest.raises(DomainError, match=r"book_life_years must be > 0; got 0"):
        book_value(30000, 1, 0)
    with pytest.raises(DomainError, match=r"age_years must be >= 0; got -1"):
        book_value(30000, -1, 6)


def test_value_curve_table():
    df = value_curve(30000, 2.5, 0.85, 0.5, 0.3, 0.1, curve_years=3, points_per_year=2,
                     age_years=1.0, salvage=900.0, step_years=[1.0], step_downs=[0.15])
    assert tuple(df.columns) == CURVE_COLUMNS
    assert df["year"].tolist() == [0, 0.5, 1, 1.5, 2, 2.5, 3]
    t = df["year"].to_numpy()
    assert df["book value"].to_numpy() == pytest.approx(
        book_value(30000, 1.0 + t, 6.0, salvage=900.0))
    assert df["economic value"].to_numpy() == pytest.approx(economic_value_path(
        t, 2.5, 0.85, 0.5, 0.3, 0.1, salvage=900.0, step_years=[1.0], step_downs=[0.15]))
    assert df["gap"].to_numpy() == pytest.approx(df["book value"] - df["economic value"])
    assert df["economic/book"].to_numpy() == pytest.approx(df["economic value"]
                                                           / df["book value"])
    assert df["market rent"].iloc[2] == pytest.approx(2.5 * 0.7 * 0.85)
    nan_ratio = value_curve(30000, 2.5, 0.85, 0.5, 0.3, 0.1, curve_years=8)
    assert np.isnan(nan_ratio["economic/book"].iloc[-1])   # book value 0: ratio undefined


# ---------------------------------------------------------------- errors

def test_bad_inputs_name_argument_bound_value():
    with pytest.raises(InputTypeError, match=r"rent0 must be a number; got text 'abc'"):
        income_value("abc", 0.85, 0.5, 0.3, 0.1)
    with pytest.raises(DomainError, match=r"deflation must be in \(-1, 1\); got 1\.2"):
        income_value(2.5, 0.85, 0.5, 1.2, 0.1)
    with pytest.raises(DomainError, match=r"deflation must be in \(-1, 1\); got -1"):
        rent_path(2.5, 1, -1.0)
    with pytest.raises(DomainError, match=r"rent0 must be > 0; got 0"):
        income_value(0.0, 0.85, 0.5, 0.3, 0.1)
    with pytest.raises(DomainError, match=r"rent0\[2\] must be > 0; got -1"):
        income_value([2.0, -1.0], 0.85, 0.5, 0.3, 0.1)
    with pytest.raises(DomainError, match=r"utilization must be in \[0, 1\]; got 1\.5"):
        income_value(2.5, 1.5, 0.5, 0.3, 0.1)
    with pytest.raises(DomainError, match=r"discount_rate must be > -1; got -1"):
        income_value(2.5, 0.85, 0.5, 0.3, -1.0)
    with pytest.raises(InputTypeError, match=r"step_downs must have the same length as "
                                             r"step_years \(2\); got 1"):
        income_value(2.5, 0.85, 0.5, 0.3, 0.1, step_years=[1, 2], step_downs=[0.1])
    with pytest.raises(DomainError, match=r"step_downs\[2\] must be in \[0, 1\); got 1"):
        rent_path(2.5, 1, 0.3, step_years=[1, 2], step_downs=[0.1, 1.0])
    with pytest.raises(InputTypeError, match=r"deflation must have the same length as rent0 "
                                             r"\(3\); got 2"):
        income_value([1.0, 2.0, 3.0], 0.85, 0.5, [0.3, 0.2], 0.1)
    with pytest.raises(DomainError, match=r"years must be a finite number >= 0; got NaN"):
        rent_path(2.5, float("nan"), 0.3)


def test_curve_and_periodic_limits():
    with pytest.raises(InputTypeError, match=r"curve_years x points_per_year must have at "
                                             r"most 1000 values; got 1201"):
        value_curve(30000, 2.5, 0.85, 0.5, 0.3, 0.1, curve_years=100, points_per_year=12)
    with pytest.raises(DomainError, match=r"points_per_year must be in \[1, 12\]; got 13"):
        value_curve(30000, 2.5, 0.85, 0.5, 0.3, 0.1, points_per_year=13)
    with pytest.raises(InputTypeError, match=r"periods_per_year must be a whole number; "
                                             r"got 2\.5"):
        income_value_periodic(2.5, 0.85, 0.5, 0.3, 0.1, periods_per_year=2.5)
    with pytest.raises(InputTypeError, match=r"cost must be a number; got a range"):
        value_curve([30000, 1], 2.5, 0.85, 0.5, 0.3, 0.1)


def test_overflow_is_a_clean_error():
    with pytest.raises(DomainError, match="overflow"):
        income_value(2.5, 0.85, 0.5, -0.99, -0.99, max_life_years=1e6)


def test_periodic_cell_cap():
    with pytest.raises(InputTypeError, match=r"max_life_years x periods_per_year must have at "
                                             r"most 20000000 values; got 36500000"):
        income_value_periodic(2.5, 0.85, 0.5, 0.3, 0.1, periods_per_year=365,
                              max_life_years=1e5)
    with pytest.raises(DomainError, match=r"periods_per_year must be in \[1, 365\]; got 0"):
        income_value_periodic(2.5, 0.85, 0.5, 0.3, 0.1, periods_per_year=0)


def test_book_value_subnormal_life_is_written_off_without_warning():
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert book_value(100.0, 3.0, 5e-324) == 0.0
