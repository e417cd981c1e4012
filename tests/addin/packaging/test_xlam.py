"""The shipped add-in carries its functions: ``xl/vbaProject.bin`` of ``ComputeCredit.xlam`` is
rebuilt from the registry and read back by olefile (strict), oletools' olevba and, where
installed, LibreOffice."""

import io
import pathlib
import re
import shutil
import struct
import subprocess
import sys
import textwrap
import zipfile

import olefile
import pytest

import addin.udfs  # noqa: F401  (registers every function)
import pymodel
from addin.packaging import cfb, ovba, vba, xlam
from addin.registry import REGISTRY

ROOT = pathlib.Path(__file__).resolve().parents[3]
XLAM = ROOT / "addin/packaging/ComputeCredit.xlam"
MODULES = ["ThisWorkbook", "Dictionary", "xlwings", "Sheet2", "xlwings_udfs",
           "ComputeCreditErrors", "ComputeCreditHelp"]


def _part(data: bytes, name: str) -> bytes:
    return zipfile.ZipFile(io.BytesIO(data)).read(name)


def _template() -> bytes:
    import xlwings
    return (pathlib.Path(xlwings.__file__).parent / "quickstart_addin.xlam").read_bytes()


@pytest.fixture(scope="module")
def shipped():
    return _part(XLAM.read_bytes(), "xl/vbaProject.bin")


@pytest.fixture(scope="module")
def original():
    return _part(_template(), "xl/vbaProject.bin")


@pytest.fixture(scope="module")
def project(shipped):
    return ovba.VbaProject.load(shipped)


def test_parses_strictly_with_olefile(shipped):
    ole = olefile.OleFileIO(shipped, raise_defects=olefile.DEFECT_UNSURE)
    assert ole.parsing_issues == []
    names = {"/".join(p) for p in ole.listdir()}
    assert names == {"PROJECT", "PROJECTwm", "VBA/dir", "VBA/_VBA_PROJECT"} | {
        f"VBA/{m}" for m in MODULES}


def test_olevba_reads_every_module_and_the_generated_sources(shipped):
    from oletools.olevba import VBA_Parser
    parser = VBA_Parser("vbaProject.bin", data=shipped, relaxed=False)
    assert parser.detect_vba_macros()
    code = {name.rsplit(".", 1)[0]: text for _, _, name, text in parser.extract_macros()}
    assert sorted(code) == sorted(MODULES)
    for name, text in xlam.VBA_MODULES().items():
        assert code[name] == text, name
    committed = {"xlwings_udfs": "ComputeCredit.bas", "ComputeCreditErrors":
                 "ComputeCreditErrors.bas", "ComputeCreditHelp": "ComputeCreditHelp.bas"}
    for name, file in committed.items():
        assert code[name] == (ROOT / "addin/packaging" / file).read_bytes().decode(), name
    assert sorted(vba.function_names(code["xlwings_udfs"])) == sorted(
        n for n in REGISTRY if not n.startswith("TEST_"))


def test_olevba_project_model_agrees(shipped):
    """oletools' own reading of the dir stream (not relaxed: any unexpected record value
    raises): names, stream names, no cached code."""
    from oletools.olevba import VBA_Project
    ole = olefile.OleFileIO(shipped)
    proj = VBA_Project(ole, "", "PROJECT", "VBA/dir", relaxed=False)
    proj.parse_project_stream()
    sources = {path.split("/")[-1]: code for path, _, code in proj.parse_modules()}
    assert sorted(sources) == sorted(MODULES)
    assert [m.name for m in proj.modules] == MODULES
    edited = {"ThisWorkbook", "xlwings", "xlwings_udfs", "ComputeCreditErrors",
              "ComputeCreditHelp"}
    for m in proj.modules:
        assert m.streamname == m.name
        if m.name in edited:
            assert m.textoffset == 0, m.name
    assert proj.projectname == "ComputeCredit"


def test_unchanged_streams_are_byte_identical(shipped, original):
    ours, theirs = cfb.read(shipped).streams(), cfb.read(original).streams()
    for name in ("VBA/Dictionary", "VBA/Sheet2", "VBA/_VBA_PROJECT"):
        assert ours[name] == theirs[name], name
    changed = {k for k in ours if k in theirs and ours[k] != theirs[k]}
    assert changed == {"VBA/dir", "VBA/xlwings", "VBA/ThisWorkbook", "PROJECT", "PROJECTwm"}
    assert set(theirs) - set(ours) == {"VBA/Module1"}


