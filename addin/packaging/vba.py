"""Classic (Windows/COM) xlwings artefacts generated on any OS from :data:`addin.registry.REGISTRY`.

* :func:`classic_udf_module` builds a module of fresh wrapper copies decorated with the **real**
  classic decorators (``xlwings.udfs.xlfunc``/``xlarg``), through the same
  :func:`addin.registry.apply_xlwings` that decorates the functions Excel loads; so the metadata
  here is exactly what Windows Excel sees.
* :func:`udfs_bas` is the VBA module ``xlwings_udfs`` that xlwings' *Import Functions*
  (``ImportPythonUDFsToAddin``) writes into an ``.xlam``: produced by
  ``xlwings.udfs.generate_vba_wrapper`` itself, with the header ``import_udfs`` writes.
  Each wrapper hands the result to ``CCErr_Result`` (and an xlwings failure to ``CCErr_Failed``)
  so that a ``"#NUM! message"`` text becomes a real Excel error value whose message is kept.
* :func:`errors_bas` is the module doing that (``ComputeCreditErrors``): the Python functions
  return ``#VALUE!``/``#NUM!``/``#N/A`` texts (every other route, xlwings Lite and the tests, shows
  those); in Excel each error text, alone or as an element of a returned array, becomes
  ``CVErr(...)`` and its message is remembered under the workbook, sheet and address of the cell it
  lands in, for ``=CC_WHY(cell)``.
* :func:`help_bas` is the module ``ComputeCreditHelp``: ``CC_WHY`` and one macro registering the
  Function Wizard help (description, category, argument descriptions) with
  ``Application.MacroOptions``, exactly the calls ``import_udfs`` makes over COM; the add-in's
  ``Workbook_Open`` runs it.

``xlwings.udfs`` imports pywin32 at module top; :func:`import_classic_udfs` registers stand-in
modules for the three pywin32 modules it touches at import (nothing from them is called while
decorating or generating VBA).
"""

from __future__ import annotations

import functools
import io
import re
import sys
import types
from typing import Any, Iterable

from ..registry import REGISTRY, UdfSpec, apply_xlwings

__all__ = ["UDF_MODULE", "ADDIN_NAME", "PROJECT_NAME", "import_classic_udfs",
           "classic_udf_module", "udfs_bas", "errors_bas", "help_bas", "vba_string",
           "VBA_ONLY_FUNCTIONS", "ERROR_CODES", "CC_WHY_DOC", "CC_WHY_ARG_DOC", "NO_REASON"]

#: The module Excel loads (xlwings ``UDF MODULES``) and the add-in file name.
UDF_MODULE = "addin.udfs"
ADDIN_NAME = "ComputeCredit.xlam"
#: The add-in's VBA project name (xlwings' VBA reads ``PROJECT_NAME.conf``).
PROJECT_NAME = "ComputeCredit"
HELP_MODULE = "ComputeCreditHelp"
ERRORS_MODULE = "ComputeCreditErrors"
HELP_MACRO = "ComputeCredit_RegisterHelp"
MAX_VBA_LINE = 1023

#: Excel's error values and the numbers VBA's ``CVErr`` takes (``xlErrValue`` ...).
ERROR_CODES = {"#VALUE!": 2015, "#NUM!": 2036, "#N/A": 2042, "#DIV/0!": 2007, "#REF!": 2023,
               "#NAME?": 2029, "#NULL!": 2000}
CC_WHY_DOC = ("The reason for the error in a cell computed by a ComputeCredit function (text); "
              "empty text when the cell holds no error.")
CC_WHY_ARG_DOC = "The cell showing #VALUE!, #NUM! or #N/A: a reference such as A1."
#: What CC_WHY says for an error it has no message for.
NO_REASON = ("no reason recorded: the error does not come from a ComputeCredit function, or it "
             "was computed before this session (recalculate with Ctrl+Alt+F9 and ask again)")
#: Worksheet functions written in VBA (not in the registry): name, description, category,
#: argument (name, help).
VBA_ONLY_FUNCTIONS = (("CC_WHY", CC_WHY_DOC, "ComputeCredit Info", (("cell", CC_WHY_ARG_DOC),)),)


