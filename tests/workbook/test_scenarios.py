"""computecredit scenarios: grid parsing, tape reading (CSV, checked .xlsx), the run, the
outputs, and the same numbers on every executor (serial, processes, a Dask LocalCluster)."""

import zipfile

import numpy as np
import openpyxl
import pandas as pd
import pytest

from workbook import cli
from workbook import scenarios as S
from workbook.executors import DaskExecutor, local_executor


def _tape(n=12, seed=7):
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        miner = i % 4 == 0
        gpus = int(rng.choice([256, 512, 1024]))
        rows.append({
            "loan_id": f"F{i + 1:03d}", "borrower": f"B{i // 2}", "tenant": ["Meta", "-"][i % 2],
            "sector": "miner" if miner else "neo-cloud",
            "sku": ["H100", "B200", "H100: 0.5; B200: 0.5"][i % 3], "gpus": gpus,
            "ead": round(gpus * 30000 * rng.uniform(0.3, 0.6), -3),
            "pd": [0.01, 0.02, 0.04][(i // 2) % 3], "rent0": round(rng.uniform(1.8, 3.0), 2),
            "utilization": 0.85, "cash_cost": 0.4, "deflation": 0.25,
            "collateral_vol": 0.45, "btc_share": 0.3 if miner else 0.0,
            "debt_rate": 0.11, "debt_years": 4})
    return pd.DataFrame(rows)


GRID = {"axes": {"deflation": [0.15, 0.45], "utilization": [0.6, 0.9],
                 "btc_drawdown": [0.0, 0.5], "regime": ["calm", "stress"]},
        "settings": {"loss_paths": 2000, "loan_paths": 1000, "seed": 3}}


def _toml(path, grid=GRID):
    lines = []
    for section, values in grid.items():
        lines.append(f"[{section}]")
        for k, v in values.items():
            lines.append(f"{k} = {v!r}".replace("'", '"'))
    path.write_text("\n".join(lines) + "\n")
    return path


def test_grid_runs_and_moves_the_right_way():
    book, fac = S.run_grid(_tape(), S.parse_grid(GRID))
    assert len(book) == 16 and len(fac) == 16 * 12
    assert list(book.columns[:5]) == ["scenario", "deflation", "utilization", "btc_drawdown",
                                      "regime"]
    # deeper deflation lowers collateral and raises loss; stress raises the tail
    key = ["utilization", "btc_drawdown", "regime"]
    lo = book[book.deflation == 0.15].set_index(key).sort_index()
    hi = book[book.deflation == 0.45].set_index(key).sort_index()
    assert (hi["collateral_value"] < lo["collateral_value"]).all()
    assert (hi["expected_loss"] > lo["expected_loss"]).all()
    assert (hi["facilities_dscr_below_1"] >= lo["facilities_dscr_below_1"]).all()
    calm = book[book.regime == "calm"].set_index(["deflation", "utilization", "btc_drawdown"])
    stress = book[book.regime == "stress"].set_index(["deflation", "utilization",
                                                      "btc_drawdown"])
    assert (stress["sum_single_capital"] > calm["sum_single_capital"]).all()
    # the BTC drawdown only touches the miners' collateral
    f = fac[(fac.deflation == 0.15) & (fac.utilization == 0.9) & (fac.regime == "calm")]
    a = f[f.btc_drawdown == 0.0].set_index("loan_id")
    b = f[f.btc_drawdown == 0.5].set_index("loan_id")
    miners = ["F001", "F005", "F009"]
    assert (b.loc[miners, "collateral_value"] < a.loc[miners, "collateral_value"]).all()
    others = a.index.difference(miners)
    assert np.allclose(b.loc[others, "collateral_value"], a.loc[others, "collateral_value"])
    assert np.allclose(fac["ltv"], fac["ead"] / fac["collateral_value"])
    # facility contributions add up to the book's ES in every scenario
    es = fac.groupby("scenario")["es_contribution"].sum()
    assert np.allclose(es.to_numpy(), book.set_index("scenario")["expected_shortfall"]
                       .loc[es.index].to_numpy(), rtol=1e-12)


def test_collateral_follows_the_income_value_of_the_scenario():
    from pymodel import residual
    tape = _tape(3)
    grid = S.parse_grid({"axes": {"deflation": [0.4]}, "settings": GRID["settings"]})
    _book, fac = S.run_grid(tape, grid)
    v = residual.income_value(tape["rent0"].to_numpy(), 0.85, 0.4, 0.4, 0.10,
                              max_life_years=8.0)
    own = residual.income_value(tape["rent0"].to_numpy(), 0.85, 0.4, 0.25, 0.10,
                                max_life_years=8.0)
    share = tape["btc_share"].to_numpy()
    gpu = tape["gpus"].to_numpy() * v                        # GPUs at the scenario's value
    btc = tape["gpus"].to_numpy() * own * share / (1 - share)  # BTC keeps its currency value
    assert np.allclose(fac["collateral_value"].to_numpy(), gpu + btc, rtol=1e-10)


def test_executors_give_identical_results_processes():
    tape, grid = _tape(8), S.parse_grid({**GRID, "axes": {"deflation": [0.2, 0.4]}})
    serial = S.run_grid(tape, grid)
    with local_executor(2) as ex:
        procs = S.run_grid(tape, grid, ex)
    for a, b in zip(serial, procs):
        pd.testing.assert_frame_equal(a, b)


@pytest.mark.slow
def test_dask_local_cluster_gives_identical_results():
    pytest.importorskip("dask.distributed")
    tape, grid = _tape(8), S.parse_grid({**GRID, "axes": {"regime": ["calm", "stress"]}})
    serial = S.run_grid(tape, grid)
    with DaskExecutor("local", 2) as ex:
        assert "LocalCluster" in ex.describe()
        dask = S.run_grid(tape, grid, ex)
    for a, b in zip(serial, dask):
        pd.testing.assert_frame_equal(a, b)


def test_command_writes_tables_heatmaps_and_a_self_contained_report(tmp_path):
    tape = tmp_path / "tape.csv"
    _tape().to_csv(tape, index=False)
    grid = _toml(tmp_path / "grid.toml")
    out = tmp_path / "out"
    assert cli.main(["scenarios", str(tape), "--grid", str(grid), "-o", str(out),
                     "--workers", "1"]) == 0
    for name in ("book", "facilities"):
        a = pd.read_parquet(out / f"{name}.parquet")
        b = pd.read_csv(out / f"{name}.csv")
        assert len(a) == len(b) > 0
        assert np.allclose(a["expected_loss"], b["expected_loss"])
    pngs = sorted(p.name for p in out.glob("heatmap_*.png"))
    assert pngs == ["heatmap_diversification_factor.png",
                    "heatmap_facilities_dscr_below_1.png",
                    "heatmap_loss_q999_share_of_ead.png"]
    for p in out.glob("*.png"):
        assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    page = (out / "report.html").read_text()
    assert page.count("data:image/png;base64,") == 3
    assert "http://" not in page and "https://" not in page and "<script" not in page
    # the table reads as a report: named columns with units, scenario axes as percentages
    for head in ("Rent deflation per year", "99.9% loss: standard error",
                 "Sum of single-loan capital", "Diversification factor"):
        assert f"<th>{head}</th>" in page
    assert "<td>45%</td>" in page and "<td>stress</td>" in page


def test_xlsx_tape_is_read_after_the_package_check(tmp_path):
    df = _tape(5)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Tape"
    ws.append(["Loan book, GPU facilities"])           # a title row above the header
    ws.append([])
    ws.append(list(df.columns))
    for row in df.itertuples(index=False):
        ws.append(list(row))
    p = tmp_path / "tape.xlsx"
    wb.save(p)
    got = S.read_tape(p)
    assert list(got.columns) == list(df.columns) and len(got) == 5
    assert got["ead"].tolist() == df["ead"].tolist()
    # a workbook with macros is refused before openpyxl sees it
    bad = tmp_path / "bad.xlsx"
    with zipfile.ZipFile(p) as src, zipfile.ZipFile(bad, "w") as dst:
        for info in src.infolist():
            dst.writestr(info, src.read(info.filename))
        dst.writestr("xl/vbaProject.bin", b"Attribute VB_Name = \"Module1\"")
    with pytest.raises(S.GridError, match="refused: .*macros"):
        S.read_tape(bad)
    with pytest.raises(S.GridError, match="no such file"):
        S.read_tape(tmp_path / "nothere.xlsx")
    text = tmp_path / "fake.xlsx"
    text.write_text("loan_id,ead,pd\n")
    with pytest.raises(S.GridError, match="refused: not an Excel workbook"):
        S.read_tape(text)


@pytest.mark.parametrize("grid, pattern", [
    ({"axes": {"deflation": [1.5]}}, r"axis deflation must be in \(-1, 1\); got 1.5"),
    ({"axes": {"inflation": [0.1]}}, "unknown axis 'inflation'"),
    ({"axes": {"regime": ["panic"]}}, "regime 'panic' is not defined"),
    ({"axes": {}}, r"\[axes\] must list"),
    ({"axes": {"regime": ["calm"]}, "settings": {"loss_pathz": 10}}, "did you mean"),
    ({"axes": {"regime": ["x"]}, "regimes": {"x": {"gpu_credit_corr": 0.95,
                                                  "btc_credit_corr": 0.95,
                                                  "gpu_btc_corr": -0.9}}},
     "positive semi-definite"),
    ({"axes": {"deflation": [0.1]}, "colour": {}}, "unknown section"),
])
def test_bad_grids_are_one_line_errors(grid, pattern):
    with pytest.raises(S.GridError, match=pattern):
        g = S.parse_grid(grid)
        S.run_grid(_tape(4), g)


def test_bad_tape_in_the_command_names_row_and_column(tmp_path, capsys):
    df = _tape(4)
    df.loc[2, "pd"] = 1.5
    tape = tmp_path / "tape.csv"
    df.to_csv(tape, index=False)
    grid = _toml(tmp_path / "grid.toml", {"axes": {"regime": ["calm"]},
                                          "settings": GRID["settings"]})
    assert cli.main(["scenarios", str(tape), "--grid", str(grid), "-o",
                     str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "tape row 3 (loan 'F003'), column pd must be in (0, 1); got 1.5" in err
    assert not (tmp_path / "o").exists()                 # nothing written for half a tape


def test_deflation_axis_needs_rent_columns():
    df = _tape(4).drop(columns=["rent0"]).assign(collateral_value=1e6)
    with pytest.raises(S.GridError, match="deflation axis needs the tape columns"):
        S.run_grid(df, S.parse_grid({"axes": {"deflation": [0.3]}}))
    book, _ = S.run_grid(df, S.parse_grid({"axes": {"btc_drawdown": [0.0, 0.9]},
                                           "settings": GRID["settings"]}))
    assert book["expected_loss"].iloc[1] > book["expected_loss"].iloc[0]


def test_heatmap_labels_never_crowd_on_large_grids(monkeypatch):
    """A 25 x 10 grid per panel: every k-th tick labelled (at most 8 across, 14 up), no values
    written in cells too small for them; tick labels keep the decimals the axis needs."""
    calls = []
    S._ticks(lambda pos, labels, fontsize: calls.append((pos, labels)),
             list(np.round(np.linspace(0.10, 0.58, 25), 3)), S._MAX_XTICKS)
    pos, labels = calls[0]
    assert len(pos) <= S._MAX_XTICKS and pos[0] == 0 and labels[0] == "10%"
    assert len(set(labels)) == len(labels)
    assert S._pct(0.125) == "12.5%" and S._pct(0.3) == "30%" and S._pct(None) == "tape"
    import matplotlib.axes
    texts = []
    orig = matplotlib.axes.Axes.text
    monkeypatch.setattr(matplotlib.axes.Axes, "text",
                        lambda self, *a, **k: texts.append(a) or orig(self, *a, **k))
    book = pd.DataFrame([{"deflation": g, "utilization": u, "loss_q999_share_of_ead": g * u}
                         for g in np.linspace(0.1, 0.58, 25) for u in np.linspace(0.5, 0.95, 10)])
    png = S._heatmap(book, "loss_q999_share_of_ead", "t", "{:.1%}")
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and texts == []
    small = book[book.deflation < 0.2]
    S._heatmap(small, "loss_q999_share_of_ead", "t", "{:.1%}")
    assert len(texts) == small["deflation"].nunique() * small["utilization"].nunique()
