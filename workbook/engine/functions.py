"""Our Excel functions inside the ``formulas`` engine: registered in its function table (the
library's documented extension point), with cell values converted on the way in and out; and
the engine's cell and parser classes we use (text results capped as in Excel).

Nothing of the library is replaced or patched: our functions are added under their own names
(and under ``_XLDUDF_NAME``), a skipped argument of ours arrives as the private function
:data:`~workbook.engine.formulatext.SKIPPED_FUNCTION` written into the evaluation copy by
:func:`~workbook.engine.formulatext.mark_skipped`, and table results use a subclass of the
library's array type that fits a range as Excel does.
"""

from __future__ import annotations

import contextlib
import importlib
import itertools
import sys
import types
from typing import Any, Callable, Iterator

from pymodel.errors import excel_error_code

from .formulatext import SKIPPED_FUNCTION
from .sheetxml import ErrorValue

__all__ = ["engine", "our_names", "plain", "error_token", "cell_class", "SKIPPED", "WHY"]

#: Error codes the engine represents as its own error values (others become #VALUE!).
ENGINE_ERROR_CODES = ("#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NUM!", "#NAME?", "#N/A")


class _Skipped:
    """A skipped argument of one of our functions (Excel passes nothing there)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "SKIPPED"


SKIPPED = _Skipped()
_STATE: dict[str, Any] = {}
#: The add-in's reason function: VBA in Excel (it keeps each error's message); here the engine's
#: error value carries the message itself.
WHY = "CC_WHY"


def our_names() -> dict[str, str]:
    """Upper-case name -> name of every ComputeCredit Excel function."""
    if "ours" not in _STATE:
        from addin import udfs  # noqa: F401  (registers every Excel function)
        from addin.registry import REGISTRY
        _STATE["ours"] = {name.upper(): name for name in REGISTRY}
        _STATE["ours"][WHY] = WHY
    return _STATE["ours"]


def engine() -> tuple[Any, dict[str, Any]]:
    """The ``formulas`` module and its function table, with every ComputeCredit function
    registered (once per process)."""
    import formulas
    functions = _library_functions()
    _excel_model()
    if "registered" not in _STATE:
        from addin.registry import REGISTRY
        our_names()
        for name, spec in REGISTRY.items():
            functions[name.upper()] = _engine_function(spec.name, spec.func)
            functions["_XLDUDF_" + name.upper()] = functions[name.upper()]
        functions[WHY] = functions["_XLDUDF_" + WHY] = _why_function()
        from .columns import ROWWISE_PREFIX, VECTOR_FUNCTIONS
        for name in VECTOR_FUNCTIONS & set(REGISTRY):
            functions[ROWWISE_PREFIX + name] = _engine_function(
                name, _rowwise(REGISTRY[name].func))
        functions[SKIPPED_FUNCTION] = _skipped_function()
        from .xlfunctions import register as register_excel
        register_excel(functions)
        from .excelfns import register
        register(functions)
        _STATE["registered"] = True
    return formulas, functions


#: What the engine's statistics functions (``formulas.functions.stat``) import at the top of
#: their module but use only inside the functions that need them (KURT, T.DIST, F.TEST, ...).
#: Importing them costs about a second (scipy.stats alone loads scipy.optimize, scipy.spatial and
#: scipy.ndimage and parses hundreds of docstrings), while a model that sums and takes MAX/MIN
#: never calls them: they are imported at the first call instead (:func:`_deferred_imports`).
STAT_DEFERRED = ("scipy.stats", "scipy.interpolate", "scipy.linalg")


def _library_functions() -> dict[str, Any]:
    """The ``formulas`` library's function table (one per process: the library caches it),
    its statistics module imported with :data:`STAT_DEFERRED` deferred."""
    import formulas
    if "formulas.functions.stat" not in sys.modules:
        with _deferred_imports(STAT_DEFERRED):
            importlib.import_module("formulas.functions.stat")
    return formulas.get_functions()


#: What the engine's workbook model (``formulas.excel``) imports at the top of its module but uses
#: only to write a workbook with openpyxl, which the engine never does here (the copy is written
#: by :mod:`.output`): openpyxl costs a fifth of a second to import, so it is left unimported.
EXCEL_DEFERRED = ("openpyxl.cell.cell", "openpyxl.utils.exceptions")


def _excel_model() -> Any:
    """The engine's workbook model module (``formulas.excel``), imported with
    :data:`EXCEL_DEFERRED` deferred."""
    if "formulas.excel" not in sys.modules:
        with _deferred_imports(EXCEL_DEFERRED):
            importlib.import_module("formulas.excel")
    return sys.modules["formulas.excel"]


class _DeferredModule(types.ModuleType):
    """Stands for a module while another module's top-level imports run: a name imported from
    it, or read from it later, resolves to the real module's when it is first used."""

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("__"):
            raise AttributeError(attr)
        name = self.__name__
        if sys.modules.get(name) is self:  # still importing: ``from module import attr``
            return _DeferredName(name, attr)
        return getattr(importlib.import_module(name), attr)


