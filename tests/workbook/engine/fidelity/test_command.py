"""``computecredit fidelity``: the recalculation compared with the values saved in a workbook.

The corpus workbooks are written with their expected values as the saved (cached) values, as
Excel would have saved them; the command must find every recomputed cell equal, count the kept
ones apart, and list a cell whose saved value differs."""

from __future__ import annotations

import dataclasses

import pytest

from workbook.cli import main
from workbook.engine.fidelity import compare_file, same
from workbook.engine.sheetxml import ErrorValue

from .cases import Case
from .features import FEATURES
from .models import MODELS
from .xlsx import F

CASES = {c.name: c for c in (build() for build in FEATURES + MODELS)}


def _with_saved(case: Case, changed: dict | None = None) -> Case:
    """The case with every formula cell's expected value saved in the file (``changed``
    overrides some)."""
    values = {**case.expected, **(changed or {})}
    sheets = {name: dict(cells) for name, cells in case.sheets.items()}
    for (sheet, ref), want in values.items():
        cell = sheets[sheet].get(ref)
        if isinstance(cell, F):
            sheets[sheet][ref] = dataclasses.replace(cell, value=want)
        elif cell is None and want is not None:
            sheets[sheet][ref] = want      # a cell of an array or data-table result
    return dataclasses.replace(case, sheets=sheets)


@pytest.mark.parametrize("name", ["excel_markup", "data_tables", "arrays", "partial",
                                  "loan_schedule"])
def test_saved_values_equal_to_the_expected_ones_all_match(name, tmp_path):
    case = _with_saved(CASES[name])
    got = compare_file(case.write(str(tmp_path)))
    assert got.refused is None
    assert got.mismatched == []
    assert got.formula_cells == len(case.formula_cells())
    assert got.kept == len(case.kept)
    assert got.compared == got.matched > 0
    assert got.matched + got.kept == sum(1 for w in case.formula_cells()
                                         if case.expected.get(w) is not None)


def test_a_differing_saved_value_is_listed_and_exits_1(tmp_path, capsys):
    case = _with_saved(CASES["excel_markup"], {("Calc", "Z5"): 40.0, ("Calc", "B21"): "x"})
    path = case.write(str(tmp_path))
    assert main(["fidelity", path, "--show", "5"]) == 1
    out = capsys.readouterr().out
    assert "Calc!Z5: recalculated" in out and "Excel saved 40" in out
    assert "Calc!B21" in out
    line = next(x for x in out.splitlines() if x.startswith("excel_markup.xlsx"))
    cells = len(case.formula_cells())
    assert line.split()[1:4] == [str(cells), str(cells), str(cells - 2)]


def test_folder_of_workbooks_and_a_refused_one(tmp_path, capsys):
    _with_saved(CASES["iteration"]).write(str(tmp_path))
    (tmp_path / "broken.xlsx").write_bytes(b"not a zip")
    assert main(["fidelity", str(tmp_path)]) == 2
    out = capsys.readouterr().out
    assert "iteration.xlsx" in out and "broken.xlsx" in out and "refused" in out


def test_today_freezes_the_date_of_the_comparison(tmp_path):
    case = _with_saved(CASES["today"])
    path = case.write(str(tmp_path))
    assert compare_file(path, today=case.today).mismatched == []
    assert compare_file(path).mismatched      # the real clock is another day


def test_same_compares_as_excel_shows_values():
    assert same(1.0 + 5e-10, 1.0) and not same(1.0 + 5e-9, 1.0)
    assert same(1e6 * (1 + 5e-10), 1e6) and not same(1e6 + 0.01, 1e6)
    assert same(ErrorValue("#N/A"), ErrorValue("#N/A"))
    assert not same(ErrorValue("#N/A"), ErrorValue("#REF!"))
    assert same(True, True) and not same(1.0, True) and not same("TRUE", True)
    assert same(None, "") and not same(0.0, None)


def test_loops_are_named_alike_whatever_the_hash_seed(tmp_path):
    # the iteration case has two loops (A1<->A2 and B1): which one the summary names must not
    # depend on Python's string hashing; the first in sheet order is named
    import os
    import subprocess
    import sys
    path = CASES["iteration"].write(str(tmp_path))
    notes = set()
    for seed in ("0", "1", "2", "3"):
        got = subprocess.run([sys.executable, "-m", "workbook.cli", "recalc", path, "-o",
                              str(tmp_path / f"out{seed}.xlsx")], capture_output=True,
                             text=True, env={**os.environ, "PYTHONHASHSEED": seed})
        notes |= {x.strip() for x in got.stdout.splitlines() if "circular" in x}
    assert len(notes) == 1, notes
    assert "It!A1 -> A2 -> A1" in notes.pop()
