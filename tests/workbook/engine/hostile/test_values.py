"""Attacks on the numbers: ranges to the edge of the sheet, XML that hides cells, the 1904 date
system, sheet names, control characters, long text, slow regular expressions."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from addin.registry import REGISTRY
from workbook.engine import recalc
from workbook.engine.package import LIMITS

from .attacks import MAIN, build, parts, sheet_xml
from .conftest import values

DATA = {f"A{r}": float(r) for r in range(1, 7)}   # 1..6 in A1:A6


def _recalc(tmp_path, sheets, **kw):
    src = build(tmp_path / "in.xlsx", sheets, **kw)
    out = tmp_path / "out.xlsx"
    res = recalc.recalc_file(str(src), str(out))
    return res, out


@pytest.mark.parametrize("formula, expected", [
    ("=SUM(A2:A1048576)", 20.0),
    ("=SUM(A:A)", 21.0),
    ("=SUM($A$2:$A$1048576)*1", 20.0),
    ("=ROWS(A2:A1048576)", 1048575.0),
    ("=COLUMNS(I15:XFD15)", 16376.0),
    ("=COUNTBLANK(A2:A1048576)", 1048570.0),
    ('=COUNTIF(A:A,"")', 1048570.0),
    ('=COUNTIF(A:A,">3")', 3.0),
    ('=COUNTIF(A:A,"<>2")', 1048575.0),          # blank cells are "<>2" too
    ('=COUNTIFS(A:A,"<>2",A:A,"<>3")', 1048574.0),
    ("=VLOOKUP(4,A:A,1,FALSE)", 4.0),
    ("=MATCH(5,A1:A1048576,0)", 5.0),
    ("=AVERAGE(A:A)", 3.5),
    ("=MAX(A2:A1048576)+MIN(A:A)", 7.0),
    ("=SUMPRODUCT(A1:A1048576,A1:A1048576)", 91.0),
    ("=INDEX(A:A,3)", 3.0),
    ("=INDEX(A:A,100)", 0.0),                 # a blank cell inside the column, not #REF!
    ("=IFERROR(INDEX(A:A,100),-1)", 0.0),
    ("=INDEX(A1:A1048576,2,1)", 2.0),
    ("=INDEX(7:7,2)", 0.0),
    ("=INDEX(A:A,MATCH(4,A:A,0))*2", 8.0),
])
def test_ranges_to_the_edge_of_the_sheet_are_computed_as_excel_does(tmp_path, formula, expected):
    res, out = _recalc(tmp_path, {"Deal": {**DATA, "C1": formula}})
    assert res.exit_code == 0, res
    assert values(out)["C1"].value == pytest.approx(expected)


@pytest.mark.parametrize("formula, expected", [
    ('=SUM(INDIRECT("A1:A1048576"))', 21.0),
    ('=SUM(INDIRECT("A2:A1048576"))', 20.0),
    ('=ROWS(INDIRECT("A:A"))', 1048576.0),
    ('=COUNTBLANK(INDIRECT("A:A"))', 1048570.0),
    ('=COUNTIF(INDIRECT("A:A"),"")', 1048570.0),
    ("=SUM(OFFSET(A1,0,0,1048576))", 21.0),
    ("=ROWS(OFFSET(A1,0,0,1048576,1))", 1048576.0),
    ('=SUM(INDIRECT("Deal!A:A"))', 21.0),
])
def test_ranges_to_the_edge_given_by_offset_and_indirect(tmp_path, formula, expected):
    """The references OFFSET and INDIRECT compute are prepared like written ones (they used
    to reach the engine uncut: SUM(INDIRECT("A1:A1048576")) gave 1)."""
    res, out = _recalc(tmp_path, {"Deal": {**DATA, "C1": formula}})
    assert res.exit_code == 0, res
    assert values(out)["C1"].value == pytest.approx(expected)


def test_a_computed_whole_column_inside_an_expression_is_kept(tmp_path, refused, kept):
    src = build(tmp_path / "in.xlsx", {"Deal": {**DATA, "C1": '=SUMPRODUCT(INDIRECT("A:A")*2)'}})
    kept(src, "Deal!C1", r"inside an expression")
    refused(src, r"Deal!C1 uses the range A1:A1048576")


def test_a_row_to_column_xfd(tmp_path):
    row = {"I15": 1.0, "J15": 2.0, "K15": 4.0, "B1": "=SUM(I15:XFD15)", "B2": "=SUM(15:15)"}
    res, out = _recalc(tmp_path, {"Deal": row})
    assert res.exit_code == 0, res
    assert values(out)["B1"].value == 7 and values(out)["B2"].value == 7


def test_our_functions_take_whole_columns(tmp_path):
    rows = {f"A{r}": 0.5 * r for r in range(1, 5)}
    whole = ("array", "B1:B4", "=GPU_RENT(2.35, A1:A1048576, 0.3)")
    short = ("array", "C1:C4", "=GPU_RENT(2.35, A1:A4, 0.3)")
    res, out = _recalc(tmp_path, {"Deal": {**rows, "B1": whole, "C1": short}})
    assert res.exit_code == 0, res
    ws = values(out)
    got = [ws[f"B{r}"].value for r in range(1, 5)]
    assert got == [ws[f"C{r}"].value for r in range(1, 5)]
    expected = REGISTRY["GPU_RENT"].func(2.35, [[0.5 * r] for r in range(1, 5)], 0.3)
    assert got == pytest.approx([row[0] for row in expected])


def test_a_whole_column_inside_an_expression_is_refused_not_guessed(tmp_path, refused, kept):
    src = build(tmp_path / "in.xlsx", {"Deal": {**DATA, "C1": '=SUMPRODUCT((A:A="")*1)'}})
    refused(src, r"Deal!C1 uses the range A1:A1048576 .* inside an expression")
    kept(src, "Deal!C1", r"inside an expression")   # default: Excel's saved value, flagged


def test_the_last_row_itself_is_refused(tmp_path, refused):
    src = build(tmp_path / "in.xlsx", {"Deal": {**DATA, "C1": "=B1048576+1"}})
    refused(src, r"refers to the last row or column of the sheet \(B1048576\)")


def test_a_comment_holding_a_fake_sheet_data_changes_nothing(tmp_path):
    fake = ('<!-- <sheetData><row r="1"><c r="B1"><f>A1+1</f><v>1.5</v></c></row></sheetData>'
            ' -->')
    xml = sheet_xml({"A1": 1.5, "B1": "=A1+1"})
    xml = xml.replace("<f>A1+1</f>", "<f>A1+1</f><v>9</v>")   # a stale cached value
    xml = xml.replace("<sheetData>", fake + "<sheetData>")
    res, out = _recalc(tmp_path, {"Deal": xml})
    assert res.exit_code == 0
    written = parts(out)["xl/worksheets/sheet1.xml"].decode()
    assert fake in written   # the comment, with its fake cell, untouched
    root = ET.fromstring(written)
    cells = {c.get("r"): c.find(f"{{{MAIN}}}v").text for c in root.iter(f"{{{MAIN}}}c")
             if c.find(f"{{{MAIN}}}v") is not None}
    assert cells["B1"] == "2.5" and values(out)["B1"].value == 2.5


_STALE = sheet_xml({"A1": 1.5, "B1": "=A1+1"}).replace("<f>A1+1</f>", "<f>A1+1</f><v>9</v>")


def _prefixed(xml: str) -> str:
    for tag in ("worksheet", "sheetData", "row", "c", "v", "f"):
        xml = xml.replace(f"<{tag}>", f"<x:{tag}>").replace(f"<{tag} ", f"<x:{tag} ")
        xml = xml.replace(f"</{tag}>", f"</x:{tag}>")
    return xml.replace('xmlns="', 'xmlns:x="')


@pytest.mark.parametrize("xml", [
    _STALE.replace('<c r="B1">', '<!-- <c r="B1"><f>A1+100</f></c> --><c r="B1">'),
    _STALE.replace('<c r="B1">', '<?pi <c r="B1"><f>A1+100</f></c> ?><c r="B1">'),
    _STALE.replace('<c r="A1"><v>1.5</v>', '<c r="A1"><v><![CDATA[1.5]]></v>'),
    _STALE.replace("<f>A1+1</f>", "<f><![CDATA[A1+1]]></f>"),
    _STALE.replace('<c r="A1"><v>1.5</v>', '<c r="A1"><v>1<!-- 9 -->.5</v>'),
    _STALE.replace("</row>", '<y:c xmlns:y="urn:y" r="C1"><y:f>A1*100</y:f></y:c></row>'),
    _STALE.replace("</sheetData>", '</sheetData><!-- <sheetData><row r="1"><c r="B1"><v>7'
                   '</v></c></row></sheetData> -->'),
    _prefixed(_STALE),
    _STALE.replace("<f>A1+1</f>", "<f>A1&#43;1</f>"),
])
def test_cells_are_read_and_written_where_an_xml_parser_finds_them(tmp_path, xml):
    """Comments, processing instructions, CDATA, foreign elements and namespace prefixes
    around and inside cells: the real cell B1 gets its new value, nothing else is a cell."""
    res, out = _recalc(tmp_path, {"Deal": xml})
    assert res.exit_code == 0, res
    written = parts(out)["xl/worksheets/sheet1.xml"]
    ET.fromstring(written)
    assert values(out)["B1"].value == 2.5
    assert "C1" not in {c.get("r") for c in ET.fromstring(written).iter(f"{{{MAIN}}}c")}


def test_1904_date_system_refuses_date_functions_and_keeps_the_rest(tmp_path, refused, kept):
    src = build(tmp_path / "d.xlsx", {"Deal": {"A1": 43830.0, "B1": "=YEAR(A1)"}},
                date1904=True)
    refused(src, r"Deal!B1 calls YEAR in a workbook that uses the 1904 date system")
    kept(src, "Deal!B1", r"1904 date system")
    src = build(tmp_path / "r.xlsx", {"Deal": {"A1": 43830.0, "A2": 44195.0, "A3": 44560.0,
                                               "B1": 2.0, "B2": 1.6, "B3": 1.2,
                                               "C1": "=RENT_DEFLATION_FIT(A1:A3,B1:B3)"}},
                date1904=True)
    refused(src, r"calls RENT_DEFLATION_FIT in a workbook that uses the 1904 date system")
    res, out = _recalc(tmp_path, {"Deal": {"A1": 43830.0, "A2": "=A1+365"}}, date1904=True)
    assert res.exit_code == 0 and values(out)["A2"].value == 44195


@pytest.mark.parametrize("formula, in_1904, in_1900", [
    ('=VALUE("2024-01-31")', 43860.0, 45322.0),
    ('=SUMIF(A1:A2,"<1/1/2025",A1:A2)', 43860.0, 45322.0),   # A1 is 2024-01-31
    ('=COUNTIF(A1:A2,">=2025-01-31")', 1.0, 1.0),
    ('=COUNTIFS(A1:A2,"<2025-01-01",A1:A2,">2023-12-31")', 1.0, 1.0),
    ('=VALUE("12")', 12.0, 12.0),
])
def test_1904_text_read_as_a_date_gives_the_workbooks_serials(tmp_path, formula, in_1904,
                                                              in_1900):
    """The same dates (2024-01-31, 2025-01-31) as serials of each date system."""
    res, out = _recalc(tmp_path, {"Deal": {"A1": 43860.0, "A2": 44226.0, "C1": formula}},
                       date1904=True)
    assert res.exit_code == 0, res
    assert values(out)["C1"].value == pytest.approx(in_1904)
    res, out = _recalc(tmp_path, {"Deal": {"A1": 45322.0, "A2": 45688.0, "C1": formula}})
    assert values(out)["C1"].value == pytest.approx(in_1900)


MIXED = {"A1": 1.0, "A2": 2.0, "A3": "x", "A4": 4.0, "A5": 5.0, "A6": 6.0}   # A7:A10 blank


@pytest.mark.parametrize("formula, expected", [
    ('=COUNTIF(A1:A10,"<>")', 6), ('=COUNTIF(A1:A10,"=")', 4), ('=COUNTIF(A1:A10,"")', 4),
    ('=COUNTIF(A1:A10,"<>2")', 9), ('=COUNTIF(A1:A10,"<>x")', 9),
    ('=COUNTIF(A1:A10,"<>"&"")', 6), ('=SUMIF(A1:A10,"<>",A1:A10)', 18),
    ('=AVERAGEIF(A1:A10,"<>")', 3.6), ('=COUNTIFS(A1:A10,"<>",A1:A10,"<>x")', 5),
    ('=SUMIFS(A1:A10,A1:A10,"<>2")', 16), ('=COUNTIF(A:A,"<>")', 6),
    ('=COUNTIF(A:A,"<>2")', 1048575), ('=COUNTIF(A1:A10,">2")', 3),
])
def test_criteria_not_equal_count_blank_cells_and_other_types(tmp_path, formula, expected):
    """"<>2" matches every cell that is not 2 (blank cells and text too), "<>" every
    non-empty cell; the engine counted only numbers other than 2, and "<>" as a text."""
    res, out = _recalc(tmp_path, {"Deal": {**MIXED, "C1": formula}})
    assert res.exit_code == 0, res
    assert values(out)["C1"].value == pytest.approx(expected)


def test_rent_deflation_fit_refuses_non_iso_text_dates(tmp_path):
    rents = {"B1": 2.0, "B2": 1.6, "B3": 1.3}
    res, out = _recalc(tmp_path, {"Deal": {"A1": "01/02/2024", "A2": "2025-01-02",
                                           "A3": "2026-01-02", **rents,
                                           "C1": "=INDEX(RENT_DEFLATION_FIT(A1:A3,B1:B3),1)",
                                           "D1": "=RENT_DEFLATION_FIT(A1:A3,B1:B3)"}})
    errors = {c: (code, msg) for _, c, code, msg in res.errors}
    assert errors["D1"][0] == "#VALUE!" and "dates[1]" in errors["D1"][1]
    assert "01/02/2024" in errors["D1"][1]
    res, out = _recalc(tmp_path, {"Deal": {"A1": "2024-01-02", "A2": "2025-01-02",
                                           "A3": 46024.0, **rents,
                                           "D1": "=INDEX(RENT_DEFLATION_FIT(A1:A3,B1:B3),1)"}})
    assert res.exit_code == 0, res
    direct = REGISTRY["RENT_DEFLATION_FIT"].func([["2024-01-02"], ["2025-01-02"], [46024.0]],
                                                 [[2.0], [1.6], [1.3]])
    assert values(out)["D1"].value == pytest.approx(direct[0][0])


@pytest.mark.parametrize("name", ["Bob's deal", "100% GPU", "'quoted'x", "a''b"])
def test_sheet_names_with_apostrophes_and_percent_signs(tmp_path, name):
    q = "'" + name.replace("'", "''") + "'"
    res, out = _recalc(tmp_path, {name: {"A1": 5.0, "A2": 7.0}, "Other": {
        "B1": f"={q}!A1*2", "B2": f"=SUM({q}!A1:A2)", "B3": f"=SUM({q}!A:A)"}},
        names={"Rate": f"{q}!$A$2"})
    assert res.exit_code == 0, res
    ws = values(out, "Other")
    assert (ws["B1"].value, ws["B2"].value, ws["B3"].value) == (10, 12, 12)


def test_control_characters_are_written_as_excel_escapes(tmp_path):
    res, out = _recalc(tmp_path, {"Deal": {"A1": "=CHAR(1)&\"x\"&CHAR(27)"}})
    assert res.exit_code == 0
    xml = parts(out)["xl/worksheets/sheet1.xml"]
    ET.fromstring(xml)   # the written part parses
    assert b"_x0001_x_x001B_" in xml


def test_rept_beyond_excel_limit_is_a_value_error(tmp_path):
    res, out = _recalc(tmp_path, {"Deal": {
        "A1": '=REPT("ab",20000)', "A2": '=LEN(REPT("a",32767))', "A3": '=REPT("a",1000000000)',
        "A4": '=REPT("a",32767)&"b"', "A5": "=LEN(A4)",
        "A6": '=SUBSTITUTE(REPT("a",30000),"a",REPT("b",30000))'}})
    errors = {c: code for _, c, code, _ in res.errors}
    assert errors == {"A1": "#VALUE!", "A3": "#VALUE!", "A4": "#VALUE!", "A5": "#VALUE!",
                      "A6": "#VALUE!"}
    assert values(out)["A2"].value == 32767


def test_regular_expressions_are_time_bounded(tmp_path, monkeypatch):
    monkeypatch.setitem(LIMITS, "regex_seconds", 0.05)
    res, _ = _recalc(tmp_path, {"Deal": {
        "A1": '=REGEXTEST(REPT("a",40)&"!","^(a+)+$")',
        "A2": '=REGEXTEST(REPT("ab",5000)&"!","^((a|b|ab|ba)*)*c$")',
        "A3": '=REGEXTEST("abc","b")'}})
    errors = {c: msg for _, c, code, msg in res.errors}
    assert set(errors) <= {"A1", "A2"}
    for msg in errors.values():
        assert "longer than" in msg
    assert not res.refused


def test_formula_text_too_long_for_excel_is_refused(tmp_path, refused):
    src = build(tmp_path / "long.xlsx", {"Deal": {"A1": "=" + "+".join(["1"] * 5000)}})
    refused(src, r"Deal!A1.*longer than 8,192 characters")


def test_a_formula_the_engine_cannot_parse_is_named(tmp_path, refused):
    src = build(tmp_path / "p.xlsx", {"Deal": {"A1": "=SUM(1,", "A2": 1}})
    refused(src, r"Deal!A1: the formula engine cannot read the formula 'SUM\(1,'")


def test_a_zero_stored_in_a_number_cell_as_text_is_refused_in_words(tmp_path, refused):
    xml = sheet_xml({"B1": "=A1+1"}).replace('<row r="1">', '<row r="1"><c r="A1"><v>abc</v></c>')
    src = build(tmp_path / "n.xlsx", {"Deal": xml})
    refused(src, r"Deal!A1 stores 'abc' where a number belongs")


def test_rewritten_copies_keep_every_formula(tmp_path):
    res, out = _recalc(tmp_path, {"Deal": {**DATA, "C1": "=SUM(A:A)", "C2": "=ROWS(A:A)"}})
    assert res.exit_code == 0
    from workbook.engine.sheetxml import read_formulas
    f = read_formulas(parts(out)["xl/worksheets/sheet1.xml"])
    assert f["C1"].text == "SUM(A:A)" and f["C2"].text == "ROWS(A:A)"
