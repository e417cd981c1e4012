"""The ``computecredit`` command only dispatches: a sub-command's module is imported when that
command is given, never for ``--help``."""

from __future__ import annotations

import subprocess
import sys

import pytest

from workbook import cli

HEAVY = ("numpy", "formulas", "openpyxl", "xlwings", "matplotlib", "addin", "workbook.engine",
         "workbook.sample")


def _imported_after(code: str) -> set[str]:
    prog = ("import sys\n" + code + "\n"
            "print('MODULES:', ' '.join(sorted(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", prog], capture_output=True, text=True,
                         check=True)
    return set(out.stdout.split("MODULES:")[-1].split())


def test_help_imports_no_sub_command():
    mods = _imported_after("from workbook import cli\n"
                           "try:\n    cli.main(['--help'])\nexcept SystemExit:\n    pass")
    assert not [m for m in mods if m.split(".")[0] in HEAVY or m.startswith(HEAVY)]


def test_a_command_imports_only_its_own_module():
    mods = _imported_after("from workbook import cli\ntry:\n"
                           "    cli.main(['recalc', '--help'])\nexcept SystemExit:\n    pass")
    assert "workbook.engine.recalc" in mods
    assert not {"workbook.sample", "addin.packaging.lite", "formulas", "numpy"} & mods


def test_help_lists_every_command(capsys):
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    out = " ".join(capsys.readouterr().out.split())  # argparse wraps long help lines
    for name, (_, help_text) in cli.COMMANDS.items():
        assert name in out and help_text in out


def test_version(capsys):
    import pymodel
    with pytest.raises(SystemExit):
        cli.main(["--version"])
    assert capsys.readouterr().out.strip() == pymodel.__version__


def test_no_command_prints_help():
    assert cli.main([]) == 2


def test_the_command_exits_with_its_code_leaving_its_objects_to_the_system(tmp_path):
    """The console command ends with every object out of the collector's reach (no last pass
    over an evaluated workbook), after writing its output and with exit handlers run."""
    import configparser
    import pathlib
    root = pathlib.Path(cli.__file__).resolve().parents[1]
    cfg = configparser.ConfigParser()
    cfg.read(root / "setup.cfg")
    assert cfg["options.entry_points"]["console_scripts"].split() == [
        "computecredit", "=", "workbook.cli:console"]
    out = tmp_path / "out.xlsx"
    prog = ("import atexit, gc, sys\n"
            "atexit.register(lambda: print('FROZEN', gc.get_freeze_count()))\n"
            f"sys.argv = ['computecredit', 'recalc', {str(root / 'workbook' / 'neocloud_facility.xlsx')!r}, "
            f"'-o', {str(out)!r}, '-q']\n"
            "from workbook.cli import console\nconsole()")
    proc = subprocess.run([sys.executable, "-c", prog], capture_output=True, text=True, cwd=root)
    assert proc.returncode == 0, proc.stderr[-500:]
    assert out.exists() and int(proc.stdout.split("FROZEN")[-1]) > 10_000
    bad = subprocess.run([sys.executable, "-m", "workbook.cli", "recalc",
                          str(tmp_path / "missing.xlsx"), "-q"], capture_output=True, text=True,
                         cwd=root)
    assert bad.returncode == 2 and "missing.xlsx" in bad.stdout + bad.stderr
