"""The ComputeCredit add-in file (``ComputeCredit.xlam``), built on any OS from the registry.

The starting point is the custom add-in that ``xlwings quickstart ComputeCredit --addin`` writes
(xlwings' VBA runtime, its ``Dictionary`` class, a config sheet). :func:`build_xlam` turns it into
ours, with no Excel involved:

* the VBA project (``xl/vbaProject.bin``, :func:`build_vba_project`) is renamed ``ComputeCredit``;
  xlwings' module reads its config sheet and per-user config file by the constant
  ``PROJECT_NAME``, set to ``ComputeCredit`` in its source, and before looking for the xlwings DLL
  next to the interpreter it tries the folder in the config key ``XLWINGS DLL FOLDER`` (written
  by ``computecredit addin install`` when pip put the DLL elsewhere, as ``pip install --user``
  does: :data:`DLL_FOLDER_PATCH`); the quickstart's sample macro
  (``Module1``) is removed; the function wrappers (module ``xlwings_udfs``, the text of
  :func:`addin.packaging.vba.udfs_bas`), the error-reason store and ``CC_WHY``
  (``ComputeCreditErrors``) and the Function Wizard help (``ComputeCreditHelp``, registered by
  ``Workbook_Open``) are added as source. No compiled code is kept for the edited modules and
  ``_VBA_PROJECT`` says none is valid: Excel compiles the project from source when it opens the
  file (:mod:`.ovba`).
* the config sheet becomes ``ComputeCredit.conf`` (what xlwings' VBA looks for: PROJECT_NAME &
  ".conf") with ``UDF MODULES = addin.udfs``;
* the document properties carry the title, a description and the package version
  (``cp:version``), which ``computecredit addin install`` checks.
"""

from __future__ import annotations

import copy
import io
import re
import subprocess
import sys
import tempfile
import pathlib
import zipfile
from typing import Any

from . import ovba, vba

__all__ = ["PROJECT_NAME", "CONF_SHEET", "DLL_FOLDER_KEY", "DLL_FOLDER_PATCH", "CONF_ROWS", "VBA_MODULES", "build_xlam",
           "build_vba_project", "quickstart_xlam", "xlam_version", "zip_members",
           "this_workbook_source"]

#: The VBA project's name; xlwings' VBA derives the config sheet and file names from it.
PROJECT_NAME = vba.PROJECT_NAME
#: The add-in's config sheet, read by xlwings' ``GetConfig`` (``PROJECT_NAME & ".conf"``).
CONF_SHEET = f"{PROJECT_NAME}.conf"
#: Rows of the config sheet (key, value). Interpreter and PYTHONPATH rows are left out on purpose:
#: the sheet outranks the per-user file ``%USERPROFILE%\.ComputeCredit\ComputeCredit.conf``, which
#: ``computecredit addin install`` writes with the interpreter of each user's Python.
CONF_ROWS: tuple[tuple[str, Any], ...] = (
    ("UDF Modules", vba.UDF_MODULE),
    ("Debug UDFs", False),
    ("Use UDF Server", False),
    ("Show Console", False),
)
#: Modules the quickstart project has that the add-in does not need (a sample macro).
DROPPED_MODULES = ("Module1",)
QUICKSTART_PROJECT_CONST = re.compile(r'^(Public Const PROJECT_NAME As String = )"\w+"', re.M)
#: The config key naming the folder of the xlwings DLL (read by the patched XLPyLoadDLL).
DLL_FOLDER_KEY = "XLWINGS DLL FOLDER"
DLL_LOADER_START = ("Private Sub XLPyLoadDLL()\n"
                    "    Dim PYTHON_WIN As String, CondaCmd As String, CondaPath As String, "
                    "CondaEnv As String\n")