def import_classic_udfs() -> types.ModuleType:
    """Import ``xlwings.udfs`` on Linux/macOS by faking the pywin32 modules it imports.

    Stand-ins are only added when the real module is missing (on Windows nothing is faked).
    """
    names = ("pythoncom", "pywintypes", "win32com", "win32com.client")
    fake = {n: types.ModuleType(n) for n in names}
    fake["pythoncom"].CoInitialize = lambda: None
    fake["pywintypes"].com_error = type("com_error", (Exception,), {})
    fake["win32com.client"].Dispatch = lambda *a, **k: None
    fake["win32com"].client = fake["win32com.client"]
    if "xlwings.udfs" in sys.modules:
        return sys.modules["xlwings.udfs"]
    added = []
    for name in names:
        if name not in sys.modules:
            try:
                __import__(name)
            except ImportError:
                sys.modules[name] = fake[name]
                added.append(name)
    try:
        import xlwings.udfs
    finally:  # xlwings.udfs keeps its references; nobody else should see the stand-ins
        for name in added:
            sys.modules.pop(name, None)
    return xlwings.udfs


def _specs(registry: dict[str, UdfSpec] | None) -> list[UdfSpec]:
    reg = REGISTRY if registry is None else registry
    return [reg[k] for k in sorted(reg)]


def _fresh_copy(spec: UdfSpec) -> Any:
    """A new function object with the UDF's name, docstring and signature (via
    ``__wrapped__``), so decorating it never touches the function Excel calls."""
    target = spec.func

    def copy(*args: Any, **kwargs: Any) -> Any:
        return target(*args, **kwargs)

    functools.update_wrapper(copy, target, updated=())
    copy.__dict__.pop("__xlfunc__", None)
    return copy


def classic_udf_module(registry: dict[str, UdfSpec] | None = None) -> types.ModuleType:
    """A module holding every registered function decorated with the classic decorators."""
    udfs = import_classic_udfs()
    classic = types.SimpleNamespace(func=udfs.xlfunc, arg=udfs.xlarg)
    module = types.ModuleType(UDF_MODULE)
    for spec in _specs(registry):
        setattr(module, spec.name, apply_xlwings(spec, _fresh_copy(spec), classic))
    return module


class _Book:
    """What ``generate_vba_wrapper`` needs of a workbook: its name (``.xlam`` switches the
    wrappers to ``ActiveWorkbook``)."""

    def __init__(self, name: str):
        self.Name = name


def udfs_bas(registry: dict[str, UdfSpec] | None = None, book_name: str = ADDIN_NAME) -> str:
    """The VBA module ``xlwings_udfs`` that *Import Functions* writes into the add-in."""
    udfs = import_classic_udfs()
    buf = io.StringIO()
    # the three header lines xlwings.udfs.import_udfs writes before the wrappers
    buf.write('Attribute VB_Name = "xlwings_udfs"\n')
    buf.write("'Autogenerated code by xlwings - changes will be lost with next import!\n")
    buf.write("#Const App = \"Microsoft Excel\" 'Adjust when using outside of Excel\n")
    udfs.generate_vba_wrapper(UDF_MODULE, classic_udf_module(registry), buf, _Book(book_name))
    return _crlf(_real_errors(buf.getvalue()))


def _real_errors(text: str) -> str:
    """Route every Excel-side result through ``CCErr_Result`` and the error label through
    ``CCErr_Failed`` (module :func:`errors_bas`)."""
    call = re.compile(r"^(\s*)(\w+) = (XLPy\.CallUDF\(.*, Application\.Caller\))$", re.M)
    text, n_call = call.subn(r"\1\2 = CCErr_Result(\3, Application.Caller)", text)
    failed = re.compile(r"^(\s*)(\w+) = Err\.Description$", re.M)
    text, n_failed = failed.subn(r"\1\2 = CCErr_Failed(Err.Description, Application.Caller)", text)
    if n_call != n_failed or n_call != text.count("\nEnd Function"):
        raise RuntimeError("unexpected wrapper layout from xlwings.udfs.generate_vba_wrapper")
    return text