class _DeferredName:
    """A name imported from a deferred module (a function or class), imported when it is
    first called or read."""

    __slots__ = ("_module", "_attr")

    def __init__(self, module: str, attr: str) -> None:
        self._module, self._attr = module, attr

    def _target(self) -> Any:
        return getattr(importlib.import_module(self._module), self._attr)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._target()(*args, **kwargs)

    def __getattr__(self, attr: str) -> Any:
        return getattr(self._target(), attr)

    def __repr__(self) -> str:
        return f"<deferred {self._module}.{self._attr}>"


@contextlib.contextmanager
def _deferred_imports(names: tuple[str, ...]) -> Iterator[None]:
    """While the body runs, importing any of ``names`` (not imported yet) gives a
    :class:`_DeferredModule`; afterwards they import normally (and the deferred stand-ins
    forward to the real modules)."""
    placed = {}
    for name in names:
        if name not in sys.modules:
            placed[name] = sys.modules[name] = _DeferredModule(name)
    try:
        yield
    finally:
        for name, stub in placed.items():
            if sys.modules.get(name) is stub:
                del sys.modules[name]


def cell_class() -> type:
    """The engine's cell class, with a parser whose ``&`` joins as Excel does (booleans as
    TRUE/FALSE, numbers with 15 significant digits) and caps text at Excel's limit, whose
    arithmetic reads texts as Excel does (``="2024-01-31"+0``), and an
    output filter that turns any text longer than 32,767 characters into #VALUE!."""
    if "cell" not in _STATE:
        from formulas.cell import Cell
        from formulas.parser import Parser
        from formulas.tokens.operator import OperatorToken

        from .excelfns import capped_concat, operators, text_cap
        from .xlfunctions import join_operator

        class CappedOperator(OperatorToken):
            def compile(self) -> Any:
                if self.name == "&":
                    return capped_concat(join_operator())
                return operators().get(self.name.upper()) or super().compile()

        class CappedParser(Parser):
            filters = [_bounded(CappedOperator if f is OperatorToken else f)
                       for f in Parser.filters]

        class CappedCell(Cell):
            parser = CappedParser(True)

            def _output_filters(self) -> tuple[Any, ...]:
                return (text_cap,) + tuple(super()._output_filters())

        _STATE["cell"] = CappedCell
    return _STATE["cell"]


#: Time one token of a formula may take to match (the library tokenizes with regular
#: expressions; a crafted formula must not make one run for minutes).
TOKEN_SECONDS = 1.0
_LAMBDA_CALL = None


