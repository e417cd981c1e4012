"""Headless recalculation (workbook.engine.recalc): values, round trip, add-in references, hostile input."""

from __future__ import annotations

import argparse
import hashlib
import io
import os
import re
import stat
import zipfile

import openpyxl
import pytest
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Font, PatternFill
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.formula import ArrayFormula

from workbook.engine import recalc
from workbook.engine.formulatext import rewrite_formula
from addin.registry import REGISTRY
from workbook.engine.sheetxml import ErrorValue, read_formulas, write_values
from workbook.engine.package import LIMITS, WorkbookRefused, open_package


def _run(argv):
    parser = argparse.ArgumentParser()
    recalc.add_arguments(parser)
    return recalc.run(parser.parse_args([str(a) for a in argv]))


def _sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _book(path, extra=None):
    """A small deal-like workbook: two sheets, styles, a defined name, merged cells, a chart,
    an array formula of one of our table functions, a Checks and a Summary sheet."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Model sheet"
    ws["A1"] = "Input x"
    ws["B1"] = 3
    ws["B1"].font = Font(bold=True, color="FF0000")
    ws["B1"].fill = PatternFill("solid", fgColor="FFFF00")
    ws["B1"].number_format = "0.00%"
    ws["A2"] = "y"
    ws["B2"] = "=B1*2+SUM(B1:B1)"
    ws["B2"].number_format = "#,##0.000"
    ws["A3"] = "version"
    ws["B3"] = "=COMPUTECREDIT_VERSION()"
    ws["A4"] = 'text with "quotes" & <tags>'
    ws["B4"] = '=IF(B1>2,"big & ""quoted""","small")'
    ws["D1"] = ArrayFormula("D1:F3", "=COMPUTECREDIT_FUNCTIONS()")
    ws["D1"].font = Font(italic=True)
    for r in range(6, 11):
        ws[f"A{r}"] = r
        ws[f"B{r}"] = f"=A{r}*$B$1"
    ws.merge_cells("H1:I2")
    ws["H1"] = "merged title"
    wb.defined_names["x_input"] = DefinedName("x_input", attr_text="'Model sheet'!$B$1")
    chart = BarChart()
    chart.title = "y by row"
    chart.add_data(Reference(ws, min_col=2, min_row=6, max_row=10), titles_from_data=False)
    chart.set_categories(Reference(ws, min_col=1, min_row=6, max_row=10))
    ws.add_chart(chart, "K2")
    checks = wb.create_sheet("Checks")
    checks["A1"], checks["B1"] = "y is positive", "='Model sheet'!B2>0"
    checks["A2"], checks["B2"] = "named input equals 3", "=x_input=3"
    summ = wb.create_sheet("Summary")
    summ["A1"], summ["B1"], summ["C1"] = "y", "='Model sheet'!B2", "units"
    if extra:
        extra(wb)
    wb.save(path)
    return path


def _parts(path):
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist()}


# --------------------------------------------------------------------------------------------
# values and the round trip

def test_recalc_fills_values_and_keeps_formulas(tmp_path):
    src = _book(tmp_path / "deal.xlsx")
    before = _sha(src)
    out = tmp_path / "out" / "deal.xlsx"
    res = recalc.recalc_file(str(src), str(out))
    assert res.refused is None and res.errors == [] and res.false_checks == []
    assert res.exit_code == 0
    assert _sha(src) == before  # the input is never modified
    wb = openpyxl.load_workbook(out, data_only=True)
    ws = wb["Model sheet"]
    assert ws["B2"].value == 9
    assert ws["B3"].value == REGISTRY["COMPUTECREDIT_VERSION"].func()
    assert ws["B4"].value == 'big & "quoted"'
    assert [ws[f"B{r}"].value for r in range(6, 11)] == [18, 21, 24, 27, 30]
    table = REGISTRY["COMPUTECREDIT_FUNCTIONS"].func()
    got = [[ws.cell(r, c).value for c in range(4, 7)] for r in range(1, 4)]
    assert got == [row[:3] for row in table[:3]]  # a larger table is cut to the range
    assert res.summary == [("y (units)", 9.0)]
    # formulas, styles, defined names, merged cells survive
    wf = openpyxl.load_workbook(out)
    ws = wf["Model sheet"]
    assert ws["B2"].value == "=B1*2+SUM(B1:B1)"
    assert ws["B1"].font.b and ws["B1"].number_format == "0.00%"
    assert ws["B1"].fill.fgColor.rgb.endswith("FFFF00")
    assert ws["D1"].font.i and ws["E2"].font.i  # inserted array cells take the anchor style
    assert isinstance(ws["D1"].value, ArrayFormula) and ws["D1"].value.ref == "D1:F3"
    assert "H1:I2" in {str(m) for m in ws.merged_cells.ranges}
    assert wf.defined_names["x_input"].attr_text == "'Model sheet'!$B$1"
    # every part other than worksheets and workbook.xml is byte-identical (charts, drawings,
    # styles, shared strings, relationships, content types)
    a, b = _parts(src), _parts(out)
    assert set(a) == set(b)
    changed = {n for n in a if a[n] != b[n]}
    assert changed <= {n for n in a if n.startswith("xl/worksheets/sheet")} | {"xl/workbook.xml"}
    assert any(n.startswith("xl/charts/") for n in a)
    for n in changed - {"xl/workbook.xml"}:
        fa, fb = read_formulas(a[n]), read_formulas(b[n])
        assert {k: (c.text, c.kind, c.ref) for k, c in fa.items()} == \
            {k: (c.text, c.kind, c.ref) for k, c in fb.items()}
    # workbook.xml: only calcPr changed (current calcId, no forced full calculation on load)
    wa, wb_ = a["xl/workbook.xml"].decode(), b["xl/workbook.xml"].decode()
    strip = re.compile(r"<calcPr[^>]*>")
    assert strip.sub("", wa) == strip.sub("", wb_)
    assert 'calcId="191029"' in wb_ and "fullCalcOnLoad" not in wb_


