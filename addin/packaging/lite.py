"""``computecredit lite-bundle OUT_DIR``: the zero-install route through xlwings Lite.

xlwings Lite (an Office.js add-in from Microsoft's store: Windows, macOS, Excel on the web)
keeps two texts inside a workbook: ``main.py`` and ``requirements.txt``. This command writes both:

* ``main.py`` embeds the sources the Excel functions need (the ``addin.udfs`` import closure of
  :mod:`pymodel` and :mod:`addin`, plus ``pymodel/data``), unpacks them into a temporary folder
  of the Pyodide file system at start-up, imports ``addin.udfs`` and defines one wrapper per
  function of :data:`addin.registry.REGISTRY` with Lite's ``@func``/``@arg`` decorators: same
  names, same arguments, same help, same results (it calls the very same functions);
* ``requirements.txt`` lists what those sources import outside the standard library (numpy,
  scipy, pandas: built for Pyodide) and xlwings.

Pure Python over numpy/scipy/pandas is all Pyodide needs; no wheel has to be hosted (a wheel
would need a CORS-enabled URL).
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import pathlib
import re
import sys
from typing import Iterable

from ..registry import REGISTRY, UdfSpec

__all__ = ["add_arguments", "run", "bundle_files", "data_files", "BundleError", "closure",
           "main_py", "requirements_txt",
           "write_bundle", "stdlib_imports", "ALLOWED_THIRD_PARTY", "PYODIDE_UNSAFE"]

ROOT = pathlib.Path(__file__).resolve().parents[2]
PACKAGES = ("pymodel", "addin")
ENTRY = "addin.udfs"
#: import name -> requirement line. Pyodide ships numpy, scipy and pandas: do not pin them
#: (their versions are tied to the Pyodide release).
ALLOWED_THIRD_PARTY = {"numpy": "numpy", "scipy": "scipy", "pandas": "pandas",
                       "xlwings": "xlwings<1.0.0"}


# ------------------------------------------------------------------------ source closure
def _module_path(name: str) -> pathlib.Path | None:
    parts = name.split(".")
    base = ROOT.joinpath(*parts)
    if (base / "__init__.py").is_file():
        return base / "__init__.py"
    if base.with_suffix(".py").is_file():
        return base.with_suffix(".py")
    return None


def _imports(name: str, path: pathlib.Path) -> Iterable[str]:
    """Absolute names imported anywhere in a module (lazy imports inside functions too)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for a in node.names:
                yield a.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - (node.level - 1)]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            yield mod
            for a in node.names:  # "from pkg import module" imports a module
                if a.name != "*":
                    yield f"{mod}.{a.name}"


#: Standard-library modules that do not work in Pyodide's browser sandbox (no processes,
#: threads or sockets, no GUI).
PYODIDE_UNSAFE = {"multiprocessing", "subprocess", "threading", "concurrent", "socket", "ssl",
                  "tkinter", "ctypes", "asyncio.subprocess", "webbrowser", "winreg", "msvcrt"}


def stdlib_imports() -> set[str]:
    """Top-level standard-library modules the embedded sources import."""
    mods, _ = closure()
    out = set()
    for name in mods:
        out |= {m.split(".")[0] for m in _imports(name, _module_path(name))
                if m.split(".")[0] in sys.stdlib_module_names}
    return out


def closure(entry: str = ENTRY) -> tuple[list[str], set[str]]:
    """Modules of our packages that ``import entry`` needs, and the third-party top-level
    names they import."""
    todo = [entry] + [p for p in PACKAGES]
    seen: dict[str, pathlib.Path] = {}
    third: set[str] = set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        top = name.split(".")[0]
        if top not in PACKAGES:
            if top and top not in sys.stdlib_module_names and top != "__future__":
                third.add(top)
            continue
        path = _module_path(name)
        if path is None:
            continue  # an attribute imported with "from pkg import name"
        seen[name] = path
        parent = name.rpartition(".")[0]
        if parent:
            todo.append(parent)
        todo.extend(_imports(name, path))
    return sorted(seen), third


_DATA_NAME = re.compile(r"""["']([A-Za-z0-9_.-]+\.(?:csv|json|txt))["']""")


class BundleError(RuntimeError):
    """The bundle cannot be built; ``str(exc)`` is one plain line."""


