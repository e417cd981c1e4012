"""Headless recalculation keeps the reason of every error: ``CC_WHY(cell)`` inside the workbook
(as the add-in's VBA function in Excel), the listing, and ``--errors CSV``."""

from __future__ import annotations

import argparse
import csv

import openpyxl
from openpyxl.worksheet.formula import ArrayFormula

from workbook.engine import recalc


def _run(argv):
    parser = argparse.ArgumentParser()
    recalc.add_arguments(parser)
    return recalc.run(parser.parse_args([str(a) for a in argv]))


def _book(path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Deal"
    ws["A1"] = "=GPU_RENT(2.5, 1, 1.3)"            # #NUM! with a reason
    ws["B1"] = "=CC_WHY(A1)"
    ws["A2"] = "=1/0"                               # Excel's own error
    ws["B2"] = "=CC_WHY(A2)"
    ws["A3"] = 5
    ws["B3"] = '=CC_WHY(A3)="" '
    ws["A4"] = "=A1*2"                              # the reason travels with the error
    ws["B4"] = "=CC_WHY(A4)"
    ws["D1"], ws["D2"], ws["D3"] = 2.4, -1, 2.2     # a loan tape with one bad row
    ws["E1"] = ArrayFormula("E1:E3", "=GPU_RV(D1:D3, 0.85, 0.45, 0.3, 0.1)")
    ws["F1"] = "=CC_WHY(E1)"
    ws["F2"] = "=CC_WHY(E2)"
    ws["G1"] = "=IFERROR(A1, -1)"
    ws["G2"] = "=ISERROR(E2)"
    ws["G3"] = "=IFNA(GPU_IMPLIED_DEFLATION(1000000000, 2.4, 0.85, 0.45, 0.1), \"none\")"
    ws["G4"] = "=IFNA(GPU_SPEC(\"NOPE\", \"gpu_kw\"), \"none\")"  # #VALUE! is not #N/A
    ws["H1"] = "=SUM(E1,E3)"
    wb.save(path)
    return path


def test_cc_why_and_real_errors(tmp_path):
    src = _book(tmp_path / "deal.xlsx")
    res = recalc.recalc_file(str(src), str(tmp_path / "out.xlsx"))
    assert res.refused is None
    ws = openpyxl.load_workbook(tmp_path / "out.xlsx", data_only=True)["Deal"]
    assert ws["A1"].value == "#NUM!"
    assert ws["B1"].value == "#NUM! deflation must be in (-1, 1); got 1.3"
    assert ws["B2"].value.startswith("#DIV/0! no reason recorded")
    assert ws["B3"].value is True                       # no error: empty text
    assert ws["B4"].value == ws["B1"].value
    assert ws["E2"].value == "#NUM!"
    assert isinstance(ws["E1"].value, float) and isinstance(ws["E3"].value, float)
    assert ws["F1"].value in (None, "")
    assert ws["F2"].value == "#NUM! rent0[2] must be > 0; got -1"
    assert ws["G1"].value == -1 and ws["G2"].value is True and ws["G3"].value == "none"
    assert ws["G4"].value == "#VALUE!"
    assert ws["H1"].value == ws["E1"].value + ws["E3"].value
    # the formulas are kept as written
    wf = openpyxl.load_workbook(tmp_path / "out.xlsx")["Deal"]
    assert wf["B1"].value == "=CC_WHY(A1)"


def test_errors_csv_lists_every_error_with_its_reason(tmp_path, capsys):
    src = _book(tmp_path / "deal.xlsx")
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"not a workbook")
    target = tmp_path / "errors.csv"
    code = _run([src, bad, "-o", tmp_path / "out", "--errors", target])
    out = capsys.readouterr()
    assert code == 2  # one file refused
    assert "ERROR Deal!E2: #NUM! rent0[2] must be > 0; got -1" in out.out
    rows = list(csv.reader(target.open(encoding="utf-8")))
    assert rows[0] == ["file", "sheet", "cell", "error", "reason"]
    body = {(r[1], r[2]): (r[3], r[4]) for r in rows[1:] if r[1]}
    assert body[("Deal", "A1")] == ("#NUM!", "#NUM! deflation must be in (-1, 1); got 1.3")
    assert body[("Deal", "E2")] == ("#NUM!", "#NUM! rent0[2] must be > 0; got -1")
    assert body[("Deal", "A2")] == ("#DIV/0!", "")
    assert ("Deal", "G1") not in body and ("Deal", "B1") not in body
    assert [r for r in rows[1:] if r[0] == str(bad)][0][3] == "refused"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".errors.")]


def test_errors_csv_that_cannot_be_written(tmp_path, capsys):
    src = _book(tmp_path / "deal.xlsx")
    code = _run([src, "-o", tmp_path / "out.xlsx", "--errors", tmp_path / "no" / "e.csv"])
    assert code == 2 and "cannot write" in capsys.readouterr().err
