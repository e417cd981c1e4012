"""`computecredit sample` prints the sample fleet's residual value curve next to book value."""

import subprocess
import sys

from workbook.cli import main


def test_sample_command_prints_the_curve(capsys, tmp_path):
    out_csv = tmp_path / "curve.csv"
    assert main(["sample", "--csv", str(out_csv)]) == 0
    out = capsys.readouterr().out
    assert "1,024 x H100 SXM" in out
    assert "economic value" in out and "book value" in out and "gap (book-econ)" in out
    assert "Economic life T* = 4.81 years" in out and "step-downs: none" in out
    assert "  25,150" in out                      # book value at age 1 of a 30,000 GPU
    assert out_csv.read_text().startswith("year,market rent,economic value,book value,gap,")


def test_sample_command_bad_option_is_a_clean_message(capsys):
    assert main(["sample", "--deflation", "1.5"]) == 2
    err = capsys.readouterr().err
    assert err.strip() == "computecredit sample: deflation must be in (-1, 1); got 1.5"


def test_console_entry_point_module_runs():
    out = subprocess.run([sys.executable, "-m", "workbook.cli", "sample", "--horizon-years", "2"],
                         capture_output=True, text=True, check=True)
    assert out.stdout.count("\n") > 10 and "Traceback" not in out.stderr
