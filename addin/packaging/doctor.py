"""``computecredit doctor``: is this machine set up for the ComputeCredit Excel add-in?

Checks, in the order a set-up fails: Python, the computecredit package and its functions, xlwings
(the version the add-in's VBA was built for) and its DLL, Excel's start-up folder and the add-in
in it (ours, this version), the per-user config the add-in reads (the interpreter it names exists,
is this one or at least has the package, and the DLL is where the add-in's VBA will look). Each
problem comes with what to do, in plain words. Exit code 0 when nothing needs fixing.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import re
import subprocess
import sys
from dataclasses import dataclass

from . import install as inst

__all__ = ["Check", "checks", "report", "add_arguments", "run"]

MIN_PYTHON = (3, 10)


@dataclass
class Check:
    name: str
    status: str  # "ok", "warn" (works, but worth knowing) or "fix"
    detail: str
    fix: str = ""


def _python(python: pathlib.Path) -> Check:
    v = sys.version_info
    text = f"Python {v.major}.{v.minor}.{v.micro} at {python}"
    if v[:2] < MIN_PYTHON:
        return Check("python", "fix", text, f"install Python {MIN_PYTHON[0]}.{MIN_PYTHON[1]} or "
                                            "newer and reinstall computecredit with it")
    return Check("python", "ok", text)


def _package() -> tuple[Check, int | None]:
    try:
        import pymodel
        from addin.registry import REGISTRY
        import addin.udfs  # noqa: F401  (registers every function)
    except Exception as exc:  # any import failure is the finding
        return Check("package", "fix", f"computecredit does not import: {type(exc).__name__}: "
                     f"{exc}", "reinstall it: python -m pip install --force-reinstall "
                               "computecredit"), None
    n = sum(1 for k in REGISTRY if not k.startswith("TEST_"))
    return Check("package", "ok", f"computecredit {pymodel.__version__} ({n} functions in "
                                  "addin.udfs)"), n


def _vba_facts(data: bytes) -> dict[str, object]:
    """Project name, xlwings version constant and wrapper names of an add-in's VBA project."""
    import io
    import zipfile
    from . import ovba, vba
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        project = ovba.VbaProject.load(z.read("xl/vbaProject.bin"))
    runtime = project.source("xlwings")
    m = re.search(r'^Public Const XLWINGS_VERSION As String = "([^"]+)"', runtime, re.M)
    try:
        wrappers = set(vba.function_names(project.source("xlwings_udfs")))
    except KeyError:
        wrappers = set()
    return {"project": project.name, "xlwings": m.group(1) if m else None, "wrappers": wrappers}


def _xlwings(shipped: bytes | None) -> tuple[Check, str | None]:
    from importlib.metadata import PackageNotFoundError, version
    try:
        have = version("xlwings")
    except PackageNotFoundError:
        return Check("xlwings", "fix", "xlwings is not installed",
                     "python -m pip install computecredit (it installs the xlwings it needs)"), None
    want = _vba_facts(shipped)["xlwings"] if shipped else None
    if want and want != have:
        return Check("xlwings", "fix", f"xlwings {have} installed, the add-in was built for "
                                       f"{want} (its VBA loads xlwings64-{want}.dll)",
                     f"python -m pip install xlwings=={want}"), have
    return Check("xlwings", "ok", f"xlwings {have}"), have


def _dll(python: pathlib.Path, config: dict[str, str]) -> Check:
    folder = inst.find_xlwings_dll()
    names = inst.dll_names()
    if folder is None:
        why = ("xlwings ships it only in its Windows wheel; this is not Windows"
               if not sys.platform.startswith("win") else "pip did not install it")
        return Check("xlwings DLL", "fix", f"{names[0]} not found for this Python ({why})",
                     "on the Windows PC: python -m pip install --force-reinstall xlwings, "
                     "then computecredit addin install")
    present = [n for n in names if (folder / n).is_file()]
    interp = pathlib.Path(config.get(inst.INTERPRETER_KEY) or python)
    configured = config.get(inst.DLL_FOLDER_KEY)
    if inst.dll_reachable(interp, folder):
        return Check("xlwings DLL", "ok", f"{', '.join(present)} in {folder}, next to the "
                                          "interpreter")
    if configured and os.path.normcase(configured) == os.path.normcase(str(folder)):
        return Check("xlwings DLL", "ok", f"{', '.join(present)} in {folder} (config "
                                          f"{inst.DLL_FOLDER_KEY})")
    return Check("xlwings DLL", "fix", f"{names[0]} is in {folder}, but the add-in looks next to "
                                       f"{interp} and in its parent folder",
                 "run `computecredit addin install` (it records the DLL folder in the config)")


