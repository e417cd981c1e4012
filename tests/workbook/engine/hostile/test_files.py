"""Attacks through files: no file but the one given is opened, links resolve only from the
values the workbook caches, non-regular files, package checks by parsing, temporary copies."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import pytest

from tests.opens import Opens
from workbook.engine import recalc
from workbook.engine.output import TEMP_PREFIX, remove_stale_temporaries

from .attacks import build, cfb_with_vba, parts, rewrite
from .conftest import run_recalc, values

SECRET = 987654.321


@pytest.fixture
def payroll(tmp_path):
    """A workbook next to (and above) the deal that an attacker wants read into the output."""
    folder = tmp_path / "dir"
    folder.mkdir()
    p = build(folder / "payroll.xlsx", {"Sheet1": {"A1": SECRET}})
    return p


def _recalc_recording(src, out):
    recalc.recalc_file(str(src), None)   # warm up: imports open their own files
    Opens.paths = []
    Opens.active = True
    try:
        return recalc.recalc_file(str(src), str(out))
    finally:
        Opens.active = False


@pytest.mark.parametrize("formula", [
    "='../dir/[payroll.xlsx]Sheet1'!A1",
    "='dir/[payroll.xlsx]Sheet1'!A1*2",
    "=SUM('{abs}[payroll.xlsx]Sheet1'!A1:A2)",
    "=[payroll.xlsx]Sheet1!A1",
])
def test_a_formula_naming_another_workbook_never_opens_it(
        tmp_path, payroll, refused, kept, formula):
    formula = formula.replace("{abs}", str(payroll.parent) + "/")
    work = tmp_path / "work"
    work.mkdir()
    src = build(work / "deal.xlsx", {"Deal": {"A1": 1, "B1": formula}})
    res = _recalc_recording(src, tmp_path / "o.xlsx")
    assert not any("payroll" in p for p in Opens.paths), Opens.paths
    assert res.exit_code == 3 and SECRET not in [values(tmp_path / "o.xlsx")["B1"].value]
    kept(src, "Deal!B1", r"refers to another file")
    refused(src, r"refers to another file")


@pytest.mark.parametrize("formula", [
    "='\\\\server\\share\\[payroll.xlsx]Sheet1'!A1",
    "='file:///{dir}/[payroll.xlsx]Sheet1'!A1",
    "='{dir}/payroll.xlsx'!A1",
    "='{dir}/payroll.xlsx'!Secret",
    "=[payroll.xlsx]!Secret",
    "=INDIRECT(\"'{dir}/[payroll.xlsx]Sheet1'!A1\")",
    "=INDIRECT(\"'\"&\"dir/[payroll.xlsx]Sheet1\"&\"'!A1\")",
    "=INDIRECT(\"[payroll.xlsx]Sheet1!R1C1\",FALSE)",
    "=SUM('dir/[payroll.xlsx]Sheet1:Sheet2'!A1)",
    "=OFFSET('dir/[payroll.xlsx]Sheet1'!A1,0,0)",
    "=dir/[payroll.xlsx]Sheet1!A1",
])
def test_no_spelling_of_another_file_opens_it(tmp_path, payroll, monkeypatch, formula):
    """UNC and file: paths, books without brackets, names of another book, INDIRECT texts
    (built or R1C1), 3-D ranges, OFFSET: the engine never opens the file, from the folder it
    runs in or any other, and its value never reaches the copy."""
    monkeypatch.chdir(tmp_path)
    formula = formula.replace("{dir}", str(payroll.parent))
    src = build(tmp_path / "deal.xlsx", {"Deal": {"A1": 1, "B1": formula}})
    res = _recalc_recording(src, tmp_path / "o.xlsx")
    assert not any("payroll" in p for p in Opens.paths), Opens.paths
    assert res.exit_code in (1, 3), res
    assert values(tmp_path / "o.xlsx")["B1"].value != SECRET


def test_a_sheet_scoped_name_naming_another_workbook_never_opens_it(tmp_path, payroll):
    src = build(tmp_path / "deal.xlsx", {"Deal": {"B1": "=Pay*2"}})
    wb = parts(src)["xl/workbook.xml"].decode().replace(
        "<calcPr", "<definedNames><definedName name=\"Pay\" localSheetId=\"0\">"
        "'dir/[payroll.xlsx]Sheet1'!$A$1</definedName></definedNames><calcPr")
    src = rewrite(src, tmp_path / "deal2.xlsx", {"xl/workbook.xml": wb})
    res = _recalc_recording(src, tmp_path / "o.xlsx")
    assert not any("payroll" in p for p in Opens.paths)
    # the sheet's name is evaluated like a workbook-wide one: refused, as that one is
    assert res.refused.startswith("the defined name Pay (of sheet Deal) refers to another file")
    assert not (tmp_path / "o.xlsx").exists()


def test_a_defined_name_naming_another_workbook_is_refused(tmp_path, payroll, refused):
    src = build(tmp_path / "deal.xlsx", {"Deal": {"B1": "=Pay*2"}},
                names={"Pay": "'dir/[payroll.xlsx]Sheet1'!$A$1"})
    refused(src, r"defined name Pay refers to another file")


def test_linked_workbook_values_come_from_the_cache_only(tmp_path, payroll, capsys):
    """The link's cached value is 5; the file it names (payroll.xlsx, holding SECRET) is
    never opened, even where it exists next to the deal."""
    src = build(tmp_path / "deal.xlsx", {"Deal": {"B1": "=[1]Sheet1!A1*2",
                                                  "B2": "=SUM([1]Sheet1!A1:A3)"}},
                links=[{"target": "dir/payroll.xlsx",
                        "cache": {"Sheet1": {"A1": 5.0, "A2": 7.0}}}])
    out = tmp_path / "o.xlsx"
    res = _recalc_recording(src, out)
    assert res.exit_code == 0, res
    ws = values(out)
    assert ws["B1"].value == 10 and ws["B2"].value == 12
    assert not any("payroll" in p for p in Opens.paths)
    assert any("cached" in n and "payroll.xlsx" in n for n in res.notes)
    assert run_recalc([src, "-o", tmp_path / "o2.xlsx"]) == 0
    assert "NOTE links to other workbooks were read from the values cached" in \
        capsys.readouterr().out


def test_a_decoy_first_relationship_does_not_pass_for_an_addin(tmp_path, payroll,
                                                               refused, kept):
    """The link part's first relationship names an add-in, the one its externalBook uses
    names the payroll: the link is a workbook link (values from the cache), never an add-in
    link that would let [1]!NAME( through."""
    src = build(tmp_path / "deal.xlsx", {"Deal": {"B1": "=[1]Sheet1!A1"}},
                links=[{"target": str(payroll), "decoy": "C:\\AddIns\\ComputeCredit.xlam",
                        "cache": {}}])
    refused(src, r"\[1\]Sheet1 in another workbook, whose values the file does not cache")
    kept(src, "Deal!B1", r"whose values the file does not cache")
    src2 = build(tmp_path / "deal2.xlsx", {"Deal": {"B1": "=[1]!COMPUTECREDIT_VERSION()"}},
                 links=[{"target": str(payroll), "decoy": "ComputeCredit.xlam", "cache": {}}])
    refused(src2, r"name or function in another workbook \(\[1\]!")


def test_dde_links_are_refused(tmp_path, refused):
    src = build(tmp_path / "deal.xlsx", {"Deal": {"A1": 1}}, links=[{"target": "x.xlsx"}])
    dde = ('<externalLink xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
           '<ddeLink ddeService="cmd" ddeTopic="/c calc"/></externalLink>')
    bad = rewrite(src, tmp_path / "dde.xlsx", {"xl/externalLinks/externalLink1.xml": dde})
    refused(bad, r"DDE link")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes need POSIX")
def test_a_named_pipe_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "deal.xlsx"
    os.mkfifo(fifo)
    code = f"""
from workbook.engine import recalc
r = recalc.recalc_file({str(fifo)!r}, None)
print(r.refused)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert "not a regular file" in out.stdout


def test_a_folder_and_a_missing_file_are_refused_in_words(tmp_path, refused):
    refused(tmp_path, r"is a folder")
    refused(tmp_path / "none.xlsx", r"no such file")


# --------------------------------------------------------------------------------------------
# package checks by parsing and by content

def _ok_book(tmp_path, name="ok.xlsx"):
    return build(tmp_path / name, {"Deal": {"A1": 2, "B1": "=A1*2"}})


def test_a_doctype_after_byte_4096_is_found(tmp_path, refused):
    src = _ok_book(tmp_path)
    wb = parts(src)["xl/workbook.xml"].decode()
    padded = ('<?xml version="1.0"?>\n<!--' + "x" * 5000 + '-->\n<!DOCTYPE workbook [<!ENTITY '
              'a "aaaaaaaaaa">]>\n' + wb[wb.index("<workbook"):])
    bad = rewrite(src, tmp_path / "late.xlsx", {"xl/workbook.xml": padded})
    refused(bad, r"declares a DTD or entities")


def test_a_doctype_in_a_utf16_part_is_found(tmp_path, refused):
    src = _ok_book(tmp_path)
    sheet = parts(src)["xl/worksheets/sheet1.xml"].decode()
    body = sheet[sheet.index("<worksheet"):]
    text = '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE x [<!ENTITY a "b">]>' + body
    bad = rewrite(src, tmp_path / "u16.xlsx", {"xl/worksheets/sheet1.xml":
                                               text.encode("utf-16")})
    refused(bad, r"declares a DTD or entities")


@pytest.mark.parametrize("encoding, codec, pattern", [
    ("UTF-16BE", "utf-16-be", r"declares a DTD or entities"),          # no byte-order mark
    ("UTF-8", "utf-8-sig", r"declares a DTD or entities"),
    ("ISO-8859-1", "latin-1", r"declares a DTD or entities"),
    ("UTF-32", "utf-32", r"encoding that cannot be checked \(UTF-32"),
    ("UTF-32LE", "utf-32-le", r"encoding that cannot be checked \(UTF-32"),
    ("Shift_JIS", "shift_jis", r"encoding that cannot be checked"),
])
def test_a_doctype_in_any_encoding_is_refused_in_words(tmp_path, refused, encoding, codec,
                                                       pattern):
    src = _ok_book(tmp_path)
    wb = parts(src)["xl/workbook.xml"].decode()
    text = (f'<?xml version="1.0" encoding="{encoding}"?><!DOCTYPE w [<!ENTITY a "b">]>'
            + wb[wb.index("<workbook"):])
    bad = rewrite(src, tmp_path / "enc.xlsx", {"xl/workbook.xml": text.encode(codec)})
    refused(bad, pattern)
    rels = parts(src)["xl/_rels/workbook.xml.rels"].decode().replace(
        "<Relationships", '<!DOCTYPE r [<!ENTITY e SYSTEM "file:///etc/passwd">]><Relationships')
    refused(rewrite(src, tmp_path / "rels.xlsx", {"xl/_rels/workbook.xml.rels": rels}),
            r"workbook.xml.rels declares a DTD")


def test_a_utf16_workbook_is_read(tmp_path):
    src = build(tmp_path / "u16.xlsx", {"Deal": {"A1": 2, "B1": "=A1*3"}},
                encode={"xl/workbook.xml": "utf-16", "xl/worksheets/sheet1.xml": "utf-16"})
    p = parts(src)
    for name in ("xl/workbook.xml", "xl/worksheets/sheet1.xml"):
        text = p[name].decode("utf-16").replace('encoding="UTF-8"', 'encoding="UTF-16"')
        p[name] = text.encode("utf-16")
    src = rewrite(src, tmp_path / "u16b.xlsx", p)
    out = tmp_path / "o.xlsx"
    res = recalc.recalc_file(str(src), str(out))
    assert res.exit_code == 0, res
    assert values(out)["B1"].value == 6


@pytest.mark.parametrize("name, ctype", [
    ("xl/media/image1.png", "image/png"),
    ("xl/VBAPROJECT.BIN", "application/vnd.ms-office.vbaproject"),
    ("xl/other.bin", "application/vnd.ms-office.vbaProject".lower()),
])
def test_a_vba_project_is_found_by_content_and_any_case(tmp_path, refused, name, ctype):
    src = _ok_book(tmp_path)
    ct = parts(src)["[Content_Types].xml"].decode().replace(
        "</Types>", f'<Override PartName="/{name}" ContentType="{ctype}"/></Types>')
    bad = rewrite(src, tmp_path / "vba.xlsx", {name: cfb_with_vba(), "[Content_Types].xml": ct})
    refused(bad, r"macro|VBA")


def test_parts_named_alike_ignoring_case_are_refused(tmp_path, refused):
    src = _ok_book(tmp_path)
    bad = rewrite(src, tmp_path / "dup.xlsx", {"XL/Workbook.xml": parts(src)["xl/workbook.xml"]})
    refused(bad, r"two parts named")


def test_sheet_names_differing_only_in_case_are_refused(tmp_path, refused):
    src = build(tmp_path / "case.xlsx", {"Deal": {"A1": 1}, "DEAL": {"A1": 2, "B1": "=A1"}})
    refused(src, r"two sheets are named 'Deal' and 'DEAL'")


def test_a_damaged_zip_is_described_in_words(tmp_path, refused):
    src = _ok_book(tmp_path)
    data = bytearray(src.read_bytes())
    i = data.index(b"PK\x03\x04", 10)   # damage the compressed data of a later part
    for k in range(i + 60, min(i + 90, len(data))):
        data[k] ^= 0xFF
    bad = tmp_path / "damaged.xlsx"
    bad.write_bytes(bytes(data))
    line = refused(bad, r"damaged|corrupt|not an Excel workbook")
    assert "Error -3" not in line and "BadZipFile" not in line


# --------------------------------------------------------------------------------------------
# temporary copies

def test_stale_temporary_copies_of_dead_runs_are_removed(tmp_path):
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True).stdout.strip()
    stale = out_dir / f"{TEMP_PREFIX}{dead}-abc123.xlsx.tmp"
    stale.write_bytes(b"partial copy of a deal")
    mine_alive = out_dir / f"{TEMP_PREFIX}{os.getpid()}-xyz.xlsx.tmp"
    mine_alive.write_bytes(b"in progress")
    other = out_dir / "keep.xlsx.tmp"
    other.write_bytes(b"not ours")
    assert remove_stale_temporaries(str(out_dir)) == [stale.name]
    assert not stale.exists() and mine_alive.exists() and other.exists()
    src = _ok_book(tmp_path)
    stale.write_bytes(b"again")
    assert recalc.recalc_file(str(src), str(out_dir / "deal.xlsx")).exit_code == 0
    assert not stale.exists()   # a run writing into the folder removes it


