"""The one adapter between Excel and :mod:`pymodel`, and the one source of Excel metadata.

Every Excel function is declared with :func:`udf`::

    @udf(category=CAT_RV, kinds={"t_years": "number_or_vector"})
    def GPU_RENT(rent0, t_years, deflation, step_years=None, step_downs=None):
        '''Market rent per GPU-hour at year t ... (<= 255 characters).'''
        return residual.rent_path(rent0, t_years, deflation, step_years=step_years, ...)

Every argument is a parameter declared in the model's schema (:data:`pymodel.schema.SCHEMA`):
its help, unit, default and the kind of cell it takes derive from that one declaration. An
argument is optional in Excel exactly when its Python default is ``None``, and then the
parameter must have a default (or mean something when empty). The decorator

* converts each argument from what Excel sends (the kind follows the parameter's kind unless
  ``kinds`` says otherwise, e.g. a column for a loan tape; see
  :data:`addin.cells.CONVERTERS`); an empty optional cell becomes the declared default, the one
  place where ``None`` is mapped;
* catches every error: :class:`~pymodel.errors.ComputeCreditError` becomes its clean
  ``#VALUE!``/``#NUM!``/``#N/A`` text; anything else becomes a short ``#VALUE!`` internal-error
  text (never a traceback);
* shapes the result: numpy scalars to float, 1-D arrays to a column, DataFrames to a header row
  plus rows; NaN or inf in a scalar result becomes a ``#NUM!`` message, inside a table ``#N/A``;
  ``None`` inside a table becomes an empty string;
* records a :class:`UdfSpec` (name, category, docstring, argument help, unit and default from
  the schema) in :data:`REGISTRY`, checked against Excel's limits, and applies the xlwings
  decorators (``xw.func``/``xw.arg``) from that same spec.
"""

from __future__ import annotations

import functools
import inspect
import logging
import math
import re
import sys
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from pymodel.errors import ComputeCreditError, InputError
from pymodel.frames import Rows, plain_tables
from pymodel.schema import SCHEMA, Param

from .cells import CONVERTERS, MAX_CELLS, RANGE_KINDS, _as_2d, is_blank

__all__ = ["udf", "UdfSpec", "ArgSpec", "REGISTRY", "shape_result", "call_safely", "tape_by_rows",
           "has_empty_rows", "apply_xlwings", "is_cell_reference", "CATEGORIES"]

log = logging.getLogger("computecredit")

CAT_RV = "ComputeCredit Residual Value"
CAT_DSCR = "ComputeCredit Coverage"
CAT_LGD = "ComputeCredit Loss"
CAT_INFO = "ComputeCredit Info"
CATEGORIES = (CAT_RV, CAT_DSCR, CAT_LGD, CAT_INFO)

MAX_HELP = 255
MAX_ARGS = 30


@dataclass
class ArgSpec:
    name: str
    doc: str
    kind: str
    optional: bool
    default: Any  # the value an empty optional cell stands for
    unit: str = ""

    @property
    def is_range(self) -> bool:
        return self.kind in RANGE_KINDS


@dataclass
class UdfSpec:
    name: str
    category: str
    doc: str
    args: list[ArgSpec]
    body: Callable[..., Any]
    func: Callable[..., Any] = field(repr=False, default=None)
    module: str = ""
    volatile: bool = False


REGISTRY: dict[str, UdfSpec] = {}

_CELL = re.compile(r"^(\$?[A-Z]{1,3}\$?[0-9]+|R[0-9]*C[0-9]*|R|C)$", re.IGNORECASE)


def is_cell_reference(name: str) -> bool:
    """True if Excel could read ``name`` as a cell address, e.g. ``LGD1``, ``A1`` or ``R1C1``.

    Conservative, as QuantLibXL's linter: any run of letters followed only by digits is
    rejected (``DSCR2`` too, although column DSCR lies beyond XFD today), and R1C1 forms.
    """
    return bool(re.match(r"^[A-Z]+[0-9]+$", name, re.IGNORECASE) or _CELL.match(name))