def call_closes(text: str) -> bool:
    """Whether the call that ``text`` starts with (``LAMBDA(``, ``LET(``) has its closing
    parenthesis, strings ("...") skipped as the engine's tokenizer skips them (linear time)."""
    i = text.find("(")
    depth = 0
    n = len(text)
    while 0 <= i < n:
        ch = text[i]
        if ch == '"':
            j = i + 1
            while True:
                j = text.find('"', j)
                if j < 0:
                    return False
                if text[j + 1:j + 2] == '"':
                    j += 2
                    continue
                break
            i = j + 1
            continue
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return True
        i += 1
    return False


def _bounded(token: type) -> type:
    """The library's token class, matched with a time limit: a match running longer than
    :data:`TOKEN_SECONDS` makes the formula unreadable (one line) instead of hanging. The
    LAMBDA/LET token (whose expression backtracks exponentially on a call that never closes)
    first checks that the call closes."""
    import re

    from formulas.errors import FormulaError
    from formulas.tokens.function import Lambda

    global _LAMBDA_CALL
    _LAMBDA_CALL = _LAMBDA_CALL or re.compile(r"^\s*(?:_XLFN\.)?(?:LAMBDA|LET)\(", re.I)
    is_lambda = issubclass(token, Lambda)

    from .excelfns import check_stop

    def match(self: Any, s: str) -> Any:
        check_stop()   # the evaluation budget also bounds reading many slow formulas
        if is_lambda and _LAMBDA_CALL.match(s) and not call_closes(s):
            return None
        try:
            return self._re.match(s, timeout=TOKEN_SECONDS)
        except TimeoutError:
            raise FormulaError(s[:80]) from None

    return type(token.__name__, (token,), {"match": match, "__module__": __name__})


def _skipped_function() -> Callable[..., Any]:
    import numpy as np

    def skipped() -> Any:
        out = np.empty((1, 1), dtype=object)
        out[0, 0] = SKIPPED
        return out

    return skipped


def _why_function() -> Callable[..., Any]:
    """``CC_WHY(cell)``: the message of the error in the cell (its first cell for a range),
    empty text when it holds no error, as the add-in's VBA function answers in Excel."""
    import numpy as np
    from formulas.functions import wrap_func
    from formulas.tokens.operand import XlError

    def why(cell: Any = None) -> Any:
        v = cell
        if isinstance(v, np.ndarray):
            v = v.ravel()[0] if v.size else None
        if isinstance(v, XlError):
            text = getattr(v, "message", "") or (
                f"{v} no reason recorded: the error does not come from a ComputeCredit function")
        else:
            text = ""
        out = np.empty((1, 1), dtype=object)
        out[0, 0] = text
        return out

    return wrap_func(why)


def _error_class() -> type:
    if "error_class" not in _STATE:
        from formulas.tokens.operand import XlError

        class MessageError(XlError):
            """An engine error value that carries our message (``#NUM! pd must be ...``).

            Equal to the engine's own error value of the same code (the engine's ``IFNA`` and
            ``ISNA`` compare with ``==``), hashed as the engine's tokens are (by identity)."""

            def __eq__(self, other: object) -> bool:
                return self is other or (isinstance(other, XlError)
                                         and str.__eq__(str(self), str(other)))

            def __ne__(self, other: object) -> bool:
                return not self.__eq__(other)

            __hash__ = XlError.__hash__

        _STATE["error_class"] = MessageError
    return _STATE["error_class"]


def error_token(code: str, message: str = "") -> Any:
    """An engine error value for ``code`` carrying ``message`` to the report."""
    if code not in ENGINE_ERROR_CODES:
        code = "#VALUE!"
    err = _error_class()(code)
    err.message = message
    return err


def _rowwise(func: Callable[..., Any]) -> Callable[..., Any]:
    """``func`` computing every row as a call on that row alone would (a column of formulas
    evaluated in one call, :mod:`.columns`)."""
    import functools

    from pymodel.bivariate import rowwise

    @functools.wraps(func)
    def call(*args: Any) -> Any:
        with rowwise():
            return func(*args)
    return call