def test_second_round_trip_is_stable(tmp_path):
    src = _book(tmp_path / "deal.xlsx")
    one, two = tmp_path / "one.xlsx", tmp_path / "two.xlsx"
    assert recalc.recalc_file(str(src), str(one)).exit_code == 0
    assert recalc.recalc_file(str(one), str(two)).exit_code == 0
    assert _parts(one) == _parts(two)


def test_false_check_and_error_cells_are_reported(tmp_path, capsys):
    def extra(wb):
        wb["Checks"]["A3"], wb["Checks"]["B3"] = "y is small", "='Model sheet'!B2<1"
        wb["Model sheet"]["B12"] = "=1/0"
        wb["Model sheet"]["B13"] = "=B12+1"
        wb["Model sheet"]["B14"] = "=IFERROR(B12,-1)"
    src = _book(tmp_path / "deal.xlsx", extra)
    code = _run([src, "-o", tmp_path / "out.xlsx"])
    out = capsys.readouterr().out
    assert code == 1
    assert "CHECK FALSE Checks!B3: y is small" in out
    assert "ERROR Model sheet!B12: #DIV/0!" in out and "ERROR Model sheet!B13: #DIV/0!" in out
    assert "B14" not in out
    wb = openpyxl.load_workbook(tmp_path / "out.xlsx", data_only=True)
    assert wb["Model sheet"]["B12"].value == "#DIV/0!" and wb["Model sheet"]["B14"].value == -1
    assert wb["Checks"]["B3"].value is False


def test_our_error_texts_become_real_errors_that_propagate(tmp_path):
    def extra(wb):
        ws = wb["Model sheet"]
        ws["B12"] = '=EXPECTED_LOSS("abc", 0.4, 100)'
        ws["B13"] = "=B12*2"
        ws["B14"] = "=ISERROR(B12)"
        ws["B15"] = "=EXPECTED_LOSS(0.02, 0.4, 100)"
        ws["B16"] = "=EXPECTED_LOSS(1.5, 0.4, 100)"
    src = _book(tmp_path / "deal.xlsx", extra)
    res = recalc.recalc_file(str(src), str(tmp_path / "o.xlsx"))
    errors = {(s, c): (code, msg) for s, c, code, msg in res.errors}
    code, msg = errors[("Model sheet", "B12")]
    assert code == "#VALUE!" and msg == "#VALUE! pd must be a number; got text 'abc'"
    assert errors[("Model sheet", "B13")] == (code, msg)  # the message travels with the error
    assert errors[("Model sheet", "B16")] == ("#NUM!", "#NUM! pd must be in (0, 1); got 1.5")
    wb = openpyxl.load_workbook(tmp_path / "o.xlsx", data_only=True)
    assert wb["Model sheet"]["B14"].value is True
    assert wb["Model sheet"]["B15"].value == pytest.approx(
        REGISTRY["EXPECTED_LOSS"].func(0.02, 0.4, 100))
    assert wb["Model sheet"]["B16"].value == "#NUM!"


