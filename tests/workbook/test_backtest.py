"""`computecredit backtest`: the table on stdout, the CSVs, the PNGs and a self-contained page."""

import base64
import re
import shutil
import struct
import subprocess

import pandas as pd
import pytest

from pymodel.backtest import SUMMARY_COLUMNS
from workbook import backtest as report
from workbook.cli import main


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    out = tmp_path_factory.mktemp("bt")
    assert main(["backtest", "--out", str(out)]) == 0
    return out


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_files_table_and_plots(written, capsys):
    for name in report.FILES + ("rent_A100_SXM.png", "rent_H100_SXM.png",
                                "value_H100_SXM.png"):
        assert (written / name).stat().st_size > 0, name
    summary = pd.read_csv(written / "summary.csv")
    assert tuple(summary.columns) == SUMMARY_COLUMNS
    assert {6, 12, 24} <= set(summary["horizon_months"])
    assert {"model", "random walk", "straight line"} <= set(summary["method"])
    w, h = _png_size((written / "errors.png").read_bytes())
    assert w > 600 and h > 400


def test_stdout_shows_the_pooled_table_and_the_losses(capsys, tmp_path):
    assert main(["backtest", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "random walk" in out and "straight line" in out and "MALE" in out
    assert "Where the model loses to a benchmark:" in out
    assert "wrote" in out and "report.html" in out


def test_html_is_self_contained(written):
    text = (written / "report.html").read_text(encoding="utf-8")
    images = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', text)
    assert len(images) >= 4
    for data in images:
        _png_size(base64.b64decode(data))
    assert not re.search(r'(src|href)="(https?:)?//', text)     # nothing fetched
    assert "<script" not in text.lower()
    assert "Where the model loses to a benchmark" in text
    assert text.count("<table>") == 3


def test_losses_are_computed_from_the_table():
    s = pd.DataFrame([
        ("all", "rent", "all", 6, "model", 10, -0.3, 0.40, 10, 0.7),
        ("all", "rent", "all", 6, "random walk", 10, 0.1, 0.20, 10, 0.8),
        ("all", "rent", "all", 6, "straight line", 10, -0.5, 0.60, 10, 0.6),
        ("all", "rent", "all", 12, "model", 4, 0.0, 0.10, 4, 1.0),
        ("all", "rent", "all", 12, "random walk", 4, 0.3, 0.30, 4, 0.5),
    ], columns=SUMMARY_COLUMNS)
    got = report.losses(s)
    assert len(got) == 1 and got[0].startswith("rent, 6 months: random walk beats the model")


def test_bad_option_is_a_clean_message(capsys, tmp_path):
    assert main(["backtest", "--out", str(tmp_path), "--deflation", "2"]) == 2
    assert capsys.readouterr().err.strip() == \
        "computecredit backtest: deflation must be in (-1, 1); got 2"
    target = tmp_path / "file"
    target.write_text("x")
    assert main(["backtest", "--out", str(target)]) == 2
    assert "cannot write to" in capsys.readouterr().err


@pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium not installed")
def test_page_renders_in_headless_chromium(written, tmp_path):
    shot = tmp_path / "shot.png"
    profile = tmp_path / "profile"
    profile.mkdir()
    subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update",
                    "--disable-sync", f"--user-data-dir={profile}", "--window-size=1200,1600",
                    f"--screenshot={shot}", (written / "report.html").as_uri()],
                   capture_output=True, timeout=120)
    assert shot.exists() and _png_size(shot.read_bytes()) == (1200, 1600)
