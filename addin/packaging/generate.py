"""Regenerate every artefact derived from :data:`addin.registry.REGISTRY`.

Run ``python -m addin.packaging.generate`` after adding or changing an Excel function (``--check`` only
reports stale files). It writes:

* ``addin/packaging/ComputeCredit.bas``: the VBA wrappers (module ``xlwings_udfs``) that xlwings'
  *Import Functions* writes into the add-in, from the real classic decorators (:mod:`addin.packaging.vba`);
* ``addin/packaging/ComputeCreditHelp.bas``: one macro registering the Function Wizard help and categories;
* ``addin/packaging/ComputeCredit.xlam``: the custom add-in made by ``xlwings quickstart ComputeCredit
  --addin`` with its configuration sheet pointing ``UDF MODULES`` at ``addin.udfs`` (the VBA
  project is copied byte for byte);
* ``docs/functions.md``: the function reference (signature, description, every argument with its
  help, unit and default, an example computed by calling the function).

``tests/addin/packaging/test_metadata.py`` fails when a committed file differs from what this produces.
"""

from __future__ import annotations

import argparse
import copy
import importlib
import io
import pathlib
import re
import subprocess
import sys
import tempfile
import zipfile
from typing import Any

from pymodel.defaults import PARAMS

from . import vba
from ..registry import CATEGORIES, REGISTRY, UdfSpec

__all__ = ["ROOT", "artefacts", "build_xlam", "functions_md", "stale", "main", "zip_members",
           "CONF_SHEET", "CONF_ROWS", "SAMPLES"]

ROOT = pathlib.Path(__file__).resolve().parents[2]

#: The add-in's VBA keeps xlwings' quickstart project name ``myaddin`` (``PROJECT_NAME`` is
#: compiled into the VBA project, which we do not touch): its config sheet is ``myaddin.conf``.
CONF_SHEET = "myaddin.conf"
#: Rows of the config sheet (key, value). Interpreter and PYTHONPATH rows are left out on purpose
#: so that ``%USERPROFILE%\.myaddin\myaddin.conf`` or ``pythonw`` on the PATH decide them.
CONF_ROWS: tuple[tuple[str, Any], ...] = (
    ("UDF Modules", vba.UDF_MODULE),
    ("Debug UDFs", False),
    ("Use UDF Server", False),
    ("Show Console", False),
)

#: Sample values for the documented examples, by argument name (required arguments without a
#: model default). Other required arguments take their default from pymodel.defaults; a
#: two-column field table takes the first fields of the FieldSet named like the argument. An
#: example is shown with its computed result only when the call succeeds; otherwise the formula
#: shows the argument names.
SAMPLES: dict[str, Any] = {
    "rent0": 2.4, "years": 3.0, "market_price": 20000.0, "cash_cost": 0.45, "cost": 30000.0,
    "times": [[0.0], [1.0], [2.0], [3.0]],
    "pd": 0.02, "lgd": 0.45, "ead": 1_000_000.0, "coverage": 0.8, "collateral_vol": 0.5,
    "cdr": 0.1, "elgd": 0.4, "rho": 0.2, "units": 1000.0, "daily_volume": 200.0,
    "annual_vol": 0.4, "principal": 100_000_000.0, "annual_rate": 0.08,
    "sku": "H100", "field": "gpu_kw",
    "dates": [["2025-01-01"], ["2025-07-01"], ["2026-01-01"], ["2026-07-01"]],
    "rents": [[2.9], [2.6], [2.45], [2.2]],
}
FIELD_ROWS = 3


def _field_set(label: str) -> Any:
    import pkgutil

    import pymodel
    from pymodel.fields import FieldSet
    for m in pkgutil.iter_modules(pymodel.__path__):
        mod = importlib.import_module(f"pymodel.{m.name}")
        for v in vars(mod).values():
            if isinstance(v, FieldSet) and v.label == label:
                return v
    return None


def _sample(a: Any) -> Any:
    """A sample value for argument ``a`` or None."""
    if a.name in SAMPLES:
        return SAMPLES[a.name]
    if a.kind == "pairs":
        fs = _field_set(a.name)
        if fs is None:
            return None
        rows = [[f.name, float(f.default)] for f in fs
                if isinstance(f.default, (int, float)) and not isinstance(f.default, bool)]
        return rows[:FIELD_ROWS] or None
    p = PARAMS.get(a.name)
    if p is not None and isinstance(p.default, (int, float)) and not isinstance(p.default, bool):
        return float(p.default)
    return None


# ---------------------------------------------------------------------------- registry
def _load_registry() -> dict[str, UdfSpec]:
    importlib.import_module(vba.UDF_MODULE)  # registers every function
    return REGISTRY


