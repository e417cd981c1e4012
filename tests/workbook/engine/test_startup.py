"""Start-up: a recalculation imports only what it uses.

The slow libraries a recalculation does not need stay unimported (checked in a fresh process);
what is deferred still works when a formula needs it, with the real module."""

from __future__ import annotations

import json
import pathlib
import re
import subprocess
import sys

import numpy as np
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[3]
TEMPLATE = ROOT / "workbook" / "neocloud_facility.xlsx"

#: Never needed to recalculate the neo-cloud template (tables reach cells as plain rows).
NOT_FOR_RECALC = ("scipy.stats", "scipy.interpolate", "matplotlib", "xlwings", "pandas",
                  "scipy.optimize",   # the model's roots are pymodel.roots
                  "openpyxl")         # the engine's model imports it only to write


def _modules_after(code: str) -> set[str]:
    prog = f"import json, sys\n{code}\nprint('MODULES ' + json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", prog], capture_output=True, text=True,
                         cwd=ROOT, check=True)
    line = [ln for ln in out.stdout.splitlines() if ln.startswith("MODULES ")][-1]
    return set(json.loads(line[len("MODULES "):]))


def test_recalculating_the_template_imports_no_library_it_does_not_use(tmp_path):
    mods = _modules_after(
        "from workbook.cli import main\n"
        f"rc = main(['recalc', {str(TEMPLATE)!r}, '-o', {str(tmp_path / 'out.xlsx')!r}, '-q'])\n"
        "assert rc == 0, rc")
    assert (tmp_path / "out.xlsx").exists()
    assert "formulas.functions.stat" in mods        # MAX and MIN were evaluated
    assert "pymodel.roots" in mods                  # breakevens and the refinancing z*
    assert not [m for m in NOT_FOR_RECALC if m in mods]


def test_importing_the_addin_and_the_model_imports_no_pandas_nor_scipy_stats():
    mods = _modules_after("import addin.udfs\nimport pymodel.portfolio, pymodel.market")
    assert "pymodel.residual" in mods and "addin.dscr" in mods
    assert not {"pandas", "scipy.stats", "scipy.optimize", "matplotlib", "xlwings"} & mods


def test_the_engines_statistics_functions_use_the_real_scipy_when_called():
    from workbook.engine.functions import STAT_DEFERRED, engine
    _, functions = engine()
    for name in STAT_DEFERRED:   # no stand-in is left behind for others to import
        mod = sys.modules.get(name)
        assert mod is None or type(mod).__name__ == "module"
    import scipy.stats
    kurt = functions["KURT"](np.array([[1.0, 2.0, 3.0, 7.0, 9.0]]))
    assert float(np.asarray(kurt).ravel()[0]) == pytest.approx(
        scipy.stats.kurtosis([1, 2, 3, 7, 9], fisher=True, bias=False), rel=1e-15)
    t_inv = functions["_XLFN.T.INV"](0.3, 4)
    assert float(np.asarray(t_inv).ravel()[0]) == scipy.stats.t.ppf(0.3, 4)
    from formulas.functions import stat
    assert stat.stats.norm is scipy.stats.norm
    from scipy.interpolate import interp1d
    assert float(stat.interp1d([0.0, 1.0], [0.0, 2.0])(0.25)) == float(
        interp1d([0.0, 1.0], [0.0, 2.0])(0.25))


def test_a_deferred_import_leaves_imports_as_they_were():
    import importlib

    from workbook.engine.functions import _deferred_imports
    name = "json.tool"  # a module the engine never imports
    sys.modules.pop(name, None)
    before = sys.modules["json"]
    with _deferred_imports((name, "json")):
        stand_in = importlib.import_module(name)
        assert sys.modules["json"] is before   # an imported module is left alone
        late = stand_in.main                   # a name read while importing: resolved later
    assert name not in sys.modules
    real = importlib.import_module(name)
    assert real is not stand_in and type(real).__name__ == "module"
    assert late._target() is real.main and stand_in.main is real.main


def test_the_engines_model_reaches_openpyxl_when_it_writes():
    """openpyxl is deferred while the engine's model module imports; what it read from it
    resolves to the real objects when used."""
    from workbook.engine.functions import EXCEL_DEFERRED, _excel_model
    excel = _excel_model()
    for name in EXCEL_DEFERRED:   # no stand-in is left behind for others to import
        mod = sys.modules.get(name)
        assert mod is None or type(mod).__name__ == "module"
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    assert excel.ILLEGAL_CHARACTERS_RE.sub("?", "a\x01b") == ILLEGAL_CHARACTERS_RE.sub(
        "?", "a\x01b") == "a?b"


def test_the_set_up_compiles_every_package_of_ours_to_bytecode():
    """A fresh process reads compiled bytecode, as an installed package's, instead of compiling
    every source again: the README's set-up and CI compile each package the project installs."""
    import configparser
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg")
    ours = {p for p in cfg["options.packages.find"]["include"].split() if "." not in p}
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    quick = readme[readme.index("## Quick start"):readme.index("## Layout")]
    for text in (quick, (ROOT / ".ci" / "run").read_text(encoding="utf-8")):
        steps = re.findall(r"\.venv/bin/python -m compileall -q ([\w ]+)", text)
        assert len(steps) == 1 and set(steps[0].split()) == ours, steps
