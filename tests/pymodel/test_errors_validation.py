import numpy as np
import pytest

from pymodel.errors import DomainError, InputTypeError, format_value
from pymodel.validation import Interval, check, check_choice, check_int, check_steps


@pytest.mark.parametrize("interval, text", [
    (Interval(-1, 1, False, False), "in (-1, 1)"),
    (Interval(0, None, lo_closed=False), "> 0"),
    (Interval(0, None), ">= 0"),
    (Interval(None, 5, hi_closed=False), "< 5"),
    (Interval(0, 1), "in [0, 1]"),
    (Interval(), "a finite number"),
])
def test_interval_describe(interval, text):
    assert interval.describe() == text


def test_check_names_argument_bound_and_value():
    with pytest.raises(DomainError, match=r"deflation must be in \(-1, 1\); got 1\.2"):
        check("deflation", 1.2, Interval(-1, 1, False, False))
    assert DomainError("x", "> 0", -1).excel_text() == "#NUM! x must be > 0; got -1"


def test_check_array_reports_position():
    with pytest.raises(DomainError, match=r"rent0\[3\] must be > 0; got -2"):
        check("rent0", [1.0, 2.0, -2.0], Interval(0, None, lo_closed=False))
    out = check("rent0", [1.0, 2.0], Interval(0, None))
    assert isinstance(out, np.ndarray) and out.tolist() == [1.0, 2.0]


@pytest.mark.parametrize("bad", ["abc", True, None, ["1", "x"]])
def test_check_rejects_non_numbers(bad):
    with pytest.raises(InputTypeError, match="must be a number"):
        check("rent0", bad)


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_check_rejects_non_finite(bad):
    with pytest.raises(DomainError, match="finite"):
        check("rent0", bad, Interval(0, None))


def test_check_int_and_choice():
    assert check_int("n", 4.0, Interval(1, 12)) == 4
    with pytest.raises(InputTypeError, match="whole number; got 2.5"):
        check_int("n", 2.5)
    assert check_choice("amortization", " Annuity ", ("annuity", "linear")) == "annuity"
    with pytest.raises(InputTypeError, match=r"must be one of annuity \| linear; got text 'x'"):
        check_choice("amortization", "x", ("annuity", "linear"))


def test_check_steps():
    tau, j = check_steps([1.5, 3], [0.2, 0.1])
    assert tau.tolist() == [1.5, 3.0] and j.tolist() == [0.2, 0.1]
    e, f = check_steps(None, None)
    assert e.size == 0 and f.size == 0
    with pytest.raises(InputTypeError, match="same length as step_years"):
        check_steps([1.0], [0.1, 0.2])
    with pytest.raises(DomainError, match=r"step_downs\[2\] must be in \[0, 1\)"):
        check_steps([1.0, 2.0], [0.1, 1.0])


@pytest.mark.parametrize("value, text", [
    (None, "an empty cell"), (True, "TRUE"), ("abc", "text 'abc'"), (3.0, "3"),
    (0.25, "0.25"), (float("nan"), "NaN"), (float("-inf"), "-infinity"),
])
def test_format_value(value, text):
    assert format_value(value) == text


@pytest.mark.parametrize("interval", [Interval(-1, 1, False, False), Interval(0, None),
                                      Interval(0, 1), Interval(None, 5, hi_closed=False),
                                      Interval()])
@pytest.mark.parametrize("x", [-1.0, -0.5, 0.0, 0.5, 1.0, 5.0, 7.0, float("nan"), float("inf")])
def test_scalar_membership_matches_the_vectorised_one(interval, x):
    assert interval.holds(x) is bool(interval.contains(np.array([x]))[0])