def _specs() -> list[UdfSpec]:
    reg = _load_registry()
    return [reg[k] for k in sorted(reg)]


# ---------------------------------------------------------------------------- xlam
def _quickstart_xlam() -> bytes:
    """Run xlwings' own ``xlwings quickstart ComputeCredit --addin`` in a temp dir."""
    code = "from xlwings.cli import main; main()"
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-c", code, "quickstart", "ComputeCredit", "--addin"],
                       cwd=tmp, check=True, capture_output=True, text=True)
        return (pathlib.Path(tmp) / "ComputeCredit" / "ComputeCredit.xlam").read_bytes()


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


def build_xlam(template: bytes | None = None) -> bytes:
    """The ComputeCredit add-in: xlwings' quickstart add-in with its config sheet activated
    (``_myaddin.conf`` renamed to ``myaddin.conf``) and ``UDF MODULES = addin.udfs``; title and
    description set for Excel's Add-ins dialog. Every other part, including
    ``xl/vbaProject.bin``, is copied unchanged (same order, timestamps and compression)."""
    import pymodel
    src = zipfile.ZipFile(io.BytesIO(template if template is not None else _quickstart_xlam()))
    sheet, sst = _conf_sheet_parts(src.read("xl/worksheets/sheet1.xml").decode("utf-8"))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for old in src.infolist():
            info = copy.copy(old)  # writestr updates offsets in place
            data = src.read(old)
            if info.filename == "xl/workbook.xml":
                text = data.decode("utf-8")
                new = text.replace('name="_myaddin.conf"', f'name="{CONF_SHEET}"')
                if new == text:
                    raise RuntimeError("unexpected quickstart add-in layout (sheet name)")
                data = new.encode("utf-8")
            elif info.filename == "xl/worksheets/sheet1.xml":
                data = sheet.encode("utf-8")
            elif info.filename == "xl/sharedStrings.xml":
                data = sst.encode("utf-8")
            elif info.filename == "docProps/core.xml":
                text = data.decode("utf-8")
                desc = (f"ComputeCredit {pymodel.__version__}: credit analytics for debt secured "
                        f"on AI compute (Python functions via xlwings, module {vba.UDF_MODULE}).")
                text = text.replace("<dc:title />", "<dc:title>ComputeCredit</dc:title>")
                text = text.replace("<dc:description />",
                                    f"<dc:description>{_xml_text(desc)}</dc:description>")
                data = text.encode("utf-8")
            dst.writestr(info, data)
    return out.getvalue()


# ---------------------------------------------------------------------------- docs
def _md(text: Any) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _fmt_default(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, (list, tuple)):
        return "none" if not v else "; ".join(_fmt_default(x) for x in v)
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, float) and v == int(v) and abs(v) < 1e15:
        return str(int(v))
    return str(v)


def _fmt_value(v: Any) -> str:
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, float):
        if v == int(v) and abs(v) < 1e15:
            return str(int(v))
        return f"{v:.6g}"
    if isinstance(v, str):
        return f'"{v}"'
    return str(v)


def _fmt_arg(v: Any) -> str:
    """An Excel array constant: rows separated by ``;``, columns by ``,``."""
    if isinstance(v, list):
        rows = [r if isinstance(r, list) else [r] for r in v]
        return "{" + ";".join(",".join(_fmt_value(x) for x in r) for r in rows) + "}"
    return _fmt_value(v)


def _kind_text(kind: str) -> str:
    return {"number": "number", "int": "whole number", "text": "text", "bool": "TRUE/FALSE",
            "vector": "row or column of numbers", "number_or_vector": "number or row/column",
            "pairs": "two-column range (field, value)", "matrix": "range", "raw": "any"}.get(
        kind, kind)


def signature(spec: UdfSpec) -> str:
    """``NAME(a, b, [c])``: optional arguments in brackets, as Excel's own help writes them."""
    return spec.name + "(" + ", ".join(f"[{a.name}]" if a.optional else a.name
                                       for a in spec.args) + ")"


def example(spec: UdfSpec) -> tuple[str, str | None]:
    """A formula with sample inputs and what it returns, or the formula with argument names."""
    required = [a for a in spec.args if not a.optional]
    values = [_sample(a) for a in required]
    placeholder = "=" + spec.name + "(" + ", ".join(a.name for a in required) + ")"
    if any(v is None for v in values):
        return placeholder, None
    formula = "=" + spec.name + "(" + ", ".join(_fmt_arg(v) for v in values) + ")"
    result = spec.func(*values)
    if isinstance(result, str) and result.startswith(("#VALUE!", "#NUM!", "#N/A")):
        return placeholder, None
    if isinstance(result, list):
        rows, cols = len(result), len(result[0]) if result else 0
        head = ", ".join(_fmt_value(v) for v in result[0][:6])
        more = ", ..." if cols > 6 else ""
        if rows == 1 and cols == 1:
            return formula, _fmt_value(result[0][0])
        return formula, f"{rows} x {cols} cells (spilled); first row: {head}{more}"
    return formula, _fmt_value(result)


