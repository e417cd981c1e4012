"""Excel functions added to the engine (workbook.engine.xlfunctions): rates solved as Excel
does, SEQUENCE, TEXT and text joins, the frozen clock. Expected values: numpy-financial,
mpmath roots at 40 digits, or worked by hand (said per test)."""

from __future__ import annotations

import datetime as dt

import mpmath
import numpy as np
import numpy_financial as npf
import pytest

from workbook.engine import xlfunctions
from workbook.engine.functions import cell_class, engine


def _eval(formula: str):
    engine()
    func = cell_class().parser.ast("=" + formula)[1].compile()
    out = func()
    v = getattr(out, "value", out)
    return np.asarray(v, dtype=object)


def _one(formula: str):
    v = _eval(formula).ravel()[0]
    return v.item() if hasattr(v, "item") else v


def _root(f, guess):
    mpmath.mp.dps = 40
    return float(mpmath.findroot(f, guess))


def test_xirr_is_the_root_to_machine_precision():
    # cash flows and day counts chosen by hand; root by mpmath
    got = _one("XIRR({-100,50,60},{45000,45100,45300})")
    want = _root(lambda r: -100 + 50 / (1 + r) ** (mpmath.mpf(100) / 365)
                 + 60 / (1 + r) ** (mpmath.mpf(300) / 365), 0.1)
    assert got == pytest.approx(want, rel=1e-15, abs=0)


def test_xirr_rules_of_excel():
    assert str(_one("XIRR({100,50,60},{45000,45100,45300})")) == "#NUM!"   # no sign change
    assert str(_one("XIRR({-100,50,60},{45000,44900,45300})")) == "#NUM!"  # before the first
    assert str(_one("XIRR({-100,50},{45000,45100,45200})")) == "#NUM!"     # sizes differ
    # dates are truncated to whole days
    assert _one("XIRR({-100,50,60},{45000.7,45100.2,45300.9})") == \
        _one("XIRR({-100,50,60},{45000,45100,45300})")


def test_irr_uses_the_guess_and_matches_numpy_financial():
    flows = [-1000, 300, 400, 500, 200]
    got = _one("IRR({-1000,300,400,500,200})")
    assert got == pytest.approx(npf.irr(flows), rel=1e-12)
    # two roots: 0% ... the guess picks the one Newton reaches from it (by hand: -100, 230,
    # -132 has IRRs 10% and 20%)
    assert _one("IRR({-100,230,-132},0.05)") == pytest.approx(0.1, abs=1e-12)
    assert _one("IRR({-100,230,-132},0.25)") == pytest.approx(0.2, abs=1e-12)


def test_rate_matches_numpy_financial():
    assert _one("RATE(360,-536.82,100000)") == pytest.approx(
        npf.rate(360, -536.82, 100000, 0), rel=1e-10)
    assert _one("RATE(10,-100,800,0,1)") == pytest.approx(
        npf.rate(10, -100, 800, 0, when=1), rel=1e-10)
    assert _one("RATE(12,-100,1200)") == pytest.approx(0.0, abs=1e-9)
    assert str(_one("RATE(10,100,800)")) == "#NUM!"  # no rate repays it


def test_xnpv_first_date_rule():
    want = -100 + 50 / 1.1 ** (100 / 365) + 60 / 1.1 ** (300 / 365)
    assert _one("XNPV(0.1,{-100,50,60},{45000,45100,45300})") == pytest.approx(want, rel=1e-14)
    assert str(_one("XNPV(0.1,{-100,50,60},{45100,45000,45300})")) == "#NUM!"


def test_sequence():
    assert _eval("SEQUENCE(3)").tolist() == [[1.0], [2.0], [3.0]]
    assert _eval("_xlfn.SEQUENCE(2,3,10,5)").tolist() == [[10.0, 15.0, 20.0],
                                                         [25.0, 30.0, 35.0]]
    assert _one("SUM(_xlfn.SEQUENCE(4,1,0,0.5))") == pytest.approx(3.0)
    assert str(_one("SEQUENCE(0)")) == "#VALUE!"


