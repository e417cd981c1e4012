"""The build-once, recalculate-many session: after inputs are typed in, every value, error,
kept cell and exit status equals a fresh evaluation of the workbook with the same inputs typed
into the file (the templates, and every case of the fidelity corpus: data tables, iterative
calculation, circular references kept, partial workbooks); inputs are checked with clean
messages; the copy saved is the one ``recalc`` writes."""

from __future__ import annotations

import datetime as dt
import math
import os
import shutil
import zipfile

import pytest

from workbook.engine.evaluate import evaluate_package
from workbook.engine.package import open_package
from workbook.engine.recalc import volatile_note
from workbook.engine.report import RecalcResult, build_report
from workbook.engine.session import Session, SessionError
from workbook.engine.sheetxml import ErrorValue, write_values
from workbook.engine.xlfunctions import set_today

from .fidelity.cases import Case
from .fidelity.features import FEATURES
from .fidelity.models import MODELS
from .fidelity.xlsx import F, write_xlsx

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(__file__))))
TODAY = dt.date(2025, 6, 30)


def template(name: str) -> str:
    return os.path.join(ROOT, "workbook", f"{name}.xlsx")


def edited_copy(src: str, dst: str, inputs: dict[tuple[str, str], object]) -> str:
    """``src`` with values typed into cells (every other byte kept, cached values too): the
    workbook a person gets by typing the inputs in and saving without recalculating."""
    pkg = open_package(src)
    try:
        parts = dict(pkg.sheets)
        by_part: dict[str, dict[str, object]] = {}
        for (sheet, cell), v in inputs.items():
            by_part.setdefault(parts[sheet], {})[cell] = v
        new = {part: write_values(pkg.xml_bytes(part), cells) for part, cells in by_part.items()}
    finally:
        pkg.close()
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            zout.writestr(info, new.get(info.filename, zin.read(info.filename)))
    return dst


def fresh(path: str, today: dt.date | None = TODAY) -> tuple[dict, RecalcResult]:
    """Every value and the report of a fresh evaluation, as ``recalc`` makes it."""
    set_today(today)
    pkg = open_package(path)
    try:
        ev = evaluate_package(pkg)
        res = RecalcResult(path)
        build_report(res, [n for n, _ in pkg.sheets], ev)
        volatile_note(res, ev.volatile, today, dt.datetime.now())
    finally:
        pkg.close()
        set_today(None)
    return ev.values, res


def session_values(s: Session) -> dict:
    return dict(s.evaluation.values)


def assert_same(got: dict, want: dict, label: str) -> None:
    """Every cell's value equal (floats bit for bit; NaN only against NaN)."""
    assert set(got) == set(want), (label, sorted(set(got) ^ set(want))[:10])
    bad = []
    for k, w in want.items():
        g = got[k]
        if isinstance(w, float) and isinstance(g, float) and math.isnan(w) and math.isnan(g):
            continue
        if type(g) is not type(w) or g != w:
            bad.append((k, g, w))
    assert not bad, (label, bad[:10])


def assert_same_report(got: RecalcResult, want: RecalcResult, label: str) -> None:
    assert got.exit_code == want.exit_code, label
    assert got.kept == want.kept, label
    assert got.errors == want.errors, label
    assert got.false_checks == want.false_checks, label
    assert [n for n in got.notes if "set by the session" not in n] == want.notes, label


# ---- the templates ---------------------------------------------------------------------------