#: Lines added at the start of xlwings' ``XLPyLoadDLL``: load the DLL from the configured folder.
DLL_FOLDER_PATCH = (
    "    Dim DllFolder As String\n"
    "    ' ComputeCredit: `computecredit addin install` writes the folder of the xlwings DLL to\n"
    "    ' the user config when it is not next to the interpreter (pip install --user)\n"
    f'    DllFolder = GetConfig("{DLL_FOLDER_KEY}", "")\n'
    '    If DllFolder <> "" Then\n'
    '        If LoadLibrary(DllFolder + "\\" + XLPyDLLName) <> 0 Then Exit Sub\n'
    "    End If\n")


def VBA_MODULES() -> dict[str, str]:  # noqa: N802 - reads like the constant it stands for
    """The standard modules the add-in adds, by name: their source text."""
    return {"xlwings_udfs": vba.udfs_bas(), vba.ERRORS_MODULE: vba.errors_bas(),
            vba.HELP_MODULE: vba.help_bas()}


def quickstart_xlam() -> bytes:
    """Run xlwings' own ``xlwings quickstart ComputeCredit --addin`` in a temp dir."""
    code = "from xlwings.cli import main; main()"
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-c", code, "quickstart", "ComputeCredit", "--addin"],
                       cwd=tmp, check=True, capture_output=True, text=True)
        return (pathlib.Path(tmp) / "ComputeCredit" / "ComputeCredit.xlam").read_bytes()


def this_workbook_source(original: str) -> str:
    """The ``ThisWorkbook`` document module: its attribute lines, then a ``Workbook_Open`` that
    registers the Function Wizard help (errors ignored: help is a convenience) and leaves the
    add-in unmodified, so Excel never asks to save it."""
    attrs = [ln for ln in original.splitlines() if ln.startswith("Attribute ")]
    body = ["Option Explicit",
            "",
            "Private Sub Workbook_Open()",
            "    ' Function Wizard help (descriptions, categories, argument help) for the",
            "    ' ComputeCredit functions. Failure only means no help text.",
            "    On Error Resume Next",
            f"    {vba.HELP_MACRO}",
            "    ThisWorkbook.Saved = True",
            "End Sub",
            ""]
    return "\r\n".join(attrs + body)


def build_vba_project(template: bytes, modules: dict[str, str] | None = None) -> bytes:
    """The add-in's ``vbaProject.bin`` from the quickstart's (see the module docstring)."""
    project = ovba.VbaProject.load(template)
    project.rename(PROJECT_NAME)
    runtime = project.source("xlwings")
    new_runtime, n = QUICKSTART_PROJECT_CONST.subn(rf'\1"{PROJECT_NAME}"', runtime)
    if n != 1:
        raise RuntimeError("unexpected quickstart add-in layout (PROJECT_NAME constant)")
    eol = "\r\n" if "\r\n" in new_runtime else "\n"  # keep the module's own line ends
    start = DLL_LOADER_START.replace("\n", eol)
    if new_runtime.count(start) != 1:
        raise RuntimeError("unexpected quickstart add-in layout (XLPyLoadDLL)")
    new_runtime = new_runtime.replace(start, start + DLL_FOLDER_PATCH.replace("\n", eol))
    project.set_source("xlwings", new_runtime)
    project.set_source("ThisWorkbook", this_workbook_source(project.source("ThisWorkbook")))
    for name in DROPPED_MODULES:
        project.remove_module(name)
    for name, text in (VBA_MODULES() if modules is None else modules).items():
        try:
            text.encode(project.codepage)
        except UnicodeEncodeError as exc:
            raise ValueError(f"VBA module {name}: character {exc.object[exc.start]!r} is not in "
                             f"the project's code page {project.codepage}") from None
        project.add_module(name, text)
    return project.dump()


