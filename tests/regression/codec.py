"""Encoding of call inputs and results for the regression fixture, and their comparison.

Results are encoded to JSON-safe values: floats stay floats (non-finite ones become
``{"float": "nan"}`` etc.), numpy arrays and tuples become lists, DataFrames become
``{"columns": [...], "rows": [...]}``, dataclasses and dicts become dicts, dates ISO text, and
an exception raised by a Python call becomes ``{"error": class name, "message": text}``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import importlib
import math
import re
from typing import Any

import numpy as np
import pandas as pd

RTOL = 1e-12
ATOL = 1e-12   # for values that are zero up to rounding (e.g. a fully repaid balance)


def encode(x: Any) -> Any:
    """A JSON-safe image of a result."""
    if isinstance(x, pd.DataFrame):
        return {"columns": [str(c) for c in x.columns],
                "rows": [[encode(v) for v in r] for r in x.to_numpy(dtype=object).tolist()]}
    if isinstance(x, pd.Series):
        return encode(x.to_numpy())
    if isinstance(x, np.ndarray):
        return [encode(v) for v in x.tolist()]
    if isinstance(x, (list, tuple)):
        return [encode(v) for v in x]
    if isinstance(x, dict):
        return {str(k): encode(v) for k, v in x.items()}
    if dataclasses.is_dataclass(x) and not isinstance(x, type):
        return {f.name: encode(getattr(x, f.name)) for f in dataclasses.fields(x)}
    if isinstance(x, (bool, np.bool_)):
        return bool(x)
    if isinstance(x, (int, np.integer)):
        return int(x)
    if isinstance(x, (float, np.floating)):
        f = float(x)
        if math.isnan(f):
            return {"float": "nan"}
        if math.isinf(f):
            return {"float": "inf" if f > 0 else "-inf"}
        return f
    if isinstance(x, (dt.date, dt.datetime, pd.Timestamp)):
        return x.isoformat()
    if x is None or isinstance(x, str):
        return x
    return repr(x)


def resolve(path: str):
    """The callable named by ``module.attr`` (e.g. ``pymodel.residual.income_value``)."""
    module, _, attr = path.rpartition(".")
    return getattr(importlib.import_module(module), attr)


def run_case(case: dict, fn_names: dict[str, str] | None = None,
             kw_names: dict[str, dict[str, str]] | None = None) -> Any:
    """Call one case and return its encoded result.

    ``fn_names`` maps an old function path to its current one; ``kw_names`` maps, per
    function path, old keyword names to current ones (renamed arguments).
    """
    if case["kind"] == "udf":
        import addin.udfs
        fn = getattr(addin.udfs, case["name"])
        return encode(fn(*case["args"]))
    path = (fn_names or {}).get(case["name"], case["name"])
    renames = (kw_names or {}).get(case["name"], {})
    kwargs = {renames.get(k, k): v for k, v in case.get("kwargs", {}).items()}
    fn = resolve(path)
    try:
        out = fn(*case.get("args", []), **kwargs)
    except Exception as exc:  # noqa: BLE001 - errors are results here
        return {"error": type(exc).__name__, "message": str(exc)}
    post = case.get("post")
    if post == "rows":
        out = out.rows()
    elif post == "frame":
        out = out.frame()
    return encode(out)


def rename_text(text: str, words: dict[str, str]) -> str:
    """Replace whole-word old names by new ones in a message."""
    for old, new in words.items():
        text = re.sub(rf"(?<![A-Za-z0-9_]){re.escape(old)}(?![A-Za-z0-9_])", new, text)
    return text


_ERRORS = ("#VALUE!", "#NUM!", "#N/A")


_NUM = r"\d+(?:\.\d+)?(?:-\d+(?:\.\d+)?)?"
_OLD_CITE = re.compile(rf"(?:the )?[Mm]odel reference,? *(?:\(|sections? )?"
                       rf"({_NUM}(?:(?:, and |, | and ){_NUM})*)\)?")


def cite_as_docs(text: str) -> str:
    """A recorded text with its old "model reference N" citations as the code now writes them
    ("docs/model.md §N"): the sources were rewritten to cite docs/model.md, numbers unchanged."""
    def cite(m: re.Match) -> str:
        parts = re.split(r"(, and |, | and )", m.group(1))
        return "docs/model.md " + "".join(p if i % 2 else "§" + p for i, p in enumerate(parts))
    return _OLD_CITE.sub(cite, text)


def differences(expected: Any, actual: Any, where: str = "", words: dict[str, str] | None = None,
                out: list[str] | None = None) -> list[str]:
    """Where ``actual`` differs from ``expected`` (floats to RTOL; error messages after the
    argument renames ``words``, other texts exactly)."""
    out = [] if out is None else out
    words = words or {}
    if len(out) > 20:
        return out
    if isinstance(expected, float) and isinstance(actual, (int, float)) \
            and not isinstance(actual, bool):
        a = float(actual)
        if not abs(a - expected) <= RTOL * max(abs(a), abs(expected)) + ATOL:
            out.append(f"{where}: {expected!r} -> {a!r}")
        return out
    if isinstance(expected, str) and isinstance(actual, str):
        if expected.startswith(_ERRORS) or where.endswith(".message"):
            expected = rename_text(expected, words)
        expected = cite_as_docs(expected)
        if expected != actual:
            out.append(f"{where}: {expected!r} -> {actual!r}")
        return out
    if isinstance(expected, list) and isinstance(actual, list):
        if len(expected) != len(actual):
            out.append(f"{where}: length {len(expected)} -> {len(actual)}")
            return out
        for i, (e, a) in enumerate(zip(expected, actual)):
            differences(e, a, f"{where}[{i}]", words, out)
        return out
    if isinstance(expected, dict) and isinstance(actual, dict):
        exp = {words.get(k, k): v for k, v in expected.items()}  # keys are names (inputs)
        if set(exp) != set(actual):
            out.append(f"{where}: keys {sorted(exp)} -> {sorted(actual)}")
            return out
        for k in exp:
            differences(exp[k], actual[k], f"{where}.{k}", words, out)
        return out
    if expected != actual:
        out.append(f"{where}: {expected!r} -> {actual!r}")
    return out