def errors_bas() -> str:
    """The VBA module turning error texts into Excel error values and keeping their messages."""
    tags = ", ".join(f'"{t}"' for t in ERROR_CODES)
    codes = ", ".join(str(c) for c in ERROR_CODES.values())
    lines = f"""Attribute VB_Name = "{ERRORS_MODULE}"
'Generated by `python -m addin.packaging.generate` - do not edit.
'The Python functions return error texts such as "#NUM! deflation must be in (-1, 1); got 1.2".
'Here each one becomes a real Excel error value (so ISERROR, IFERROR and IFNA work) and its
'message is kept for =CC_WHY(cell), by workbook, sheet and address of the cell it lands in.
Option Explicit
Option Private Module

Private reasons As Dictionary   ' "[book]sheet!A1|row,col" -> message ("|*": every cell)
Private anchors As Dictionary   ' "[book]sheet!A1" -> its keys in reasons, separated by vbLf

Private Sub Ready()
    If reasons Is Nothing Then
        Set reasons = New Dictionary
        Set anchors = New Dictionary
    End If
End Sub

Public Function CCErr_Code(ByVal text As String) As Long
    ' The CVErr number for a text that is an error tag or starts with one and a space, else 0.
    Dim tags As Variant, codes As Variant, i As Long
    If Left$(text, 1) <> "#" Then Exit Function
    tags = Array({tags})
    codes = Array({codes})
    For i = 0 To UBound(tags)
        If text = tags(i) Or Left$(text, Len(tags(i)) + 1) = tags(i) & " " Then
            CCErr_Code = codes(i)
            Exit Function
        End If
    Next i
End Function

Public Function CCErr_CellKey(ByVal cell As Range) As String
    CCErr_CellKey = "[" & cell.Worksheet.Parent.Name & "]" & cell.Worksheet.Name & "!" _
        & cell.Address(False, False)
End Function

Private Sub Forget(ByVal anchor As String)
    Dim k As Variant
    If anchor = "" Then Exit Sub
    If anchors.Exists(anchor) Then
        For Each k In Split(anchors.Item(anchor), vbLf)
            If reasons.Exists(k) Then reasons.Remove k
        Next k
        anchors.Remove anchor
    End If
End Sub

Private Sub Remember(ByVal anchor As String, ByVal where As String, ByVal message As String)
    Dim k As String
    If anchor = "" Then Exit Sub
    k = anchor & "|" & where
    If reasons.Exists(k) Then reasons.Remove k
    reasons.Add k, message
    If anchors.Exists(anchor) Then
        k = anchors.Item(anchor) & vbLf & k
        anchors.Remove anchor
    End If
    anchors.Add anchor, k
End Sub

Private Function Convert(ByVal v As Variant, ByVal anchor As String, ByVal where As String) As Variant
    Dim code As Long
    If VarType(v) = vbString Then code = CCErr_Code(v)
    If code = 0 Then
        Convert = v
    Else
        Remember anchor, where, v
        Convert = CVErr(code)
    End If
End Function

Private Function Dims(ByVal a As Variant) As Long
    Dim k As Long, n As Long
    On Error GoTo done
    For k = 1 To 3
        n = UBound(a, k)
        Dims = k
    Next k
done:
End Function

Private Function CallerKey(ByVal caller As Variant) As String
    If TypeOf caller Is Range Then CallerKey = CCErr_CellKey(caller.Cells(1, 1))
End Function

Public Function CCErr_Result(ByVal result As Variant, ByVal caller As Variant) As Variant
    ' The result of a wrapper with every error text (alone or in an array) an error value.
    Dim key As String, i As Long, j As Long
    Ready
    key = CallerKey(caller)
    Forget key
    Select Case Dims(result)
    Case 0
        CCErr_Result = Convert(result, key, "*")
        Exit Function
    Case 1
        For j = LBound(result) To UBound(result)
            result(j) = Convert(result(j), key, "0," & (j - LBound(result)))
        Next j
    Case 2
        For i = LBound(result, 1) To UBound(result, 1)
            For j = LBound(result, 2) To UBound(result, 2)
                result(i, j) = Convert(result(i, j), key, _
                    (i - LBound(result, 1)) & "," & (j - LBound(result, 2)))
            Next j
        Next i
    End Select
    CCErr_Result = result
End Function

Public Function CCErr_Failed(ByVal message As String, ByVal caller As Variant) As Variant
    ' A call that failed before Python answered (Python or the xlwings DLL not found...).
    Dim key As String
    Ready
    key = CallerKey(caller)
    Forget key
    If CCErr_Code(message) = 0 Then message = "#VALUE! " & message
    CCErr_Failed = Convert(message, key, "*")
End Function

Private Function ErrorTag(ByVal v As Variant) As String
    Dim tags As Variant, codes As Variant, i As Long
    tags = Array({tags})
    codes = Array({codes})
    For i = 0 To UBound(codes)
        If v = CVErr(codes(i)) Then ErrorTag = tags(i)
    Next i
    If ErrorTag = "" Then ErrorTag = "#ERROR"
End Function

Private Function Origin(ByVal cell As Range) As Range
    ' The top-left cell of the array formula or spill range the cell belongs to.
    Dim spill As Range
    Set Origin = cell
    On Error Resume Next  ' HasSpill and SpillParent exist from Excel 2019 / Microsoft 365 on
    If cell.HasArray Then Set Origin = cell.CurrentArray.Cells(1, 1)
    If cell.HasSpill Then Set spill = cell.SpillParent
    On Error GoTo 0
    If Not spill Is Nothing Then Set Origin = spill
End Function

Public Function CCErr_Reason(ByVal cell As Range) As String
    Dim v As Variant, top As Range, key As String, where As String
    Ready
    Set cell = cell.Cells(1, 1)
    v = cell.Value
    If Not IsError(v) Then Exit Function
    Set top = Origin(cell)
    key = CCErr_CellKey(top) & "|"
    where = (cell.Row - top.Row) & "," & (cell.Column - top.Column)
    If reasons.Exists(key & where) Then
        CCErr_Reason = reasons.Item(key & where)
    ElseIf reasons.Exists(key & "*") Then
        CCErr_Reason = reasons.Item(key & "*")
    Else
        CCErr_Reason = ErrorTag(v) & " {NO_REASON}"
    End If
End Function
"""
    return _crlf(lines)