def _engine_function(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    import numpy as np
    import schedula as sh
    from formulas.functions import wrap_func
    from formulas.tokens.operand import XlError

    def cell_in(v: Any) -> Any:
        if v is sh.EMPTY or v is SKIPPED or (isinstance(v, sh.Token) and str(v) == "empty"):
            return None
        if isinstance(v, XlError):
            return str(v)
        if isinstance(v, np.generic):
            return v.item()
        return v

    def arg_in(x: Any) -> Any:
        if isinstance(x, np.ndarray):
            if x.size == 1 and x.ravel()[0] is SKIPPED:
                return None
            rows = np.atleast_2d(x).tolist()
            if x.dtype != object or set(map(type, x.ravel().tolist())) <= _PLAIN:
                return rows   # numbers, booleans and text: as they are (a tape's columns)
            return [[cell_in(v) for v in row] for row in rows]
        return cell_in(x)

    def cell_out(v: Any) -> Any:
        code = excel_error_code(v) if isinstance(v, str) else None
        return error_token(code, v) if code else v

    def call(*args: Any) -> Any:
        result = func(*(arg_in(a) for a in args))
        if isinstance(result, list):
            if set(map(type, result)) == {list} and len(set(map(len, result))) == 1 and \
                    set(map(type, itertools.chain.from_iterable(result))) <= _NUMBERS:
                out = np.empty((len(result), len(result[0])), dtype=object)
                out[...] = result   # fast path: rows of numbers (no error text to convert)
                return out.view(_fit_array_class())
            rows = [[cell_out(v) for v in row] for row in result]
        else:
            rows = [[cell_out(result)]]
        out = np.empty((len(rows), len(rows[0]) if rows else 0), dtype=object)
        for i, row in enumerate(rows):
            out[i, :] = row
        return out.view(_fit_array_class())

    call.__name__ = name
    return wrap_func(call)


#: Types of cell values our functions take as they are (a blank, an error, a numpy scalar is
#: converted; ``type`` is exact, so the engine's blank token, a str subclass, is not among them).
_PLAIN = frozenset((float, int, bool, str))
#: Types of results of our functions that reach a cell as they are.
_NUMBERS = frozenset((float, int, bool))


def _fit_array_class() -> type:
    """An array that fits into its range as Excel does: a table larger than the array-formula
    range is cut to the range, a smaller one is padded with #N/A (the engine's own reshape
    returns #VALUE! for a larger table)."""
    if "fit_array" not in _STATE:
        import numpy as np
        from formulas.functions import Array
        from formulas.tokens.operand import Error

        class FitArray(Array):
            def reshape(self, shape: Any, *shapes: Any, order: str = "C") -> Any:
                if (not shapes and isinstance(shape, tuple) and len(shape) == 2
                        and all(isinstance(k, int) and k > 0 for k in shape)
                        and tuple(shape) != self.shape and self.ndim == 2):
                    res = np.empty(shape, dtype=object)
                    res[:, :] = Error.errors["#N/A"]
                    r, c = min(shape[0], self.shape[0]), min(shape[1], self.shape[1])
                    res[:r, :c] = np.asarray(self)[:r, :c]
                    return res
                return super().reshape(shape, *shapes, order=order)

        _STATE["fit_array"] = FitArray
    return _STATE["fit_array"]


def plain(v: Any) -> Any:
    """A value from the engine as plain Python: float, bool, str, None or ErrorValue."""
    import numpy as np
    import schedula as sh
    from formulas.tokens.operand import XlError
    if isinstance(v, np.ndarray):
        v = v.ravel()[0] if v.size else None
    if isinstance(v, XlError):
        return ErrorValue(str(v), getattr(v, "message", ""))
    if v is sh.EMPTY or v is SKIPPED or (isinstance(v, sh.Token) and str(v) == "empty"):
        return None
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, float, np.integer, np.floating)):
        return float(v)
    return v if isinstance(v, str) else str(v)
