"""Excel number formats (TEXT) and number-to-text conversion: cases with Excel's documented
results (Microsoft's TEXT and number-format help pages, worked by hand)."""

from __future__ import annotations

import pytest

from workbook.engine.numformat import FormatError, excel_text, format_value, general


@pytest.mark.parametrize("value,code,want", [
    (1234.567, "#,##0.00", "1,234.57"),
    (-1234.5, "#,##0;(#,##0)", "(1,235)"),          # half away from zero; section drops "-"
    (1234567, '#,##0,,"m"', "1m"),                   # scaling commas
    (1234567, '$#,##0.0,,"m"', "$1.2m"),
    (12345.678, '0.0,"k"', "12.3k"),
    (0.256, "0.0%", "25.6%"),
    (-0.05, "0.0%;(0.0%)", "(5.0%)"),
    (3, "0.0x", "3.0x"),
    (1.5, "0.00\\x", "1.50x"),
    (0, '0;-0;"zero"', "zero"),
    (-5, '0;-0;"zero"', "-5"),
    (12.3456, "0.0#", "12.35"),
    (12.3, "0.0#", "12.3"),
    (1, "0.#", "1."),
    (1234, "0000000", "0001234"),
    (1e6, "0.00E+00", "1.00E+06"),
    (0.0001, "0.00E+00", "1.00E-04"),
    (2.5, "0", "3"),
    (-2.5, "0", "-3"),
    (1.005, "0.00", "1.01"),                         # 15 significant digits first
    (0.125, "0.00", "0.13"),
    (-0.0001, "0.00", "0.00"),                       # no "-0.00"
    (123456789, "#,##0", "123,456,789"),
    (1234.5, "$#,##0_);($#,##0)", "$1,235 "),
    (-1234.5, "$#,##0_);($#,##0)", "($1,235)"),
    (5, '[>=1]0.0"x";0.00', "5.0x"),
    (0.5, '[>=1]0.0"x";0.00', "0.50"),
    (1.25, "# ?/?", "1 1/4"),
    (0.75, "# ??/16", "12/16"),
    (45000, "mmm-yy", "Mar-23"),
    (45000, "dd/mm/yyyy", "15/03/2023"),
    (45000, "mmmm d, yyyy", "March 15, 2023"),
    (45000, "ddd", "Wed"),
    (45000, "dddd", "Wednesday"),
    (44927, '"FY"yy', "FY23"),
    (45000.5, "yyyy-mm-dd hh:mm:ss", "2023-03-15 12:00:00"),
    (45000.75, "h:mm AM/PM", "6:00 PM"),
    (1.5, "[h]:mm", "36:00"),
    (0.5 + 1.5 / 86400, "hh:mm:ss.0", "12:00:01.5"),
    (59, "d-mmm-yyyy", "28-Feb-1900"),
    (61, "d-mmm-yyyy", "1-Mar-1900"),
    (1234.5, "General", "1234.5"),
    ("abc", "@", "abc"),
    ("abc", '0.00;-0.00;0;"text: "@', "text: abc"),
    ("abc", "0.00", "abc"),
    (True, "0.00", "TRUE"),
])
def test_format_value(value, code, want):
    assert format_value(value, code) == want


@pytest.mark.parametrize("value,want", [
    (1 / 3, "0.333333333"), (-1 / 3, "-0.33333333"), (45000, "45000"),
    (123456789012, "1.23457E+11"), (0.1 + 0.2, "0.3"), (0, "0"), (1e-12, "1E-12"),
])
def test_general(value, want):
    assert general(value) == want


@pytest.mark.parametrize("value,want", [
    (0.1 + 0.2, "0.3"), (1 / 3, "0.333333333333333"), (2.0, "2"), (-1.5, "-1.5"),
    (1e20, "1E+20"), (123456789012345678, "1.23456789012346E+17"),
    (123456789012345, "123456789012345"), (True, "TRUE"), (False, "FALSE"), (None, ""),
    ("x", "x"),
])
def test_excel_text(value, want):
    assert excel_text(value) == want


def test_numpy_booleans_are_excel_booleans():
    import numpy as np
    assert excel_text(np.bool_(True)) == "TRUE"
    assert format_value(np.bool_(False), "0") == "FALSE"


def test_invalid_codes_raise():
    with pytest.raises(FormatError):
        format_value(1, "0;0;0;0;0")
    with pytest.raises(FormatError):
        format_value(-1, "yyyy-mm-dd")
