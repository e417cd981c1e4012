"""INDEX with a row or column of 0 (or omitted): the whole column, row or range, as Excel gives
it; values hand-computed for a small workbook built here."""

from __future__ import annotations

import openpyxl
import pytest

from workbook.engine import recalc

# B2:D7 holds 1..18 row by row; A1:A6 holds 1..6
FORMULAS = {
    "=SUM(INDEX(A1:A6,0))": 21,                       # whole one-column range
    "=SUM(INDEX(B2:D2,0))": 6,                        # whole one-row range
    "=SUMPRODUCT(INDEX(B2:D7,0,2)*A1:A6)": 252,       # 2*1+5*2+8*3+11*4+14*5+17*6
    "=SUM(INDEX(B2:D7,3,0))": 24,                     # 7+8+9
    "=SUM(INDEX(B2:D7,0,0))": 171,                    # 1+...+18
    "=SUM(INDEX(B2:D7,,2))": 57,                      # omitted row: whole column 2
    "=SUM(INDEX(B2:D7,2))": 15,                       # 2-D range, column omitted: row 2
    "=ROWS(INDEX(B2:D7,0,2))": 6,
    "=COLUMNS(INDEX(B2:D7,0,2))": 1,
    "=COLUMNS(INDEX(B2:D7,3,0))": 3,
    "=ROWS(INDEX(B2:D7,0,0))": 6,
    "=MATCH(14,INDEX(B2:D7,0,2),0)": 5,
    "=SUM(INDEX(B2:D7,0,1):INDEX(B2:D7,0,3))": 171,   # references, usable in a range
    "=SUM(INDEX({1,2;3,4},0,2))": 6,                  # an array, not a reference
    "=SUM(INDEX(A:A,0))": 21,                         # a whole column stays bounded
    "=SUM(INDEX(B:D,0,2))": 57,
    "=INDEX(B2:D7,2,3)": 6,                           # ordinary indexes unchanged
    "=INDEX(A1:A6,3)": 3,
    "=INDEX(B2:D7,0,4)": "#REF!",                     # out of range stays #REF!
    "=INDEX(B2:D7,7,0)": "#REF!",
    "=INDEX(A1:A6,7)": "#REF!",
    "=INDEX(B2:D7,-1,0)": "#VALUE!",
}


@pytest.fixture(scope="module")
def values(tmp_path_factory):
    d = tmp_path_factory.mktemp("index")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "S"
    for i in range(1, 7):
        ws[f"A{i}"] = i
        for c in range(3):
            ws.cell(row=1 + i, column=2 + c, value=3 * (i - 1) + c + 1)
    cells = {}
    for k, formula in enumerate(FORMULAS, start=1):
        ws[f"F{k}"] = formula
        cells[formula] = f"F{k}"
    wb.save(d / "in.xlsx")
    recalc.recalc_file(str(d / "in.xlsx"), str(d / "out.xlsx"))
    out = openpyxl.load_workbook(d / "out.xlsx", data_only=True)["S"]
    return {f: out[c].value for f, c in cells.items()}


@pytest.mark.parametrize("formula", FORMULAS)
def test_index_zero_row_or_column_is_the_whole_line(values, formula):
    assert values[formula] == FORMULAS[formula]