@pytest.mark.skipif(not hasattr(signal, "SIGTERM") or os.name != "posix",
                    reason="POSIX signals")
def test_sigterm_while_writing_removes_the_temporary_copy(tmp_path):
    src = _ok_book(tmp_path)
    out_dir = tmp_path / "out"
    script = textwrap.dedent(f"""
        import sys, time
        from workbook.engine import package, recalc
        def slow(self, dest, replaced):      # writing takes long: the signal arrives now
            open(dest, "wb").write(b"partial")
            print("WRITING", flush=True)
            time.sleep(60)
        package.Package.write_copy = slow
        sys.exit(recalc.run(type("A", (), dict(files=[{str(src)!r}], output={str(out_dir)!r},
                                                png=None, jobs=1, quiet=True, errors=None,
                                                strict=False, today=None))()))
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "WRITING"
        assert list(out_dir.glob(f"{TEMP_PREFIX}*"))
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 128 + signal.SIGTERM
    assert "stopped by a signal" in err
    assert not list(out_dir.glob(f"{TEMP_PREFIX}*"))


def test_an_unwritable_output_folder_is_described_without_private_paths(tmp_path, capsys):
    if os.geteuid() == 0:
        pytest.skip("root writes into read-only folders")
    src = _ok_book(tmp_path)
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        code = run_recalc([src, "-o", ro / "deal.xlsx"])
    finally:
        ro.chmod(0o700)
    err = capsys.readouterr().err
    assert code == 2 and "permission denied" in err and TEMP_PREFIX not in err


def test_output_folder_errors_never_show_the_temporary_name(tmp_path, capsys, monkeypatch):
    """Also as root: make the rename fail and look at the message."""
    src = _ok_book(tmp_path)

    def fail(a, b):
        raise PermissionError(13, "Permission denied", a)
    monkeypatch.setattr(os, "replace", fail)
    code = run_recalc([src, "-o", tmp_path / "deal_out.xlsx"])
    err = capsys.readouterr().err
    assert code == 2 and "permission denied" in err
    assert TEMP_PREFIX not in err and ".tmp" not in err
    assert not list(tmp_path.glob(f"{TEMP_PREFIX}*"))
