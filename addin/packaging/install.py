"""``computecredit addin install | uninstall | status``: put the add-in where Excel opens it.

What ``xlwings addin install`` does for xlwings' own add-in, done for ``ComputeCredit.xlam``
without Excel or COM (so it also runs in IT's deployment scripts):

* **install** copies the add-in shipped with the package (or ``--file``, which must be the same
  version) to the user's Excel start-up folder ``%APPDATA%\\Microsoft\\Excel\\XLSTART``, where
  Excel opens it at every start, and writes the per-user config that the add-in's VBA reads,
  ``%USERPROFILE%\\.ComputeCredit\\ComputeCredit.conf``: ``INTERPRETER_WIN`` = the interpreter of
  the running Python (a virtual environment's too) and, when pip put the xlwings DLL somewhere
  Excel would not look (``pip install --user``), ``XLWINGS DLL FOLDER``. Other keys already in
  that file are kept.
* **uninstall** removes both (``--keep-config`` keeps the config).
* **status** says what is installed where, and whether it matches this package.

Paths are computed from ``USERPROFILE`` and ``APPDATA`` (or ``--home``, a Windows profile folder,
which is how this is tested on Linux). Every file is written to a temporary file in its folder and
renamed into place; if the second of the two files cannot be placed, the first is put back.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import stat
import sys
import tempfile
from dataclasses import dataclass

__all__ = ["Layout", "InstallError", "layout", "install", "uninstall", "status",
           "read_config", "format_config", "find_xlwings_dll", "dll_names", "shipped_xlam",
           "add_arguments", "run", "PROJECT", "ADDIN_FILE", "DLL_FOLDER_KEY"]

PROJECT = "ComputeCredit"
ADDIN_FILE = f"{PROJECT}.xlam"
INTERPRETER_KEY = "INTERPRETER_WIN"
DLL_FOLDER_KEY = "XLWINGS DLL FOLDER"  # read by the add-in's patched XLPyLoadDLL (see .xlam)


class InstallError(Exception):
    """A problem the user can fix; the message says how."""


@dataclass(frozen=True)
class Layout:
    """Where Excel and the add-in's VBA look, for one Windows user profile."""
    userprofile: pathlib.Path
    appdata: pathlib.Path

    @property
    def excel_dir(self) -> pathlib.Path:
        return self.appdata / "Microsoft" / "Excel"

    @property
    def xlstart(self) -> pathlib.Path:
        return self.excel_dir / "XLSTART"

    @property
    def addin(self) -> pathlib.Path:
        return self.xlstart / ADDIN_FILE

    @property
    def config_dir(self) -> pathlib.Path:
        # xlwings' GetConfigFilePath: Environ("USERPROFILE") & "\." & PROJECT_NAME & "\" & ...
        return self.userprofile / f".{PROJECT}"

    @property
    def config(self) -> pathlib.Path:
        return self.config_dir / f"{PROJECT}.conf"


def layout(home: str | os.PathLike | None = None,
           environ: dict[str, str] | None = None) -> Layout:
    """The layout for ``home`` (a profile folder), else ``USERPROFILE``/``APPDATA``."""
    env = os.environ if environ is None else environ
    if home is not None:
        profile = pathlib.Path(home)
        return Layout(profile, profile / "AppData" / "Roaming")
    if env.get("USERPROFILE"):
        profile = pathlib.Path(env["USERPROFILE"])
        appdata = env.get("APPDATA") or str(profile / "AppData" / "Roaming")
        return Layout(profile, pathlib.Path(appdata))
    if sys.platform.startswith("win"):  # pragma: no cover - Windows always sets USERPROFILE
        profile = pathlib.Path.home()
        return Layout(profile, profile / "AppData" / "Roaming")
    raise InstallError("the Excel add-in runs on Windows; this is not Windows and USERPROFILE is "
                       "not set. Give --home PROFILE_FOLDER to prepare a Windows user profile "
                       "folder from here.")


# -------------------------------------------------------------------------------- pieces
def shipped_xlam() -> pathlib.Path:
    return pathlib.Path(__file__).resolve().parent / ADDIN_FILE


def package_version() -> str:
    import pymodel
    return pymodel.__version__


def dll_names() -> tuple[str, str]:
    """The xlwings DLL file names the add-in's VBA loads (64- and 32-bit Office)."""
    from importlib.metadata import version
    v = version("xlwings")
    return f"xlwings64-{v}.dll", f"xlwings32-{v}.dll"


def find_xlwings_dll() -> pathlib.Path | None:
    """The folder holding the xlwings DLL of the running Python's xlwings, or None.

    pip installs the DLLs as data files of the xlwings wheel for Windows: into the environment's
    prefix (next to ``python.exe``, or above ``Scripts`` in a virtual environment) or, with
    ``--user``, into the user base. The installed file list says where they went.
    """
    from importlib.metadata import PackageNotFoundError, distribution
    try:
        dist = distribution("xlwings")
    except PackageNotFoundError:
        return None
    names = set(dll_names())
    for f in dist.files or ():
        if pathlib.PurePath(str(f)).name in names:
            p = pathlib.Path(str(dist.locate_file(f))).resolve()
            if p.is_file():
                return p.parent
    return None