def test_small_table_range_is_padded_with_na(tmp_path):
    def extra(wb):
        wb["Model sheet"]["D20"] = ArrayFormula("D20:D22", "=COMPUTECREDIT_VERSION()")
    res = recalc.recalc_file(str(_book(tmp_path / "d.xlsx", extra)), str(tmp_path / "o.xlsx"))
    ws = openpyxl.load_workbook(tmp_path / "o.xlsx", data_only=True)["Model sheet"]
    assert ws["D20"].value == REGISTRY["COMPUTECREDIT_VERSION"].func()
    assert ws["D21"].value == "#N/A" and ws["D22"].value == "#N/A"
    assert {(c, code) for _, c, code, _ in res.errors} == {("D21", "#N/A"), ("D22", "#N/A")}


def test_write_values_inserts_rows_and_cells_in_order():
    xml = (b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
           b'<dimension ref="B2:C2"/><sheetData><row r="2" spans="2:3"><c r="B2" s="1">'
           b'<f t="array" ref="A1:C3">X()</f><v>0</v></c><c r="C2"><v>5</v></c></row>'
           b'</sheetData></worksheet>')
    vals = {"A1": 1.0, "A2": True, "B2": ErrorValue("#NUM!", "m"), "C2": "a<b", "C3": 2.5}
    new = write_values(xml, vals, {"A1": "1"}).decode()
    assert re.findall(r'<c r="(\w+)"', new) == ["A1", "A2", "B2", "C2", "C3"]
    assert '<row r="1"><c r="A1" s="1"><v>1</v></c></row>' in new
    assert '<c r="A2" t="b"><v>1</v></c>' in new
    assert '<c r="B2" s="1" t="e"><f t="array" ref="A1:C3">X()</f><v>#NUM!</v></c>' in new
    assert '<c r="C2" t="str"><v>a&lt;b</v></c>' in new and "spans" not in new
    assert '<dimension ref="A1:C3"/>' in new


# --------------------------------------------------------------------------------------------
# formulas saved by Excel with the add-in loaded

OURS = {"GPU_RV": "GPU_RV", "COMPUTECREDIT_VERSION": "COMPUTECREDIT_VERSION"}


@pytest.mark.parametrize("text, expected", [
    ("[1]!GPU_RV(B1,B2)*2", "GPU_RV(B1,B2)*2"),
    ("[2]!GPU_RV(B1)", "[2]!GPU_RV(B1)"),                       # link 2 is not the add-in
    ("'C:\\Users\\a b\\AddIns\\ComputeCredit.xlam'!GPU_RV(1)", "GPU_RV(1)"),
    ("ComputeCredit.xlam!gpu_rv(1)", "GPU_RV(1)"),
    ("_xldudf_GPU_RV(1)+_xldudf_OTHER(2)", "GPU_RV(1)+_xldudf_OTHER(2)"),
    ('"[1]!GPU_RV(" & [1]!GPU_RV(1)', '"[1]!GPU_RV(" & GPU_RV(1)'),   # strings untouched
    ("[1]!OTHER(1)", "[1]!OTHER(1)"),
    ("SUM('My [1] sheet'!A1:A2)", "SUM('My [1] sheet'!A1:A2)"),
])
def test_rewrite_formula(text, expected):
    assert rewrite_formula(text, {1}, OURS) == expected


def _with_external_link(src, dest, target, formula_cell="B3",
                        formula="[1]!COMPUTECREDIT_VERSION()"):
    """Rewrite an openpyxl file as Excel saves one that uses an add-in function: formula text
    [1]!NAME(...) and an externalLink part whose relationship names the add-in path."""
    parts = _parts(src)
    ns_r = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    parts["xl/externalLinks/externalLink1.xml"] = (
        '<externalLink xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        f'xmlns:r="{ns_r}"><externalBook r:id="rId1"><definedNames>'
        '<definedName name="COMPUTECREDIT_VERSION"/></definedNames></externalBook>'
        '</externalLink>').encode()
    parts["xl/externalLinks/_rels/externalLink1.xml.rels"] = (
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{ns_r}/externalLinkPath" Target="{target}" '
        'TargetMode="External"/></Relationships>').encode()
    rels = parts["xl/_rels/workbook.xml.rels"].decode()
    rels = rels.replace("</Relationships>", f'<Relationship Id="rIdX1" Type="{ns_r}/'
                        'externalLink" Target="externalLinks/externalLink1.xml"/>'
                        "</Relationships>")
    parts["xl/_rels/workbook.xml.rels"] = rels.encode()
    wbx = parts["xl/workbook.xml"].decode()
    wbx = wbx.replace("</sheets>", '</sheets><externalReferences><externalReference '
                      'r:id="rIdX1"/></externalReferences>')
    parts["xl/workbook.xml"] = wbx.encode()
    ct = parts["[Content_Types].xml"].decode()
    ct = ct.replace("</Types>", '<Override PartName="/xl/externalLinks/externalLink1.xml" '
                    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.'
                    'externalLink+xml"/></Types>')
    parts["[Content_Types].xml"] = ct.encode()
    sheet = parts["xl/worksheets/sheet1.xml"].decode()
    sheet = re.sub(rf'(<c r="{formula_cell}"[^>]*><f>)[^<]*(</f>)',
                   lambda m: m.group(1) + formula + m.group(2), sheet)
    parts["xl/worksheets/sheet1.xml"] = sheet.encode()
    with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as z:
        for n, data in parts.items():
            z.writestr(n, data)
    return dest


