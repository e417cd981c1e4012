"""Regenerate every artefact derived from :data:`addin.registry.REGISTRY`.

Run ``python -m addin.packaging.generate`` after adding or changing an Excel function (``--check`` only
reports stale files). It writes:

* ``addin/packaging/ComputeCredit.bas``: the VBA wrappers (module ``xlwings_udfs``) that xlwings'
  *Import Functions* writes into the add-in, from the real classic decorators (:mod:`addin.packaging.vba`);
* ``addin/packaging/ComputeCreditErrors.bas``: error texts to Excel error values, kept for ``CC_WHY``;
* ``addin/packaging/ComputeCreditHelp.bas``: ``CC_WHY`` and the Function Wizard help and categories;
* ``addin/packaging/ComputeCredit.xlam``: the add-in, built from ``xlwings quickstart ComputeCredit
  --addin`` with these modules written into its VBA project as source and its config sheet
  ``ComputeCredit.conf`` pointing ``UDF MODULES`` at ``addin.udfs`` (:mod:`addin.packaging.xlam`);
* ``docs/functions.md``: the function reference (signature, description, every argument with its
  help, unit and default, an example computed by calling the function).

``tests/addin/packaging/test_metadata.py`` fails when a committed file differs from what this produces.
"""

from __future__ import annotations

import argparse
import importlib
import pathlib
import re
import sys
from typing import Any

from pymodel.errors import DomainError
from pymodel.schema import SCHEMA

from . import vba
from .xlam import CONF_ROWS, CONF_SHEET, build_xlam, zip_members
from ..registry import CATEGORIES, REGISTRY, UdfSpec

__all__ = ["ROOT", "artefacts", "build_xlam", "functions_md", "stale", "main", "zip_members",
           "CONF_SHEET", "CONF_ROWS", "SAMPLES"]

ROOT = pathlib.Path(__file__).resolve().parents[2]

#: Sample values for the documented examples, by parameter name (required arguments; values
#: of the sample H100 deal where it has them). Other required arguments take their declared
#: default; a field block (``deal_inputs``, ``lgd_inputs``) lists its required fields with these
#: values, so the example shows what a block must hold. An example is shown with its computed
#: result only when the call succeeds; otherwise the formula shows the argument names.
SAMPLES: dict[str, Any] = {
    "rent0": 2.4, "t_years": 3.0, "market_price": 20000.0, "cash_cost": 0.45,
    "gpu_cost": 30000.0,
    "pd": 0.02, "lgd": 0.45, "ead": 1_000_000.0, "coverage": 0.8, "collateral_vol": 0.5,
    "cdr": 0.1, "elgd": 0.4, "pair_corr": 0.2, "units": 1000.0, "daily_volume": 200.0,
    "annual_vol": 0.4, "debt": 100_000_000.0, "debt_rate": 0.08, "debt_years": 3.0,
    "sku": "H100", "field": "gpu_kw",
    "dates": [["2025-01-01"], ["2025-07-01"], ["2026-01-01"], ["2026-07-01"]],
    "rents": [[2.9], [2.6], [2.45], [2.2]],
    "gpus": 1024, "gpu_value": 600_000.0,
    "capital": 0.08, "margin": 0.065, "tenant_default_year": 1.0,
    "tape": [["loan_id", "borrower", "ead", "pd", "collateral_value", "sku", "btc_share"],
             ["F1", "Neo A", 60.0, 0.02, 70.0, "H100", 0.0],
             ["F2", "Miner B", 40.0, 0.04, 45.0, "B200", 0.3]],
}
#: Deal samples: the fields a block needs, at the sample deal's values.
BLOCK_SAMPLES: dict[str, dict[str, Any]] = {
    "deal_inputs": {"gpus": 1024, "rent0": 2.35, "cash_cost": 0.5, "debt": 16_000_000.0,
                    "debt_rate": 0.11, "debt_years": 4.0, "gpu_cost": 30000.0},
    "lgd_inputs": {"ead": 1_000_000.0, "pd": 0.02, "gpu_value": 600_000.0},
}


def _block(label: str) -> list[list[Any]] | None:
    """The required fields of the field table ``label`` with sample values."""
    fs = SCHEMA.field_set(label)
    if fs is None:
        return None
    values = BLOCK_SAMPLES.get(label, {})
    names = [n for n in fs.names() if n in fs.required() or n in values]
    if any(n not in values for n in names):
        return None
    return [[n, values[n]] for n in names]


def _sample(a: Any) -> Any:
    """A sample value for argument ``a`` or None."""
    if a.kind == "pairs":
        return _block(a.name)
    if a.name in SAMPLES:
        return SAMPLES[a.name]
    p = SCHEMA.get(a.name)
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
            "pairs": "two-column range (field, value)",
            "pairs_or_blank": "two-column range (field, value) or empty", "matrix": "range",
            "raw": "any"}.get(kind, kind)


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
           "the default.", "",
           "Errors: in Excel a bad input shows a real error value (`#VALUE!` wrong type or "
           "shape, `#NUM!` outside the domain or no convergence, `#N/A` not available), so "
           "`ISERROR`, `IFERROR` and `IFNA` work, and `=CC_WHY(cell)` returns the message, "
           "which names the argument, the bound and the value. In a call over columns (a loan "
           "tape) a bad row is that row's error, naming the row (`pd[7] must be ...`), and "
           "every other row is computed. Called from Python or xlwings Lite, the functions return the message as text starting "
           "with the error tag (`#NUM! deflation must be ...`).", "", "## Contents", ""]
    extra = {c: [name for name, _, cat, _ in vba.VBA_ONLY_FUNCTIONS if cat == c] for c in cats}
    for c in cats:
        names = [s.name for s in specs if s.category == c] + extra[c]
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
                    unit = a.unit
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
        for name, doc, cat, args in vba.VBA_ONLY_FUNCTIONS:
            if cat != c:
                continue
            out += ["", f"### {name}", "", f"`{name}({', '.join(a for a, _ in args)})`", "",
                    _md(doc) + " Part of the add-in itself (VBA; `computecredit recalc` evaluates "
                    "it too), not of the Python functions.",
                    "", "| Argument | Required | Accepts | Unit | Default (empty cell) | Help |",
                    "|---|---|---|---|---|---|"]
            out += [f"| `{a}` | yes | cell reference |  |  | {_md(h)} |" for a, h in args]
            sample = DomainError("deflation", "in (-1, 1)", 1.2).excel_text()
            out += ["", f"Example: `={name}(B7)` where B7 shows `#NUM!` returns the message, "
                        f"e.g. `{sample}`; for a cell without an error it returns empty text."]
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------------------- driver
def artefacts() -> dict[str, bytes]:
    """Relative path -> the bytes the generator would write now."""
    _load_registry()
    return {
        "addin/packaging/ComputeCredit.bas": vba.udfs_bas().encode("utf-8"),
        "addin/packaging/ComputeCreditErrors.bas": vba.errors_bas().encode("utf-8"),
        "addin/packaging/ComputeCreditHelp.bas": vba.help_bas().encode("utf-8"),
        "addin/packaging/ComputeCredit.xlam": build_xlam(),
        "docs/functions.md": functions_md().encode("utf-8"),
    }


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