def _finite_cell(v: Any) -> Any:
    if v is None:
        return ""
    if isinstance(v, (np.bool_, bool)):
        return bool(v)
    if isinstance(v, (np.integer,)):
        return float(v)
    if isinstance(v, (float, np.floating)):
        f = float(v)
        if math.isnan(f):
            return "#N/A"
        if math.isinf(f):
            return "#NUM! the result is infinite (an input is at the edge of its domain)"
        return f + 0.0
    if isinstance(v, int):
        return float(v)
    if isinstance(v, str):
        return v
    if hasattr(v, "isoformat"):
        return v.isoformat()
    return str(v)


def _cell(v: Any) -> Any:
    """:func:`_finite_cell` with a fast path for a finite Python float (most table cells)."""
    if type(v) is float and v - v == 0.0:  # NaN and inf give NaN
        return v + 0.0
    return _finite_cell(v)


def shape_result(name: str, result: Any) -> Any:
    """Turn a model result into what a cell or a spilled range can hold."""
    if isinstance(result, Rows):  # a table as plain rows (plain_tables)
        rows = [list(map(str, result.columns))] + result.rows
        return [[_cell(v) for v in r] for r in rows]
    pd = sys.modules.get("pandas")  # nothing is a pandas object before pandas is imported
    if pd is not None:
        if isinstance(result, pd.DataFrame):
            rows = [list(map(str, result.columns))]
            rows += result.to_numpy(dtype=object).tolist()
            return [[_cell(v) for v in r] for r in rows]
        if isinstance(result, pd.Series):
            result = result.to_numpy()
    if isinstance(result, np.ndarray):
        if result.ndim == 0:
            result = result.item()
        elif result.ndim == 1:
            if result.dtype == np.float64 and np.isfinite(result).all():
                return [[v] for v in (result + 0.0).tolist()]   # fast path: finite numbers
            return [[_finite_cell(v)] for v in result.tolist()]
        else:
            return [[_finite_cell(v) for v in r] for r in result.tolist()]
    if isinstance(result, (list, tuple)):
        if not result:
            return "#N/A " + name + ": empty result"
        if all(isinstance(r, (list, tuple, np.ndarray)) for r in result):
            return [[_finite_cell(v) for v in r] for r in result]
        return [[_finite_cell(v)] for v in result]
    if result is None:
        return "#N/A " + name + ": no result"
    if isinstance(result, (float, np.floating, int, np.integer)) and not isinstance(result, bool):
        f = float(result)
        if not math.isfinite(f):
            return f"#NUM! {name}: the result is not a finite number for these inputs"
        return f + 0.0
    return _finite_cell(result)


def _call(name: str, fn: Callable[..., Any]) -> tuple[Any, BaseException | None]:
    """Run ``fn``: (shaped result, None), or (clean error text, the exception). Never raises."""
    try:
        with np.errstate(all="ignore"), plain_tables():
            return shape_result(name, fn()), None
    except ComputeCreditError as exc:
        return exc.excel_text(), exc
    except RecursionError as exc:
        return f"#NUM! {name}: the inputs are too large to evaluate", exc
    except MemoryError as exc:
        return f"#NUM! {name}: the inputs are too large to evaluate (out of memory)", exc
    except Exception as exc:  # never a traceback in a cell
        log.exception("internal error in %s", name)
        return f"#VALUE! {name}: internal error ({type(exc).__name__}); please report it", exc


