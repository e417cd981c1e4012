"""Tiny files that used to cost minutes and gigabytes: refused or computed before anything is
expanded; the formula limit is reached in bounded time and memory."""

from __future__ import annotations

import pytest

from workbook.engine import recalc
from workbook.engine.package import LIMITS

from .attacks import build, many_formulas, tiny_attacks
from .conftest import values

ATTACKS = tiny_attacks()
EXPECTED = {
    "value in B1048576": r"uses the last row 1,048,576",
    "value in XFD1048576": r"uses the last row 1,048,576|uses the last column XFD",
    "whole-sheet array formula": r"more than 1,000,000 cells in array-formula ranges",
    "whole-sheet data table": r"more than 200,000 cells in data-table ranges",
    "SUM over whole column, data in row 900000": None,
    "100 whole-column SUMIFs": None,
    "merge C1:C1048576": None,
    "whole-sheet merge": None,
}


@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_tiny_file_attacks_are_refused_or_computed(tmp_path, refused, name):
    src = build(tmp_path / "tiny.xlsx", **ATTACKS[name])
    assert src.stat().st_size < 20_000
    pattern = EXPECTED[name]
    if pattern:
        refused(src, pattern)
        return
    out = tmp_path / "o.xlsx"
    res = recalc.recalc_file(str(src), str(out))
    assert res.exit_code == 0, res


def test_whole_column_sum_with_far_data_is_right(tmp_path):
    src = build(tmp_path / "far.xlsx", **ATTACKS["SUM over whole column, data in row 900000"])
    out = tmp_path / "o.xlsx"
    assert recalc.recalc_file(str(src), str(out)).exit_code == 0
    assert values(out)["B1"].value == 3


def test_array_formulas_beyond_the_allowance_must_be_as_large_as_the_files_cells(
        tmp_path, refused, monkeypatch):
    """A loan tape's output columns are as long as its input columns: array formulas beyond
    the free allowance are computed when the file holds as many cells, refused when a small
    file asks for them (a tiny file never expands millions of cells)."""
    monkeypatch.setitem(LIMITS, "array_cells", 100)
    tape = {f"A{r}": float(r) for r in range(1, 131)}
    ok = build(tmp_path / "tape.xlsx", {"S": {
        **tape, "B1": ("array", "B1:B120", "=A1:A120*2"), "C1": ("array", "C1:C2", "=1")}})
    out = tmp_path / "o.xlsx"
    assert recalc.recalc_file(str(ok), str(out)).exit_code == 0
    got = values(out)
    assert got["B120"].value == 240 and got["C2"].value == 1
    small = build(tmp_path / "small.xlsx", {"S": {
        **{f"A{r}": 1.0 for r in range(1, 31)}, "B1": ("array", "B1:C150", "=1")}})
    refused(small, r"has 300 cells in array-formula ranges: more than 100 and more than the 31 "
                   r"non-empty cells it holds")


def test_limits_are_checked_while_reading(tmp_path, refused, monkeypatch):
    src = build(tmp_path / "m.xlsx", **many_formulas(50))
    monkeypatch.setitem(LIMITS, "formula_cells", 40)
    refused(src, r"more than 40 formula cells")
    monkeypatch.setitem(LIMITS, "formula_cells", 100_000)
    monkeypatch.setitem(LIMITS, "cells", 60)
    refused(src, r"more than 60 non-empty cells")
    monkeypatch.setitem(LIMITS, "cells", 1_000_000)
    monkeypatch.setitem(LIMITS, "range_cells", 10)
    src2 = build(tmp_path / "r.xlsx", {"S": {**{f"A{r}": 1.0 for r in range(1, 30)},
                                             "B1": "=SUM(A:A)"}})
    refused(src2, r"ranges of 29 cells in all \(limit 10")
    monkeypatch.setitem(LIMITS, "merges", 0)
    src3 = build(tmp_path / "g.xlsx", **ATTACKS["merge C1:C1048576"])
    refused(src3, r"more than 0 merged ranges")


def test_the_evaluation_budget_stops_a_large_workbook(tmp_path, refused, monkeypatch):
    cells = {f"A{r}": float(r) for r in range(1, 3001)}   # distinct formulas (not one
    cells.update({f"B{r}": f"=A{r}*{r}+{r % 7}" for r in range(1, 3001)})  # filled-down call)
    src = build(tmp_path / "big.xlsx", {"S": cells})
    monkeypatch.setitem(LIMITS, "seconds", 0.0)
    refused(src, r"stopped after 0 s \(limit\)")
    monkeypatch.setitem(LIMITS, "seconds", 300.0)
    monkeypatch.setitem(LIMITS, "memory_bytes", 1)
    refused(src, r"stopped at 0.0 GB of memory \(limit\)")
