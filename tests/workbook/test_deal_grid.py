"""``computecredit scenarios`` through a deal workbook: a grid of [inputs] and named
[[scenario]]s typed into the workbook, its outputs read after each recalculation; every row
equals a fresh recalculation of the workbook with those inputs; problems are refused before
the first scenario runs, with one line naming the scenario, the input and the value."""

from __future__ import annotations

import argparse
import datetime as dt
import os

import pandas as pd
import pytest

from workbook import scenarios
from workbook.deal_grid import parse_workbook_grid, run_workbook_grid
from workbook.scenarios import GridError

from .engine.fidelity.xlsx import F, write_xlsx
from .engine.test_session import edited_copy, fresh, template


@pytest.fixture
def deal(tmp_path):
    """A small deal: inputs, a coverage line, a Summary sheet and a check."""
    inputs = {"A1": "rate", "B1": 0.08, "A2": "years", "B2": 5.0, "A3": "debt",
              "B3": 1000.0, "A4": "cash", "B4": 260.0}
    model = {"A1": "payment", "B1": F("PMT(Inputs!B1,Inputs!B2,-Inputs!B3)"),
             "A2": "dscr", "B2": F("Inputs!B4/B1")}
    summary = {"A1": "Summary", "A3": "output", "B3": "value",
               "A4": "Payment", "B4": F("Model!B1"), "A5": "DSCR", "B5": F("Model!B2"),
               "A6": "Covenant met", "B6": F("Model!B2>=1.2")}
    return write_xlsx(str(tmp_path / "deal.xlsx"),
                      {"Inputs": inputs, "Model": model, "Summary": summary},
                      names={"rate": "Inputs!$B$1", "cash": "Inputs!$B$4"})


def _args(tape, grid, out, **kw):
    ns = argparse.Namespace(tape=str(tape), grid=str(grid), out=str(out), sheet=None, dask=None,
                            workers=None, today=None, workbooks=False)
    for k, v in kw.items():
        setattr(ns, k, v)
    return ns


def test_grid_and_named_scenarios_through_the_workbook(deal, tmp_path):
    grid = parse_workbook_grid({
        "inputs": {"rate": [0.05, 0.1], "Inputs!B2": [4, 6]},
        "scenario": [{"name": "no cash", "cash": 100.0}],
    })
    table, errors = run_workbook_grid(deal, grid)
    assert list(table["scenario"]) == ["grid 1", "grid 2", "grid 3", "grid 4", "no cash"]
    assert list(table.columns) == ["scenario", "rate", "Inputs!B2", "cash", "Payment", "DSCR",
                                   "Covenant met", "error_cells", "false_checks",
                                   "kept_cells"]
    # an input a scenario leaves alone shows the workbook's own value
    assert list(table["cash"]) == [260.0] * 4 + [100.0]
    assert list(table["rate"]) == [0.05, 0.05, 0.1, 0.1, 0.08]
    import numpy_financial as npf
    for _, r in table.iterrows():
        pay = float(npf.pmt(r["rate"], r["Inputs!B2"], -1000.0))
        assert r["Payment"] == pytest.approx(pay, rel=1e-12)
        assert r["DSCR"] == pytest.approx(r["cash"] / pay, rel=1e-12)
        assert r["Covenant met"] == bool(r["cash"] / pay >= 1.2)
    assert table["error_cells"].sum() == 0 and errors["no cash"] == []


def test_each_row_equals_a_fresh_recalculation_of_the_template(tmp_path):
    path = template("neocloud_facility")
    grid = parse_workbook_grid({"inputs": {"deal_deflation": [0.2, 0.4]},
                                "outputs": {"min_dscr": "Summary!B10", "llcr": "Summary!B12",
                                            "checks": "all_checks"}})
    table, _ = run_workbook_grid(path, grid, today=dt.date(2025, 6, 30))
    assert len(table) == 2 and table["checks"].dtype == bool
    edited = edited_copy(path, str(tmp_path / "e.xlsx"), {("Inputs", "B19"): 0.4})
    want = fresh(edited)[0]
    row = table.iloc[1]
    assert row["min_dscr"] == want[("Summary", "B10")]
    assert row["llcr"] == want[("Summary", "B12")]
    assert row["checks"] == want[("Checks", "B28")]


