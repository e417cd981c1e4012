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


def test_ranges_of_values_and_formulas_are_one_node_with_the_same_values(tmp_path):
    """A table read whole (a loan tape: input columns, an array-formula output column, a
    formula cell, a blank, an error result) is filled from its values and its formulas'
    results; an array formula reaching out of a range, a spilling formula and a kept formula
    leave the range to the engine's cell-by-cell assembly. Values as with blocks off."""
    s = {"A1": "id", "B1": "ead", "C1": "pd", "D1": "el", "E1": "note",
         "A2": "F1", "B2": 100.0, "C2": 0.01, "E2": F("B2*2", 200.0),
         "A3": "F2", "B3": 200.0, "C3": 0.02, "E3": F("1/0", Err("#DIV/0!")),
         "A4": "F3", "B4": 0.1 + 0.2, "C4": 0.03,
         "D2": F("B2:B4*C2:C4", 1.0, kind="array", ref="D2:D4"),
         "G1": F("SUM(A1:E4)"), "G2": F("COUNTA(A1:E4)"), "G3": F("INDEX(A1:E4,3,4)"),
         "G4": F("IFERROR(SUM(A1:E4),-1)"), "G5": F("SUMPRODUCT((A2:A4=\"F2\")*D2:D4)"),
         "G6": F("ROWS(A1:E4)*COLUMNS(A1:E4)"), "G7": F("COUNTBLANK(A1:E4)"),
         # a range cutting an array formula's range: the engine's path
         "G8": F("SUM(B3:D3)"), "G9": F("SUM(A1:D3)"),
         # a kept formula (unknown function) inside a range
         "H1": 1.0, "H2": F("NOT_A_FUNCTION(1)", 7.0), "H3": 2.0, "G10": F("SUM(H1:H3)")}
    path = tmp_path / "table.xlsx"
    write_xlsx(str(path), {"S": s})
    calls = []
    real = valueblocks.ValueBlocks.mixed

    def mixed(self, node, model):
        got = real(self, node, model)
        calls.append((node.split("!")[-1], got))
        return got
    valueblocks.ValueBlocks.mixed = mixed
    try:
        assert assert_same_evaluation(path) > 0
    finally:
        valueblocks.ValueBlocks.mixed = real
    got = dict(calls)
    assert got["A1:E4"] is True
    assert got["A1:D3"] is False and got["H1:H3"] is False


def test_the_engine_compiles_as_many_cells_whatever_the_tapes_length(tmp_path, monkeypatch):
    """The per-facility tape (inputs, array-formula output columns, the table read whole):
    the cells the engine compiles, the ranges given whole and the formulas evaluated do not
    grow with the facilities (the work per facility is in the arrays)."""
    from workbook.build import build_portfolio
    compiled = []
    real = evaluate.Budget.tick

    def tick(self):
        compiled[-1] += 1
        return real(self)
    monkeypatch.setattr(evaluate.Budget, "tick", tick)
    seen = {}
    for n in (30, 90):
        path = build_portfolio(tmp_path / f"tape{n}.xlsx", n, book=False)
        compiled.append(0)
        ev = _evaluate(path)
        seen[n] = (compiled[-1], len(ev.values) > 0)
    assert seen[30] == seen[90]
    assert seen[30][0] < 400


def test_value_blocks_are_off_with_data_tables(tmp_path):
    from tests.workbook.engine.fidelity.features import data_tables_case
    path = data_tables_case().write(str(tmp_path))
    assert assert_same_evaluation(path) == 0


# -- columns of formulas filled down, evaluated as one call ------------------------------------

def _columns(path):
    """(slow, fast, checks): the evaluation cell by cell, with columns, and what each check
    of the groups returned."""
    from workbook.engine import columns
    checks = []
    real = columns.Groups.check

    def check(self, values, loops):
        got = real(self, values, loops)
        checks.append((len(self.groups), got))
        return got
    old = columns.ENABLED
    columns.Groups.check = check
    try:
        columns.ENABLED = False
        slow = _evaluate(path)
        columns.ENABLED = True
        fast = _evaluate(path)
    finally:
        columns.Groups.check = real
        columns.ENABLED = old
    keys = set(slow.values) | set(fast.values)
    diff = [(k, slow.values.get(k), fast.values.get(k)) for k in sorted(keys, key=str)
            if not _same(slow.values.get(k), fast.values.get(k))]
    assert diff == []
    assert fast.kept == slow.kept and fast.notes == slow.notes
    return checks


@pytest.mark.parametrize("shared", [False, True], ids=["texts", "shared"])
def test_filled_down_columns_are_one_call_with_the_same_numbers(shared, tmp_path):
    from tests.workbook.engine.speedcases import FILLED_COLUMNS, filled_down_tape
    path = filled_down_tape(tmp_path / "fd.xlsx", 40, shared=shared)
    assert _columns(path) == [(len(FILLED_COLUMNS), True)]


