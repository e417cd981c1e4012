"""The one breakeven solver: bracket, not binding, no solution, Brent."""

import math

import pytest

from pymodel.breakeven import ROOT_TOL, solve_breakeven
from pymodel.errors import ConvergenceError, NotAvailableError

MSG = dict(what="breakeven x", not_binding=lambda m: f"margin {m:g} at the unsafe end",
           no_solution=lambda m: f"margin {m:g} at the safe end")


def test_decreasing_and_increasing_margins():
    # safe below, unsafe above (like deflation): m(x) = 0.3 - x
    assert solve_breakeven(lambda x: 0.3 - x, -0.5, 1.0, **MSG) == pytest.approx(0.3,
                                                                                   abs=ROOT_TOL)
    # safe above, unsafe below (like a rent or a utilisation): m(x) = x^2 - 2
    r = solve_breakeven(lambda x: x * x - 2.0, 2.0, 0.0, **MSG)
    assert r == pytest.approx(math.sqrt(2.0), abs=1e-12)


def test_not_binding_and_no_solution():
    with pytest.raises(NotAvailableError, match=r"^breakeven x: not binding; margin 1 at the "
                                                r"unsafe end$"):
        solve_breakeven(lambda x: 1.0, 0.0, 1.0, **MSG)
    with pytest.raises(ConvergenceError, match=r"^breakeven x: no solution; margin -1 at the "
                                               r"safe end$"):
        solve_breakeven(lambda x: -1.0, 0.0, 1.0, **MSG)


def test_unbounded_search_doubles_the_safe_end():
    calls = []

    def m(x):
        calls.append(x)
        return x - 100.0
    assert solve_breakeven(m, 1.0, 0.0, max_doublings=10, **MSG) == pytest.approx(100.0)
    assert calls[:9] == [0.0, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0]
    with pytest.raises(ConvergenceError, match="no solution"):
        solve_breakeven(lambda x: x - 1e9, 1.0, 0.0, max_doublings=5, **MSG)


def test_every_breakeven_of_the_coverage_model_uses_it():
    """The deflation, rent and utilisation breakevens are thin calls of the one solver."""
    import inspect

    from pymodel.dscr import ratios
    for f in (ratios.dscr_breakeven, ratios.rent_breakeven, ratios.utilization_breakeven):
        src = inspect.getsource(f)
        assert "solve_breakeven(" in src and "brentq" not in src