#: Inputs typed into each template: several named inputs, one by its cell, including the
#: inputs of the Monte Carlo functions (their seed fixes the paths).
TEMPLATE_INPUTS = {
    "neocloud_facility": [
        {"deal_deflation": 0.38, "deal_utilization": 0.7, "borrower_pd": 0.045,
         "Inputs!B59": 0.05, "collateral_vol": 0.5},
        {"deal_deflation": 0.22, "deal_debt_rate": 0.1},
    ],
    "miner_convertible": [
        {"btc_price": 52_000.0, "btc_vol": 0.75, "stock_price": 9.5, "borrower_pd": 0.08},
        {"btc_price": 120_000.0, "deal_deflation": 0.35},
    ],
    "portfolio": [
        {"discount_rate": 0.12, "hurdle": 0.15, "Tape!F7": 0.06},
        {"workout_haircut": 0.3},
    ],
}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(TEMPLATE_INPUTS))
def test_templates_equal_a_fresh_evaluation_with_the_inputs_typed_in(name, tmp_path):
    path = template(name)
    base = fresh(path)[0]
    with Session(path, today=TODAY) as s:
        assert_same(session_values(s), base, f"{name} as built")
        for k, inputs in enumerate(TEMPLATE_INPUTS[name]):
            s.reset().set(inputs)
            cells = {}
            for target, v in inputs.items():
                area = s._area(target, "test")
                cells[area.cells()[0]] = v
            edited = edited_copy(path, str(tmp_path / f"{name}_{k}.xlsx"), cells)
            want, want_res = fresh(edited)
            assert_same(session_values(s), want, f"{name} inputs {k}")
            assert_same_report(s.report(), want_res, f"{name} inputs {k}")
            assert s.rebuilds == 0
        # back to the file's inputs: the values of the file itself
        s.reset()
        assert s.inputs == {}
        assert_same(session_values(s), base, f"{name} reset")


def test_monte_carlo_outputs_move_with_their_inputs_and_repeat_exactly():
    with Session(template("portfolio"), today=TODAY) as s:
        base = s.get("pf_q999")
        s.set("discount_rate", 0.14)
        stressed = s.get("pf_q999")
        assert isinstance(stressed, float) and stressed != base
        s.set("discount_rate", 0.14)     # the same value again: nothing changes
        assert s.get("pf_q999") == stressed
        s.reset("discount_rate")
        assert s.get("pf_q999") == base  # the seed fixes the paths


# ---- the fidelity corpus: data tables, iteration, loops, partial workbooks, links ---------------

CASES = [build() for build in FEATURES + MODELS]


