"""Excel metadata lint, generated VBA sanity and the committed artefacts.

Everything is derived from the one metadata source, :data:`addin.registry.REGISTRY`, through the
real classic xlwings decorators (imported with pywin32 stubbed), so the checks cover functions
added later without change.
"""

import io
import pathlib
import re
import xml.etree.ElementTree as ET
import zipfile

import pytest

import addin.udfs  # noqa: F401  (registers every function)
from addin.packaging import generate, vba
from addin.registry import CATEGORIES, REGISTRY, is_cell_reference, udf

ROOT = pathlib.Path(__file__).resolve().parents[3]
NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}

# VBA keywords and the names the generated wrapper body uses: an argument with one of these
# names would not compile (or would shadow Array()/Application in the wrapper).
VBA_RESERVED = {
    "and", "as", "boolean", "byref", "byte", "byval", "call", "case", "const", "currency",
    "date", "debug", "declare", "dim", "do", "double", "each", "else", "elseif", "empty", "end",
    "enum", "eqv", "erase", "error", "event", "exit", "false", "for", "friend", "function",
    "get", "global", "gosub", "goto", "if", "imp", "implements", "in", "integer", "is", "let",
    "like", "long", "loop", "lset", "me", "mod", "new", "next", "not", "nothing", "null", "on",
    "option", "optional", "or", "paramarray", "preserve", "private", "property", "public",
    "raiseevent", "redim", "rem", "resume", "rset", "select", "set", "shared", "single",
    "static", "step", "stop", "string", "sub", "then", "to", "true", "type", "typeof", "until",
    "variant", "wend", "while", "with", "xor", "attribute", "object", "decimal", "longlong",
    "longptr", "ptrsafe",
    # used in the wrapper body
    "application", "xlpy", "array", "activeworkbook", "thisworkbook", "err", "range", "failed",
}

SPECS = [REGISTRY[k] for k in sorted(REGISTRY)]
IDS = [s.name for s in SPECS]


@pytest.fixture(scope="module")
def classic():
    return vba.classic_udf_module()


@pytest.fixture(scope="module")
def bas():
    return vba.udfs_bas()


def test_registry_is_not_empty_and_includes_info_functions():
    assert {"COMPUTECREDIT_VERSION", "COMPUTECREDIT_FUNCTIONS"} <= set(REGISTRY)


def test_names_unique_case_insensitive_and_not_excel_builtins():
    import formulas
    lower = [n.lower() for n in REGISTRY]
    assert len(lower) == len(set(lower))
    builtins = {n.upper() for n in formulas.get_functions()}
    assert sorted(n for n in REGISTRY if n.upper() in builtins) == []


def test_names_do_not_clash_with_the_add_ins_own_vba():
    """The add-in's VBA project holds xlwings' runtime (module ``xlwings``) and our error and help
    modules: a UDF named like one of their procedures (VBA ignores case) would be an "Ambiguous
    name detected" compile error."""
    import xlwings
    src = (pathlib.Path(xlwings.__file__).parent / "xlwings_custom_addin.bas").read_text(
        encoding="utf-8", errors="replace")
    src += vba.errors_bas() + vba.help_bas()
    procs = {m.lower() for m in re.findall(
        r"^\s*(?:Public |Private |Friend )?(?:Declare (?:PtrSafe )?)?(?:Function|Sub) (\w+)",
        src, flags=re.M)}
    assert {"runpython", "importpythonudfstoaddin", "getconfig", "cc_why",
            "ccerr_result"} <= procs
    procs |= {"xlwings", "dictionary", "thisworkbook", "sheet2", "xlwings_udfs",
              vba.HELP_MODULE.lower(), vba.ERRORS_MODULE.lower(), vba.PROJECT_NAME.lower()}
    assert sorted(n for n in REGISTRY if n.lower() in procs) == []


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_excel_limits(spec):
    assert re.fullmatch(r"[A-Z][A-Z0-9_]*", spec.name)
    assert not is_cell_reference(spec.name), f"{spec.name} reads as a cell address"
    assert len(spec.name) <= 255
    assert spec.category in CATEGORIES, f"{spec.name}: unknown category {spec.category!r}"
    assert 0 < len(spec.doc) <= 255
    assert not spec.volatile
    assert len(spec.args) <= 30
    # Excel's limit on the joined argument names of a registered function (gensrc: 255)
    assert len(",".join(a.name for a in spec.args)) <= 255


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_every_argument_described(spec):
    for a in spec.args:
        assert 0 < len(a.doc.strip()) <= 255, (spec.name, a.name)
        assert not a.doc.startswith("Positional argument"), (spec.name, a.name)


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_argument_names_are_valid_vba(spec):
    seen = set()
    for a in spec.args:
        assert re.fullmatch(r"[A-Za-z][A-Za-z0-9_]{0,254}", a.name), a.name
        assert a.name.lower() not in VBA_RESERVED, f"{spec.name}.{a.name} is a VBA keyword"
        assert a.name.lower() != spec.name.lower()
        assert a.name.lower() not in seen, f"{spec.name}: duplicate argument (VBA ignores case)"
        seen.add(a.name.lower())


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_classic_decorators_carry_the_same_metadata(spec, classic):
    """What the real xlwings classic decorators record is what the registry says."""
    meta = getattr(classic, spec.name).__xlfunc__
    assert meta["name"] == spec.name
    assert meta["category"] == spec.category
    assert meta["volatile"] is False and meta["call_in_wizard"] is True
    assert meta["async_mode"] is None and meta["sub"] is False
    assert meta["ret"]["doc"].strip() == spec.doc
    assert [a["name"] for a in meta["args"]] == [a.name for a in spec.args]
    for m, a in zip(meta["args"], spec.args):
        assert m["doc"] == a.doc
        assert ("optional" in m) is a.optional
        if a.optional:
            assert m["optional"] is None  # an omitted argument arrives as None: the default
        assert m["options"].get("ndim") == (2 if a.is_range else None)
        assert "convert" not in m["options"]  # no Literal/annotation converters