def test_text_and_joins():
    assert _one('TEXT(-1234.5,"#,##0;(#,##0)")') == "(1,235)"
    assert _one('"a"&(1>0)') == "aTRUE"
    assert _one('"x"&(0.1+0.2)') == "x0.3"
    assert _one('CONCATENATE("x",1>0,1/3)') == "xTRUE0.333333333333333"
    assert _one('TEXTJOIN("-",TRUE,{1,2},"",FALSE)') == "1-2-FALSE"
    assert _one('_xlfn.CONCAT({"a","b"},1)') == "ab1"


def test_today_can_be_frozen():
    try:
        xlfunctions.set_today(dt.date(2024, 1, 31))
        assert _one("TODAY()") == 45322.0      # 31 Jan 2024 (Excel serial, by hand)
        assert _one("NOW()") == 45322.0
    finally:
        xlfunctions.set_today(None)
    assert _one("TODAY()") == float((dt.date.today() - dt.date(1899, 12, 30)).days)


def test_new_function_names_as_excel_saves_them():
    assert _one("_xlfn.STDEV.S({1,2,3})") == pytest.approx(1.0)
    assert _one("_xlfn.IFNA(NA(),7)") == 7


@pytest.mark.parametrize("text, expected", [
    ("12:00", 0.5), ("6:30:15", (6 * 3600 + 30 * 60 + 15) / 86400),
    ("7:05 PM", (19 * 60 + 5) / 1440),
    ("12:00 AM", 0.0), ("12:30 PM", 0.5 + 30 / 1440), ("25:00", 25 / 24),
    ("2024-01-31", 45322), ("12", 12)])
def test_value_of_a_time_of_day_is_the_fraction_of_a_day(text, expected):
    # Excel: a text holding only a time is that time on day 0, not today's date plus it
    assert _one(f'VALUE("{text}")') == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("text", ["1:75", "1:00:60", "13:00 PM", "abc"])
def test_value_of_an_impossible_time_is_value_error(text):
    assert str(_one(f'VALUE("{text}")')) == "#VALUE!"


# Texts where a number is expected. Expected values by hand, from Excel's rules: a number may
# carry a sign, a currency symbol, thousands separators in groups of three, a percent sign or
# parentheses; a date text is its serial number (2024-01-31 is day 45,322: 45,292 for
# 2024-01-01, by the calendar, plus 30); a time of day is the fraction of a day.
@pytest.mark.parametrize("text, expected", [
    ("2024-01-31", 45322), ("1/31/2024", 45322), ("Jan 31, 2024", 45322),
    ("31-Jan-2024", 45322), ("2024-01-31 18:00", 45322.75), ("12:00", 0.5),
    ("1,000", 1000), ("$1,234.50", 1234.5), ("50%", 0.5), ("(5)", -5), ("-$5", -5),
    (" 3 ", 3), ("1e3", 1000), (".5", 0.5)])
def test_text_is_read_as_excel_reads_it_by_value_and_by_arithmetic(text, expected):
    assert _one(f'VALUE("{text}")') == pytest.approx(expected, abs=1e-12)
    assert _one(f'"{text}"+0') == pytest.approx(expected, abs=1e-12)
    assert _one(f'"{text}"*2') == pytest.approx(2 * expected, abs=1e-12)
    assert _one(f'-"{text}"') == pytest.approx(-expected, abs=1e-12)


@pytest.mark.parametrize("text", ["abc", "", "1,00", "--5", "(-5)", "5 5", "TRUE", "Jan"])
def test_text_that_is_not_a_number_is_value_error_in_value_and_arithmetic(text):
    # "1,00" and "--5" were read as dates by the engine's date parser (46022, 46027)
    assert str(_one(f'VALUE("{text}")')) == "#VALUE!"
    assert str(_one(f'"{text}"+0')) == "#VALUE!"