def _same_file(a: pathlib.Path, b: pathlib.Path) -> bool:
    try:
        return a.samefile(b)
    except OSError:
        return os.path.normcase(os.path.abspath(a)) == os.path.normcase(os.path.abspath(b))


def dll_reachable(interpreter: pathlib.Path, folder: pathlib.Path) -> bool:
    """Whether xlwings' VBA finds the DLL in ``folder`` from the interpreter path alone (it tries
    the interpreter's folder, then its parent)."""
    here = interpreter.parent
    return any(os.path.normcase(str(c)) == os.path.normcase(str(folder))
               for c in (here, here.parent))


def read_config(path: pathlib.Path) -> dict[str, str]:
    """``"KEY","value"`` lines of an xlwings config file (keys upper-cased, as the VBA compares
    them without case); unreadable lines are skipped."""
    out: dict[str, str] = {}
    try:
        text = path.read_bytes().decode("utf-8", "replace")
    except FileNotFoundError:
        return out
    for line in text.splitlines():
        parts = [p.strip().strip('"') for p in line.split('","', 1)] if '","' in line else []
        if len(parts) == 2 and parts[0]:
            out[parts[0].upper()] = parts[1]
    return out


def format_config(values: dict[str, str]) -> bytes:
    """The config file the VBA reads with ``Input #``: one ``"KEY","value"`` line each, CRLF."""
    for k, v in values.items():
        if '"' in k or '"' in v or "\n" in v or "\r" in v:
            raise InstallError(f"config value for {k} cannot hold quotes or line breaks: {v!r}")
    return "".join(f'"{k}","{v}"\r\n' for k, v in values.items()).encode("utf-8")


def _addin_version(path: pathlib.Path) -> str | None:
    from .xlam import xlam_version
    try:
        return xlam_version(path.read_bytes())
    except OSError:
        return None


def _check_addin_file(path: pathlib.Path) -> bytes:
    """The bytes of an add-in that is ours and of this package's version, else InstallError."""
    from .xlam import xlam_version
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InstallError(f"cannot read the add-in {path}: {exc.strerror or exc}") from None
    found = xlam_version(data)
    if found is None:
        raise InstallError(f"{path} is not a ComputeCredit add-in built by this project "
                           "(no version in its document properties).")
    if found != package_version():
        raise InstallError(
            f"{path} is ComputeCredit add-in version {found}, but the installed Python package "
            f"is version {package_version()}: its functions would not match. Install the add-in "
            f"shipped with the package (omit --file), or install package version {found}.")
    return data


def _writable_target(path: pathlib.Path) -> None:
    if path.exists() and not path.is_file():
        raise InstallError(f"{path} exists and is not a file; remove it and try again.")
    if path.is_file() and not path.stat().st_mode & stat.S_IWUSR:
        raise InstallError(f"{path} is read-only; make it writable (or ask IT) and try again.")


def _stage(path: pathlib.Path, data: bytes) -> pathlib.Path:
    """Write ``data`` to a new temporary file next to ``path`` (same folder: same drive)."""
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise InstallError(f"cannot write in {path.parent}: {exc.strerror or exc}. Check the "
                           "folder's permissions.") from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
    except OSError as exc:
        os.unlink(tmp)
        raise InstallError(f"cannot write {path}: {exc.strerror or exc}") from None
    return pathlib.Path(tmp)


def _busy(path: pathlib.Path, exc: OSError) -> InstallError:
    return InstallError(f"cannot replace {path}: {exc.strerror or exc}. If Excel is running, "
                        "quit Excel and try again.")


def _commit(moves: list[tuple[pathlib.Path, pathlib.Path]]) -> None:
    """Rename each staged file over its target; if one fails, put back the ones already done."""
    done: list[tuple[pathlib.Path, bytes | None]] = []
    try:
        for tmp, target in moves:
            old = target.read_bytes() if target.is_file() else None
            try:
                os.replace(tmp, target)
            except OSError as exc:
                raise _busy(target, exc) from None
            done.append((target, old))
    except InstallError:
        for target, old in reversed(done):
            try:
                if old is None:
                    target.unlink()
                else:
                    restore = _stage(target, old)
                    os.replace(restore, target)
            except (OSError, InstallError):  # pragma: no cover - report the first error
                pass
        raise
    finally:
        for tmp, _ in moves:
            if tmp.exists():
                tmp.unlink()