def functions_md() -> str:
    """The function reference (Markdown)."""
    import pymodel
    specs = _specs()
    cats = [c for c in CATEGORIES if any(s.category == c for s in specs)]
    cats += sorted({s.category for s in specs} - set(cats))
    out = ["# ComputeCredit function reference", "",
           "Generated by `python -m addin.packaging.generate` from `addin.registry` (the one metadata "
           "source that also feeds the add-in's VBA wrappers and the Function Wizard help); do "
           "not edit by hand.", "",
           f"Model version {pymodel.__version__} (`=COMPUTECREDIT_VERSION()`), "
           f"{len(specs)} functions. Conventions: rates, probabilities, correlations, shares "
           "and deflation are decimals (0.30 = 30%); time is in years; rents and cash costs "
           "per GPU-hour; values per GPU. An empty optional argument (shown in brackets) means "
           "the default. Bad input returns a text starting with `#VALUE!`, `#NUM!` or `#N/A` "
           "that names the argument.", "", "## Contents", ""]
    for c in cats:
        names = [s.name for s in specs if s.category == c]
        anchor = re.sub(r"[^a-z0-9 -]", "", c.lower()).replace(" ", "-")
        out.append(f"* [{c}](#{anchor}): " + ", ".join(f"`{n}`" for n in names))
    for c in cats:
        out += ["", f"## {c}"]
        for s in (s for s in specs if s.category == c):
            out += ["", f"### {s.name}", "", f"`{signature(s)}`", "", _md(s.doc), ""]
            if s.args:
                out += ["| Argument | Required | Accepts | Unit | Default (empty cell) | Help |",
                        "|---|---|---|---|---|---|"]
                for a in s.args:
                    unit = PARAMS[a.name].unit if a.name in PARAMS else ""
                    out.append(f"| `{a.name}` | {'no' if a.optional else 'yes'} | "
                               f"{_kind_text(a.kind)} | {_md(unit)} | "
                               f"{_md(_fmt_default(a.default)) if a.optional else ''} | "
                               f"{_md(a.doc)} |")
            else:
                out.append("No arguments.")
            formula, result = example(s)
            out.append("")
            if result is None:
                out.append(f"Example: `{formula}` (cells holding the inputs).")
            else:
                out.append(f"Example: `{formula}` returns {_md(result)}.")
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------------------- driver
def artefacts() -> dict[str, bytes]:
    """Relative path -> the bytes the generator would write now."""
    _load_registry()
    return {
        "addin/packaging/ComputeCredit.bas": vba.udfs_bas().encode("utf-8"),
        "addin/packaging/ComputeCreditHelp.bas": vba.help_bas().encode("utf-8"),
        "addin/packaging/ComputeCredit.xlam": build_xlam(),
        "docs/functions.md": functions_md().encode("utf-8"),
    }


def zip_members(data: bytes) -> list[tuple[str, bytes]]:
    """(name, uncompressed bytes) of every part of a zip package, in order."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return [(i.filename, z.read(i)) for i in z.infolist()]


def same_artefact(rel: str, old: bytes, new: bytes) -> bool:
    """Equal content; packages compare part by part (zlib output may differ by platform)."""
    if rel.endswith(".xlam"):
        try:
            return zip_members(old) == zip_members(new)
        except zipfile.BadZipFile:
            return False
    return old == new


def stale(root: pathlib.Path = ROOT) -> list[str]:
    """Committed artefacts that differ from what the generator produces now."""
    return [rel for rel, data in artefacts().items()
            if not (root / rel).is_file()
            or not same_artefact(rel, (root / rel).read_bytes(), data)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m addin.packaging.generate", description=__doc__
                                     .splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only list stale artefacts")
    args = parser.parse_args(argv)
    if args.check:
        bad = stale()
        for rel in bad:
            print(f"stale: {rel}")
        return 1 if bad else 0
    for rel, data in artefacts().items():
        path = ROOT / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.is_file() or not same_artefact(rel, path.read_bytes(), data):
            path.write_bytes(data)
            print(f"wrote {rel}")
        else:
            print(f"up to date: {rel}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