def _text(path: pathlib.Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise BundleError(f"{path.relative_to(ROOT).as_posix()} is not UTF-8 text; the Lite "
                          f"bundle embeds text files only") from None
    except OSError as exc:
        raise BundleError(f"cannot read {path.relative_to(ROOT).as_posix()} "
                          f"({exc.strerror or type(exc).__name__})") from None


def data_files(sources: dict[str, str]) -> list[pathlib.Path]:
    """The package data the embedded sources read: files of ``pymodel/data`` that a source
    names (``"gpu_catalogue.csv"``). Nothing else in the folder is embedded, whatever is
    lying there."""
    data = ROOT / "pymodel" / "data"
    named = {m.group(1) for text in sources.values() for m in _DATA_NAME.finditer(text)}
    return [data / n for n in sorted(named) if (data / n).is_file()]


def bundle_files() -> dict[str, str]:
    """Relative path -> text of every file main.py embeds."""
    mods, _ = closure()
    files = {}
    for name in mods:
        path = _module_path(name)
        files[path.relative_to(ROOT).as_posix()] = _text(path)
    for f in data_files(files):
        files[f.relative_to(ROOT).as_posix()] = _text(f)
    return dict(sorted(files.items()))


# ------------------------------------------------------------------------ main.py
def _literal(text: str) -> str:
    """A readable raw triple-quoted literal when possible, else repr()."""
    if "'''" not in text and not text.endswith("\\") and "\r" not in text:
        return "r'''" + text + "'''"
    return repr(text)


def _wrapper(spec: UdfSpec) -> str:
    lines = ["@func"]
    for a in spec.args:
        opts = f"doc={a.doc!r}"
        if a.is_range:
            opts = "ndim=2, " + opts
        lines.append(f"@arg({a.name!r}, {opts})")
    params = ", ".join(a.name + ("=None" if a.optional else "") for a in spec.args)
    call = ", ".join(a.name for a in spec.args)
    lines += [f"def {spec.name}({params}):",
              f"    {spec.doc!r}",
              f"    return _udfs.{spec.name}({call})",
              "", ""]
    return "\n".join(lines)


_LOADER = '''
def _unpack():
    """Write the embedded sources to a new private folder (random name, owner-only access):
    nothing placed in the temporary folder beforehand can be imported instead of them."""
    home = tempfile.mkdtemp(prefix="computecredit-")
    for rel, text in _FILES.items():
        path = os.path.join(home, *rel.split("/"))
        os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
        with open(path, "x", encoding="utf-8", newline="") as fh:
            fh.write(text)
    return home


def _load():
    """Import addin.udfs from the unpacked sources. While it imports, ``xlwings`` is a shim
    whose decorators do nothing: the classic options the add-in applies (category, ...) are
    not Lite's; Lite's decorators are applied to the wrappers below instead."""
    home = _unpack()
    sys.path.insert(0, home)
    for name in [m for m in sys.modules if m.split(".")[0] in ("pymodel", "addin")]:
        del sys.modules[name]  # a re-run of main.py must not keep older copies
    real = sys.modules.get("xlwings")
    shim = types.ModuleType("xlwings")
    shim.func = shim.arg = shim.ret = lambda *a, **k: (lambda f: f)
    sys.modules["xlwings"] = shim
    try:
        return importlib.import_module("addin.udfs")
    finally:
        if real is not None:
            sys.modules["xlwings"] = real
        else:
            del sys.modules["xlwings"]


_udfs = _load()

'''


def main_py() -> str:
    """The text of main.py."""
    import addin.udfs  # noqa: F401  (registers every function)
    import pymodel
    specs = [REGISTRY[k] for k in sorted(REGISTRY) if not k.startswith("TEST_")]
    files = bundle_files()
    head = f'''"""ComputeCredit {pymodel.__version__} for xlwings Lite: {len(specs)} Excel functions.

Generated by `computecredit lite-bundle` from the ComputeCredit sources; do not edit, regenerate.
Same function names, arguments, help and results as the ComputeCredit add-in (addin.udfs):
type =GPU_RV( in a cell. Bad input returns a text starting with #VALUE!, #NUM! or #N/A that
names the argument. The model sources (pure Python over numpy, scipy and pandas) are embedded
below in _FILES and unpacked into a temporary folder when xlwings Lite starts.
"""

import hashlib
import importlib
import os
import sys
import tempfile
import types

from xlwings import arg, func

_VERSION = {pymodel.__version__!r}

'''
    body = ["_FILES = {"]
    for rel, text in files.items():
        body.append(f"    {rel!r}: {_literal(text)},")
    body.append("}\n")
    wrappers = "".join(_wrapper(s) for s in specs)
    return head + "\n".join(body) + _LOADER + "\n" + wrappers.rstrip() + "\n"


def requirements_txt() -> str:
    """requirements.txt for xlwings Lite, derived from what the embedded sources import."""
    _, third = closure()
    unknown = sorted(third - set(ALLOWED_THIRD_PARTY))
    if unknown:
        raise BundleError(f"the Excel functions import {unknown}, which the Lite bundle does "
                           f"not ship (Pyodide needs pure Python or its own builds)")
    unsafe = sorted(stdlib_imports() & PYODIDE_UNSAFE)
    if unsafe:
        raise BundleError(f"the Excel functions import {unsafe}, which Pyodide cannot run")
    lines = ["# xlwings Lite requirements for ComputeCredit (generated by computecredit "
             "lite-bundle)",
             "# numpy, scipy and pandas come built for Pyodide: their versions follow Pyodide."]
    lines += sorted(ALLOWED_THIRD_PARTY[t] for t in third | {"xlwings"})
    return "\n".join(lines) + "\n"


def write_bundle(out_dir: pathlib.Path | str) -> list[pathlib.Path]:
    out = pathlib.Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in (("main.py", main_py()), ("requirements.txt", requirements_txt())):
        path = out / name
        path.write_text(text, encoding="utf-8", newline="\n")
        written.append(path)
    return written


# ------------------------------------------------------------------------ CLI
def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("out_dir", metavar="OUT_DIR",
                        help="folder to write main.py and requirements.txt into (created)")


def run(args: argparse.Namespace) -> int:
    try:
        paths = write_bundle(args.out_dir)
    except BundleError as exc:
        print(f"lite-bundle: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"lite-bundle: cannot write into {args.out_dir} "
              f"({exc.strerror or type(exc).__name__})", file=sys.stderr)
        return 2
    size = paths[0].stat().st_size
    digest = hashlib.sha256(paths[0].read_bytes()).hexdigest()[:12]
    print(f"wrote {paths[0]} ({size:,} bytes, sha256 {digest}...) and {paths[1]}")
    print("In Excel: Home > xlwings Lite; paste main.py into the main.py tab and "
          "requirements.txt into the requirements.txt tab; restart xlwings Lite if asked.")
    return 0