def vba_string(text: str) -> str:
    """A VBA string literal (quotes doubled; line breaks become spaces)."""
    return '"' + " ".join(str(text).split()).replace('"', '""') + '"'


def help_bas(registry: dict[str, UdfSpec] | None = None) -> str:
    """The VBA module ``ComputeCreditHelp``: ``CC_WHY`` and one macro registering the Function
    Wizard help of every function.

    The calls mirror ``xlwings.udfs.import_udfs`` (Excel 2010+ branch): the macro named
    ``'<add-in file name>'!NAME`` (``ThisWorkbook.Name``, so a renamed file still works),
    description and argument descriptions cut to 255 characters, the category string.
    """
    lines = [f'Attribute VB_Name = "{HELP_MODULE}"',
             "'Generated by `python -m addin.packaging.generate` from addin.registry - do not edit.",
             "'The add-in's Workbook_Open runs " + HELP_MACRO + " (Function Wizard help).",
             "Option Explicit",
             "",
             "Public Function CC_WHY(Optional cell As Variant) As Variant",
             "    ' " + CC_WHY_DOC,
             "    If IsMissing(cell) Then",
             "        CC_WHY = \"#VALUE! CC_WHY needs a cell: =CC_WHY(A1)\"",
             "    ElseIf TypeOf cell Is Range Then",
             "        CC_WHY = CCErr_Reason(cell)",
             "    ElseIf IsError(cell) Then",
             "        CC_WHY = \"#VALUE! CC_WHY needs a reference to the cell (=CC_WHY(A1)), \" _",
             "            & \"not its value\"",
             "    Else",
             "        CC_WHY = \"\"",
             "    End If",
             "End Function",
             "",
             f"Public Sub {HELP_MACRO}()",
             "    Dim a() As Variant"]
    entries = [(s.name, s.doc, s.category, [a.doc for a in s.args]) for s in _specs(registry)]
    entries += [(n, d, c, [h for _, h in args]) for n, d, c, args in VBA_ONLY_FUNCTIONS]
    for name, doc, category, arg_docs in entries:
        lines.append(f"    ' {name}")
        docs = [d[:255] for d in arg_docs]
        if docs:
            lines.append(f"    ReDim a(0 To {len(docs) - 1})")
            lines += [f"    a({i}) = {vba_string(d)}" for i, d in enumerate(docs)]
        macro = "\"'\" & ThisWorkbook.Name & " + vba_string("'!" + name)
        call = (f"    Application.MacroOptions Macro:={macro}, "
                f"Description:={vba_string(doc[:255])}, "
                f"Category:={vba_string(category[:255])}")
        if docs:
            call += ", ArgumentDescriptions:=a"
        lines.append(call)
    lines += ["End Sub", ""]
    too_long = [ln for ln in lines if len(ln) > MAX_VBA_LINE]
    if too_long:  # pragma: no cover - 255-character help cannot produce one
        raise ValueError(f"VBA line longer than {MAX_VBA_LINE} characters: {too_long[0][:80]}")
    return _crlf("\n".join(lines))


def _crlf(text: str) -> str:
    """VBA modules are CRLF text files (the VBE imports LF files too, but exports CRLF)."""
    return text.replace("\r\n", "\n").replace("\n", "\r\n")


def function_names(bas: str) -> Iterable[str]:
    """Names of the public functions declared in a VBA module text."""
    for line in bas.splitlines():
        s = line.strip()
        if s.startswith("Function "):
            yield s[len("Function "):].split("(", 1)[0]
