"""Helpers for the attack cases: run ``computecredit recalc`` and read what it said."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import openpyxl
import pytest

from workbook.engine import recalc


def run_recalc(argv: list) -> int:
    parser = argparse.ArgumentParser()
    recalc.add_arguments(parser)
    return recalc.run(parser.parse_args([str(a) for a in argv]))


@pytest.fixture
def refused(tmp_path, capsys):
    """Recalculate a file that must be refused (with ``--strict``: a cell the engine cannot
    evaluate faithfully refuses the file instead of keeping Excel's saved value): exit 2,
    exactly one plain stderr line naming the file, matching ``pattern``, no traceback, no
    output written; returns the line."""
    def check(path: Path, pattern: str) -> str:
        out_dir = tmp_path / "refused_out"
        code = run_recalc([path, "-o", out_dir, "--strict"])
        cap = capsys.readouterr()
        lines = [ln for ln in cap.err.splitlines() if ln.strip()]
        assert code == 2, (cap.out, cap.err)
        assert len(lines) == 1, lines
        assert "Traceback" not in cap.err and "unexpected" not in cap.err
        assert ": refused: " in lines[0]
        assert re.search(pattern, lines[0]), lines[0]
        assert not out_dir.exists() or not any(out_dir.iterdir())
        return lines[0]
    return check


@pytest.fixture
def kept(tmp_path):
    """Recalculate a file (default, partial mode) where one cell must keep Excel's saved value
    with a reason matching ``pattern``: exit 3, the copy written; returns the result."""
    def check(path: Path, cell: str, pattern: str) -> recalc.RecalcResult:
        res = recalc.recalc_file(str(path), str(tmp_path / "kept_out.xlsx"))
        assert res.exit_code == 3, res
        why = {f"{s}!{c}": w for s, c, w in res.kept}
        assert cell in why and re.search(pattern, why[cell]), why
        return res
    return check


def values(path: Path, sheet: str | None = None) -> openpyxl.worksheet.worksheet.Worksheet:
    wb = openpyxl.load_workbook(path, data_only=True)
    return wb[sheet] if sheet else wb.worksheets[0]