def _numeric_inputs(case: Case) -> list[tuple[str, str, float]]:
    """Up to four number cells of the case (the first, two middle and the last, in sheet and
    cell order), with a new value each."""
    from workbook.engine.sheetxml import split_coord
    cells = sorted(((sheet, ref, v) for sheet, cells in case.sheets.items()
                    for ref, v in cells.items()
                    if isinstance(v, (int, float)) and not isinstance(v, bool)),
                   key=lambda x: (list(case.sheets).index(x[0]), split_coord(x[1])))
    if not cells:
        return []
    picks = sorted({0, len(cells) // 3, 2 * len(cells) // 3, len(cells) - 1})
    return [(cells[i][0], cells[i][1], float(cells[i][2]) * 1.1 + 0.5) for i in picks]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_corpus_equals_a_fresh_evaluation_with_the_inputs_typed_in(case, tmp_path):
    path = case.write(str(tmp_path))
    inputs = _numeric_inputs(case)
    if not inputs:
        pytest.skip("no number cell to change")
    edited = {sheet: dict(cells) for sheet, cells in case.sheets.items()}
    for sheet, ref, v in inputs:
        edited[sheet][ref] = v
    other = os.path.join(str(tmp_path), "edited")
    os.makedirs(other)
    edited_path = write_xlsx(os.path.join(other, f"{case.name}.xlsx"), edited, case.names,
                             case.calc, case.links, tables=case.tables, hidden=case.hidden,
                             auto_filter=case.auto_filter)
    want, want_res = fresh(edited_path, case.today)
    with Session(path, today=case.today) as s:
        s.set({f"'{sheet}'!{ref}": v for sheet, ref, v in inputs})
        assert_same(session_values(s), want, case.name)
        assert_same_report(s.report(), want_res, case.name)
        s.reset()
        base, base_res = fresh(path, case.today)
        assert_same(session_values(s), base, f"{case.name} reset")
        assert_same_report(s.report(), base_res, f"{case.name} reset")


def test_iterative_calculation_starts_again_from_the_saved_values(tmp_path):
    """A loop the workbook iterates is iterated again from the values the file holds (as a
    fresh evaluation starts it), whatever the session computed before."""
    s = {"A1": 100.0, "B1": F("A1+B2*0.5", value=0.0), "B2": F("B1*0.5", value=0.0)}
    path = write_xlsx(str(tmp_path / "it.xlsx"), {"It": s},
                      calc={"iterate": "1", "iterateCount": "3", "iterateDelta": "1E-12"})
    with Session(path) as sess:
        first = sess.get("It!B1")
        sess.set("It!A1", 50.0)
        sess.get("It!B1")
        sess.set("It!A1", 100.0)
        assert sess.get("It!B1") == first      # three passes from the file's zeros again
        sess.set("It!A1", 50.0)
        edited = edited_copy(path, str(tmp_path / "edited.xlsx"), {("It", "A1"): 50.0})
        assert_same(session_values(sess), fresh(edited, None)[0], "iteration")
        assert any("iterative calculation" in n for n in sess.report().notes)


# ---- what changes the graph: a fresh evaluation -------------------------------------------------

def test_a_blank_cell_read_by_a_range_is_evaluated_afresh(tmp_path):
    s = {"A1": 1.0, "A3": F("A1+2"), "B1": F("SUM(A1:A4)"), "B2": F("COUNT(A1:A4)"),
         "C1": F("A9*2"), "D1": 1.0, "D3": 2.0, "E1": F("SUM(D1:D3)")}
    path = write_xlsx(str(tmp_path / "blank.xlsx"), {"S": s})
    with Session(path) as sess:
        sess.set("S!D2", 4.0)       # a range of values only: given to the engine as one array
        assert sess.get("S!E1") == 7.0 and sess.rebuilds == 0
        sess.set({"S!A2": 10.0, "S!A4": 5.0})   # the range holds a formula: cell by cell
        assert sess.get("S!B1") == 19.0 and sess.get("S!B2") == 4.0
        assert sess.rebuilds == 1
        sess.set("S!A9", 4.0)                 # beyond the used range: read by C1 directly
        assert sess.get("S!C1") == 8.0
        edited = edited_copy(path, str(tmp_path / "e.xlsx"),
                             {("S", "A2"): 10.0, ("S", "A4"): 5.0, ("S", "A9"): 4.0,
                              ("S", "D2"): 4.0})
        assert_same(session_values(sess), fresh(edited, None)[0], "blank cells")


def test_a_table_read_whole_follows_an_input_typed_into_it(tmp_path):
    """A range of values and an array formula read whole (a loan tape given to a function):
    an input typed into it reaches the functions reading the range."""
    s = {"A1": "ead", "B1": "pd", "C1": "el", "A2": 100.0, "B2": 0.01, "A3": 200.0, "B3": 0.02,
         "C2": F("A2:A3*B2:B3", 1.0, kind="array", ref="C2:C3"),
         "E1": F("SUM(A1:C3)"), "E2": F("INDEX(A1:C3,3,3)")}
    path = write_xlsx(str(tmp_path / "table.xlsx"), {"S": s})
    with Session(path) as sess:
        sess.set("S!A3", 300.0)
        assert sess.get("S!E1") == 100.0 + 0.01 + 300.0 + 0.02 + 1.0 + 6.0
        assert sess.get("S!E2") == 6.0
        edited = edited_copy(path, str(tmp_path / "e.xlsx"), {("S", "A3"): 300.0})
        assert_same(session_values(sess), fresh(edited, None)[0], "table read whole")


def test_offset_that_moves_with_an_input_is_evaluated_afresh(tmp_path):
    s = {"A1": 1.0, "A2": 2.0, "A3": 3.0, "A4": 4.0, "B1": 1.0,
         "C1": F("SUM(OFFSET(A1,B1,0,2,1))", value=5.0)}
    path = write_xlsx(str(tmp_path / "offset.xlsx"), {"S": s})
    with Session(path) as sess:
        assert sess.get("S!C1") == 5.0
        sess.set("S!B1", 2.0)
        assert sess.get("S!C1") == 7.0
        sess.set("S!A3", 30.0)
        assert sess.get("S!C1") == 34.0
        edited = edited_copy(path, str(tmp_path / "e.xlsx"),
                             {("S", "B1"): 2.0, ("S", "A3"): 30.0})
        assert_same(session_values(sess), fresh(edited, None)[0], "offset")


def test_a_column_evaluated_as_one_call_falls_back_cell_by_cell(tmp_path):
    """A column of our functions filled down is one vectorised call; an input that makes a
    row an error means the column is evaluated cell by cell, as a fresh evaluation does."""
    rows = 12
    s: dict = {"A1": "ead", "B1": "pd", "C1": "lgd", "D1": "el"}
    for r in range(2, rows + 2):
        s[f"A{r}"] = 100.0 * r
        s[f"B{r}"] = 0.01 * (r % 5 + 1)
        s[f"C{r}"] = 0.45
        s[f"D{r}"] = F(f"EXPECTED_LOSS(B{r},C{r},A{r})")
    path = write_xlsx(str(tmp_path / "tape.xlsx"), {"T": s})
    with Session(path) as sess:
        sess.set("T!B5", 0.2)
        assert sess.rebuilds == 0
        assert sess.get("T!D5") == pytest.approx(0.2 * 0.45 * 500)
        sess.set("T!B6", 1.5)                   # a PD above 1: that row's error
        assert isinstance(sess.get("T!D6"), ErrorValue)
        assert sess.rebuilds == 1
        edited = edited_copy(path, str(tmp_path / "e.xlsx"),
                             {("T", "B5"): 0.2, ("T", "B6"): 1.5})
        assert_same(session_values(sess), fresh(edited, None)[0], "column")


def test_volatile_cells_are_recomputed_on_every_recalculation(tmp_path):
    s = {"A1": 1.0, "B1": F("TODAY()+A1*0"), "C1": F("A1*2")}
    path = write_xlsx(str(tmp_path / "today.xlsx"), {"S": s})
    with Session(path, today=dt.date(2025, 1, 31)) as sess:
        assert sess.get("S!B1") == float((dt.date(2025, 1, 31) - dt.date(1899, 12, 30)).days)
        sess.today = dt.date(2025, 2, 1)
        sess.recalc()
        assert sess.get("S!B1") == float((dt.date(2025, 2, 1) - dt.date(1899, 12, 30)).days)
        assert any("as of 2025-02-01" in n for n in sess.report().notes)


# ---- inputs checked --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def neocloud():
    with Session(template("neocloud_facility"), today=TODAY) as s:
        yield s


@pytest.mark.parametrize("target, value, words", [
    ("Nowhere!B5", 1.0, ["'Nowhere!B5'", "sheet 'Nowhere'", "sheets: "]),
    ("no_such_name", 1.0, ["'no_such_name'", "neither a cell", "name"]),
    ("B5", 1.0, ["'B5'", "Sheet!A1"]),
    ("Inputs!B17", 800.0, ["Inputs!B17", "formula cell", "h100_gpus+b200_gpus"]),
    ("deal_gpus", 800.0, ["'deal_gpus'", "Inputs!B17", "formula cell"]),
    ("deal_deflation", [0.3, 0.4], ["'deal_deflation'", "one cell", "2 values"]),
    ("deal_deflation", None, ["deal_deflation", "None", "reset"]),
    ("deal_deflation", float("nan"), ["deal_deflation", "nan", "finite"]),
    ("deal_deflation", {"a": 1}, ["deal_deflation", "dict", "number, text"]),
    ("deal_deflation", "x" * 40_000, ["deal_deflation", "40,000 characters", "32,767"]),
    ("tenants", 1.0, ["'tenants'", "3 x 12", "list of 3 rows"]),
    ("tenants", [[1.0] * 12] * 2, ["'tenants'", "36 cells", "24 values"]),
    ("Inputs!ZZZZ1", 1.0, ["ZZZZ1"]),
    (42, 1.0, ["cell or name must be text", "42"]),
])
def test_bad_inputs_are_refused_with_a_clean_message(neocloud, target, value, words):
    before = dict(neocloud.inputs)
    with pytest.raises(SessionError) as exc:
        neocloud.set({"deal_utilization": 0.71, target: value})
    msg = str(exc.value)
    assert "\n" not in msg and "Traceback" not in msg
    for w in words:
        assert w in msg, (w, msg)
    assert neocloud.inputs == before      # nothing was typed in, not even the good input


def test_inputs_by_cell_name_range_and_date(neocloud):
    s = neocloud
    try:
        s.set("Inputs!$B$19", 0.31)
        assert s.get("deal_deflation") == 0.31
        s.set({"deal_deflation": 0.32})
        assert s.get("Inputs!B19") == 0.32 and s.inputs == {"Inputs!B19": 0.32}
        row = s.get("tenants")[0]
        s.set("Inputs!F6:Q6", [row])                   # the same values: no input
        assert "Inputs!F6" not in s.inputs
        s.set("Inputs!B19", dt.date(1900, 1, 1))       # a date is its serial number
        assert s.get("Inputs!B19") == 2.0
        assert s.get("Inputs!A17:B18") == [["gpus", s.get("Inputs!B17")],
                                           ["rent0", s.get("Inputs!B18")]]
        with pytest.raises(SessionError, match="expected a mapping"):
            s.set(["deal_deflation", 0.3])
        with pytest.raises(SessionError, match="give the value"):
            s.set("deal_deflation")
    finally:
        s.reset()
    assert s.inputs == {}


def test_save_writes_the_inputs_and_the_values_recalc_would(tmp_path):
    path = template("neocloud_facility")
    out = str(tmp_path / "stressed.xlsx")
    with Session(path, today=TODAY) as s:
        s.set({"deal_deflation": 0.41, "deal_amortization": "linear", "margin": 0.05})
        assert s.save(out) == out
        saved = session_values(s)
        status = s.report().exit_code
        with pytest.raises(SessionError, match="never written"):
            s.save(path)
        with pytest.raises(SessionError, match=r"\.xlsx"):
            s.save(str(tmp_path / "x.csv"))
    again, res = fresh(out)
    assert_same(again, saved, "saved copy")
    assert res.exit_code == status
    with Session(out) as s2:
        assert s2.get("deal_amortization") == "linear"
        assert s2.get("deal_deflation") == 0.41


def test_closed_session_and_refused_workbooks(tmp_path):
    s = Session(template("miner_convertible"), today=TODAY)
    s.close()
    s.close()
    with pytest.raises(SessionError, match="closed"):
        s.get("btc_price")
    bad = tmp_path / "macro.xlsm"
    shutil.copy(template("miner_convertible"), bad)
    with pytest.raises(SessionError, match="refused: macro-enabled"):
        Session(str(bad))
    with pytest.raises(SessionError, match="cannot be read|refused"):
        Session(str(tmp_path / "missing.xlsx"))


def test_a_session_opens_no_other_file(tmp_path):
    """A formula naming another workbook: the session reads the link's cached values and
    opens nothing but the workbook, also when it recalculates and saves."""
    from tests.opens import Opens
    from .fidelity.features import links_case
    case = links_case()
    path = case.write(str(tmp_path))
    out = str(tmp_path / "out.xlsx")
    Opens.paths = []
    Opens.active = True
    try:
        with Session(path) as s:
            cell = next((sh, ref) for sh, cells in case.sheets.items()
                        for ref, v in cells.items() if isinstance(v, float))
            s.set(f"'{cell[0]}'!{cell[1]}", 7.0)
            s.recalc()
            s.save(out)
    finally:
        Opens.active = False
    opened = {os.path.realpath(p) for p in Opens.paths if p.endswith((".xlsx", ".xlsm", ".xls"))
              or os.path.dirname(os.path.realpath(p)) == os.path.realpath(str(tmp_path))}
    allowed = {os.path.realpath(path), os.path.realpath(out)}
    assert {p for p in opened if not os.path.basename(p).startswith(".computecredit-")} \
        <= allowed, opened
