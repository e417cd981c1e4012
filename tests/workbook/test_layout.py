"""The template description format and its layout engine (workbook/templates/): selectors,
the build-time formula evaluator, sizing tables from the description's own values, name and
unit checks, non-overlapping placement, and a small template built and recalculated."""

from __future__ import annotations

import dataclasses

import openpyxl
import pytest
from openpyxl.worksheet.formula import ArrayFormula

from workbook.engine import recalc
from workbook.templates import TEMPLATES, build, neocloud_facility, write
from workbook.templates.blocks import (Beside, Chart, Check, Column, Grid, Input, Inputs, Note,
                                       Output, Outputs, Series, Sheet, Table, Template)
from workbook.templates.formula import Evaluator, FormulaError, functions_in, names_in
from workbook.templates.layout import BuildError, Frame, plan, select


# --------------------------------------------------------------------------------------------
# selectors

TABLE = Frame(rows=8, cols=4, body=(1, 0, 6, 4), col_keys=["year", "a", "b", "c"], header=0)


@pytest.mark.parametrize("selector, expected", [
    ("", (0, 0, 5, 3)),
    ("a", (0, 1, 5, 1)),
    ("a[:-1]", (0, 1, 4, 1)),
    ("c[-2]", (4, 3, 4, 3)),
    ("year[1:]", (1, 0, 5, 0)),
    ("[0, 0]", (0, 0, 0, 0)),
    ("[:, 1:]", (0, 1, 5, 3)),
    ("[2:4, :-1]", (2, 0, 3, 2)),
])
def test_selector_picks_rows_and_columns_of_the_body(selector, expected):
    assert select(TABLE, selector, "t") == expected


def test_selector_picks_the_value_of_a_labelled_row():
    keyed = Frame(rows=5, cols=2, body=(0, 1, 5, 1), row_keys=["total", "drift", "x", "y", "z"])
    assert select(keyed, "drift", "t") == (1, 0, 1, 0)


def test_selector_picks_the_row_headers_of_a_grid():
    grid = Frame(rows=4, cols=3, body=(1, 1, 3, 2), col_keys=["4", "10"], header=0,
                 row_header=True)
    assert select(grid, "rows", "t") == (0, -1, 2, -1)
    assert select(grid, "10[1:]", "t") == (1, 1, 2, 1)


@pytest.mark.parametrize("selector, message", [
    ("nope", "no column or row 'nope'"),
    ("a[9]", "selects nothing"),
    ("a[5:2]", "selects nothing"),
    ("a[x]", "cannot read the index"),
    ("[1, 2, 3]", "at most"),
])
def test_bad_selectors_are_build_errors(selector, message):
    with pytest.raises(BuildError, match=message):
        select(TABLE, selector, "t")


# --------------------------------------------------------------------------------------------
# the build-time evaluator

def _ev(values):
    return Evaluator(lambda name: values[name])


def test_evaluator_reads_arithmetic_as_excel_does():
    ev = _ev({"a": 2, "b": 3.5})
    assert ev("=a+b*2") == 9.0
    assert ev("=(a+b)*2") == 11.0
    assert ev("=-2^2") == 4  # Excel: negation binds tighter than ^
    assert ev("=2^3^2") == 64  # left to right, as Excel
    assert ev("=a/4-1e-1") == pytest.approx(0.4)
    assert ev('="text"') == "text"


def test_evaluator_calls_our_functions_and_index_match():
    from pymodel import residual
    ev = _ev({"rent": 2.0, "col": [[0.0], [1.0], [2.0]], "vals": [[10.0], [20.0], [30.0]]})
    assert ev("=GPU_RV(rent, 0.85, 0.32, 0.2, 0.12)") == pytest.approx(
        residual.income_value(2.0, 0.85, 0.32, 0.2, 0.12), rel=1e-12)
    assert ev("=INDEX(vals, MATCH(1, col, 0))") == 20.0
    assert ev("=MAX(vals)+MIN(vals)+SUM(vals)") == 100.0
    # a skipped argument is an empty cell (the function's default), as in Excel
    assert ev("=LGD_CORR(0.03, 1.2, 0.45, 1, 0.5, , 0)") == ev("=LGD_CORR(0.03, 1.2, 0.45, 1, "
                                                               "0.5)")