def test_no_compiled_code_is_kept(project, shipped):
    vp = cfb.read(shipped).get("VBA/_VBA_PROJECT").data
    assert len(vp) == 7 and vp[:2] == b"\xcc\x61" and struct.unpack_from("<H", vp, 2)[0] == 0xFFFF
    for name in ("ThisWorkbook", "xlwings", "xlwings_udfs", "ComputeCreditErrors",
                 "ComputeCreditHelp"):
        m = project.module(name)
        assert m.text_offset == 0 and m.stream[0] == 1, name  # the stream is the source only
        assert ovba.decompress(m.stream).decode("cp1252") == project.source(name)


def test_project_is_renamed_and_xlwings_reads_its_config_by_that_name(project, original):
    assert project.name == vba.PROJECT_NAME == "ComputeCredit"
    project_text = cfb.read(XLAM.read_bytes() and _part(XLAM.read_bytes(), "xl/vbaProject.bin")
                            ).get("PROJECT").data.decode("cp1252")
    assert 'Name="ComputeCredit"' in project_text and "MyAddin" not in project_text
    ours = project.source("xlwings")
    theirs = ovba.VbaProject.load(original).source("xlwings")
    const = re.findall(r'^Public Const PROJECT_NAME As String = "(\w+)"', ours, flags=re.M)
    assert const == ["ComputeCredit"]
    # nothing else changed but the DLL folder lines at the start of XLPyLoadDLL
    patch = xlam.DLL_FOLDER_PATCH.replace("\n", "\r\n" if "\r\n" in theirs else "\n")
    assert ours.count(patch) == 1
    assert ours.replace(patch, "").replace('"ComputeCredit"', '"myaddin"') == theirs
    loader = ours[ours.index("Private Sub XLPyLoadDLL()"):]
    assert loader.index(patch) < loader.index("End Sub")
    assert 'GetConfig("XLWINGS DLL FOLDER", "")' in patch
    # xlwings' GetConfig reads the sheet PROJECT_NAME & ".conf" and the user file
    # %USERPROFILE%\.PROJECT_NAME\PROJECT_NAME.conf
    assert 'wb.Sheets(PROJECT_NAME & ".conf")' in ours
    assert r'Environ("USERPROFILE") & "\." & PROJECT_NAME & "\" & PROJECT_NAME & ".conf"' in ours
    assert xlam.CONF_SHEET == f"{const[0]}.conf"


def test_project_stream_and_name_map_list_exactly_the_modules(project, shipped):
    text = cfb.read(shipped).get("PROJECT").data.decode("cp1252")
    declared = re.findall(r"^(?:Module|Class|Document)=(\w+)", text, flags=re.M)
    assert sorted(declared) == sorted(MODULES)
    workspace = text.split("[Workspace]", 1)[1]
    assert sorted(re.findall(r"^(\w+)=", workspace, flags=re.M)) == sorted(MODULES)
    wm = cfb.read(shipped).get("PROJECTwm").data
    names = [p.decode("cp1252") for p in wm.split(b"\x00") if p and not p.startswith(b"\x00")]
    assert [n for n in names if n in MODULES] == MODULES


def test_workbook_open_registers_the_help(project):
    src = project.source("ThisWorkbook")
    assert src.startswith('Attribute VB_Name = "ThisWorkbook"\r\n')
    assert re.search(rf"Private Sub Workbook_Open\(\)\r\n(.*\r\n)*?\s+{vba.HELP_MACRO}\r\n", src)
    assert "ThisWorkbook.Saved = True" in src
    assert f"Public Sub {vba.HELP_MACRO}()" in project.source("ComputeCreditHelp")


def _procedures(text: str) -> list[str]:
    return re.findall(r"^\s*(?:Public |Private |Friend )?(?:Declare (?:PtrSafe )?)?"
                      r"(?:Function|Sub) (\w+)", text, flags=re.M)


def test_public_names_are_unique_across_standard_modules(project):
    """VBA reports "Ambiguous name detected" for a public procedure defined in two modules."""
    seen: dict[str, str] = {}
    for m in project.modules:
        if not m.procedural:
            continue
        text = project.source(m.name)
        private = set(re.findall(r"^\s*Private (?:Declare (?:PtrSafe )?)?(?:Function|Sub) (\w+)",
                                 text, flags=re.M))
        for p in set(_procedures(text)) - private:  # a module may declare one twice under #If
            assert p.lower() not in seen, f"{p} in {m.name} and {seen[p.lower()]}"
            seen[p.lower()] = m.name
    assert seen["cc_why"] == "ComputeCreditHelp"
    assert seen["ccerr_result"] == "ComputeCreditErrors"


def test_core_properties_carry_the_version():
    data = XLAM.read_bytes()
    assert xlam.xlam_version(data) == pymodel.__version__
    assert xlam.xlam_version(b"not a zip") is None
    core = _part(data, "docProps/core.xml").decode()
    assert "<dc:title>ComputeCredit</dc:title>" in core
    assert "absPath" not in _part(data, "xl/workbook.xml").decode()