# ------------------------------------------------------------------------------- actions
def install(where: Layout, *, xlam: pathlib.Path | None = None,
            interpreter: pathlib.Path | None = None, create_folders: bool = False,
            dll_folder: pathlib.Path | None = None) -> list[str]:
    """Install the add-in and the user config; returns the lines to print."""
    data = _check_addin_file(xlam or shipped_xlam())
    python = pathlib.Path(interpreter or sys.executable)
    if not where.excel_dir.is_dir() and not create_folders:
        raise InstallError(
            f"Excel's folder {where.excel_dir} does not exist: Excel has not run for this user "
            "yet. Start Excel once and close it, then run this again (or pass --create-folders "
            "to create it, e.g. when preparing a profile before Excel's first start).")
    config = read_config(where.config)
    notes = []
    config[INTERPRETER_KEY] = str(python)
    this_python = _same_file(python, pathlib.Path(sys.executable))
    if not python.is_file():
        notes.append(f"note: {python} does not exist on this machine.")
    folder = dll_folder if dll_folder is not None else (find_xlwings_dll() if this_python
                                                        else None)
    if folder is None and not this_python and dll_folder is None:
        config.pop(DLL_FOLDER_KEY, None)
        notes.append(f"the xlwings DLL of {python} was not checked (another Python): run "
                     "`computecredit doctor` with that Python.")
    elif folder is None:
        config.pop(DLL_FOLDER_KEY, None)
        notes.append("warning: the xlwings DLL of this Python was not found (is xlwings "
                     "installed from its Windows wheel?); run `computecredit doctor`.")
    elif dll_reachable(python, folder):
        config.pop(DLL_FOLDER_KEY, None)
    else:
        config[DLL_FOLDER_KEY] = str(folder)
        notes.append(f"the xlwings DLL is in {folder} (not next to the interpreter): recorded "
                     f"as {DLL_FOLDER_KEY}.")
    for target in (where.addin, where.config):
        _writable_target(target)
    config_bytes = format_config(config)
    for folder in (where.xlstart, where.config_dir):
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InstallError(f"cannot create {folder}: {exc.strerror or exc}") from None
    staged = [(_stage(where.config, config_bytes), where.config)]
    try:
        staged.append((_stage(where.addin, data), where.addin))
    except InstallError:
        staged[0][0].unlink()
        raise
    _commit(staged)
    return [f"installed {ADDIN_FILE} {package_version()} in {where.xlstart}",
            f"wrote {where.config} ({INTERPRETER_KEY} = {python})", *notes,
            "Restart Excel to load it; `computecredit doctor` checks the set-up."]


def uninstall(where: Layout, *, keep_config: bool = False) -> list[str]:
    lines = []
    targets = [where.addin] + ([] if keep_config else [where.config])
    for target in targets:
        if target.is_file():
            try:
                target.unlink()
            except OSError as exc:
                raise _busy(target, exc) from None
            lines.append(f"removed {target}")
    if not keep_config:
        try:
            where.config_dir.rmdir()  # only when empty
        except OSError:
            pass
    if not lines:
        lines.append(f"{ADDIN_FILE} is not installed in {where.xlstart}; nothing to remove.")
    return lines


def status(where: Layout) -> tuple[bool, list[str]]:
    """(installed and current, lines to print)."""
    ok = True
    lines = []
    if where.addin.is_file():
        v = _addin_version(where.addin)
        if v == package_version():
            lines.append(f"add-in: {where.addin} (version {v}, matches the package)")
        else:
            ok = False
            lines.append(f"add-in: {where.addin} is version {v or 'unknown'}, the package is "
                         f"{package_version()}: run `computecredit addin install` to update it")
    else:
        ok = False
        lines.append(f"add-in: not installed; `computecredit addin install` puts it in "
                     f"{where.xlstart}")
    config = read_config(where.config)
    if where.config.is_file():
        lines.append(f"config: {where.config} ({INTERPRETER_KEY} = "
                     f"{config.get(INTERPRETER_KEY, 'not set')})")
    else:
        ok = False
        lines.append(f"config: {where.config} does not exist")
    return ok, lines


# ----------------------------------------------------------------------------------- CLI
def _add_home(p: argparse.ArgumentParser) -> None:
    p.add_argument("--home", metavar="PROFILE",
                   help="Windows user profile folder to use instead of USERPROFILE/APPDATA "
                        "(APPDATA is then PROFILE/AppData/Roaming)")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    p = sub.add_parser("install", help="copy the add-in to Excel's XLSTART and write the "
                                       "per-user config")
    _add_home(p)
    p.add_argument("--file", type=pathlib.Path, help="the .xlam to install (default: the one "
                                                     "shipped with this package)")
    p.add_argument("--python", type=pathlib.Path, metavar="EXE",
                   help="interpreter the add-in runs (default: this one)")
    p.add_argument("--create-folders", action="store_true",
                   help="create Excel's folder if Excel has not run for this user yet")
    p = sub.add_parser("uninstall", help="remove the add-in and its per-user config")
    _add_home(p)
    p.add_argument("--keep-config", action="store_true", help="leave the config file in place")
    p = sub.add_parser("status", help="show what is installed where")
    _add_home(p)


def run(args: argparse.Namespace) -> int:
    try:
        where = layout(args.home)
        if args.action == "install":
            lines = install(where, xlam=args.file, interpreter=args.python,
                            create_folders=args.create_folders)
            code = 0
        elif args.action == "uninstall":
            lines, code = uninstall(where, keep_config=args.keep_config), 0
        else:
            ok, lines = status(where)
            code = 0 if ok else 1
    except InstallError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for line in lines:
        print(line)
    return code