def _sheet(rows, formulas, first=5):
    """A Tape sheet: inputs (a list of row lists from column A) and formula columns (texts
    with {r}) from the first free column."""
    from workbook.engine.sheetxml import coord
    s = {}
    for i, row in enumerate(rows):
        r = first + i
        for j, v in enumerate(row, start=1):
            if v is not None:
                s[coord(r, j)] = v
        for k, text in enumerate(formulas, start=len(row) + 1):
            s[coord(r, k)] = F(text.format(r=r, p=r - 1))
    return s


def _inputs(n, seed=7):
    import numpy as np
    rng = np.random.default_rng(seed)
    return [[float(rng.choice([0.005, 0.01, 0.02, 0.05])), float(rng.uniform(0.5, 2.0)),
             float(rng.uniform(0.3, 0.6)), float(rng.uniform(0.2, 0.7)),
             float(rng.choice([1.0, 3.0, 5.0])), float(rng.uniform(0.03, 0.09)),
             float(rng.uniform(1.5, 3.0)), float(rng.uniform(0.6, 0.95)),
             float(rng.uniform(0.2, 0.5)), float(rng.uniform(0.1, 0.4)),
             float(rng.uniform(20000, 40000)), float(rng.uniform(0, 3))] for _ in range(n)]


def test_every_vector_function_gives_the_cell_by_cell_numbers(tmp_path):
    """Each function of VECTOR_FUNCTIONS, in a filled-down column over varied inputs, gives
    bit for bit what it gives cell by cell."""
    from workbook.engine.columns import VECTOR_FUNCTIONS
    # A pd, B coverage, C vol, D rho, E maturity, F margin, G rent, H util, I cost, J g
    formulas = ["BASEL_CORR(A{r})", "VASICEK_PD(A{r},BASEL_CORR(A{r}))",
                "LGD_CORR(A{r},B{r},C{r},1,D{r})", "LGD_DOWNTURN(A{r},B{r},C{r},1,D{r})",
                "LGD_CAPITAL(A{r},B{r},C{r},1,D{r})", "IRB_K(A{r},O{r},E{r})",
                "IRB_RW(A{r},O{r},E{r})", "EXPECTED_LOSS(A{r},O{r},1000000)",
                "FAIR_SPREAD(A{r},O{r})", "HURDLE_SPREAD(A{r},O{r},R{r}*0.08)",
                "RAROC(A{r},O{r},R{r},F{r})", "GPU_RV(G{r},H{r},I{r},J{r},0.12,1000,6)"]
    called = {f.split("(")[0] for text in formulas for f in text.replace(",", "(").split("(")
              if f.isupper() and f.replace("_", "").isalpha()}
    assert VECTOR_FUNCTIONS <= called
    path = tmp_path / "fns.xlsx"
    write_xlsx(str(path), {"Tape": _sheet(_inputs(60), formulas)})
    assert _columns(path) == [(len(formulas), True)]


@pytest.mark.parametrize("bad", ["error", "blank", "text", "bool"])
def test_a_column_with_a_bad_row_is_evaluated_cell_by_cell(bad, tmp_path):
    rows = _inputs(20)
    rows[7][0] = {"error": 1.5, "blank": None, "text": "n/a", "bool": True}[bad]
    formulas = ["LGD_CORR(A{r},B{r},C{r},1,D{r})", "M{r}*2"]
    path = tmp_path / "bad.xlsx"
    write_xlsx(str(path), {"Tape": _sheet(rows, formulas)})
    assert _columns(path) == [(2, False)]


def test_what_is_not_a_column_of_one_form_stays_cell_by_cell(tmp_path):
    """A running total (the row above), a range, an Excel function, text, another sheet, a
    column too short, a column broken by a different formula: no group; the rest grouped."""
    rows = _inputs(20)
    formulas = ["IF(ROW()=5,0,M{p})+A{r}", "SUM(A{r}:B{r})", "A{r}&\"x\"",
                "Other!A1*A{r}", "A{r}*2"]
    s = _sheet(rows, formulas)
    s["Q12"] = F("A12*3")          # breaks the last column into two runs of 7 and 12
    path = tmp_path / "mixed.xlsx"
    write_xlsx(str(path), {"Tape": s, "Other": {"A1": 2.0}})
    assert _columns(path) == [(1, True)]


def test_columns_are_off_with_iteration_and_data_tables(tmp_path):
    from tests.workbook.engine.fidelity.features import data_tables_case, iteration_case
    for build in (data_tables_case, iteration_case):
        case = build()
        s = case.sheets[next(iter(case.sheets))]
        s.update(_sheet(_inputs(12), ["A{r}*2"], first=200))
        assert _columns(case.write(str(tmp_path))) == []