def test_evaluator_works_element_wise_on_ranges_as_an_array_formula():
    ev = _ev({"a": [[1.0], [2.0], [3.0]], "b": [[10.0], [20.0], [30.0]], "k": 2.0,
              "two": [[1.0], [2.0]]})
    assert ev("=a*b") == [[10.0], [40.0], [90.0]]
    assert ev("=a*k+1") == [[3.0], [5.0], [7.0]]
    assert ev("=k/(a*b)") == [[0.2], [0.05], [pytest.approx(2 / 90)]]
    with pytest.raises(FormulaError, match="ranges of 3 and 2 rows"):
        ev("=a+two")


@pytest.mark.parametrize("formula, message", [
    ("=NORM.S.INV(0.5)", "not known to the template evaluator"),
    ("=GPU_RV(-1, 0.85, 0.32, 0.2, 0.12)", "GPU_RV returns #"),
    ("=1<2", "not evaluated at build time"),
    ("=Sheet1!A1", "not evaluated at build time"),
    ('="a"+1', "not arithmetic on numbers"),
    ("=(1+2", r"expected '\)'"),
])
def test_evaluator_refuses_what_it_cannot_evaluate(formula, message):
    with pytest.raises(FormulaError, match=message):
        _ev({})(formula)


def test_names_in_skips_text_cells_sheets_and_functions():
    f = '=IF(A1>0, deal_debt*Loss!B2, VLOOKUP("not_a_name", mc_result_1, 2, FALSE))+$C$3+h100_gpus'
    assert names_in(f) == {"deal_debt", "mc_result_1", "h100_gpus"}
    assert functions_in(f) == ["IF", "VLOOKUP"]


# --------------------------------------------------------------------------------------------
# a small template, built and recalculated

def _tiny(**over) -> Template:
    deal = Inputs(title="Deal", name="deal_inputs", prefix="deal_", rows=[
        Input("gpus", 512, "GPUs", "test"),
        Input("rent0", 2.0, "currency per GPU-hour", "test"),
        Input("deflation", 0.25, "decimal per year", "test"),
        Input("utilization", 0.85, "decimal", "test"),
        Input("contracted_share", 0.5, "decimal", "test"),
        Input("contract_rate", 2.2, "currency per GPU-hour", "test"),
        Input("contract_years", 2.0, "years", "test"),
        Input("cash_cost", 0.4, "currency per GPU-hour", "test"),
        Input("gpu_cost", 25000.0, "currency per GPU", "test"),
        Input("debt", 5e6, "currency", "test"),
        Input("debt_rate", 0.1, "nominal annual decimal", "test"),
        Input("debt_years", over.get("years", 3.0), "years", "test"),
        Input("payments_per_year", 1, "payments per year", "test"),
    ])
    sheets = [
        Sheet("Inputs", "Tiny: inputs", [deal]),
        Sheet("Model", "Tiny: model", note="a note", blocks=[
            Beside([
                Table("=DSCR_TABLE(deal_inputs)", title="table", id="t",
                      extra=[Column("one", unit="x", formula="=1", rows="[:-1]")],
                      names={"t_dscr": "dscr[:-1]", "t_first": "dscr[0]"}),
                Chart("DSCR", series=[Series("t", "dscr[:-1]")],
                      categories=Series("t", "year[:-1]")),
            ]),
            Outputs(title="outputs", rows=[
                Output("Minimum DSCR", "=DSCR_MIN(deal_inputs)", "x", "min_dscr"),
                Output("twice", over.get("twice", "=2*min_dscr"), over.get("unit", "x"),
                       "twice_min")]),
            Grid(rows=[1, 2], columns=[10, 20], body="={row}*{col}", corner="r \\ c",
                 names={"g_last": "[-1, -1]"}, id="g"),
            Note("the end"),
        ]),
    ]
    return Template("Tiny", "test", "Tiny: summary", sheets, summary=[
        Output("Minimum DSCR", "=min_dscr", "x"),
        Output("All checks TRUE", "=all_checks", "TRUE/FALSE")], checks=[
        Check("DSCR_MIN is the minimum of the column", "=ABS(min_dscr-MIN(t_dscr))<1e-9"),
        Check("grid corner", "=g_last=40"),
        Check("first period", "=t_first>=min_dscr")])


def _array_refs(path):
    wb = openpyxl.load_workbook(path)
    return {(ws.title, c.coordinate): c.value.ref for ws in wb.worksheets for row in
            ws.iter_rows() for c in row if isinstance(c.value, ArrayFormula)}