def test_classic_module_does_not_touch_the_functions_excel_calls(classic):
    for spec in SPECS:
        assert getattr(classic, spec.name) is not spec.func
        assert not hasattr(spec.func, "__xlfunc__") or spec.func.__xlfunc__ is not getattr(
            classic, spec.name).__xlfunc__


def _functions(bas_text):
    blocks = re.findall(r"^Function (\w+)\((.*?)\)\r?\n(.*?)^End Function", bas_text,
                        flags=re.M | re.S)
    return {name: (params, body) for name, params, body in blocks}


def test_vba_module_header_and_balance(bas):
    assert bas.startswith('Attribute VB_Name = "xlwings_udfs"\r\n')
    assert "\n" not in bas.replace("\r\n", "")  # CRLF only (the VBE's import format)
    lines = bas.split("\r\n")
    assert sum(ln.startswith("Function ") for ln in lines) == lines.count("End Function")
    assert bas.count("#If App") == bas.count("#End If") == bas.count("#Else")
    assert all(len(line) <= 1023 for line in bas.split("\r\n"))
    assert "Application.Volatile" not in bas
    assert "ThisWorkbook" not in bas  # add-in flavour: ActiveWorkbook


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_vba_wrapper_of_each_function(spec, bas):
    funcs = _functions(bas)
    assert spec.name in funcs, f"{spec.name} missing from the VBA module"
    params, body = funcs[spec.name]
    expected = ", ".join(("Optional " if a.optional else "") + a.name for a in spec.args)
    assert params == expected
    args = ", ".join(a.name for a in spec.args)
    call = f'XLPy.CallUDF("{vba.UDF_MODULE}", "{spec.name}", Array({args}), ActiveWorkbook, ' \
           f"Application.Caller)"
    # every result goes through the error-value conversion (module ComputeCreditErrors)
    assert f"{spec.name} = CCErr_Result({call}, Application.Caller)" in body
    assert f"{spec.name} = CCErr_Failed(Err.Description, Application.Caller)" in body


def test_vba_module_has_exactly_the_registered_functions(bas):
    assert sorted(vba.function_names(bas)) == sorted(REGISTRY)


def test_help_module_registers_every_function():
    text = vba.help_bas()
    assert text.startswith('Attribute VB_Name = "ComputeCreditHelp"')
    for spec in SPECS:
        line = next(ln for ln in text.split("\r\n")
                    if f"\"'\" & ThisWorkbook.Name & \"'!{spec.name}\"" in ln)
        assert f"Category:={vba.vba_string(spec.category)}" in line
        assert f"Description:={vba.vba_string(spec.doc)}" in line
        assert ("ArgumentDescriptions:=a" in line) is bool(spec.args)
    assert all(len(line) <= 1023 for line in text.split("\r\n"))


def test_vba_string_escapes_quotes():
    assert vba.vba_string('say "hi"\n now') == '"say ""hi"" now"'


