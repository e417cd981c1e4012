"""Sheet-scoped defined names (workbook.engine.localnames): in a formula on a sheet, the sheet's
own name comes before a workbook-wide one of the same spelling, and ``Sheet!name`` means that
sheet's name. Expected values by hand from the inputs written in each test."""

from __future__ import annotations

import re
import zipfile

import openpyxl
import pytest
from openpyxl.workbook.defined_name import DefinedName

from workbook.engine.localnames import rewrite
from workbook.engine.recalc import recalc_file

LOCAL = {("DEAL", "RATE"): "CC_LOCAL_1_rate", ("BOB'S DEAL", "RATE"): "CC_LOCAL_2_rate"}


@pytest.mark.parametrize("text, sheet, expected", [
    ("=rate*2", "Deal", "=CC_LOCAL_1_rate*2"),
    ("=rate*2", "Other", "=rate*2"),                          # no local name there: global
    ("=Deal!rate+1", "Other", "=CC_LOCAL_1_rate+1"),
    ("='Bob''s deal'!rate+Deal!rate", "Other", "=CC_LOCAL_2_rate+CC_LOCAL_1_rate"),
    ('=RATE(10,-1,5)+rate&"rate"', "Deal", '=RATE(10,-1,5)+CC_LOCAL_1_rate&"rate"'),
    ("=Other!rate", "Deal", "=Other!rate"),                   # Other has no local rate
    ("=SUM(Deal!A1:A3)*rate", "Deal", "=SUM(Deal!A1:A3)*CC_LOCAL_1_rate"),
    ("=[1]Deal!rate", "Deal", "=[1]Deal!rate"),               # another workbook's name
    ("=rates+myrate", "Deal", "=rates+myrate"),
])
def test_rewrite(text, sheet, expected):
    assert rewrite(text, sheet, LOCAL) == expected


def _book(path):
    wb = openpyxl.Workbook()
    deal = wb.active
    deal.title = "Deal"
    wb.create_chartsheet("Chart")          # localSheetId counts chart sheets too
    other = wb.create_sheet("Other")
    deal["A1"], deal["A2"], deal["B1"], deal["B2"] = 5, "=rate*2", 100, "=glob+rate"
    deal["C1"], deal["C2"] = "=twice+1", "=FORMULATEXT(A2)"
    other["A1"], other["A2"], other["A3"] = 7, "=rate*3", "=Deal!rate+Deal!twice"
    deal.defined_names["rate"] = DefinedName("rate", attr_text="Deal!$A$1")
    deal.defined_names["twice"] = DefinedName("twice", attr_text="rate*2")   # uses Deal's rate
    other.defined_names["rate"] = DefinedName("rate", attr_text="Other!$A$1")
    wb.defined_names["glob"] = DefinedName("glob", attr_text="Deal!$B$1")
    wb.defined_names["rate"] = DefinedName("rate", attr_text="Deal!$B$1")  # hidden by locals
    wb.save(path)
    # Excel counts localSheetId over every sheet of <sheets>, chart sheets included; openpyxl
    # counts worksheets only (it wrote 1 for Other, the third sheet): write it as Excel does
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    parts["xl/workbook.xml"] = parts["xl/workbook.xml"].replace(
        b'localSheetId="1">Other!', b'localSheetId="2">Other!')
    with zipfile.ZipFile(path, "w") as z:
        for n, data in parts.items():
            z.writestr(n, data)
    return path


def _cached(path, part, ref):
    """The value cached for ``ref`` in a worksheet part (openpyxl cannot read back the chart
    sheet it wrote)."""
    xml = zipfile.ZipFile(path).read(part).decode()
    m = re.search(rf'<c r="{ref}"[^>]*>(.*?)</c>', xml, re.S)
    f = re.search(r"<f>(.*?)</f>", m.group(1))
    v = re.search(r"<v>(.*?)</v>", m.group(1)) or re.search(r"<t[^>]*>(.*?)</t>", m.group(1))
    return (f.group(1) if f else None), v.group(1)


def test_workbook_with_sheet_scoped_names_recalculates_as_excel(tmp_path):
    src = _book(tmp_path / "local.xlsx")
    out = tmp_path / "out.xlsx"
    res = recalc_file(str(src), str(out))
    assert res.refused is None and res.exit_code == 0, res
    deal, other = "xl/worksheets/sheet1.xml", "xl/worksheets/sheet2.xml"
    assert _cached(out, deal, "A2") == ("rate*2", "10")   # Deal's rate 5, not the global 100
    assert _cached(out, deal, "B2")[1] == "105"            # glob 100 + Deal's rate 5
    assert _cached(out, deal, "C1")[1] == "11"             # twice = Deal's rate x 2, + 1
    assert _cached(out, deal, "C2")[1] == "=rate*2"        # as written, not the engine's alias
    assert _cached(out, other, "A2")[1] == "21"            # Other's rate 7 x 3
    assert _cached(out, other, "A3")[1] == "15"            # Deal!rate 5 + Deal!twice 10
    assert b'localSheetId="2">Other!$A$1' in zipfile.ZipFile(out).read("xl/workbook.xml")