@pytest.mark.parametrize("text", [
    "GPU_RV(G5,H5,I5,J5,discount_rate,salvage,physical_life)", "D5*O5*(1-workout_haircut)/E5",
    "$A$1+B$2*$C3-d4", "IRB_K(F5,LGD_DOWNTURN(F5,P5,K5,workout_years,L5),M5)",
    "A5^2%+1.5E-3*B5", "XFD5+A1", "LOG10(A5)", "A1 + B2 <> C3", "IF(A5>=0,A5,-A5)",
    "SUM(A1:A5)", "Sheet1!A1", '"A5"&B5', "'My sheet'!B5*2", "{1,2}*A5"])
def test_shared_formulas_are_copied_as_the_translator_copies_them(text):
    """The quick copy of a simple shared formula gives the general translator's text (or
    leaves the formula to it)."""
    from workbook.engine.book import _shift, _translate
    for dest in ["B6", "A1", "Z100", "XFD7", "C1048576", "E5", "E4999"]:
        quick = _shift(text, "E5", dest)
        if quick is not None:
            assert quick == _translate(text, "E5", dest, "test")


# -- arithmetic on whole arrays ----------------------------------------------------------------

def _arith_cases():
    import numpy as np

    def col(*v):
        return np.array(v, dtype=object).reshape(-1, 1)
    big = 1e308
    return [
        (col(1.0, 2.5, -3.0, 0.1), col(4.0, 0.0, -0.0, 0.2)),
        (col(1.0, 2, 3), 2.0), (0.1, col(0.2, 0.3, 0.0)),
        (col(big, -big, 1.0), col(big, big, 1e-320)),
        (col(1.0, 2.0), np.array([[3.0]], dtype=object)),
        (np.array([[1.0, 2.0, 3.0]], dtype=object), np.array([[1.0, 0.0, 7.0]], dtype=object)),
        (np.arange(12, dtype=float).reshape(4, 3).astype(object),
         np.arange(12, dtype=float).reshape(4, 3).astype(object) - 5),
        # not numbers only: element by element
        (col(1.0, True, 3.0), col(1.0, 2.0, 3.0)), (col(1.0, "2", 3.0), 2.0),
        (col(1.0, None, 3.0), 2.0),
    ]


@pytest.mark.parametrize("op", ["+", "-", "*", "/"])
def test_arithmetic_on_arrays_of_numbers_is_what_the_engine_gives_element_by_element(op):
    import numpy as np
    import schedula as sh
    from formulas.tokens.operand import XlError

    from workbook.engine.excelfns import _ARITH_CELLS, operators
    fast = operators()[op]
    slow = _ARITH_CELLS[op]
    for a, b in _arith_cases():
        if isinstance(a, np.ndarray):
            a = np.where(a == None, sh.EMPTY, a)  # noqa: E711 (a blank cell)
        got, want = np.asarray(fast(a, b), dtype=object), np.asarray(slow(a, b), dtype=object)
        assert got.shape == want.shape, (a, b)
        for g, w in zip(got.flat, want.flat):
            assert type(g) is type(w) and (g == w or isinstance(g, XlError) and str(g) == str(w)
                                           or g != g and w != w), (op, a, b, g, w)


def test_array_values_are_collected_as_plain_gives_them_cell_by_cell():
    """An array formula's values, collected row by row (exact floats, text and booleans as
    they are), are what :func:`plain` gives for each cell; cells beyond the array are #N/A."""
    import numpy as np
    import schedula as sh
    from formulas.tokens.operand import DIV

    from workbook.engine.functions import plain
    from workbook.engine.sheetxml import ErrorValue, FormulaCell, cells_of_range, split_coord
    items = [1.5, np.float64(2.5), np.int64(3), 4, True, np.bool_(False), "text", DIV,
             sh.EMPTY, None, -0.0, np.array([7.0, 8.0]), float("nan"), np.float32(0.1)]
    arr = np.empty((3, 5), dtype=object)
    for k in range(arr.size):
        arr.flat[k] = items[k % len(items)]
    for ref, raw in (("B2:F4", arr), ("B2:H6", arr), ("B2:C2", arr), ("B2:D3", arr[0]),
                     ("B2:C3", np.array([[1.0, 2.0], [3.0, 4.0]])),
                     ("B2:D4", np.arange(8.0).reshape(2, 2, 2))):
        cells = {"S": {"B2": FormulaCell("B2", "X()", "array", ref)}}
        got, missing = evaluate._collect(cells, {("S", ref): raw}, {})
        want = {}
        full = np.atleast_2d(np.asarray(raw, dtype=object))
        for cc in cells_of_range(ref):
            i, j = split_coord(cc)[0] - 2, split_coord(cc)[1] - 2
            inside = i < full.shape[0] and j < full.shape[1]
            want[("S", cc)] = plain(full[i, j]) if inside else ErrorValue("#N/A")
        assert missing == []
        assert list(got) == list(want)
        assert all(type(got[k]) is type(want[k]) and (got[k] == want[k] or got[k] != got[k])
                   for k in want)