def test_build_refuses_characters_outside_the_code_page(original):
    with pytest.raises(ValueError, match="code page"):
        xlam.build_vba_project(original, {"Extra": 'Attribute VB_Name = "Extra"\r\n\' \u03c1\r\n'})


def test_build_is_deterministic(original):
    assert xlam.build_vba_project(original) == xlam.build_vba_project(original)


def test_load_refuses_what_is_not_a_vba_project():
    with pytest.raises(cfb.CfbError):
        ovba.VbaProject.load(b"garbage" * 100)
    plain = cfb.write(cfb.Storage("Root Entry", [cfb.Stream("Workbook", b"x" * 100)]))
    with pytest.raises(ovba.OvbaError, match="not a VBA project"):
        ovba.VbaProject.load(plain)


def test_editing_api(original):
    p = ovba.VbaProject.load(original)
    with pytest.raises(ovba.OvbaError):
        p.add_module("Module1", "x")  # exists
    with pytest.raises(ovba.OvbaError):
        p.add_module("1bad", "x")
    with pytest.raises(ovba.OvbaError):
        p.rename("My Addin")
    with pytest.raises(KeyError):
        p.remove_module("Nope")
    p.add_module("Extra", 'Attribute VB_Name = "Extra"\r\nSub X()\r\nEnd Sub\r\n')
    again = ovba.VbaProject.load(p.dump())
    assert again.source("Extra").endswith("Sub X()\r\nEnd Sub\r\n")
    assert again.source("Module1") == p.source("Module1")


# ------------------------------------------------------------------------------ LibreOffice
LO_SCRIPT = textwrap.dedent('''
    import json, os, subprocess, sys, tempfile, time
    import uno
    from com.sun.star.beans import PropertyValue

    path, profile = sys.argv[1], sys.argv[2]
    port = 20000 + os.getpid() % 20000
    office = subprocess.Popen(
        ["soffice", "--headless", "--invisible", "--norestore", "--nologo",
         "-env:UserInstallation=file://" + profile,
         "--accept=socket,host=127.0.0.1,port=%d;urp;" % port],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        local = uno.getComponentContext()
        resolver = local.ServiceManager.createInstanceWithContext(
            "com.sun.star.bridge.UnoUrlResolver", local)
        for _ in range(240):
            try:
                ctx = resolver.resolve("uno:socket,host=127.0.0.1,port=%d;urp;"
                                       "StarOffice.ComponentContext" % port)
                break
            except Exception:
                time.sleep(0.5)
        else:
            raise SystemExit("LibreOffice did not start")
        desktop = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
        def prop(n, v):
            p = PropertyValue(); p.Name = n; p.Value = v; return p
        # an .xlam is an .xlsm with another content type: name the macro-workbook filter
        doc = desktop.loadComponentFromURL(
            uno.systemPathToFileUrl(path), "_blank", 0,
            (prop("Hidden", True), prop("MacroExecutionMode", 0),
             prop("FilterName", "Calc MS Excel 2007 VBA XML")))
        out = {}
        for lib in doc.BasicLibraries.ElementNames:
            container = doc.BasicLibraries.getByName(lib)
            out[lib] = {m: container.getByName(m) for m in container.ElementNames}
        doc.close(True)
        print(json.dumps(out))
    finally:
        try:
            desktop.terminate()
        except Exception:
            pass
        try:
            office.wait(timeout=60)
        except Exception:
            office.kill()
''')


def _uno_python():
    for exe in ("/usr/bin/python3", shutil.which("python3")):
        if exe and subprocess.run([exe, "-c", "import uno"], capture_output=True).returncode == 0:
            return exe
    return None


@pytest.mark.slow
def test_libreoffice_loads_the_add_in_with_every_wrapper(tmp_path):
    if shutil.which("soffice") is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    python = _uno_python()
    if python is None:
        pytest.skip("no Python with LibreOffice's uno module")
    book = tmp_path / "ComputeCredit.xlam"
    shutil.copyfile(XLAM, book)
    script = tmp_path / "read_basic.py"
    script.write_text(LO_SCRIPT)
    run = subprocess.run([python, str(script), str(book), str(tmp_path / "profile")],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    libs = __import__("json").loads(run.stdout.strip().splitlines()[-1])
    assert set(libs) >= {"ComputeCredit"}
    modules = libs["ComputeCredit"]
    assert set(modules) == set(MODULES)
    wrappers = set(_procedures(modules["xlwings_udfs"]))
    assert wrappers == {n for n in REGISTRY if not n.startswith("TEST_")}
    assert "CC_WHY" in _procedures(modules["ComputeCreditHelp"])
    assert 'PROJECT_NAME As String = "ComputeCredit"' in modules["xlwings"]
    assert sys.platform  # the test ran to the end