def test_tiny_template_builds_and_recalculates_clean(tmp_path):
    src = write(_tiny(), tmp_path / "tiny.xlsx")
    res = recalc.recalc_file(str(src), str(tmp_path / "out.xlsx"))
    assert res.errors == [] and res.false_checks == [] and res.exit_code == 0
    summary = dict(res.summary)
    assert summary["All checks TRUE (TRUE/FALSE)"] is True
    wb = openpyxl.load_workbook(res.out, data_only=True)
    assert wb.sheetnames == ["Summary", "Inputs", "Model", "Checks"]
    names = {n: d.attr_text for n, d in wb.defined_names.items()}
    for n in ("deal_gpus", "deal_inputs", "t_dscr", "min_dscr", "twice_min", "g_last",
              "all_checks"):
        assert n in names


def test_table_is_sized_by_the_description_values(tmp_path):
    """The one-source rule: change the tenor in the description and the table follows."""
    short = _array_refs(write(_tiny(years=3.0), tmp_path / "a.xlsx"))
    long = _array_refs(write(_tiny(years=7.0), tmp_path / "b.xlsx"))
    (key, ref_short), = [(k, v) for k, v in short.items() if k[0] == "Model"]
    ref_long = long[key]
    # header + one row per year + the maturity row
    assert ref_short.endswith(str(int(ref_short.split(":")[0][1:]) + 4))
    assert ref_long.endswith(str(int(ref_long.split(":")[0][1:]) + 8))


def test_blocks_below_a_table_move_with_its_size():
    def at(builder, kind):
        return next(p for p in builder.placed.values() if isinstance(p.block, kind)
                    and p.sheet == "Model")

    tops = []
    for years in (3.0, 30.0):
        b = plan(_tiny(years=years))
        table, chart, out = at(b, Table), at(b, Chart), at(b, Outputs)
        assert table.top == chart.top and chart.left > table.left + table.frame.cols - 1
        # one empty row below the taller of the two blocks side by side
        bottom = max(table.top + table.frame.rows, chart.top + chart.frame.rows) - 1
        assert out.top == bottom + 2
        assert at(b, Grid).top == out.top + out.frame.rows + 1
        tops.append(out.top)
    assert tops[1] - tops[0] == (30 + 3) - at(plan(_tiny()), Chart).frame.rows


@pytest.mark.parametrize("over, message", [
    ({"twice": "=2*min_dscrr"}, "undefined name.*min_dscrr"),
    ({"twice": "=TWICE(min_dscr)"}, "unknown function.*TWICE"),
    ({"unit": "furlongs"}, "unit 'furlongs' has no number format"),
    ({"years": "=deal_debt_years"}, "depends on itself"),
])
def test_description_errors_are_caught_at_build_time(over, message):
    with pytest.raises((BuildError, FormulaError), match=message):
        build(_tiny(**over))


def test_a_name_defined_twice_is_refused():
    t = _tiny()
    extra = Sheet("More", "more", [Outputs([Output("again", "=1", "x", "min_dscr")])])
    with pytest.raises(BuildError, match="min_dscr is defined twice"):
        plan(dataclasses.replace(t, sheets=list(t.sheets) + [extra]))


@pytest.mark.parametrize("bad", ["A1", "LGD1", "GPU_RV", "two words"])
def test_names_that_excel_would_misread_are_refused(bad):
    t = _tiny()
    extra = Sheet("More", "more", [Outputs([Output("x", "=1", "x", bad)])])
    with pytest.raises(BuildError, match="cannot be a defined name"):
        plan(dataclasses.replace(t, sheets=list(t.sheets) + [extra]))


def test_a_chart_must_point_at_a_block_id():
    t = _tiny()
    extra = Sheet("More", "more", [Chart("c", series=[Series("nope", "dscr")],
                                         categories=Series("t", "year"))])
    with pytest.raises(BuildError, match="no block with id 'nope'"):
        build(dataclasses.replace(t, sheets=list(t.sheets) + [extra]))


# --------------------------------------------------------------------------------------------
# the shipped templates

def _boxes(builder):
    for p in builder.placed.values():
        yield p.sheet, p.top, p.left, p.top + p.frame.rows - 1, p.left + p.frame.cols - 1, p


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_no_two_blocks_overlap(name):
    boxes = list(_boxes(plan(TEMPLATES[name]())))
    for i, (s, r0, c0, r1, c1, p) in enumerate(boxes):
        assert r0 >= 3 and c0 >= 1
        for s2, a0, b0, a1, b1, q in boxes[i + 1:]:
            if s == s2:
                assert r1 < a0 or a1 < r0 or c1 < b0 or b1 < c0, (s, p.block, q.block)


