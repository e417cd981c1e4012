"""Convert what Excel sends into typed Python values (and nothing else: no maths here).

Excel (classic xlwings or Office.js) sends floats for integers, 1x1 ranges as scalars or as
``[[x]]``, empty and error cells as ``None`` (or error strings such as ``"#N/A"``), ranges as
lists of lists. Each converter names the argument in its error, so the cell shows which input is
wrong. An empty optional cell (``None``) is mapped to the model default in
:func:`addin.registry.convert_args`, the one place that does so.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from pymodel.errors import (EXCEL_ERROR_CODES as EXCEL_ERRORS, DomainError, InputError,
                            InputTypeError)

__all__ = ["unwrap", "to_number", "to_int", "to_text", "to_bool", "to_vector",
           "to_number_or_vector", "to_pairs", "to_pairs_or_blank", "to_matrix", "is_blank",
           "CONVERTERS"]

MAX_CELLS = 1_000_000  # guard: a whole-column reference must not hang Excel


def _is_error_text(x: Any) -> bool:
    return isinstance(x, str) and x.strip().upper().startswith(EXCEL_ERRORS)


def is_blank(x: Any) -> bool:
    """True for an empty cell: ``None`` or an empty string (or a 1x1 range of one)."""
    x = unwrap(x)
    return x is None or (isinstance(x, str) and not x.strip())


def _as_2d(x: Any) -> list[list[Any]]:
    if isinstance(x, np.ndarray):
        x = x.tolist()
    if isinstance(x, (list, tuple)):
        if not x:
            return []
        if set(map(type, x)) == {list}:   # fast path: rows as xlwings sends them
            return list(map(list, x))
        if all(isinstance(r, (list, tuple, np.ndarray)) for r in x):
            return [list(r.tolist() if isinstance(r, np.ndarray) else r) for r in x]
        return [[v] for v in x]  # a 1-D list is read as a column
    return [[x]]


def unwrap(x: Any) -> Any:
    """Return the single value of a 1x1 range (``[[x]]``, ``[x]``) or ``x`` itself."""
    while isinstance(x, (list, tuple, np.ndarray)) and len(x) == 1:
        x = x[0]
    if isinstance(x, np.ndarray) and x.ndim == 0:
        x = x.item()
    return x


def _scalar_number(name: str, v: Any) -> float:
    if isinstance(v, (bool, np.bool_)):
        raise InputTypeError(name, value=bool(v), key="not_number")
    if _is_error_text(v):
        raise InputTypeError(name, value=v.strip(), key="error_cell", formatted=v.strip())
    if isinstance(v, str):
        raise InputTypeError(name, value=v, key="not_number")
    if isinstance(v, (list, tuple, np.ndarray)):
        shown = _shape_text(v)
        raise InputTypeError(name, value=shown, key="not_number", formatted=shown)
    try:
        f = float(v)
    except (TypeError, ValueError):
        raise InputTypeError(name, value=v, key="not_number") from None
    if not math.isfinite(f):
        raise DomainError(name, "a finite number", f, key="not_finite")
    return f + 0.0  # normalise -0.0


def _shape_text(x: Any) -> str:
    rows = _as_2d(x)
    return f"a {len(rows)}x{len(rows[0]) if rows else 0} range"


def to_number(name: str, x: Any) -> float | None:
    """A single number, or ``None`` for an empty cell."""
    if isinstance(x, (list, tuple, np.ndarray)) and np.size(np.asarray(x, dtype=object)) > 1:
        shown = _shape_text(x)
        raise InputTypeError(name, value=shown, key="not_number", formatted=shown)
    x = unwrap(x)
    if is_blank(x):
        return None
    return _scalar_number(name, x)


def to_int(name: str, x: Any) -> int | None:
    """A whole number (Excel sends 4.0 for 4), or ``None``."""
    f = to_number(name, x)
    if f is None:
        return None
    if f != math.floor(f) or abs(f) > 2**53:
        raise InputTypeError(name, value=f, key="not_integer")
    return int(f)


def to_text(name: str, x: Any) -> str | None:
    """Text (trimmed), or ``None`` for an empty cell. Numbers are not accepted as text."""
    x = unwrap(x)
    if is_blank(x):
        return None
    if _is_error_text(x):
        raise InputTypeError(name, value=x, key="error_cell", formatted=x.strip())
    if not isinstance(x, str):
        raise InputTypeError(name, value=x, key="not_text")
    return x.strip()


def to_bool(name: str, x: Any) -> bool | None:
    """TRUE/FALSE (also 1/0 and the texts TRUE/FALSE), or ``None``."""
    x = unwrap(x)
    if is_blank(x):
        return None
    if isinstance(x, (bool, np.bool_)):
        return bool(x)
    if isinstance(x, str) and x.strip().upper() in ("TRUE", "FALSE"):
        return x.strip().upper() == "TRUE"
    if isinstance(x, (int, float)) and not isinstance(x, bool) and x in (0, 1):
        return bool(x)
    raise InputTypeError(name, "TRUE or FALSE", x, key="choice")


def to_matrix(name: str, x: Any) -> list[list[Any]]:
    """A rectangular range as a list of rows (a scalar becomes a 1x1 range)."""
    rows = _as_2d(x)
    n = sum(map(len, rows))
    if n > MAX_CELLS:
        raise InputTypeError(name, value=None, key="too_many", limit=MAX_CELLS, n=n)
    if rows and len(set(map(len, rows))) != 1:
        raise InputTypeError(name, value="a ragged range", key="not_number",
                             formatted="a ragged range")
    return rows


def to_vector(name: str, x: Any) -> list[float] | None:
    """Numbers from a single row or column (or one number). Trailing empty cells are dropped
    (a range selected a little too long); an empty cell inside is an error. ``None`` if the
    whole range is empty."""
    rows = to_matrix(name, x)
    if not rows:
        return None
    if len(rows) > 1 and len(rows[0]) > 1:
        raise InputTypeError(name, value=None, key="not_vector", rows=len(rows),
                             cols=len(rows[0]))
    flat = [r[0] for r in rows] if len(rows[0]) == 1 else list(rows[0])
    while flat and is_blank(flat[-1]):
        flat.pop()
    if not flat:
        return None
    if set(map(type, flat)) <= {float, int}:  # fast path: a clean number range
        arr = np.asarray(flat, dtype=float)
        if np.isfinite(arr).all():
            return (arr + 0.0).tolist()
    out = []
    for i, v in enumerate(flat):
        label = name if len(flat) == 1 else f"{name}[{i + 1}]"
        if is_blank(v):
            raise InputError(label, key="required")
        out.append(_scalar_number(label, v))
    return out


def to_number_or_vector(name: str, x: Any) -> float | list[float] | None:
    """A number for a single cell, a list for a row or column range."""
    if type(x) is list and len(x) > 1 and set(map(type, x)) == {list} and min(map(len, x)):
        return to_vector(name, x)   # fast path: two or more rows of cells (a tape's column)
    if isinstance(x, (list, tuple, np.ndarray)) and np.size(np.asarray(x, dtype=object)) > 1:
        return to_vector(name, x)
    return to_number(name, x)


def to_pairs(name: str, x: Any) -> list[tuple[Any, Any]]:
    """A two-column range of (field name, value) rows. Values are passed on raw (the model's
    field table parses them); empty rows are kept for the parser to skip."""
    rows = to_matrix(name, x)
    if not rows:
        raise InputError(name, key="required")
    if len(rows[0]) != 2:
        raise InputTypeError(name, value=None, key="not_pairs", cols=len(rows[0]))
    out = []
    for i, (field, value) in enumerate(rows, start=1):
        field, value = unwrap(field), unwrap(value)
        label = f"{name}.{field}" if isinstance(field, str) and field.strip() else \
            f"{name} (row {i}, no field name)"
        if _is_error_text(value):
            raise InputTypeError(label, value=value, key="error_cell", formatted=value.strip())
        if isinstance(value, float) and not math.isfinite(value):
            raise DomainError(label, "a finite number", value, key="not_finite")
        out.append((field, value))
    return out


def to_pairs_or_blank(name: str, x: Any) -> list[tuple[Any, Any]] | None:
    """An optional field/value block: ``None`` for an empty cell, else :func:`to_pairs`."""
    if is_blank(x):
        return None
    return to_pairs(name, x)


def _raw(name: str, x: Any) -> Any:
    return x


#: kind name -> converter, used by :func:`addin.registry.udf`.
CONVERTERS = {
    "number": to_number,
    "int": to_int,
    "text": to_text,
    "bool": to_bool,
    "vector": to_vector,
    "number_or_vector": to_number_or_vector,
    "pairs": to_pairs,
    "pairs_or_blank": to_pairs_or_blank,
    "matrix": to_matrix,
    "raw": _raw,
}

#: kinds whose Excel argument is a range (xlwings reads them with ndim=2).
RANGE_KINDS = {"vector", "number_or_vector", "pairs", "pairs_or_blank", "matrix"}