def test_addin_external_reference_is_evaluated_and_kept(tmp_path):
    src = _with_external_link(_book(tmp_path / "a.xlsx"), tmp_path / "excel.xlsx",
                              "file:///C:\\Users\\officer\\AppData\\Roaming\\Microsoft\\AddIns"
                              "\\ComputeCredit.xlam")
    out = tmp_path / "o.xlsx"
    res = recalc.recalc_file(str(src), str(out))
    assert res.exit_code == 0, res
    ws = openpyxl.load_workbook(out, data_only=True)["Model sheet"]
    assert ws["B3"].value == REGISTRY["COMPUTECREDIT_VERSION"].func()
    assert read_formulas(_parts(out)["xl/worksheets/sheet1.xml"])["B3"].text == \
        "[1]!COMPUTECREDIT_VERSION()"  # the written copy keeps Excel's text
    assert _parts(out)["xl/externalLinks/externalLink1.xml"] == \
        _parts(src)["xl/externalLinks/externalLink1.xml"]


@pytest.mark.parametrize("formula", [
    "'C:\\Program Files\\ComputeCredit\\ComputeCredit.xlam'!COMPUTECREDIT_VERSION()",
    "_xldudf_COMPUTECREDIT_VERSION()",
])
def test_inline_addin_path_and_xldudf(tmp_path, formula):
    def extra(wb):
        wb["Model sheet"]["B3"] = "=" + formula
    out = tmp_path / "o.xlsx"
    res = recalc.recalc_file(str(_book(tmp_path / "a.xlsx", extra)), str(out))
    assert res.exit_code == 0, res
    ws = openpyxl.load_workbook(out, data_only=True)["Model sheet"]
    assert ws["B3"].value == REGISTRY["COMPUTECREDIT_VERSION"].func()
    assert openpyxl.load_workbook(out)["Model sheet"]["B3"].value == "=" + formula


# --------------------------------------------------------------------------------------------
# hostile and broken input: one clean line, exit status 2, never a traceback

def _refused(tmp_path, capsys, path, pattern, *extra):
    code = _run([path, "-o", tmp_path / "out", *extra])
    err = capsys.readouterr().err
    assert code == 2
    assert "Traceback" not in err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and "refused" in lines[0]
    assert re.search(pattern, lines[0]), lines[0]
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_not_a_workbook(tmp_path, capsys):
    p = tmp_path / "notes.xlsx"
    p.write_text("just text, not a zip")
    _refused(tmp_path, capsys, p, r"not an Excel workbook")


def test_missing_file(tmp_path, capsys):
    _refused(tmp_path, capsys, tmp_path / "nope.xlsx", r"no such file")


