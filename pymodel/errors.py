"""The error catalogue of ComputeCredit.

Every user-facing message is built here. Each error carries the Excel error code it maps to, so
the add-in translates errors in one place:

* :class:`InputTypeError` (``#VALUE!``): wrong type or shape (text where a number is needed,
  ranges of different lengths, unknown field names);
* :class:`DomainError` (``#NUM!``): a number outside its domain (PD outside (0, 1), g outside
  (-1, 1), rent <= 0);
* :class:`ConvergenceError` (``#NUM!``): a root finder or integration failed, or no solution
  exists;
* :class:`NotAvailableError` (``#N/A``): a result that does not exist for these inputs (a
  breakeven that is never binding, a missing catalogue entry).

Messages name the argument, the bound and the value: ``"deflation must be in (-1, 1); got 1.2"``.
"""

from __future__ import annotations

import math
from typing import Any

__all__ = [
    "ComputeCreditError",
    "InputError",
    "InputTypeError",
    "DomainError",
    "ConvergenceError",
    "NotAvailableError",
    "format_value",
    "MESSAGES",
    "EXCEL_ERROR_CODES",
    "excel_error_code",
]

#: Excel's error values as a cell shows them and a workbook file stores them (``t="e"``): the
#: one list used by the add-in (error text in an argument), the headless engine (results) and
#: the worksheet writer (cached values). Every ``excel_code`` below is one of them.
EXCEL_ERROR_CODES = ("#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A",
                     "#GETTING_DATA", "#SPILL!", "#CALC!")


def excel_error_code(text: Any) -> str | None:
    """The Excel error code that ``text`` starts with (``"#NUM! pd must be ..."`` -> ``"#NUM!"``),
    case-insensitively and after leading blanks; None for anything else."""
    if not isinstance(text, str):
        return None
    head = text.lstrip()[:13].upper()
    if not head.startswith("#"):
        return None
    for code in EXCEL_ERROR_CODES:
        if head.startswith(code):
            return code
    return None


#: Message templates. Placeholders: ``name`` (argument), ``bound`` (what is allowed),
#: ``value`` (what was given, already formatted).
MESSAGES = {
    "domain": "{name} must be {bound}; got {value}",
    "not_number": "{name} must be a number; got {value}",
    "not_integer": "{name} must be a whole number; got {value}",
    "not_text": "{name} must be text; got {value}",
    "not_finite": "{name} must be a finite number; got {value}",
    "required": "{name} is required; got an empty cell",
    "required_field": "{name}: {value} is required ({what})",
    "error_cell": "{name} refers to an error cell ({value})",
    "choice": "{name} must be one of {bound}; got {value}",
    "length_mismatch": "{name} must have the same length as {other} ({n_other}); got {n}",
    "too_many": "{name} must have at most {limit} values; got {n}",
    "too_few": "{name} must have at least {limit} values; got {n}",
    "not_vector": "{name} must be a single row or column; got a {rows}x{cols} range",
    "unknown_field": "{name}: unknown field {value}{hint}",
    "unnamed_value": "{name}: the value {value} has no field name in its row",
    "duplicate_field": "{name}: field {value} appears more than once",
    "not_pairs": "{name} must be a two-column range of field name and value; got {cols} column(s)",
    "order": "{name} must be {bound}; got {value}",
    "conflict": "{name} must be empty when the {other} block gives the {what}; got {value}",
    "needs": "{name} needs {other}; got {value} without it",
    "unknown_tenant": "{name}: unknown tenant {value}; the tenants are {bound}",
    "missing_column": "{name} has no column {value} (required); columns found: {found}",
    "repeats": "{name} repeats {value}, already in {other}",
}


def format_value(value: Any) -> str:
    """Format a user value for a message: short, unambiguous, never a repr of a numpy type."""
    if value is None:
        return "an empty cell"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, str):
        text = value if len(value) <= 40 else value[:37] + "..."
        return f"text '{text}'"
    shape = getattr(value, "shape", None)
    if isinstance(value, (list, tuple)) or (shape is not None and len(shape) >= 1):
        rows = list(value.tolist() if hasattr(value, "tolist") else value)
        n_cols = max((len(r) if isinstance(r, (list, tuple)) else 1 for r in rows), default=0)
        return f"a range of {len(rows)}x{n_cols} cells"
    try:
        x = float(value)
    except (TypeError, ValueError):
        text = str(value)
        return text if len(text) <= 40 else text[:37] + "..."
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "infinity" if x > 0 else "-infinity"
    if x == int(x) and abs(x) < 1e15:
        return str(int(x))
    return f"{x:.6g}"


class ComputeCreditError(Exception):
    """Base class of every error ComputeCredit raises on purpose."""

    excel_code = "#VALUE!"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def excel_text(self) -> str:
        """The text a cell shows: the Excel error code, then the message."""
        return f"{self.excel_code} {self.message}"


class InputError(ComputeCreditError, ValueError):
    """Invalid input: names the argument, the bound and the value.

    Parameters
    ----------
    name : str
        The argument (or field) name as the user sees it.
    bound : str
        What is allowed, e.g. ``"in (-1, 1)"`` or ``"> 0"``.
    value : Any
        The offending value (formatted with :func:`format_value`).
    key : str, optional
        Template key in :data:`MESSAGES` (default ``"domain"``).
    **extra
        Further template fields.
    """

    def __init__(self, name: str, bound: str = "", value: Any = None, *, key: str = "domain",
                 formatted: str | None = None, **extra: Any):
        self.name = name
        self.bound = bound
        self.value = value
        shown = formatted if formatted is not None else format_value(value)
        super().__init__(MESSAGES[key].format(name=name, bound=bound, value=shown, **extra))


class InputTypeError(InputError, TypeError):
    """Wrong type or shape of an input (Excel ``#VALUE!``)."""

    excel_code = "#VALUE!"


class DomainError(InputError):
    """A number outside its mathematical or economic domain (Excel ``#NUM!``)."""

    excel_code = "#NUM!"


class ConvergenceError(ComputeCreditError, ArithmeticError):
    """A numerical method failed or no solution exists (Excel ``#NUM!``)."""

    excel_code = "#NUM!"


class NotAvailableError(ComputeCreditError, LookupError):
    """The result does not exist for these inputs (Excel ``#N/A``)."""

    excel_code = "#N/A"