def test_neocloud_tables_follow_the_deal_block():
    """Lengthen the tenor in the description: the DSCR table grows by the new periods."""
    t = neocloud_facility.template()
    deal = neocloud_facility.DEAL
    rows = [dataclasses.replace(r, value=6.0) if r.name == "debt_years" else r
            for r in deal.rows]
    inputs = dataclasses.replace(neocloud_facility.INPUTS, blocks=[
        Beside([neocloud_facility.FLEET, neocloud_facility.TENANTS]),
        dataclasses.replace(deal, rows=rows), neocloud_facility.CREDIT,
        neocloud_facility.PRICING])
    longer = dataclasses.replace(t, sheets=[inputs] + list(t.sheets[1:]))

    def n_rows(builder):
        return next(len(builder.result(p.block)) for p in builder.placed.values()
                    if isinstance(p.block, Table) and p.block.id == "dscr_table")
    assert n_rows(plan(longer)) - n_rows(plan(t)) == 2 * 4  # two more years, quarterly


@pytest.mark.parametrize("sheet_name", ["Summary", "checks", "Inputs", "a/b", "x" * 32])
def test_sheet_names_must_be_new_and_valid(sheet_name):
    t = _tiny()
    extra = Sheet(sheet_name, "more", [Note("n")])
    with pytest.raises(BuildError, match="sheet name"):
        plan(dataclasses.replace(t, sheets=list(t.sheets) + [extra]))


def test_a_summary_row_may_name_its_cell():
    t = _tiny()
    t = dataclasses.replace(t, summary=list(t.summary) + [
        Output("Headline", "=2*min_dscr", "x", "headline")], checks=list(t.checks) + [
        Check("the headline is named", "=headline>min_dscr")])
    names = dict(plan(t).name_ranges())
    assert names["headline"][0] == "Summary"


def test_input_table_is_named_with_its_header_and_read_by_the_coverage_functions(tmp_path):
    """An InputTable's name covers its header row and rows: the tenant block a function reads
    next to the deal block; its columns format from their units; a row of the wrong length is
    a build error."""
    from workbook.templates.blocks import InputTable
    t = _tiny()
    tenants = InputTable(title="Tenants", name="tenants", id="ten", columns=[
        Column("name", unit="-"), Column("share", unit="decimal of capacity"),
        Column("rate", unit="currency per GPU-hour"), Column("end", unit="years")],
        rows=[["A", 0.3, 2.4, 2.0], ["B", "=0.1+0.1", 2.6, 3.0]])
    deal = t.sheets[0].blocks[0]
    rows = [dataclasses.replace(r, value=None) if r.name in (
        "contracted_share", "contract_rate", "contract_years") else r for r in deal.rows]
    inputs = dataclasses.replace(t.sheets[0], blocks=[dataclasses.replace(deal, rows=rows),
                                                      tenants])
    model = Sheet("Model", "m", [Outputs(rows=[Output("min", "=DSCR_MIN(deal_inputs, tenants)",
                                                      "x", "min_dscr")])])
    t2 = dataclasses.replace(t, sheets=[inputs, model], checks=[
        Check("min is a number", "=min_dscr>-100")])
    p = plan(t2)
    assert p.value("tenants") == [["name", "share", "rate", "end"], ["A", 0.3, 2.4, 2.0],
                                  ["B", pytest.approx(0.2), 2.6, 3.0]]
    sheet, r0, c0, r1, c1 = dict(p.name_ranges())["tenants"]
    assert (r1 - r0, c1 - c0) == (2, 3)  # header + 2 rows, 4 columns
    res = recalc.recalc_file(str(write(t2, tmp_path / "t.xlsx")), str(tmp_path / "o.xlsx"))
    assert res.errors == [] and res.false_checks == []
    from pymodel import dscr
    pairs = [(r.name, r.value) for r in rows]
    expected = dscr.dscr_min(pairs, tenants=[["name", "share", "rate", "end"],
                                             ["A", 0.3, 2.4, 2.0], ["B", 0.2, 2.6, 3.0]])
    wb = openpyxl.load_workbook(res.out, data_only=True)
    (sh, ref), = list(wb.defined_names["min_dscr"].destinations)
    assert wb[sh][ref.replace("$", "")].value == pytest.approx(expected, rel=1e-12)
    bad = dataclasses.replace(tenants, rows=[["A", 0.3, 2.4]])
    with pytest.raises(BuildError, match="every row needs 4 values"):
        plan(dataclasses.replace(t2, sheets=[dataclasses.replace(inputs, blocks=[
            inputs.blocks[0], bad]), model]))