def test_optional_and_range_arguments_in_generated_vba():
    """A declared function with required, optional and range arguments (then removed)."""
    from pymodel.schema import Param
    params = {"x": Param("x", "decimal", "A number"),
              "v": Param("v", "years", "A column of numbers", kind="list", default=(),
                         source="D"),
              "deal": Param("deal", "", "Field/value rows", kind="block", default=None,
                            empty="none"),
              "n": Param("n", "periods", "A count", kind="int", default=2, source="D")}

    @udf(category=CATEGORIES[0], params=params)
    def TEST_META_FN(x, v, deal=None, n=None):
        """Test function (units: none)."""
        return x
    try:
        reg = {"TEST_META_FN": REGISTRY["TEST_META_FN"]}
        text = vba.udfs_bas(reg)
        params, body = _functions(text)["TEST_META_FN"]
        assert params == "x, v, Optional deal, Optional n"
        assert 'Array(x, v, deal, n), ActiveWorkbook' in body
        meta = vba.classic_udf_module(reg).TEST_META_FN.__xlfunc__
        assert [a["options"].get("ndim") for a in meta["args"]] == [None, 2, 2, None]
        assert "ThisWorkbook" in vba.udfs_bas(reg, book_name="Deal.xlsm")
    finally:
        REGISTRY.pop("TEST_META_FN")


# ------------------------------------------------------------------ the add-in and artefacts
def _xlwings_template():
    import xlwings
    return (pathlib.Path(xlwings.__file__).parent / "quickstart_addin.xlam").read_bytes()


def test_xlam_changes_only_known_parts_of_xlwings_quickstart():
    ours = dict(generate.zip_members((ROOT / "addin/packaging/ComputeCredit.xlam").read_bytes()))
    theirs = dict(generate.zip_members(_xlwings_template()))
    assert set(ours) == set(theirs)
    changed = {k for k in ours if ours[k] != theirs[k]}
    assert changed == {"xl/workbook.xml", "xl/worksheets/sheet1.xml", "xl/sharedStrings.xml",
                       "docProps/core.xml", "xl/vbaProject.bin"}


def test_xlam_config_sheet_points_at_addin_udfs():
    z = zipfile.ZipFile(io.BytesIO((ROOT / "addin/packaging/ComputeCredit.xlam").read_bytes()))
    book = ET.fromstring(z.read("xl/workbook.xml"))
    assert [s.get("name") for s in book.iterfind("m:sheets/m:sheet", NS)] == [generate.CONF_SHEET]
    strings = [si.findtext("m:t", namespaces=NS)
               for si in ET.fromstring(z.read("xl/sharedStrings.xml"))]
    rows = {}
    for row in ET.fromstring(z.read("xl/worksheets/sheet1.xml")).iterfind(
            "m:sheetData/m:row", NS):
        cells = row.findall("m:c", NS)
        key = strings[int(cells[0].findtext("m:v", namespaces=NS))]
        v = cells[1]
        rows[key.upper()] = (strings[int(v.findtext("m:v", namespaces=NS))]
                             if v.get("t") == "s" else v.findtext("m:v", namespaces=NS) == "1")
    assert rows == {"UDF MODULES": "addin.udfs", "DEBUG UDFS": False,
                    "USE UDF SERVER": False, "SHOW CONSOLE": False}
    core = z.read("docProps/core.xml").decode()
    assert "<dc:title>ComputeCredit</dc:title>" in core


def test_config_sheet_name_matches_the_vba_project_name():
    """The add-in VBA looks for a sheet named PROJECT_NAME & ".conf"."""
    import xlwings
    from addin.packaging import ovba
    z = zipfile.ZipFile(io.BytesIO((ROOT / "addin/packaging/ComputeCredit.xlam").read_bytes()))
    src = ovba.VbaProject.load(z.read("xl/vbaProject.bin")).source("xlwings")
    project = re.search(r'PROJECT_NAME As String = "(\w+)"', src).group(1)
    assert generate.CONF_SHEET == f"{project}.conf" == "ComputeCredit.conf"
    assert f'xlwings64-{xlwings.__version__}.dll' in src  # the DLL the add-in will load


def test_udf_module_exists_and_exposes_every_function():
    import importlib
    mod = importlib.import_module(vba.UDF_MODULE)
    for name, spec in REGISTRY.items():
        if name.startswith("TEST_"):
            continue
        assert getattr(mod, name) is spec.func


def test_functions_reference_documents_every_argument():
    text = (ROOT / "docs/functions.md").read_text(encoding="utf-8")
    for spec in SPECS:
        assert f"### {spec.name}\n" in text
        assert f"`{generate.signature(spec)}`" in text
        for a in spec.args:
            assert generate._md(a.doc) in text


def test_committed_artefacts_are_up_to_date():
    stale = generate.stale()
    assert stale == [], (f"stale generated files {stale}: run `python -m addin.packaging.generate` and "
                         f"commit the result")


def test_pywin32_stand_ins_do_not_leak(classic):
    import sys
    if sys.platform.startswith("win"):
        pytest.skip("real pywin32 on Windows")
    assert classic is not None
    assert not {"pythoncom", "pywintypes", "win32com", "win32com.client"} & set(sys.modules)