def test_arithmetic_keeps_its_other_rules():
    assert _one("1/0").__class__.__name__ == "XlError" and str(_one("1/0")) == "#DIV/0!"
    assert _one("TRUE+1") == 2
    assert _one("2^10") == 1024
    assert _one("50%") == pytest.approx(0.5)
    assert list(_eval('{1,"2"}+{"3%",4}').ravel()) == pytest.approx([1.03, 6])


# AGGREGATE on arrays (no hidden rows or subtotals to leave out). Expected values by hand.
@pytest.mark.parametrize("formula, expected", [
    ("AGGREGATE(9,6,{1,2,3}/{1,0,1})", 4.0),             # 1/1 + 3/1, the #DIV/0! left out
    ("AGGREGATE(14,6,{4,9,2}/{1,1,0},1)", 9.0),
    ("AGGREGATE(15,6,{4,9,2}/{1,1,0},1)", 4.0),
    ("AGGREGATE(14,0,{4,9,2},1.5)", 4.0),                # a fractional k counts as 2
    ("AGGREGATE(1,0,{2,4,9})", 5.0), ("AGGREGATE(2,0,{2,4,9})", 3.0),
    ("AGGREGATE(4,0,{2,4,9})", 9.0), ("AGGREGATE(5,0,{2,4,9})", 2.0),
    ("AGGREGATE(6,0,{2,4,9})", 72.0), ("AGGREGATE(12,0,{2,4,9,1})", 3.0),
    ("AGGREGATE(13,0,{2,4,4,9,2,2})", 2.0), ("AGGREGATE(8,0,{1,3})", 1.0),
    ("AGGREGATE(11,0,{1,3})", 1.0), ("AGGREGATE(10,0,{1,3})", 2.0),
    ("AGGREGATE(16,0,{1,2,3,4},0.5)", 2.5),              # rank 0.5 x 3 = 1.5
    ("AGGREGATE(17,0,{1,2,3,4,5},1)", 2.0),              # 25%: rank 0.25 x 4 = 1
    ("AGGREGATE(18,0,{1,2,3,4},0.4)", 2.0),              # rank 0.4 x 5 = 2 (1-based)
    ("AGGREGATE(19,0,{1,2,3,4,5,6,7},1)", 2.0),          # 25%: rank 0.25 x 8 = 2
])
def test_aggregate_on_arrays(formula, expected):
    assert _one(formula) == pytest.approx(expected, abs=1e-12)
    assert _one("_xlfn." + formula) == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("formula, error", [
    ("AGGREGATE(9,4,{1,2,3}/{1,0,1})", "#DIV/0!"),       # errors not left out: the first one
    ("AGGREGATE(20,0,{1})", "#VALUE!"), ("AGGREGATE(9,8,{1})", "#VALUE!"),
    ("AGGREGATE(14,0,{1,2})", "#VALUE!"),                # LARGE needs its k
    ("AGGREGATE(14,0,{1,2},3)", "#NUM!"), ("AGGREGATE(18,0,{1,2,3},0.1)", "#NUM!"),
    ("AGGREGATE(13,0,{1,2,3})", "#N/A"), ("AGGREGATE(1,6,{1}/{0})", "#DIV/0!"),
])
def test_aggregate_errors(formula, error):
    assert str(_one(formula)) == error


def test_munit_is_an_identity_matrix_other_functions_can_use():
    # the engine's MUNIT wrapped the matrix in one cell: SUM(MUNIT(3)) gave #VALUE!
    assert _one("SUM(MUNIT(3))") == 3
    assert _eval("MUNIT(2)").tolist() == [[1, 0], [0, 1]]
    assert _eval("MMULT(MUNIT(2),{1,2;3,4})").tolist() == [[1, 2], [3, 4]]
    assert _one("ROWS(_xlfn.MUNIT(4))") == 4
    assert str(_one("MUNIT(0)")) == "#VALUE!"
    assert str(_one("MUNIT(2000)")) == "#NUM!"      # 4 million cells: over the array limit


