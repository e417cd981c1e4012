"""The engine's fast paths change the time, never a value: every workbook evaluates to the same
values (type, value and error message), the same kept cells and the same notes with each fast
path switched on as with it switched off. Timing is measured by benchmarks/, not here."""

from __future__ import annotations

import math

import pytest

from tests.workbook.engine.fidelity.features import FEATURES
from tests.workbook.engine.fidelity.xlsx import Err, F, write_xlsx
from workbook.engine import evaluate, valueblocks
from workbook.engine.package import open_package


def _evaluate(path, **switches):
    old = {k: getattr(valueblocks, k) for k in switches}
    for k, v in switches.items():
        setattr(valueblocks, k, v)
    try:
        pkg = open_package(str(path))
        try:
            return evaluate.evaluate_package(pkg)
        finally:
            pkg.close()
    finally:
        for k, v in old.items():
            setattr(valueblocks, k, v)


def _same(a, b):
    if type(a) is not type(b):
        return False
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    return a == b


def assert_same_evaluation(path, counter=None):
    """Blocks on and off give the same evaluation; returns how many ranges were blocks."""
    slow = _evaluate(path, ENABLED=False)
    given = []
    real = valueblocks.ValueBlocks.give

    def give(self, model, stack):
        got = real(self, model, stack)
        given.append(len(got))
        return got
    valueblocks.ValueBlocks.give = give
    try:
        fast = _evaluate(path, ENABLED=True)
    finally:
        valueblocks.ValueBlocks.give = real
    keys = set(slow.values) | set(fast.values)
    diff = [(k, slow.values.get(k), fast.values.get(k)) for k in sorted(keys, key=str)
            if not _same(slow.values.get(k), fast.values.get(k))]
    assert diff == []
    assert fast.kept == slow.kept
    assert fast.notes == slow.notes
    assert fast.missing == slow.missing
    return sum(given)


def assert_same_copy(path):
    """The recalculated parts are the same bytes whether the writer reuses where the reading
    pass found the cells (the layout) or parses each part again."""
    from workbook.engine.output import sheet_parts
    pkg = open_package(str(path))
    try:
        ev = evaluate.evaluate_package(pkg)
        assert ev.layouts
        fast = sheet_parts(pkg, ev)
        ev.layouts = {}
        assert sheet_parts(pkg, ev) == fast
    finally:
        pkg.close()


@pytest.mark.parametrize("build", FEATURES, ids=[b.__name__ for b in FEATURES])
def test_fast_paths_change_nothing_in_the_fidelity_corpus(build, tmp_path):
    case = build()
    from workbook.engine import xlfunctions
    xlfunctions.set_today(case.today)
    try:
        assert_same_evaluation(case.write(str(tmp_path)))
        assert_same_copy(case.write(str(tmp_path)))
    finally:
        xlfunctions.set_today(None)


def test_value_blocks_change_nothing_in_the_templates(tmp_path):
    from workbook.build import TEMPLATES, build_portfolio
    paths = [fn(tmp_path / name) for name, fn in TEMPLATES.items()]
    paths.append(build_portfolio(tmp_path / "tape.xlsx", 120))
    blocks = [assert_same_evaluation(p) for p in paths]
    assert blocks[-1] >= 14  # every input column of the tape is one block
    for p in paths:
        assert_same_copy(p)


def test_layout_writes_rows_the_part_lacks(tmp_path):
    """An array formula whose range reaches rows and cells the part does not hold: the new
    rows and cells go where a fresh parse would put them."""
    s = {"A1": 1.0, "A2": 2.0, "A5": 5.0, "C9": "end",
         "B1": F("A1:A8*2", 2.0, kind="array", ref="B1:B8"),
         "D2": F("TRANSPOSE(A1:A3)", 1.0, kind="array", ref="D2:F2")}
    path = tmp_path / "gaps.xlsx"
    write_xlsx(str(path), {"S": s})
    assert_same_copy(path)


def test_value_blocks_with_mixed_cells(tmp_path):
    """Blanks, text, booleans, numbers with more than 15 digits, an error cell, a formula and a
    kept formula inside ranges read by formulas; ranges overlapping, a cell of a block read on
    its own, a whole-column range and a range of another sheet."""
    s = {"A1": 1.0, "A2": 0.1 + 0.2, "A3": "text", "A4": True, "A6": 1e-17, "A7": 2.5,
         "B1": 1.0, "B2": Err("#N/A"), "B3": 3.0,
         "C1": 1.0, "C2": F("A1*2", 2.0), "C3": 4.0,
         "D1": 5.0, "D2": F("NOT_A_FUNCTION(1)", 7.0), "D3": 1.0,
         "E1": F("SUM(A1:A7)"), "E2": F("COUNTA(A1:A7)"), "E3": F("COUNTBLANK(A1:A7)"),
         "E4": F("SUM(A2:A3)+A2"), "E5": F("IFERROR(SUM(B1:B3),-1)"),
         "E6": F("SUM(C1:C3)"), "E7": F("SUM(D1:D3)"), "E8": F("SUM(A:A)"),
         "E9": F("SUMPRODUCT(A1:A2,C1:C2)"), "E10": F("INDEX(A1:A7,3)"),
         "E11": F("MATCH(TRUE,A1:A7,0)"), "E12": F("SUM(Other!A1:B3)"),
         "E13": F('A3&"-"&A4'), "E14": F("A6*1e17"), "E15": F("ROWS(A1:A7)")}
    other = {"A1": 1.0, "A2": 2.0, "B1": "x", "B3": 4.0}
    path = tmp_path / "mixed.xlsx"
    write_xlsx(str(path), {"S": s, "Other": other})
    assert assert_same_evaluation(path) > 0


def test_value_blocks_are_off_with_data_tables(tmp_path):
    from tests.workbook.engine.fidelity.features import data_tables_case
    path = data_tables_case().write(str(tmp_path))
    assert assert_same_evaluation(path) == 0