def _addin(where: inst.Layout, wrappers_expected: int | None) -> Check:
    if not where.excel_dir.is_dir():
        return Check("add-in", "fix", f"Excel's folder {where.excel_dir} does not exist (Excel "
                                      "has not run for this user)",
                     "start Excel once, close it, then run `computecredit addin install`")
    if not where.addin.is_file():
        return Check("add-in", "fix", f"{inst.ADDIN_FILE} is not in {where.xlstart}",
                     "run `computecredit addin install`")
    data = where.addin.read_bytes()
    from .xlam import xlam_version
    found = xlam_version(data)
    if found is None:
        return Check("add-in", "fix", f"{where.addin} is not a ComputeCredit add-in built by "
                                      "this project", "run `computecredit addin install`")
    if found != inst.package_version():
        return Check("add-in", "fix", f"{where.addin} is version {found}, the package is "
                                      f"{inst.package_version()}",
                     "run `computecredit addin install` to update it (close Excel first)")
    try:
        facts = _vba_facts(data)
    except Exception as exc:
        return Check("add-in", "fix", f"{where.addin} has no readable VBA project ({exc})",
                     "run `computecredit addin install`")
    if facts["project"] != inst.PROJECT or (wrappers_expected is not None
                                           and len(facts["wrappers"]) != wrappers_expected):
        return Check("add-in", "fix", f"{where.addin}: VBA project {facts['project']} with "
                                      f"{len(facts['wrappers'])} functions",
                     "run `computecredit addin install`")
    return Check("add-in", "ok", f"{where.addin} (version {found}, "
                                 f"{len(facts['wrappers'])} functions)")


def _interpreter_has_package(interp: pathlib.Path) -> str | None:
    """Run ``interp`` to ask for its computecredit version (None if it cannot)."""
    code = "import pymodel, addin.udfs, xlwings; print(pymodel.__version__)"
    try:
        out = subprocess.run([str(interp), "-c", code], capture_output=True, text=True,
                             timeout=120)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def _config(where: inst.Layout, python: pathlib.Path) -> Check:
    if not where.config.is_file():
        return Check("config", "fix", f"{where.config} does not exist, so the add-in would run "
                                      "whatever `pythonw` is on the PATH",
                     "run `computecredit addin install`")
    config = inst.read_config(where.config)
    interp = config.get(inst.INTERPRETER_KEY)
    if not interp:
        return Check("config", "fix", f"{where.config} names no {inst.INTERPRETER_KEY}",
                     "run `computecredit addin install`")
    path = pathlib.Path(interp)
    if not path.is_file():
        return Check("config", "fix", f"{inst.INTERPRETER_KEY} = {interp} does not exist",
                     "run `computecredit addin install` with the Python that has computecredit")
    if inst._same_file(path, python):
        return Check("config", "ok", f"{where.config}: {inst.INTERPRETER_KEY} = {interp} "
                                     "(this Python)")
    got = _interpreter_has_package(path)
    if got is None:
        return Check("config", "fix", f"{inst.INTERPRETER_KEY} = {interp}, which cannot import "
                                      "computecredit and xlwings",
                     f"run `computecredit addin install` from the Python that has them, or "
                     f"install computecredit into {interp}")
    if got != inst.package_version():
        return Check("config", "warn", f"{inst.INTERPRETER_KEY} = {interp} has computecredit "
                                       f"{got}, this one {inst.package_version()}",
                     "run `computecredit addin install` from the Python Excel should use")
    return Check("config", "ok", f"{where.config}: {inst.INTERPRETER_KEY} = {interp} (another "
                                 f"Python with computecredit {got})")


def checks(where: inst.Layout, python: pathlib.Path | None = None) -> list[Check]:
    python = pathlib.Path(python or sys.executable)
    out = [_python(python)]
    pkg, n = _package()
    out.append(pkg)
    shipped = inst.shipped_xlam()
    data = shipped.read_bytes() if shipped.is_file() else None
    if data is None:
        out.append(Check("package", "fix", f"the add-in file {shipped} is missing from the "
                                           "package", "reinstall computecredit"))
    xw, _ = _xlwings(data)
    out.append(xw)
    config = inst.read_config(where.config)
    out.append(_dll(python, config))
    out.append(_addin(where, n))
    out.append(_config(where, python))
    return out


def report(results: list[Check], where: inst.Layout) -> tuple[int, list[str]]:
    lines = [f"ComputeCredit doctor (user profile {where.userprofile})"]
    for c in results:
        lines.append(f"  {c.status.upper():4} {c.name}: {c.detail}")
        if c.fix:
            lines.append(f"       -> {c.fix}")
    bad = sum(c.status == "fix" for c in results)
    lines.append("All checks passed." if not bad else
                 f"{bad} problem{'s' if bad > 1 else ''} to fix (see -> above).")
    return (1 if bad else 0), lines


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--home", metavar="PROFILE",
                        help="Windows user profile folder to check instead of USERPROFILE/APPDATA")


def run(args: argparse.Namespace) -> int:
    try:
        where = inst.layout(args.home)
    except inst.InstallError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    code, lines = report(checks(where), where)
    print("\n".join(lines))
    return code