# ROUND family on Excel's 15 significant digits. Expected values by hand (decimal arithmetic on
# the number as Excel shows it): 1.005 is stored as 1.00499999999999989..., which Excel shows,
# and rounds, as 1.005.
@pytest.mark.parametrize("formula, expected", [
    ("ROUND(1.005,2)", 1.01), ("ROUND(2.675,2)", 2.68), ("ROUND(0.285,2)", 0.29),
    ("ROUND(2.5,0)", 3), ("ROUND(-2.5,0)", -3), ("ROUND(1234.5678,-2)", 1200),
    ("ROUNDUP(0.1+0.2,1)", 0.3), ("ROUNDUP(3.14159,3)", 3.142), ("ROUNDUP(1234,-2)", 1300),
    ("ROUNDUP(-3.14159,1)", -3.2), ("ROUNDDOWN(-3.14159,1)", -3.1),
    ("ROUNDDOWN(4.35*100,0)", 435), ("ROUND(1.5,1.9)", 1.5), ("ROUND(10^20,10)", 1e20),
    ("ROUND(123.456,-5)", 0), ("ROUND(0.1+0.2,15)", 0.3)])
def test_round_family_on_fifteen_significant_digits(formula, expected):
    assert _one(formula) == expected


def test_round_family_lifts_over_arrays_and_passes_errors():
    assert list(_eval("ROUND({1.005,2.675},2)").ravel()) == [1.01, 2.68]
    assert str(_one('ROUND("abc",1)')) == "#VALUE!"
    assert str(_one("ROUNDUP(1/0,1)")) == "#DIV/0!"


@pytest.mark.parametrize("formula, expected", [
    ("QUOTIENT(5,2)", 2), ("QUOTIENT(-10,3)", -3), ("QUOTIENT({7,9},2)", 3),
    ("COMBIN(8,2)", 28), ("COMBIN(8.9,2.2)", 28),
    ('HYPERLINK("#Inputs!A1","Go to inputs")', "Go to inputs"),
    ('HYPERLINK("https://example.com/deal")', "https://example.com/deal"),
    ("COMBINA(4,3)", 20), ("COMBINA(10,3)", 220), ("COMBINA(0,0)", 1),
    ("BASE(7,2)", "111"), ("BASE(100,16)", "64"), ("BASE(15,2,10)", "0000001111"),
    ("BASE(0,36)", "0"), ("BASE(35.9,36)", "Z"),
    ("DOLLAR(1234.567,2)", "$1,234.57"), ("DOLLAR(-1234.567,-2)", "($1,200)"),
    ("DOLLAR(-0.123,4)", "($0.1230)"), ("DOLLAR(99.888)", "$99.89"), ("DOLLAR(0.5,0)", "$1")])
def test_functions_the_engine_lacked(formula, expected):
    # by hand: 5/2 -> 2, -10/3 -> -3 (toward zero), C(8,2) = 28; HYPERLINK shows its text;
    # COMBINA(n,k) = C(n+k-1,k): C(6,3) = 20, C(12,3) = 220 (Microsoft's examples, as DOLLAR's);
    # BASE: 7 = 111b, 100 = 0x64, 15 = 1111b padded to 10
    assert _one(formula) == expected


@pytest.mark.parametrize("formula, error", [
    ("QUOTIENT(1,0)", "#DIV/0!"), ("COMBIN(2,3)", "#NUM!"), ("COMBIN(-1,0)", "#NUM!"),
    ("COMBINA(2,3)", "#NUM!"), ("BASE(-1,2)", "#NUM!"), ("BASE(5,37)", "#NUM!"),
    ("BASE(5,2,256)", "#NUM!"), ('BASE("abc",2)', "#VALUE!"), ("DOLLAR(1,128)", "#VALUE!"),
    ("DOLLAR(1/0)", "#DIV/0!")])
def test_functions_the_engine_lacked_errors(formula, error):
    assert str(_one(formula)) == error