# ----------------------------------------------------------------------------- package
def _xml_text(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _conf_sheet_parts(sheet_xml: str) -> tuple[str, str]:
    strings: list[str] = []
    rows = []
    for i, (key, value) in enumerate(CONF_ROWS, start=1):
        strings.append(key)
        cells = f'<c r="A{i}" s="1" t="s"><v>{len(strings) - 1}</v></c>'
        if isinstance(value, bool):
            cells += f'<c r="B{i}" s="1" t="b"><v>{int(value)}</v></c>'
        else:
            strings.append(str(value))
            cells += f'<c r="B{i}" s="1" t="s"><v>{len(strings) - 1}</v></c>'
        rows.append(f'<row r="{i}" spans="1:2" ht="15.75">{cells}</row>')
    sheet_xml, n1 = re.subn(r"<sheetData>.*</sheetData>",
                            "<sheetData>" + "".join(rows) + "</sheetData>", sheet_xml,
                            flags=re.S)
    sheet_xml, n2 = re.subn(r'<dimension ref="[^"]*"\s*/>',
                            f'<dimension ref="A1:B{len(CONF_ROWS)}" />', sheet_xml)
    if (n1, n2) != (1, 1):
        raise RuntimeError("unexpected quickstart add-in layout (config sheet)")
    sst = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
           '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
           f'count="{len(strings)}" uniqueCount="{len(strings)}">'
           + "".join(f"<si><t>{_xml_text(s)}</t></si>" for s in strings) + "</sst>")
    return sheet_xml, sst


def _workbook_xml(text: str) -> str:
    new, n = re.subn(r'name="_?\w+\.conf"', f'name="{CONF_SHEET}"', text)
    if n != 1:
        raise RuntimeError("unexpected quickstart add-in layout (sheet name)")
    # the quickstart file remembers the folder it was last saved in on its author's PC
    return re.sub(r"<mc:AlternateContent\b(?:(?!</mc:AlternateContent>).)*x15ac:absPath.*?"
                  r"</mc:AlternateContent>", "", new, flags=re.S)


def _core_xml(text: str) -> str:
    import pymodel
    desc = (f"ComputeCredit {pymodel.__version__}: credit analytics for debt secured on AI "
            f"compute (Python functions via xlwings, module {vba.UDF_MODULE}).")
    text = text.replace("<dc:title />", "<dc:title>ComputeCredit</dc:title>")
    text = text.replace("<dc:description />",
                        f"<dc:description>{_xml_text(desc)}</dc:description>")
    text = re.sub(r"<cp:version>.*?</cp:version>", "", text)
    return text.replace("</cp:coreProperties>",
                        f"<cp:version>{_xml_text(pymodel.__version__)}</cp:version>"
                        "</cp:coreProperties>")


def build_xlam(template: bytes | None = None) -> bytes:
    """The ComputeCredit add-in from xlwings' quickstart add-in (module docstring). Parts not
    named there are copied unchanged (same order, timestamps and compression)."""
    src = zipfile.ZipFile(io.BytesIO(template if template is not None else quickstart_xlam()))
    sheet, sst = _conf_sheet_parts(src.read("xl/worksheets/sheet1.xml").decode("utf-8"))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for old in src.infolist():
            info = copy.copy(old)  # writestr updates offsets in place
            data = src.read(old)
            if info.filename == "xl/workbook.xml":
                data = _workbook_xml(data.decode("utf-8")).encode("utf-8")
            elif info.filename == "xl/worksheets/sheet1.xml":
                data = sheet.encode("utf-8")
            elif info.filename == "xl/sharedStrings.xml":
                data = sst.encode("utf-8")
            elif info.filename == "docProps/core.xml":
                data = _core_xml(data.decode("utf-8")).encode("utf-8")
            elif info.filename == "xl/vbaProject.bin":
                data = build_vba_project(data)
            dst.writestr(info, data)
    return out.getvalue()


# ----------------------------------------------------------------------------- reading
def zip_members(data: bytes) -> list[tuple[str, bytes]]:
    """(name, uncompressed bytes) of every part of a zip package, in order."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return [(i.filename, z.read(i)) for i in z.infolist()]


def xlam_version(data: bytes) -> str | None:
    """The package version recorded in an add-in built here (``cp:version``), or None."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            core = z.read("docProps/core.xml").decode("utf-8", "replace")
    except (zipfile.BadZipFile, KeyError, OSError):
        return None
    m = re.search(r"<cp:version>([^<]*)</cp:version>", core)
    return m.group(1).strip() if m else None
