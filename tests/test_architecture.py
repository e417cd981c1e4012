"""Dependencies flow one way: pymodel never imports xlwings (or addin); addin holds no maths."""

import ast
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _imports(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                yield a.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module.split(".")[0]


def test_pymodel_never_imports_xlwings_or_addin():
    offenders = []
    for path in sorted((ROOT / "pymodel").rglob("*.py")):
        for mod in _imports(path):
            if mod in ("xlwings", "addin", "openpyxl", "formulas"):
                offenders.append(f"{path.relative_to(ROOT)} imports {mod}")
    assert offenders == []


def test_importing_every_pymodel_module_loads_no_xlwings():
    mods = sorted(".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
                  for p in (ROOT / "pymodel").rglob("*.py"))
    code = ("import importlib, sys\n"
            f"for m in {mods!r}: importlib.import_module(m)\n"
            "print('xlwings' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, check=True)
    assert out.stdout.strip() == "False"


def test_addin_modules_use_no_scipy_maths():
    """The Excel layer converts and shapes; the maths lives in pymodel."""
    offenders = []
    for path in sorted((ROOT / "addin").rglob("*.py")):
        for mod in _imports(path):
            if mod in ("scipy",):
                offenders.append(f"{path.relative_to(ROOT)} imports {mod}")
    assert offenders == []