def test_truncated_zip(tmp_path, capsys):
    src = _book(tmp_path / "a.xlsx")
    p = tmp_path / "cut.xlsx"
    p.write_bytes(src.read_bytes()[: len(src.read_bytes()) // 2])
    _refused(tmp_path, capsys, p, r"not an Excel workbook|truncated|damaged")


def test_zip_without_workbook(tmp_path, capsys):
    p = tmp_path / "other.xlsx"
    with zipfile.ZipFile(p, "w") as z:
        z.writestr("hello.txt", "hi")
    _refused(tmp_path, capsys, p, r"no \[Content_Types\]\.xml")


def test_zip_bomb_is_refused_before_decompressing(tmp_path, capsys, monkeypatch):
    src = _book(tmp_path / "a.xlsx")
    p = tmp_path / "bomb.xlsx"
    parts = _parts(src)
    parts["xl/media/padding.bin"] = b"\0" * (3 * 2**20)  # ~3 MB of zeros: ratio ~1000:1
    with zipfile.ZipFile(p, "w", zipfile.ZIP_DEFLATED) as z:
        for n, data in parts.items():
            z.writestr(n, data)
    _refused(tmp_path, capsys, p, r"compression ratio .* possible zip bomb")
    monkeypatch.setitem(LIMITS, "total_bytes", 1000)
    _refused(tmp_path, capsys, src, r"would decompress to .* possible zip bomb")


def test_macros_are_refused(tmp_path, capsys):
    src = _book(tmp_path / "a.xlsx")
    p = tmp_path / "vba.xlsx"
    parts = _parts(src)
    parts["xl/vbaProject.bin"] = b"Attribute VB_Name = \"Module1\"\nSub Auto_Open()\nEnd Sub"
    with zipfile.ZipFile(p, "w") as z:
        for n, data in parts.items():
            z.writestr(n, data)
    _refused(tmp_path, capsys, p, r"macros")
    m = tmp_path / "deal.xlsm"
    m.write_bytes(src.read_bytes())
    _refused(tmp_path, capsys, m, r"macro-enabled")


def test_xml_entities_are_refused(tmp_path, capsys):
    src = _book(tmp_path / "a.xlsx")
    parts = _parts(src)
    parts["xl/workbook.xml"] = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">]>'
                                + parts["xl/workbook.xml"])
    p = tmp_path / "xxe.xlsx"
    with zipfile.ZipFile(p, "w") as z:
        for n, data in parts.items():
            z.writestr(n, data)
    _refused(tmp_path, capsys, p, r"DTD or entities")


def _partial(tmp_path, capsys, path, pattern):
    """Without --strict: the copy is written, the cells are listed as kept, exit 3."""
    out = tmp_path / "partial.xlsx"
    code = _run([path, "-o", out])
    text = capsys.readouterr().out
    assert code == recalc.EXIT_PARTIAL == 3, text
    assert "PARTIAL" in text and "KEPT" in text
    assert re.search(pattern, text), text
    assert out.exists()
    return text


def test_external_link_without_cached_values_is_kept_or_refused(tmp_path, capsys):
    p = _with_external_link(_book(tmp_path / "a.xlsx"), tmp_path / "linked.xlsx",
                            "file:///\\\\share\\deals\\pricing.xlsx",
                            formula="[1]Sheet1!A1*2")
    pattern = r"refers to \[1\]Sheet1 in another workbook, whose values the file does not cache"
    _partial(tmp_path, capsys, p, pattern)
    _refused(tmp_path, capsys, p, pattern, "--strict")


def test_unknown_function_is_kept_or_refused(tmp_path, capsys):
    def extra(wb):
        wb["Model sheet"]["B12"] = "=NOT_A_FUNCTION(B1)+1"
        wb["Model sheet"]["B13"] = "=B12*2"
    p = _book(tmp_path / "a.xlsx", extra)
    text = _partial(tmp_path, capsys, p, r"Model sheet!B12: calls NOT_A_FUNCTION, which the "
                                         r"headless engine does not evaluate")
    assert re.search(r"Model sheet!B13: depends on 'Model sheet'!B12", text)
    _refused(tmp_path, capsys, p, r"unknown function NOT_A_FUNCTION in Model sheet!B12",
             "--strict")


def test_circular_reference_names_the_loop(tmp_path, capsys):
    def extra(wb):
        wb["Model sheet"]["C20"] = "=C21+1"
        wb["Model sheet"]["C21"] = "=C22*2"
        wb["Model sheet"]["C22"] = "=C20-B1"
        wb["Model sheet"]["C23"] = "=C22+1"
    p = _book(tmp_path / "a.xlsx", extra)
    loop = r"'Model sheet'!C20 -> C21 -> C22 -> C20"
    text = _partial(tmp_path, capsys, p, loop + r" and the workbook does not enable iterative")
    assert re.search(r"C23: depends on the circular reference", text)
    _refused(tmp_path, capsys, p, r"circular reference " + loop + r"; the workbook does not "
                                  r"enable iterative calculation", "--strict")


def test_output_never_overwrites_input(tmp_path, capsys):
    src = _book(tmp_path / "a.xlsx")
    before = _sha(src)
    code = _run([src, "-o", src])
    assert code == 2 and "overwrite the input" in capsys.readouterr().err
    assert _sha(src) == before


def test_open_package_names_sheets_and_charts(tmp_path):
    pkg = open_package(str(_book(tmp_path / "a.xlsx")))
    try:
        assert [n for n, _ in pkg.sheets] == ["Model sheet", "Checks", "Summary"]
        assert pkg.charts == ["xl/charts/chart1.xml"]
    finally:
        pkg.close()
    with pytest.raises(WorkbookRefused, match="is a folder"):
        open_package(str(tmp_path))


# --------------------------------------------------------------------------------------------
# several files

def test_several_files_in_parallel_with_progress(tmp_path, capsys):
    a = _book(tmp_path / "a.xlsx")
    b = _book(tmp_path / "b.xlsx")
    bad = tmp_path / "c.xlsx"
    bad.write_bytes(b"PK\x03\x04garbage")
    code = _run([a, b, bad, "-o", tmp_path / "out", "-j", "2"])
    cap = capsys.readouterr()
    assert code == 2  # the worst status of the batch
    assert (tmp_path / "out" / "a.xlsx").exists() and (tmp_path / "out" / "b.xlsx").exists()
    assert "3/3 files" in cap.err and "c.xlsx: refused" in cap.err
    assert cap.out.count(": OK:") == 2


def test_default_output_name(tmp_path):
    assert recalc.output_path("/d/deal.xlsx", None, 1) == "/d/deal_recalc.xlsx"
    assert recalc.output_path("/d/deal.xlsx", "out/", 1) == "out/deal.xlsx"
    assert recalc.output_path("/d/deal.xlsx", "x.xlsx", 1) == "x.xlsx"
    assert recalc.output_path("/d/deal.xlsx", "x.xlsx", 2) == "x.xlsx/deal.xlsx"


def test_engine_text_never_reaches_user_as_traceback(tmp_path, capsys):
    def extra(wb):
        wb["Model sheet"]["B12"] = "=SUM(B1:B2"  # unbalanced: the engine cannot parse it
    p = _book(tmp_path / "a.xlsx", extra)
    text = _partial(tmp_path, capsys, p, r"B12: the formula engine cannot read this formula")
    assert "Traceback" not in text
    _refused(tmp_path, capsys, p, r"cannot read|formula", "--strict")


def test_read_formulas_handles_shared_formulas():
    xml = (b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
           b'<sheetData><row r="1"><c r="A1"><f t="shared" ref="A1:A2" si="0">B1*2</f>'
           b'<v>2</v></c></row><row r="2"><c r="A2"><f t="shared" si="0"/><v>4</v></c></row>'
           b'</sheetData></worksheet>')
    cells = read_formulas(xml)
    assert cells["A1"].text == "B1*2" and cells["A1"].kind == "shared"
    assert cells["A2"].text is None and cells["A2"].kind == "shared"
    assert io.BytesIO(write_values(xml, {"A2": 6.0})).read().count(b"<v>6</v>") == 1


def test_shared_formulas_as_excel_saves_them(tmp_path):
    """Excel stores a filled-down formula once (t="shared") and leaves the copies empty."""
    src = _book(tmp_path / "a.xlsx")
    parts = _parts(src)
    sheet = parts["xl/worksheets/sheet1.xml"].decode()
    sheet = sheet.replace("<f>A6*$B$1</f>", '<f t="shared" ref="B6:B10" si="0">A6*$B$1</f>')
    for r in range(7, 11):
        sheet = sheet.replace(f"<f>A{r}*$B$1</f>", '<f t="shared" si="0"/>')
    parts["xl/worksheets/sheet1.xml"] = sheet.encode()
    p = tmp_path / "shared.xlsx"
    with zipfile.ZipFile(p, "w") as z:
        for n, data in parts.items():
            z.writestr(n, data)
    out = tmp_path / "o.xlsx"
    assert recalc.recalc_file(str(p), str(out)).exit_code == 0
    ws = openpyxl.load_workbook(out, data_only=True)["Model sheet"]
    assert [ws[f"B{r}"].value for r in range(6, 11)] == [18, 21, 24, 27, 30]
    written = _parts(out)["xl/worksheets/sheet1.xml"].decode()
    assert written.count('<f t="shared" si="0"/>') == 4


def test_read_chart_resolves_series_against_values():
    from workbook.engine.charts import read_chart, resolve_ref
    xml = (b'<c:chartSpace xmlns:c="http://schemas.openxmlformats.org/drawingml/2006/chart" '
           b'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"><c:chart>'
           b'<c:title><c:tx><c:rich><a:p><a:r><a:t>Value</a:t></a:r></a:p></c:rich></c:tx>'
           b'</c:title><c:plotArea><c:scatterChart><c:ser><c:tx><c:strRef>'
           b"<c:f>'My sheet'!$B$1</c:f></c:strRef></c:tx><c:xVal><c:numRef>"
           b"<c:f>'My sheet'!$A$2:$A$3</c:f></c:numRef></c:xVal><c:yVal><c:numRef>"
           b"<c:f>'My sheet'!$B$2:$B$3</c:f></c:numRef></c:yVal></c:ser></c:scatterChart>"
           b"</c:plotArea></c:chart></c:chartSpace>")
    values = {("My sheet", "B1"): "economic", ("My sheet", "A2"): 0.0,
              ("My sheet", "A3"): 1.0, ("My sheet", "B2"): 10.0,
              ("My sheet", "B3"): ErrorValue("#N/A")}
    spec = read_chart(xml, values, ["My sheet"])
    assert spec["title"] == "Value" and spec["kind"] == "scatter"
    (s,) = spec["series"]
    assert s["name"] == "economic" and s["x"] == [0.0, 1.0]
    assert s["y"] == [10.0, ErrorValue("#N/A")]
    assert resolve_ref("'my sheet'!$A$2", values, ["My sheet"]) == [0.0]
    assert resolve_ref("nonsense", values, ["My sheet"]) == []


def test_oversized_file_and_too_many_parts_are_refused(tmp_path, capsys, monkeypatch):
    src = _book(tmp_path / "a.xlsx")
    monkeypatch.setitem(LIMITS, "file_bytes", 1000)
    _refused(tmp_path, capsys, src, r"the file has .* bytes \(limit 1,000\)")
    monkeypatch.setitem(LIMITS, "file_bytes", 200 * 2**20)
    monkeypatch.setitem(LIMITS, "parts", 3)
    _refused(tmp_path, capsys, src, r"the package has \d+ parts \(limit 3\)")
    monkeypatch.setitem(LIMITS, "parts", 5000)
    monkeypatch.setitem(LIMITS, "part_bytes", 100)
    _refused(tmp_path, capsys, src, r"would decompress to .* bytes \(limit 100\)")


def test_unknown_engine_error_codes_are_written_as_value_errors():
    xml = (b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
           b'<sheetData><row r="1"><c r="A1"><f>X</f></c></row></sheetData></worksheet>')
    assert b"<v>#VALUE!</v>" in write_values(xml, {"A1": ErrorValue("#CIRC!")})


def test_long_error_listings_are_capped(tmp_path, capsys):
    def extra(wb):
        for r in range(20, 60):
            wb["Model sheet"][f"C{r}"] = "=1/0"
    code = _run([_book(tmp_path / "a.xlsx", extra), "-o", tmp_path / "o.xlsx"])
    out = capsys.readouterr().out
    assert code == 1
    assert out.count("ERROR Model sheet!") == recalc.MAX_LISTED
    assert f"... and {40 - recalc.MAX_LISTED} more error cells" in out


def test_too_many_formula_cells_are_refused(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(LIMITS, "formula_cells", 5)
    _refused(tmp_path, capsys, _book(tmp_path / "a.xlsx"), r"more than 5 formula cells")


def test_excel_style_sheet_markup_survives(tmp_path):
    """Namespaces, mc:Ignorable, row attributes and the cm= of a dynamic array as Excel writes
    them are kept byte for byte; only the cached values change."""
    src = _book(tmp_path / "a.xlsx")
    parts = _parts(src)
    sheet = parts["xl/worksheets/sheet1.xml"].decode()
    sheet = sheet.replace(
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">',
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" '
        'mc:Ignorable="x14ac" '
        'xmlns:x14ac="http://schemas.microsoft.com/office/spreadsheetml/2009/9/ac">')
    sheet = re.sub(r'<row r="(\d+)"', r'<row r="\1" x14ac:dyDescent="0.25"', sheet)
    # a dynamic array as Excel saves it: cm= and the range it spilled over
    import addin.udfs  # noqa: F401  (registers every function)
    from addin.info import COMPUTECREDIT_FUNCTIONS
    spilled = f"D1:F{len(COMPUTECREDIT_FUNCTIONS())}"
    sheet = sheet.replace('<c r="D1" s=', '<c r="D1" cm="1" s=')
    sheet = sheet.replace('<f t="array" ref="D1:F3">', f'<f t="array" ref="{spilled}">')
    parts["xl/worksheets/sheet1.xml"] = sheet.encode()
    p = tmp_path / "excel_style.xlsx"
    with zipfile.ZipFile(p, "w") as z:
        for n, data in parts.items():
            z.writestr(n, data)
    out = tmp_path / "o.xlsx"
    assert recalc.recalc_file(str(p), str(out)).exit_code == 0
    written = _parts(out)["xl/worksheets/sheet1.xml"].decode()
    head = sheet[:sheet.index("<sheetData>")]
    # the dimension grows to the spilled range; the rest of the head is unchanged
    dim = re.compile(r'<dimension ref="[^"]*"')
    assert dim.search(written).group(0) == '<dimension ref="A1:I' + spilled.split("F")[1] + '"'
    assert dim.sub("", written).startswith(dim.sub("", head))
    assert written.count('x14ac:dyDescent="0.25"') == sheet.count('x14ac:dyDescent="0.25"')
    assert re.search(r'<c r="D1" cm="1" s="\d+" t="str"><f t="array" ref="' + spilled + '">',
                     written)
    assert sheet[sheet.index("</sheetData>"):] == written[written.index("</sheetData>"):]
    ws = openpyxl.load_workbook(out, data_only=True)["Model sheet"]
    assert ws["D1"].value == "function" and ws["B2"].value == 9


def test_written_copy_has_ordinary_file_permissions(tmp_path):
    src = _book(tmp_path / "in.xlsx")
    out = tmp_path / "out.xlsx"
    old = os.umask(0o022)
    try:
        assert _run([src, "-o", out]) == 0
    finally:
        os.umask(old)
    assert out.exists()
    assert stat.S_IMODE(out.stat().st_mode) == 0o644


# --------------------------------------------------------------------------------------------
# the engine integration: skipped arguments, no patching of libraries, one error vocabulary

def test_skipped_argument_of_our_function_is_its_default(tmp_path):
    def extra(wb):
        ws = wb["Model sheet"]
        ws["C20"] = "=IRB_K(0.01, 0.45, , 0.12)"
        ws["C21"] = "=GPU_RV(2, 0.85, 0.32, 0.2, 0.12, , 6)"
        ws["C22"] = "=IF(FALSE, , 5)+SUM(1, , 2)"      # Excel's own: a skipped argument is 0
    out = tmp_path / "o.xlsx"
    res = recalc.recalc_file(str(_book(tmp_path / "a.xlsx", extra)), str(out))
    assert res.exit_code == 0, res
    ws = openpyxl.load_workbook(out, data_only=True)["Model sheet"]
    assert ws["C20"].value == pytest.approx(REGISTRY["IRB_K"].func(0.01, 0.45, None, 0.12))
    assert ws["C21"].value == pytest.approx(
        REGISTRY["GPU_RV"].func(2, 0.85, 0.32, 0.2, 0.12, None, 6))
    assert ws["C22"].value == 8
    # the written copy keeps the formula as the officer typed it
    assert openpyxl.load_workbook(out)["Model sheet"]["C20"].value == \
        "=IRB_K(0.01, 0.45, , 0.12)"


def test_no_third_party_library_is_patched(tmp_path):
    import matplotlib
    from formulas.tokens.operand import Empty
    compile_before = Empty.__dict__["compile"]
    backend = matplotlib.get_backend()

    def extra(wb):
        wb["Model sheet"]["C20"] = "=IRB_K(0.01, 0.45, , 0.12)"
    code = _run([_book(tmp_path / "a.xlsx", extra), "-o", tmp_path / "o.xlsx",
                 "--png", tmp_path / "png"])
    assert code == 0 and list((tmp_path / "png").glob("*.png"))
    assert Empty.__dict__["compile"] is compile_before and Empty.compile() == 0
    assert matplotlib.get_backend() == backend


def test_one_excel_error_vocabulary():
    from addin import cells
    from pymodel import errors
    from workbook.engine import sheetxml
    assert cells.EXCEL_ERRORS is errors.EXCEL_ERROR_CODES
    assert sheetxml.EXCEL_ERROR_CODES is errors.EXCEL_ERROR_CODES
    for cls in (errors.InputTypeError, errors.DomainError, errors.ConvergenceError,
                errors.NotAvailableError):
        assert cls.excel_code in errors.EXCEL_ERROR_CODES
    assert errors.excel_error_code("  #num! pd must be ...") == "#NUM!"
    assert errors.excel_error_code("#NUMBER") is None and errors.excel_error_code(3) is None


def test_a_formula_saved_without_a_result_is_not_read_as_zero(tmp_path):
    # writers other than Excel (openpyxl here) save a formula with an empty <v/>: no result.
    # A cell kept at its saved value (CUBEVALUE is not evaluated) must stay without a value,
    # not become 0, and so must the cell depending on it
    wb = openpyxl.Workbook()
    ws = wb.active
    ws["A1"], ws["B1"], ws["B2"], ws["C1"] = 4, '=CUBEVALUE("olap","x")', "=B1+1", "=A1*2"
    wb.save(tmp_path / "in.xlsx")
    assert b"<v" in zipfile.ZipFile(tmp_path / "in.xlsx").read("xl/worksheets/sheet1.xml")
    res = recalc.recalc_file(str(tmp_path / "in.xlsx"), str(tmp_path / "out.xlsx"))
    assert res.exit_code == recalc.EXIT_PARTIAL
    got = openpyxl.load_workbook(tmp_path / "out.xlsx", data_only=True).active
    assert got["C1"].value == 8
    assert got["B1"].value is None and got["B2"].value is None