def test_command_writes_the_tables_and_the_report(deal, tmp_path):
    grid = tmp_path / "grid.toml"
    grid.write_text('[inputs]\nrate = [0.05, 0.5]\n\n[outputs]\nDSCR = "Summary!B5"\n'
                    'pay = "Model!B1"\n', encoding="utf-8")
    out = tmp_path / "out"
    assert scenarios.run(_args(deal, grid, out, workbooks=True)) == 0
    table = pd.read_parquet(out / "scenarios.parquet")
    assert list(table["rate"]) == [0.05, 0.5]
    assert list(table["false_checks"]) == [0, 0]
    assert pd.read_csv(out / "scenarios.csv").shape == table.shape
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "<script" not in page and "http" not in page.split("<body>")[1]
    assert "deal.xlsx" in page
    saved = sorted(os.listdir(out / "workbooks"))
    assert saved == ["scenario_1.xlsx", "scenario_2.xlsx"]
    # the copy of scenario 2 holds its input and its recalculated values
    values = fresh(str(out / "workbooks" / "scenario_2.xlsx"), None)[0]
    assert values[("Inputs", "B1")] == 0.5
    assert values[("Summary", "B5")] == table["DSCR"].iloc[1]


@pytest.mark.parametrize("toml, words", [
    ('[inputs]\nnope = [1]\n', ["grid 1", "'nope'", "neither a cell"]),
    ('[inputs]\n"Model!B1" = [1]\n', ["Model!B1", "formula cell"]),
    ('[inputs]\nrate = ["x", [1, 2]]\n', ["grid 2", "rate", "one cell"]),
    ('[inputs]\nrate = [0.1]\n[outputs]\nall = "Inputs!A1:B4"\n', ["[outputs] all", "range"]),
    ('[inputs]\nrate = [0.1]\n[outputs]\nx = "Nowhere!A1"\n', ["[outputs] x", "Nowhere"]),
    ('[inputs]\nrate = []\n', ["rate", "non-empty list"]),
    ('[inputs]\nrate = [0.1]\n[axes]\ndeflation = [0.2]\n', ["unknown section", "loan tape"]),
    ('[[scenario]]\nname = "empty"\n', ["'empty'", "sets no input"]),
    ('[inputs]\nrate = [0.1]\n[outputs]\nrate = "Summary!B5"\n', ["'rate'", "also an input"]),
])
def test_problems_are_refused_before_any_scenario_runs(deal, tmp_path, capsys, toml, words):
    grid = tmp_path / "grid.toml"
    grid.write_text(toml, encoding="utf-8")
    out = tmp_path / "out"
    assert scenarios.run(_args(deal, grid, out)) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    for w in words:
        assert w in err, (w, err)
    assert not out.exists()


def test_a_workbook_grid_needs_a_workbook_and_outputs(tmp_path, capsys):
    grid = tmp_path / "grid.toml"
    grid.write_text('[inputs]\n"S!A1" = [2.0]\n', encoding="utf-8")
    csv = tmp_path / "tape.csv"
    csv.write_text("ead,pd\n1,0.01\n", encoding="utf-8")
    assert scenarios.run(_args(csv, grid, tmp_path / "o1")) == 2
    assert "runs through a workbook" in capsys.readouterr().err
    book = write_xlsx(str(tmp_path / "plain.xlsx"), {"S": {"A1": 1.0, "B1": F("A1*2")}})
    assert scenarios.run(_args(book, grid, tmp_path / "o2")) == 2
    assert "no Summary sheet" in capsys.readouterr().err
    assert scenarios.run(_args(book, grid, tmp_path / "o3", dask="local")) == 2
    assert "--dask" in capsys.readouterr().err


def test_a_hostile_workbook_is_refused(tmp_path, capsys):
    bad = tmp_path / "deal.xlsx"
    bad.write_bytes(b"PK\x03\x04 not a zip at all")
    grid = tmp_path / "grid.toml"
    grid.write_text('[inputs]\nrate = [0.1]\n', encoding="utf-8")
    assert scenarios.run(_args(bad, grid, tmp_path / "out")) == 2
    assert "refused" in capsys.readouterr().err


def test_a_retrofitted_deal_runs_through_the_grid(tmp_path):
    """The deal's own input cells drive their coverage and the ComputeCredit sheet's together;
    each row equals a fresh recalculation of the retrofitted copy with the input typed in."""
    from workbook.retrofit import draft_map, retrofit_file

    from .deal_corpus import build_all
    deal = build_all(tmp_path)["annual_sln"]
    draft_map(str(deal), str(tmp_path / "map.toml"))
    copy = str(tmp_path / "deal_cc.xlsx")
    retrofit_file(str(deal), str(tmp_path / "map.toml"), copy)
    grid = parse_workbook_grid({"inputs": {"Inputs!B7": [0.6, 0.85]},
                                "outputs": {"model_min_dscr": "ComputeCredit!G8",
                                            "checks": "cc_all_checks"}})
    table, _ = run_workbook_grid(copy, grid)
    assert list(table["checks"]) == [True, True]
    assert table["model_min_dscr"].iloc[0] < table["model_min_dscr"].iloc[1]
    want = fresh(edited_copy(copy, str(tmp_path / "e.xlsx"), {("Inputs", "B7"): 0.6}))[0]
    assert table["model_min_dscr"].iloc[0] == want[("ComputeCredit", "G8")]