def call_safely(name: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run ``fn`` and return a shaped result or a clean error text (never raises)."""
    return _call(name, lambda: fn(*args, **kwargs))[0]


# ------------------------------------------------------------------------- loan tapes
#: The cell kind of an argument that takes one value per row of a loan tape (a column, computed
#: row by row by the model).
TAPE_KIND = "number_or_vector"


class _NotRowwise(Exception):
    """A part of the tape did not give one result row per input row."""


def _tape_column(x: Any) -> list[Any] | None:
    """The cells of a single row or column range of more than one cell, else None."""
    if type(x) is list and len(x) > 1 and set(map(type, x)) == {list} \
            and set(map(len, x)) == {1}:
        return [r[0] for r in x]  # fast path: a column as xlwings sends it
    rows = _as_2d(x)
    if not rows or (len(rows) == 1 and len(rows[0]) <= 1):
        return None
    if len(rows) > 1 and any(len(r) != 1 for r in rows):
        return None
    return [r[0] for r in rows] if len(rows) > 1 else list(rows[0])


def _tape_columns(spec: UdfSpec, values: dict[str, Any]) -> dict[str, list[Any]] | None:
    """The tape arguments given as columns of one common length (trailing rows that are empty
    in every column dropped), or None when this is not a tape call. A column with no value at
    all is left out: it stands for an empty argument (its default), not a tape."""
    cols = {a.name: c for a in spec.args if a.kind == TAPE_KIND
            and (c := _tape_column(values[a.name])) is not None
            and not all(is_blank(v) for v in c)}
    if not cols or len({len(c) for c in cols.values()}) != 1:
        return None
    n = len(next(iter(cols.values())))
    while n > 1 and all(is_blank(c[n - 1]) for c in cols.values()):
        n -= 1
    return {k: c[:n] for k, c in cols.items()}


def _about_a_row(exc: BaseException, cols: dict[str, list[Any]]) -> bool:
    """Whether an error can come from single rows: one naming a tape argument (``rent0``,
    ``rent0[7]``), or one naming no argument (no convergence, internal). An error about another
    argument (a bad scalar) concerns the whole call."""
    name = getattr(exc, "name", None)
    if not isinstance(name, str):
        return True
    return re.split(r"[\[:]", name, maxsplit=1)[0].strip() in cols


def _row_label(text: str, exc: BaseException, cols: dict[str, list[Any]], i: int) -> str:
    """``#NUM! pd must be ...`` of row i becomes ``#NUM! pd[i+1] must be ...``, as a message
    about one cell of a column reads."""
    name = getattr(exc, "name", None)
    if isinstance(name, str) and name in cols:
        tag, _, rest = text.partition(" ")
        if rest.startswith(name + " "):
            return f"{tag} {name}[{i + 1}]{rest[len(name):]}"
    return text


def _result_rows(result: Any, n: int) -> list[list[Any]]:
    if not isinstance(result, list):
        rows = [[result]]
    else:
        rows = result
    if len(rows) != n or not all(isinstance(r, list) for r in rows):
        raise _NotRowwise
    return rows


def _is_empty(v: Any) -> bool:
    """An empty cell of a tape column (its cells are plain values, not ranges)."""
    return v is None or (type(v) is str and not v.strip())


#: Types of a cell value that is never an empty cell (:func:`_is_empty`).
_NEVER_EMPTY = frozenset((float, int, bool))


def has_empty_rows(spec: UdfSpec, values: dict[str, Any]) -> bool:
    """Whether a tape call has an empty cell in a row that is not empty in every column."""
    cols = _tape_columns(spec, values)
    return bool(cols) and any(not set(map(type, c)) <= _NEVER_EMPTY and any(map(_is_empty, c))
                              for c in cols.values())


def tape_by_rows(spec: UdfSpec, values: dict[str, Any], exc: BaseException | None
                 ) -> list[list[Any]] | None:
    """The result of a tape call computed row by row: a bad row is that row's error text, an
    empty cell is resolved in its row (the default of an optional argument, else that row's
    error), every other row is computed. Used when the call as a whole failed (``exc``) or has
    empty cells (``exc`` None: a column call would drop a trailing empty cell and stretch the
    shorter column over the others). None when the call is not a tape call, the error concerns
    the whole call, or the function does not compute row by row.

    Halves of the tape are computed in one model call each and only a failing half is split
    again, so k bad rows among n cost about 2 k log2(n) model calls, not n.
    """
    cols = _tape_columns(spec, values)
    if cols is None or (exc is not None and not _about_a_row(exc, cols)):
        return None
    n = len(next(iter(cols.values())))
    if n > MAX_CELLS:  # the size guard's own error concerns the whole call
        return None

    empty = [0] * (n + 1)  # empty[i]: rows before i with an empty cell in some column
    for i in range(n):
        empty[i + 1] = empty[i] + any(_is_empty(c[i]) for c in cols.values())

    def solve(lo: int, hi: int, failed: bool = False) -> list[list[Any]]:
        # a part known to fail, or with an empty cell (resolved in its own row: a column call
        # would drop a trailing one and stretch what is left), is split without a call
        if hi - lo > 1 and (failed or empty[hi] > empty[lo]):
            mid = (lo + hi) // 2
            return solve(lo, mid) + solve(mid, hi)
        part = dict(values)
        for k, c in cols.items():
            part[k] = [[v] for v in c[lo:hi]] if hi - lo > 1 else c[lo]
        result, err = _call(spec.name, lambda: spec.body(**convert_args(spec, part)))
        if err is None:
            return _result_rows(result, hi - lo)
        if hi - lo == 1:
            return [[_row_label(result, err, cols, lo)]]
        return solve(lo, hi, failed=True)

    try:
        rows = solve(0, n, failed=exc is not None)
    except _NotRowwise:
        return None
    width = max(len(r) for r in rows)
    return [r if len(r) == width else r * width for r in rows]


def convert_args(spec: UdfSpec, values: dict[str, Any]) -> dict[str, Any]:
    """Convert raw Excel values by kind; empty optional cells become their default."""
    out = {}
    for a in spec.args:
        v = CONVERTERS[a.kind](a.name, values[a.name])
        if v is None:
            if a.optional:
                v = a.default
            else:
                raise InputError(a.name, key="required")
        out[a.name] = v
    return out


#: Cell kind of an argument, by the kind of its parameter (``kinds=`` overrides it).
KIND_OF_PARAM = {"float": "number", "int": "int", "choice": "text", "text": "text",
                 "bool": "bool", "list": "vector", "block": "pairs", "date": "raw",
                 "range": "matrix"}


def _param(func: str, name: str, params: Any) -> Param:
    try:
        return params[name]
    except KeyError:
        raise ValueError(f"{func}.{name}: not a parameter of the model; declare it in the "
                         "schema next to the maths that uses it (pymodel.schema.declare)"
                         ) from None


def udf(*, category: str, kinds: dict[str, str] | None = None, volatile: bool = False,
        params: Any = None) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare an Excel function (see the module docstring).

    Parameters
    ----------
    category : str
        Function Wizard category.
    kinds : dict, optional
        Argument name -> cell kind, where it differs from the parameter's kind (a column for
        a loan tape: ``"number_or_vector"``; a range of dates: ``"matrix"``).
    volatile : bool, optional
        Refused (ComputeCredit functions are never volatile).
    params : mapping, optional
        Where the arguments are declared (default :data:`pymodel.schema.SCHEMA`).
    """
    kinds = kinds or {}
    params = SCHEMA if params is None else params

    def deco(body: Callable[..., Any]) -> Callable[..., Any]:
        name = body.__name__
        doc = inspect.cleandoc(body.__doc__ or "")
        sig = inspect.signature(body)
        args = []
        for p in sig.parameters.values():
            if p.kind is not inspect.Parameter.POSITIONAL_OR_KEYWORD:
                raise ValueError(f"{name}: Excel functions take positional arguments only")
            optional = p.default is not inspect.Parameter.empty
            if optional and p.default is not None:
                raise ValueError(f"{name}.{p.name}: an optional argument defaults to None (an "
                                 "empty cell); its value comes from the schema")
            prm = _param(name, p.name, params)
            if optional and prm.required:
                raise ValueError(f"{name}.{p.name}: optional in Excel but required in the "
                                 "schema (declare its default there)")
            args.append(ArgSpec(p.name, prm.help(optional=optional),
                                kinds.get(p.name, KIND_OF_PARAM[prm.kind]), optional,
                                prm.default if optional else None, prm.unit))
        unknown = set(kinds) - {a.name for a in args}
        if unknown:
            raise ValueError(f"{name}: metadata for unknown arguments {sorted(unknown)}")
        spec = UdfSpec(name, category, doc, args, body, module=body.__module__,
                       volatile=volatile)
        _lint(spec)

        @functools.wraps(body)
        def wrapper(*a: Any, **k: Any) -> Any:
            given: dict[str, Any] = {}
            try:
                pre = sig.bind(*a, **k)
                pre.apply_defaults()
                empty_rows = has_empty_rows(spec, pre.arguments)
            except Exception:  # a bad call is reported by run() below
                empty_rows = False
            if empty_rows:
                by_rows = tape_by_rows(spec, pre.arguments, None)
                if by_rows is not None:
                    return by_rows

            def run() -> Any:
                bound = sig.bind(*a, **k)
                bound.apply_defaults()
                given.update(bound.arguments)
                return body(**convert_args(spec, bound.arguments))
            result, exc = _call(name, run)  # never raises: errors become cell text
            if exc is not None and given:
                by_rows = tape_by_rows(spec, given, exc)
                if by_rows is not None:
                    return by_rows
            return result

        spec.func = wrapper
        old = REGISTRY.get(name)
        if old is not None and old.module != spec.module:
            raise ValueError(f"Excel function {name} is defined in {old.module} and "
                             f"{spec.module}")
        REGISTRY[name] = spec
        return apply_xlwings(spec, wrapper)

    return deco


def _lint(spec: UdfSpec) -> None:
    """Excel's limits, checked when the function is declared."""
    problems = []
    if not re.match(r"^[A-Z][A-Z0-9_]*$", spec.name):
        problems.append("name must be upper case letters, digits and _")
    if is_cell_reference(spec.name):
        problems.append("name reads as a cell address")
    if not spec.doc or len(spec.doc) > MAX_HELP:
        problems.append(f"docstring must be 1..{MAX_HELP} characters (has {len(spec.doc)})")
    if len(spec.args) > MAX_ARGS:
        problems.append(f"at most {MAX_ARGS} arguments")
    for a in spec.args:
        if not a.doc or len(a.doc) > MAX_HELP:
            problems.append(f"help of {a.name} must be 1..{MAX_HELP} characters "
                            f"(has {len(a.doc)})")
    if spec.volatile:
        problems.append("volatile functions are not allowed")
    if problems:
        raise ValueError(f"{spec.name}: " + "; ".join(problems))


def _xlwings_decorates() -> bool:
    """Whether ``xw.func``/``xw.arg`` do anything in this process: on Windows (classic
    xlwings, Excel's COM server) and on an xlwings server they record the metadata; on Linux
    and macOS without ``XLWINGS_ON_SERVER`` xlwings defines them as no-ops, so importing
    xlwings (which pulls in pandas and matplotlib) would only cost time."""
    import os
    import sys
    return (not sys.platform.startswith(("linux", "darwin"))
            or os.environ.get("XLWINGS_ON_SERVER") == "true")


def apply_xlwings(spec: UdfSpec, fn: Callable[..., Any], xw_module: Any = None
                  ) -> Callable[..., Any]:
    """Apply ``xw.func``/``xw.arg`` from the spec (no-ops on Linux; the classic decorators when
    the VBA wrappers are generated, see :mod:`addin.packaging.vba`)."""
    if xw_module is None:
        if not _xlwings_decorates():
            return fn  # xlwings' decorators are no-ops here: skip its (slow) import
        try:
            import xlwings as xw_module  # noqa: F811
        except ImportError:  # pragma: no cover - the add-in needs xlwings, tests do not
            return fn
    func, arg = xw_module.func, xw_module.arg
    for a in reversed(spec.args):
        options = {"doc": a.doc}
        if a.is_range:
            options["ndim"] = 2
        fn = arg(a.name, **options)(fn)
    fn = func(category=spec.category, volatile=False, call_in_wizard=True)(fn)
    meta = getattr(fn, "__xlfunc__", None)
    if meta is not None:  # classic xlwings: the Function Wizard text is the linted docstring,
        meta["ret"]["doc"] = spec.doc  # not the raw one (indentation, newlines, > 255 chars)
    return fn
