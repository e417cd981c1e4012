"""``computecredit addin install | uninstall | status`` and ``computecredit doctor`` against a fake
Windows user profile (``--home`` or USERPROFILE/APPDATA): the paths, the files written, and the
refusals (missing Excel folder, read-only config, an add-in of another version, Excel holding
the file) that leave nothing half-written."""

import io
import os
import pathlib
import stat
import sys
import zipfile

import pytest

import pymodel
from addin.packaging import doctor, install as inst
from workbook import cli

SHIPPED = inst.shipped_xlam()


def run_cli(*argv, capsys=None):
    code = cli.main(list(argv))
    out = capsys.readouterr() if capsys else None
    return code, out


def snapshot(root: pathlib.Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file()}


@pytest.fixture
def home(tmp_path):
    """A Windows profile folder in which Excel has run once (its folder exists)."""
    h = tmp_path / "Users" / "analyst"
    (h / "AppData" / "Roaming" / "Microsoft" / "Excel").mkdir(parents=True)
    return h


@pytest.fixture
def no_dll(monkeypatch):
    monkeypatch.setattr(inst, "find_xlwings_dll", lambda: None)


def with_version(version: str) -> bytes:
    """The shipped add-in with another version in its document properties."""
    src = zipfile.ZipFile(io.BytesIO(SHIPPED.read_bytes()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "docProps/core.xml":
                data = data.replace(f"<cp:version>{pymodel.__version__}</cp:version>".encode(),
                                    f"<cp:version>{version}</cp:version>".encode())
            dst.writestr(info, data)
    return out.getvalue()


# ------------------------------------------------------------------------------- paths
def test_paths_come_from_userprofile_and_appdata(tmp_path):
    env = {"USERPROFILE": str(tmp_path / "prof"), "APPDATA": str(tmp_path / "roam")}
    where = inst.layout(environ=env)
    assert where.xlstart == tmp_path / "roam" / "Microsoft" / "Excel" / "XLSTART"
    assert where.addin.name == "ComputeCredit.xlam"
    # what xlwings' VBA reads: Environ("USERPROFILE") & "\.ComputeCredit\ComputeCredit.conf"
    assert where.config == tmp_path / "prof" / ".ComputeCredit" / "ComputeCredit.conf"
    assert inst.layout(environ={"USERPROFILE": str(tmp_path / "p")}).appdata == \
        tmp_path / "p" / "AppData" / "Roaming"
    assert inst.layout(tmp_path / "h", environ=env).appdata == tmp_path / "h/AppData/Roaming"


@pytest.mark.skipif(sys.platform.startswith("win"), reason="Windows always has a profile")
def test_not_windows_without_a_profile_is_a_clear_error(monkeypatch, capsys):
    monkeypatch.delenv("USERPROFILE", raising=False)
    code, out = run_cli("addin", "status", capsys=capsys)
    assert code == 1 and "not Windows" in out.err and "--home" in out.err
    code, out = run_cli("doctor", capsys=capsys)
    assert code == 1 and "--home" in out.err


def test_env_profile_is_used_by_the_cli(tmp_path, monkeypatch, capsys, no_dll):
    monkeypatch.setenv("USERPROFILE", str(tmp_path / "prof"))
    monkeypatch.setenv("APPDATA", str(tmp_path / "roam"))
    (tmp_path / "roam" / "Microsoft" / "Excel").mkdir(parents=True)
    code, _ = run_cli("addin", "install", capsys=capsys)
    assert code == 0
    assert (tmp_path / "roam/Microsoft/Excel/XLSTART/ComputeCredit.xlam").is_file()
    assert (tmp_path / "prof/.ComputeCredit/ComputeCredit.conf").is_file()


# ------------------------------------------------------------------------------ install
def test_install_copies_the_add_in_and_writes_the_config(home, capsys, no_dll):
    code, out = run_cli("addin", "install", "--home", str(home), capsys=capsys)
    assert code == 0, out.err
    where = inst.layout(home)
    assert where.addin.read_bytes() == SHIPPED.read_bytes()
    text = where.config.read_bytes()
    assert text == f'"INTERPRETER_WIN","{sys.executable}"\r\n'.encode()
    assert "installed ComputeCredit.xlam" in out.out and "DLL" in out.out
    # nothing else was left behind (no temp files)
    assert sorted(snapshot(home)) == sorted([
        str(where.addin.relative_to(home)), str(where.config.relative_to(home))])


def test_install_keeps_other_config_keys_and_replaces_ours(home, capsys, no_dll):
    where = inst.layout(home)
    where.config_dir.mkdir()
    where.config.write_bytes(b'"INTERPRETER_WIN","C:\\old\\python.exe"\r\n'
                             b'"LICENSE_KEY","abc"\r\n"XLWINGS DLL FOLDER","C:\\stale"\r\n')
    assert run_cli("addin", "install", "--home", str(home), capsys=capsys)[0] == 0
    cfg = inst.read_config(where.config)
    assert cfg == {"INTERPRETER_WIN": sys.executable, "LICENSE_KEY": "abc"}


def test_dll_folder_is_recorded_only_when_the_vba_would_not_find_it(home, tmp_path, capsys,
                                                                    monkeypatch):
    where = inst.layout(home)
    user_base = tmp_path / "AppData" / "Roaming" / "Python"  # pip install --user
    monkeypatch.setattr(inst, "find_xlwings_dll", lambda: user_base)
    assert run_cli("addin", "install", "--home", str(home), capsys=capsys)[0] == 0
    assert inst.read_config(where.config)[inst.DLL_FOLDER_KEY] == str(user_base)
    # a virtual environment: the DLL sits above Scripts\python.exe, where the VBA looks itself
    venv = tmp_path / "venv"
    python = venv / "Scripts" / "python.exe"
    python.parent.mkdir(parents=True)
    python.write_bytes(b"")
    where.config.unlink()
    inst.install(where, interpreter=python, dll_folder=venv)
    cfg = inst.read_config(where.config)
    assert cfg == {"INTERPRETER_WIN": str(python)}


def test_missing_excel_folder_writes_nothing(tmp_path, capsys, no_dll):
    home = tmp_path / "fresh"
    home.mkdir()
    code, out = run_cli("addin", "install", "--home", str(home), capsys=capsys)
    assert code == 1
    assert "Excel has not run for this user" in out.err and "--create-folders" in out.err
    assert snapshot(home) == {} and list(home.iterdir()) == []
    code, _ = run_cli("addin", "install", "--home", str(home), "--create-folders", capsys=capsys)
    assert code == 0 and inst.layout(home).addin.is_file()


def test_read_only_config_is_refused_and_nothing_changes(home, capsys, no_dll):
    where = inst.layout(home)
    where.config_dir.mkdir()
    where.config.write_bytes(b'"INTERPRETER_WIN","C:\\keep\\python.exe"\r\n')
    where.config.chmod(stat.S_IREAD)
    before = snapshot(home)
    code, out = run_cli("addin", "install", "--home", str(home), capsys=capsys)
    assert code == 1 and "read-only" in out.err and str(where.config) in out.err
    assert snapshot(home) == before and not where.addin.exists()


def test_add_in_of_another_version_is_refused(home, tmp_path, capsys, no_dll):
    other = tmp_path / "old" / "ComputeCredit.xlam"
    other.parent.mkdir()
    other.write_bytes(with_version("0.0.9"))
    code, out = run_cli("addin", "install", "--home", str(home), "--file", str(other),
                        capsys=capsys)
    assert code == 1
    assert "version 0.0.9" in out.err and pymodel.__version__ in out.err
    assert snapshot(home) == {}
    same = tmp_path / "same.xlam"
    same.write_bytes(SHIPPED.read_bytes())
    assert run_cli("addin", "install", "--home", str(home), "--file", str(same),
                   capsys=capsys)[0] == 0


@pytest.mark.parametrize("content", [b"not a zip at all", b""])
def test_a_file_that_is_not_our_add_in_is_refused(home, tmp_path, capsys, content, no_dll):
    bad = tmp_path / "bad.xlam"
    bad.write_bytes(content)
    code, out = run_cli("addin", "install", "--home", str(home), "--file", str(bad),
                        capsys=capsys)
    assert code == 1 and "not a ComputeCredit add-in" in out.err
    code, out = run_cli("addin", "install", "--home", str(home), "--file",
                        str(tmp_path / "missing.xlam"), capsys=capsys)
    assert code == 1 and "cannot read" in out.err
    assert snapshot(home) == {}


def test_excel_holding_the_add_in_rolls_the_config_back(home, capsys, monkeypatch, no_dll):
    """Excel locks an open add-in: replacing it fails; the config written just before is put
    back and no temporary file is left."""
    where = inst.layout(home)
    where.config_dir.mkdir()
    where.config.write_bytes(b'"INTERPRETER_WIN","C:\\before\\python.exe"\r\n')
    where.xlstart.mkdir()
    where.addin.write_bytes(b"old add-in")
    before = snapshot(home)
    real = os.replace

    def locked(src, dst):
        if pathlib.Path(dst).name == "ComputeCredit.xlam":
            raise PermissionError(13, "The process cannot access the file")
        return real(src, dst)
    monkeypatch.setattr(inst.os, "replace", locked)
    code, out = run_cli("addin", "install", "--home", str(home), capsys=capsys)
    assert code == 1 and "quit Excel" in out.err
    assert snapshot(home) == before


def test_config_values_with_quotes_are_refused(home, tmp_path, no_dll):
    with pytest.raises(inst.InstallError, match="quotes"):
        inst.install(inst.layout(home), interpreter=tmp_path / 'we"ird' / "python.exe")
    assert snapshot(home) == {} and not inst.layout(home).xlstart.exists()


# --------------------------------------------------------------------- uninstall, status
def test_uninstall_and_status(home, capsys, no_dll):
    where = inst.layout(home)
    code, out = run_cli("addin", "status", "--home", str(home), capsys=capsys)
    assert code == 1 and "not installed" in out.out
    run_cli("addin", "install", "--home", str(home), capsys=capsys)
    code, out = run_cli("addin", "status", "--home", str(home), capsys=capsys)
    assert code == 0 and "matches the package" in out.out and sys.executable in out.out
    where.addin.write_bytes(with_version("0.0.9"))
    code, out = run_cli("addin", "status", "--home", str(home), capsys=capsys)
    assert code == 1 and "version 0.0.9" in out.out and "addin install" in out.out
    code, out = run_cli("addin", "uninstall", "--home", str(home), "--keep-config",
                        capsys=capsys)
    assert code == 0 and not where.addin.exists() and where.config.exists()
    code, out = run_cli("addin", "uninstall", "--home", str(home), capsys=capsys)
    assert code == 0 and not where.config.exists() and not where.config_dir.exists()
    code, out = run_cli("addin", "uninstall", "--home", str(home), capsys=capsys)
    assert code == 0 and "nothing to remove" in out.out
    assert where.excel_dir.is_dir()  # Excel's own folders stay


# ------------------------------------------------------------------------------- doctor
def _fake_dll(tmp_path, monkeypatch, where_python=None):
    folder = tmp_path / "dll"
    folder.mkdir(exist_ok=True)
    for n in inst.dll_names():
        (folder / n).write_bytes(b"MZ")
    monkeypatch.setattr(inst, "find_xlwings_dll", lambda: folder)
    return folder


def test_doctor_all_good_after_install(home, tmp_path, monkeypatch, capsys):
    _fake_dll(tmp_path, monkeypatch)
    assert run_cli("addin", "install", "--home", str(home), capsys=capsys)[0] == 0
    code, out = run_cli("doctor", "--home", str(home), capsys=capsys)
    assert code == 0, out.out
    assert "All checks passed." in out.out
    for name in ("python", "package", "xlwings", "xlwings DLL", "add-in", "config"):
        assert f"OK   {name}:" in out.out


def test_doctor_says_what_to_fix(home, tmp_path, monkeypatch, capsys):
    where = inst.layout(home)
    _fake_dll(tmp_path, monkeypatch)
    code, out = run_cli("doctor", "--home", str(home), capsys=capsys)
    assert code == 1
    assert "FIX  add-in" in out.out and "FIX  xlwings DLL" in out.out and "FIX  config" in out.out
    assert out.out.count("-> run `computecredit addin install`") >= 2
    assert "3 problems to fix" in out.out

    run_cli("addin", "install", "--home", str(home), capsys=capsys)
    where.addin.write_bytes(with_version("0.0.9"))
    where.config.write_bytes(b'"INTERPRETER_WIN","' + str(tmp_path / "gone.exe").encode() +
                             b'"\r\n')
    code, out = run_cli("doctor", "--home", str(home), capsys=capsys)
    assert code == 1
    assert "version 0.0.9" in out.out and "gone.exe does not exist" in out.out


def test_doctor_runs_a_configured_interpreter_that_is_not_this_one(home, tmp_path, monkeypatch):
    where = inst.layout(home)
    folder = _fake_dll(tmp_path, monkeypatch)
    stranger = tmp_path / "bin" / "python.exe"  # an interpreter without computecredit
    stranger.parent.mkdir()
    stranger.write_text("#!/bin/sh\nexit 1\n")
    stranger.chmod(0o755)
    inst.install(where, interpreter=stranger, dll_folder=folder)
    results = {c.name: c for c in doctor.checks(where)}
    assert results["config"].status == "fix"
    assert "cannot import computecredit" in results["config"].detail
    assert results["xlwings DLL"].status == "ok"  # recorded in the config


def test_doctor_without_the_dll(home, monkeypatch):
    monkeypatch.setattr(inst, "find_xlwings_dll", lambda: None)
    c = {c.name: c for c in doctor.checks(inst.layout(home))}["xlwings DLL"]
    assert c.status == "fix" and "not found" in c.detail and "pip install" in c.fix


def test_doctor_finds_the_dll_when_the_config_does_not_say_where(home, tmp_path, monkeypatch):
    where = inst.layout(home)
    folder = _fake_dll(tmp_path, monkeypatch)
    inst.install(where, dll_folder=folder)
    where.config.write_bytes(f'"INTERPRETER_WIN","{sys.executable}"\r\n'.encode())
    c = {c.name: c for c in doctor.checks(where)}["xlwings DLL"]
    assert c.status == "fix" and str(folder) in c.detail


def test_commands_are_registered():
    assert cli.COMMANDS["addin"][0] == "addin.packaging.install"
    assert cli.COMMANDS["doctor"][0] == "addin.packaging.doctor"
    help_text = cli.build_parser().format_help()
    assert "addin" in help_text and "doctor" in help_text
