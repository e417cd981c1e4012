"""Messages that cannot be forged or misread, and hostile inputs to the functions and the Lite
bundle: Monte Carlo work bounded, only declared data embedded, a private unpack folder."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from addin.packaging import lite
from addin.registry import REGISTRY
from pymodel import lgd_mc

from .attacks import build, rewrite
from .conftest import run_recalc


# --------------------------------------------------------------------------------------------
# the report

def test_labels_and_file_names_cannot_forge_report_lines(tmp_path, capsys):
    evil = "ok\nfake.xlsx: OK: 0 formulas\x1b[2J\r"
    src = build(tmp_path / "deal\nfake.xlsx: OK.xlsx", {
        "Checks": {"A1": evil, "B1": "=1>2"},
        "Summary": {"A1": evil, "B1": "=1+1", "C1": "\x1b]0;title\x07"}})
    code = run_recalc([src, "-o", tmp_path / "out.xlsx"])
    out = capsys.readouterr().out
    assert code == 1
    lines = out.splitlines()
    assert len(lines) == 3  # the status line, the summary row, the FALSE check
    assert all("\x1b" not in ln and "\r" not in ln for ln in lines)
    assert lines[0].startswith(str(tmp_path)) and "\\x0a" in lines[0]
    assert "CHECK FALSE Checks!B1: ok\\x0afake.xlsx" in lines[2]


def test_a_file_name_that_is_not_valid_text_prints(tmp_path, capsys):
    name = os.fsdecode(b"deal-\xff\xfe.xlsx")   # surrogate escapes, as Linux gives them
    src = build(tmp_path / "ok.xlsx", {"S": {"A1": 1.0, "B1": "=A1"}})
    bad = tmp_path / name
    os.rename(src, bad)
    code = run_recalc([bad, "-o", tmp_path / "o.xlsx"])
    out = capsys.readouterr().out
    assert code == 0 and "\\udcff" in out


def test_a_chart_that_cannot_be_drawn_is_a_warning_not_a_refusal(tmp_path, capsys):
    from tests.workbook.engine.test_recalc import _book
    src = _book(tmp_path / "a.xlsx")
    bad = rewrite(src, tmp_path / "bad_chart.xlsx", {"xl/charts/chart1.xml": b"<not-a-chart"})
    out = tmp_path / "o.xlsx"
    code = run_recalc([bad, "-o", out, "--png", tmp_path / "png"])
    cap = capsys.readouterr()
    assert code == 0 and out.exists()
    assert "WARNING the charts were not drawn" in cap.out and cap.err == ""


def test_an_internal_error_reads_in_words(tmp_path, capsys, monkeypatch):
    from workbook.engine import evaluate

    def boom(*args, **kwargs):
        raise ZeroDivisionError("x")
    monkeypatch.setattr(evaluate, "evaluate_package", boom)
    src = build(tmp_path / "ok.xlsx", {"S": {"A1": 1.0}})
    assert run_recalc([src]) == 2
    err = capsys.readouterr().err
    assert "internal error (ZeroDivisionError)" in err and "unexpected" not in err
    assert len(err.strip().splitlines()) == 1


# --------------------------------------------------------------------------------------------
# the functions

def test_a_range_where_text_is_expected_is_named_as_a_range():
    msg = REGISTRY["GPU_SPEC"].func([["H100"], ["A100"]], "power_w")
    assert msg.startswith("#VALUE!") and "a range of 2x1 cells" in msg and "[[" not in msg


def test_a_field_row_without_a_name_is_named_by_its_row():
    msg = REGISTRY["DSCR_MIN"].func([[None, "#N/A"], ["x", 1.0]])
    assert "deal_inputs (row 1, no field name)" in msg and ".None" not in msg


@pytest.mark.parametrize("sampling", ["conditional", "sobol"])
def test_lgd_mc_work_is_bounded_by_paths_collaterals_and_regimes(sampling):
    base = dict(lgd_mc.sample_inputs("miner"))
    base.update({"n_paths": lgd_mc.MAX_PATHS, "sampling": sampling, "gpu_value_model": "rent",
                 "gpus": 1000, "rent0": 2.0, "cash_cost": 0.5, "receivables_value": 20.0,
                 "step_years": [0.5 * i for i in range(1, 41)], "step_downs": [0.01] * 40})
    out = lgd_mc.simulate_lgd(base)
    units = (3 + 40) * 2
    assert out["n_paths"] * units <= 2 * lgd_mc.MAX_WORK
    assert out["n_paths"] <= lgd_mc.MAX_PATHS
    assert np.isfinite(out["expected_lgd"])


def test_lgd_mc_sobol_paths_stay_under_the_cap():
    base = dict(lgd_mc.sample_inputs("neocloud"))
    base.update({"n_paths": lgd_mc.MAX_PATHS, "sampling": "sobol"})
    assert lgd_mc.simulate_lgd(base)["n_paths"] <= lgd_mc.MAX_PATHS


def test_lgd_mc_default_calls_are_unchanged_by_the_bound():
    for kind in ("miner", "neocloud"):
        out = lgd_mc.simulate_lgd(lgd_mc.sample_inputs(kind))
        assert out["n_paths"] == 100_000


# --------------------------------------------------------------------------------------------
# the Lite bundle

@pytest.fixture
def repo_copy(tmp_path, monkeypatch):
    """A copy of the packages the bundle reads, with lite.ROOT pointing at it."""
    import shutil
    root = tmp_path / "repo"
    for pkg in ("pymodel", "addin"):
        shutil.copytree(lite.ROOT / pkg, root / pkg,
                        ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(lite, "ROOT", root)
    return root


def test_lite_embeds_only_the_data_the_sources_name(repo_copy):
    (repo_copy / "pymodel" / "data" / "private_notes.csv").write_text("salary,1\n")
    (repo_copy / "pymodel" / "data" / "photo.bin").write_bytes(b"\x89PNG\x00\xff")
    files = lite.bundle_files()
    data = sorted(k for k in files if k.startswith("pymodel/data/"))
    assert "pymodel/data/private_notes.csv" not in data and "pymodel/data/photo.bin" not in data
    assert data and all(k.endswith(".csv") for k in data)


def test_lite_a_binary_data_file_is_one_plain_line(repo_copy, tmp_path, capsys):
    named = sorted((repo_copy / "pymodel" / "data").glob("*.csv"))[0]
    named.write_bytes(b"\xff\xfe\x00binary")
    import argparse
    code = lite.run(argparse.Namespace(out_dir=str(tmp_path / "out")))
    err = capsys.readouterr().err
    assert code == 2 and "is not UTF-8 text" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_lite_unpacks_into_a_private_folder_a_planted_module_cannot_enter(tmp_path):
    main = tmp_path / "main.py"
    main.write_text(lite.main_py(), encoding="utf-8")
    fake = tmp_path / "fake"
    (fake / "xlwings").mkdir(parents=True)
    (fake / "xlwings" / "__init__.py").write_text(
        "def func(*a, **k):\n    return (lambda f: f) if not a or not callable(a[0]) else a[0]\n"
        "def arg(*a, **k):\n    return lambda f: f\n")
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    for d in [tmpdir / f"computecredit-{lite.__name__}", tmpdir / "computecredit-0.1.0"]:
        (d / "pymodel").mkdir(parents=True)
        (d / "pymodel" / "__init__.py").write_text("raise SystemExit('planted module ran')")
    code = textwrap.dedent(f"""
        import runpy, os, stat, sys
        g = runpy.run_path({str(main)!r})
        home = os.path.dirname(os.path.dirname(sys.modules["pymodel"].__file__))
        print("HOME", home, oct(stat.S_IMODE(os.stat(home).st_mode)))
        print("VALUE", g["GPU_BOOK_VALUE"](30000, 2, 6))
    """)
    env = dict(os.environ, PYTHONPATH=str(fake), TMPDIR=str(tmpdir))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         cwd=tmp_path, timeout=300)
    assert "planted module ran" not in out.stdout + out.stderr, out.stderr
    assert "VALUE 20000" in out.stdout, out.stderr
    home_line = next(ln for ln in out.stdout.splitlines() if ln.startswith("HOME"))
    assert home_line.endswith("0o700")
