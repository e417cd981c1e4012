"""Excel functions and rules we give the ``formulas`` engine where its own would run unbounded:
text results longer than Excel's 32,767 characters are ``#VALUE!`` (checked before a long text
is built), and the regular-expression functions stop after a time limit.

Everything here is registered through the engine's function table (:func:`register`) or used by
the engine integration's own cell and parser classes (:func:`text_cap`, :func:`capped_concat`);
nothing of the library is replaced in place.
"""

from __future__ import annotations

import functools
import math
import re
from typing import Any, Callable

from .package import LIMITS

__all__ = ["register", "text_cap", "capped_concat", "blank_matches", "REPLACED",
           "BLANK_MATCHES"]

#: The private function that says whether criteria match an empty cell, as COUNTIF does in
#: Excel (used by the correction of whole-column COUNTIF/COUNTIFS, see :mod:`.ranges`).
BLANK_MATCHES = "_COMPUTECREDIT_BLANK_MATCHES"

#: The Excel functions registered here (with their ``_XLFN.`` names).
REPLACED = ("REPT", "SUBSTITUTE", "CONCAT", "CONCATENATE", "TEXTJOIN", "REGEXTEST",
            "REGEXEXTRACT", "REGEXREPLACE")


def _limit() -> int:
    return int(LIMITS["text_chars"])


def _value_error(message: str) -> Any:
    from .functions import error_token
    return error_token("#VALUE!", f"#VALUE! {message}")


def _too_long() -> Any:
    return _value_error(f"a text result is longer than {_limit():,} characters (Excel's limit)")


def text_cap(value: Any) -> Any:
    """``value`` with every text longer than the limit replaced by #VALUE! (arrays element by
    element; other values unchanged)."""
    import numpy as np
    limit = _limit()
    if isinstance(value, str):
        return _too_long() if len(value) > limit else value
    if isinstance(value, np.ndarray) and value.dtype == object and value.size:
        items = value.ravel().tolist()
        if not any(issubclass(t, str) for t in set(map(type, items))):
            return value   # no text at all (an array of numbers)
        long = [i for i, v in enumerate(items) if isinstance(v, str) and len(v) > limit]
        if long:
            value = value.copy()
            flat = value.reshape(-1)
            for i in long:
                flat[i] = _too_long()
    return value


def capped_concat(func: Callable[..., Any]) -> Callable[..., Any]:
    """The engine's ``&`` operator with its result capped (each operand is already capped)."""
    def concat(*args: Any, **kwargs: Any) -> Any:
        return text_cap(func(*args, **kwargs))

    return functools.update_wrapper(concat, func)


def _str(text: Any) -> str:  # as the engine turns a value into text
    if isinstance(text, bool):
        return str(text).upper()
    if isinstance(text, float) and text.is_integer():
        return "%d" % text
    return str(text)


def _text_length(args: tuple[Any, ...]) -> int:
    """A lower bound of the length of the text the arguments join into."""
    import numpy as np
    total = 0
    for a in args:
        a = getattr(a, "value", a)
        if isinstance(a, np.ndarray):
            for v in a.flat:
                if isinstance(v, str):
                    total += len(v)
        elif isinstance(a, str):
            total += len(a)
    return total


def _joining(func: Callable[..., Any], skip: int = 0) -> Callable[..., Any]:
    """CONCAT/CONCATENATE/TEXTJOIN: #VALUE! before joining when the texts alone are too long."""
    def joined(*args: Any, **kwargs: Any) -> Any:
        if _text_length(args[skip:]) > _limit():
            return _too_long()
        return text_cap(func(*args, **kwargs))

    return functools.update_wrapper(joined, func)


def _regex_kw() -> dict[str, Any]:
    from formulas.functions import replace_empty
    return {"input_parser": lambda *a: a,
            "args_parser": lambda *a: map(functools.partial(replace_empty, empty=""), a),
            "check_nan": False}


#: Excel's regular expressions (PCRE2) refuse a counted repeat above this.
MAX_REPEAT = 65_535
#: What a pattern may expand to when compiled: the library expands counted repeats
#: (``(?:a{1000}){1000}`` compiles to a million items, for seconds and hundreds of MB).
MAX_PATTERN_ITEMS = 100_000
_COUNT = None


def pattern_items(pattern: str) -> int | None:
    """How many items ``pattern`` expands to once its counted repeats (``{n}``, ``{n,}``,
    ``{n,m}``) are written out, nested repeats multiplied (linear time); None when a count is
    above :data:`MAX_REPEAT`."""
    import re
    global _COUNT
    _COUNT = _COUNT or re.compile(r"\{(\d*)(?:,(\d*))?\}")
    stack = [[0, 0]]          # per open group: [items so far, items of the last atom]
    i, n = 0, len(pattern)
    while i < n:
        ch = pattern[i]
        top = stack[-1]
        if ch == "\\":
            j = i + 2
            if i + 1 < n and pattern[i + 1] in "pPxNgk" and j < n and pattern[j] == "{":
                k = pattern.find("}", j)
                j = n if k < 0 else k + 1
            top[0] += 1
            top[1] = 1
            i = j
            continue
        if ch == "[":
            j = i + 1
            if j < n and pattern[j] == "^":
                j += 1
            if j < n and pattern[j] == "]":
                j += 1
            while j < n and pattern[j] != "]":
                if pattern[j] == "\\":
                    j += 2
                    continue
                if pattern[j] == "[" and j + 1 < n and pattern[j + 1] in ":.=":
                    k = pattern.find(pattern[j + 1] + "]", j + 2)
                    j = n if k < 0 else k + 2
                    continue
                j += 1
            top[0] += 1
            top[1] = 1
            i = j + 1
            continue
        if ch == "(":
            stack.append([0, 0])
            i += 1
            continue
        if ch == ")" and len(stack) > 1:
            inner = stack.pop()[0]
            stack[-1][0] += inner
            stack[-1][1] = inner
            i += 1
            continue
        if ch == "{":
            m = _COUNT.match(pattern, i)
            if m and (m.group(1) or m.group(2)):
                lo = int(m.group(1) or 0)
                hi = int(m.group(2)) if m.group(2) else 0
                if lo > MAX_REPEAT or hi > MAX_REPEAT:
                    return None
                extra = top[1] * (max(lo, 1) - 1)
                top[0] += extra
                top[1] += extra
                i = m.end()
                continue
        top[0] += 1
        top[1] = 1
        i += 1
    return sum(frame[0] for frame in stack)


def _compile(pattern: Any, case: Any) -> Any:
    import regex
    from formulas.errors import FoundError
    from formulas.functions import Error, replace_empty
    case = int(float(replace_empty(case)))
    if case not in (0, 1):
        raise FoundError(err=Error.errors["#VALUE!"])
    items = pattern_items(_str(pattern))
    if items is None:
        raise FoundError(err=_value_error(f"the regular expression repeats a part more than "
                                          f"{MAX_REPEAT:,} times (Excel's limit)"))
    if items > MAX_PATTERN_ITEMS:
        raise FoundError(err=_value_error(f"the regular expression's counted repeats expand to "
                                          f"{items:,} items (limit {MAX_PATTERN_ITEMS:,})"))
    try:
        return regex.compile(_str(pattern), regex.IGNORECASE if case == 1 else 0)
    except regex.error:
        raise FoundError(err=Error.errors["#VALUE!"]) from None


def _timed(call: Callable[[float], Any]) -> Any:
    from formulas.errors import FoundError
    seconds = float(LIMITS["regex_seconds"])
    try:
        return call(seconds)
    except TimeoutError:
        raise FoundError(err=_value_error(f"the regular expression ran longer than "
                                          f"{seconds:g} s (limit)")) from None


def regex_test(text: Any, pattern: Any, case: Any = 0) -> Any:
    rx = _compile(pattern, case)
    return _timed(lambda s: rx.search(_str(text), timeout=s) is not None)


def regex_extract(text: Any, pattern: Any, mode: Any = 0, case: Any = 0) -> Any:
    from formulas.functions import Error, replace_empty
    rx = _compile(pattern, case)
    text = _str(text)
    mode = int(float(replace_empty(mode)))
    if mode == 0:
        m = _timed(lambda s: rx.search(text, timeout=s))
        r = [m.group(0) if m else None]
    elif mode == 1:
        r = _timed(lambda s: [m.group(0) for m in rx.finditer(text, timeout=s)]) or [None]
    elif mode == 2:
        m = _timed(lambda s: rx.search(text, timeout=s))
        r = list(m.groups() or [Error.errors["#VALUE!"]]) if m else [None]
    else:
        return Error.errors["#VALUE!"]
    return [Error.errors["#N/A"] if v is None else v for v in r]


def regex_replace(text: Any, pattern: Any, replacement: Any, occurrence: Any = 0,
                  case: Any = 0) -> Any:
    from formulas.functions import replace_empty
    rx = _compile(pattern, case)
    count = int(float(replace_empty(occurrence)))
    text, template = _str(text), _str(replacement)
    size = [len(text)]

    def replace(m: Any) -> str:   # stops as soon as the result would be too long
        r = m.expand(template)
        size[0] += len(r) - (m.end() - m.start())
        if size[0] > _limit():
            raise _TooLong()
        return r
    try:
        return _timed(lambda s: rx.sub(replace, text, count=max(count, 0), timeout=s))
    except _TooLong:
        return _too_long()
    except (regex_error(), IndexError):   # a bad group reference in the replacement
        from formulas.functions import Error
        return Error.errors["#VALUE!"]


class _TooLong(Exception):
    pass


def regex_error() -> type:
    import regex
    return regex.error


def _rept(text: Any, times: Any) -> Any:
    text = _str(text)
    n = int(float(times))
    if n < 0:
        return _value_error("REPT needs a number of times of 0 or more")
    if len(text) * n > _limit():
        return _too_long()
    return text * n


def _substitute(func: Callable[..., Any]) -> Callable[..., Any]:
    def substitute(text: Any, old: Any, new: Any, instance: Any = None) -> Any:
        t, o, n = _str(text), _str(old), _str(new)
        if o and instance is None and len(t) + t.count(o) * (len(n) - len(o)) > _limit():
            return _too_long()
        return text_cap(func(text, old, new, instance))

    return functools.update_wrapper(substitute, func)


def blank_matches(*criteria: Any) -> bool:
    """Whether an empty cell meets every criterion, by Excel's COUNTIF rules: ``""`` and
    ``"="`` match it, ``"<>x"`` matches it for any non-empty x; numbers, comparisons
    (``"<5"``), plain text and wildcards do not."""
    import numpy as np
    for c in criteria:
        c = getattr(c, "value", c)
        if isinstance(c, np.ndarray):
            c = c.ravel()[0] if c.size else ""
        if c is None or (isinstance(c, str) and c in ("", "=")):
            continue
        if isinstance(c, str) and c.startswith("<>") and c[2:] != "":
            continue
        if type(c).__name__ == "Token" and str(c) == "empty":
            continue
        return False
    return True


def register(functions: dict[str, Any]) -> None:
    """Register the functions of this module in the engine's function table."""
    from formulas.functions import replace_empty, wrap_ufunc
    from formulas.functions.text import xsubstitute

    def both(name: str, f: Any) -> None:
        functions[name] = functions["_XLFN." + name] = f

    kw = {"input_parser": lambda *a: a,
          "args_parser": lambda *a: map(functools.partial(replace_empty, empty=""), a)}
    functions["REPT"] = wrap_ufunc(_rept, **kw)
    functions["SUBSTITUTE"] = wrap_ufunc(
        _substitute(xsubstitute), input_parser=lambda *a: a,
        args_parser=lambda *a: (replace_empty(v, "") for v in a))
    both("CONCAT", _joining(functions["CONCAT"]))
    both("CONCATENATE", _joining(functions["CONCATENATE"]))
    both("TEXTJOIN", _joining(functions["TEXTJOIN"], skip=2))
    functions[BLANK_MATCHES] = _blank_function()
    rk = _regex_kw()
    both("REGEXTEST", wrap_ufunc(regex_test, **rk))
    both("REGEXREPLACE", wrap_ufunc(regex_replace, **rk))
    both("REGEXEXTRACT", wrap_ufunc(regex_extract, return_func=_extract_return, **rk))
    for name, f in _criteria_functions().items():
        functions[name] = f
    functions["VALUE"] = _excel_value(functions["VALUE"])
    functions["MUNIT"] = _munit()
    for name in _LAMBDA_HELPERS:
        both(name, _bounded_array(name, functions[name]))
    for name in _SIZED:
        both(name, _bounded_array(name, functions[name]))
    from . import fastarrays
    for name in fastarrays.AGGREGATES:
        if callable(functions[name]):
            functions[name] = fastarrays.aggregate(name, functions[name])
    for name in fastarrays.ELEMENTWISE:
        if callable(functions[name]):
            functions[name] = fastarrays.elementwise(name, functions[name])


# --------------------------------------------------------------------------------------------
# arrays built from a few arguments, and LAMBDA loops: bounded

#: Cells an array built by MAKEARRAY, MUNIT or EXPAND may have (as SEQUENCE: a full column).
MAX_ARRAY_CELLS = 1_048_576
#: Functions that call a LAMBDA once per element: each call checks the evaluation budget.
_LAMBDA_HELPERS = ("MAKEARRAY", "MAP", "BYROW", "BYCOL", "SCAN", "REDUCE")
#: Functions whose result size comes from their arguments: (rows argument, columns argument);
#: None for MUNIT's one size.
_SIZED = {"MAKEARRAY": (0, 1), "MUNIT": (0, None), "EXPAND": (1, 2)}
#: The stop event of the evaluation running in this process (set by the budget's watchdog).
STOP: list[Any] = []


class Stopped(BaseException):
    """The evaluation budget ran out inside a function (never turned into an Excel error)."""


def check_stop() -> None:
    if STOP and STOP[-1].is_set():
        raise Stopped()


def _size(v: Any) -> float | None:
    import numpy as np
    try:
        v = getattr(v, "value", v)
        a = np.asarray(v, dtype=object).ravel()
        return float(a[0]) if a.size == 1 and not isinstance(a[0], (str, bool)) else None
    except (TypeError, ValueError, IndexError):
        return None


def _bounded_array(name: str, entry: Any) -> Any:
    """``entry`` (a function of the engine's table) with its result size checked before it is
    built and every LAMBDA it calls checking the evaluation budget."""
    import numpy as np
    fn = entry["function"] if isinstance(entry, dict) else entry
    sized = _SIZED.get(name)

    def checking(f: Callable[..., Any]) -> Callable[..., Any]:
        def call(*a: Any, **k: Any) -> Any:
            check_stop()
            return f(*a, **k)
        return call

    def bounded(*args: Any, **kwargs: Any) -> Any:
        if sized is not None and len(args) > sized[0]:
            rows = _size(args[sized[0]])
            if sized[1] is None:
                cols = rows
            elif len(args) > sized[1]:
                cols = _size(args[sized[1]])
            else:
                cols = float(np.atleast_2d(getattr(args[0], "value", args[0])).shape[1])
            if rows is not None and cols is not None and rows * cols > MAX_ARRAY_CELLS:
                err = error_code("#NUM!", f"#NUM! {name} would build an array of "
                                          f"{rows * cols:,.0f} cells (limit "
                                          f"{MAX_ARRAY_CELLS:,})")
                return np.asarray([[err]], dtype=object)
        if name in _LAMBDA_HELPERS:
            args = tuple(checking(a) if callable(a) and not isinstance(a, np.ndarray) else a
                         for a in args)
        return fn(*args, **kwargs)

    functools.update_wrapper(bounded, fn)
    if isinstance(entry, dict):
        return {**entry, "function": bounded}
    return bounded


def _munit() -> Any:
    """MUNIT(n): the n x n identity matrix (the engine's wrapped the matrix in one cell, so
    ``SUM(MUNIT(3))`` gave #VALUE!); #VALUE! for n below 1. Its size is bounded by
    :func:`_bounded_array` like the other arrays built from a few arguments."""
    import numpy as np
    from formulas.functions import Array, wrap_func
    from formulas.tokens.operand import Error, XlError

    def xl_munit(n: Any) -> Any:
        v = np.ravel(np.asarray(getattr(n, "value", n), dtype=object))
        x = v[0] if v.size == 1 else Error.errors["#VALUE!"]
        if isinstance(x, XlError):
            return x
        try:
            k = math.trunc(float(x))
        except (TypeError, ValueError):
            return Error.errors["#VALUE!"]
        if k < 1:
            return Error.errors["#VALUE!"]
        return np.identity(k).astype(object).view(Array)

    return wrap_func(xl_munit)


def error_code(code: str, message: str) -> Any:
    from .functions import error_token
    return error_token(code, message)


def _extract_return(res: Any, *args: Any) -> Any:
    import numpy as np
    from formulas.functions import Array
    if not res.shape:
        return np.asarray(res.item(), object).view(Array)
    if res.shape == (1, 1):
        return np.asarray(res[0, 0], object).view(Array)
    return np.vectorize(lambda x: x[0] if isinstance(x, list) else x, otypes=[object])(res)


def _blank_function() -> Callable[..., Any]:
    import numpy as np
    from formulas.functions import wrap_func

    def blank(*criteria: Any) -> Any:
        out = np.empty((1, 1), dtype=object)
        out[0, 0] = blank_matches(*criteria)
        return out

    return wrap_func(blank)


# --------------------------------------------------------------------------------------------
# criteria (COUNTIF, SUMIF, AVERAGEIF and their -IFS): "<>" as Excel reads it

def criteria_mask(test_range: dict[str, Any], condition: Any) -> Any:
    """Which cells of ``test_range`` (``{"raw": values, empty cells as ""}``) meet
    ``condition``, by Excel's rules: ``"<>"`` is every non-empty cell, ``"="`` every empty
    one, ``"<>x"`` every cell that ``"x"`` does not match (empty cells, text and other types
    included: ``COUNTIF(A1:A10,"<>2")`` counts the blank cells and the text); anything else as
    the engine reads it."""
    import formulas.functions as lib
    import numpy as np
    base = getattr(lib, "__xfilter")
    if isinstance(condition, str) and DATE1904[0]:
        condition = _criteria_1904(condition)
    if isinstance(condition, str):
        if condition in ("<>", "="):
            empty = np.vectorize(lambda v: isinstance(v, str) and v == "", otypes=[bool])(
                test_range["raw"])
            return ~empty if condition == "<>" else empty
        if condition.startswith("<>"):
            return ~base(test_range, "=" + condition[2:])
    raw = test_range["raw"]
    if "num" not in test_range and isinstance(raw, np.ndarray) and raw.dtype == object \
            and set(map(type, raw.ravel().tolist())) <= {float, int, bool}:
        test_range["num"] = raw   # what the engine reads from it as numbers: the same values
    return base(test_range, condition)


def _criteria_functions() -> dict[str, Any]:
    import numpy as np
    from formulas.errors import FoundError
    from formulas.functions import Array, replace_empty, wrap_func
    from formulas.functions.math import xsum
    from formulas.functions.stat import xaverage

    def each(accumulator: Any, operating_range: Any, test_ranges: Any, *conditions: Any) -> Any:
        operating_range = np.asarray(operating_range)
        try:
            b = None
            for test_range, condition in zip(test_ranges, conditions):
                m = criteria_mask(test_range, condition)
                b = m if b is None else b & m
            return accumulator(operating_range[b])
        except FoundError as ex:
            return ex.err

    each_v = np.vectorize(each, otypes=[object], excluded={0, 1, 2})

    def xfilter(accumulator: Any, test_range: Any, condition: Any,
                operating_range: Any = None) -> Any:
        operating_range = test_range if operating_range is None else operating_range
        return each_v(accumulator, operating_range, [{"raw": replace_empty(test_range, "")}],
                      condition).view(Array)

    def xfilters(accumulator: Any, operating_range: Any, test_range: Any, condition: Any,
                 *args: Any) -> Any:
        if len(args) % 2:
            raise ValueError("criteria come in (range, criteria) pairs")
        test_ranges = [test_range, *args[0::2]]
        operating_range = test_range if operating_range is None else operating_range
        return each_v(accumulator, operating_range,
                      [{"raw": replace_empty(v, "")} for v in test_ranges], condition,
                      *args[1::2]).view(Array)

    out = {"COUNTIF": wrap_func(functools.partial(xfilter, len, operating_range=None)),
           "COUNTIFS": wrap_func(functools.partial(xfilters, len, None)),
           "SUMIF": wrap_func(functools.partial(xfilter, xsum)),
           "SUMIFS": wrap_func(functools.partial(xfilters, xsum)),
           "AVERAGEIF": wrap_func(functools.partial(xfilter, xaverage)),
           "AVERAGEIFS": wrap_func(functools.partial(xfilters, xaverage))}
    out.update({"_XLFN." + k: v for k, v in out.items() if k.endswith("IFS")})
    return out


# --------------------------------------------------------------------------------------------
# text read as a date in a workbook of the 1904 date system

#: Whether the workbook being evaluated uses the 1904 date system (set for each evaluation).
DATE1904 = [False]
#: Days between the 1900 and the 1904 date systems' serial numbers.
DAYS_1904 = 1462


#: What a date written as text looks like: day, month and year as numbers joined by ``-``,
#: ``/`` or ``.`` (year first or last; the year may be left out), or with the month's name;
#: optionally followed by a time of day.
_DATE_SHAPE = re.compile(
    r"^(?:\d{1,4}[-/.]\d{1,2}(?:[-/.]\d{1,4})?"
    r"|(?:\d{1,2}[-/ ]?)?(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?"
    r"(?:[-/ ,]*\d{1,4})?(?:[-/ ,]+\d{2,4})?)"
    r"(?:[ T]+\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:[ap]m)?)?$", re.IGNORECASE)


def date_text_serial(text: str) -> float | None:
    """The 1900-system serial number of a text Excel reads as a date (``"2024-01-31"``,
    ``"1/31/2024"``), None for any other text (plain numbers, percentages, times of day)."""
    from formulas.errors import FoundError
    from formulas.functions.date import _text2datetime, xdate, xtime
    t = text.strip()
    if not _DATE_SHAPE.match(t):   # the date parser reads "1,00" or "--5" as dates
        return None
    try:
        parts = _text2datetime(t)
        day = xdate(*parts[:3])
    except (FoundError, AssertionError, ValueError, TypeError, IndexError, OverflowError):
        return None
    if day < 1 or not any(ch.isdigit() for ch in t) or ":" in t and not any(
            sep in t for sep in "/-") and not any(ch.isalpha() for ch in t):
        return None
    return day + xtime(*parts[3:])


def _criteria_1904(condition: str) -> str:
    for op in ("<=", ">=", "<>", "<", ">", "="):
        if condition.startswith(op):
            break
    else:
        op = ""
    serial = date_text_serial(condition[len(op):])
    return condition if serial is None else f"{op}{serial - DAYS_1904!r}"


#: A time of day as VALUE reads it: ``"12:00"``, ``"6:30:15"``, ``"7:05 PM"``, ``"25:00"``.
_TIME_TEXT = re.compile(
    r"^\s*(\d{1,4}):(\d{1,2})(?::(\d{1,2}(?:\.\d+)?))?\s*(?:([AaPp])[Mm])?\s*$")


def time_text_fraction(text: str) -> Any:
    """The fraction of a day Excel's VALUE gives a text holding only a time of day
    (``"12:00"`` is 0.5; hours past 24 count on, ``"25:00"`` is 1.0417), #VALUE! for minutes
    or seconds past 59 or a 12-hour clock past 12, None for any other text."""
    from formulas.tokens.operand import Error
    m = _TIME_TEXT.match(text)
    if m is None:
        return None
    h, mi, s = int(m.group(1)), int(m.group(2)), float(m.group(3) or 0)
    ampm = (m.group(4) or "").upper()
    if mi > 59 or s >= 60 or (ampm and h > 12):
        return Error.errors["#VALUE!"]
    if ampm:
        h = h % 12 + (12 if ampm == "P" else 0)
    return (h * 3600 + mi * 60 + s) / 86400


#: A number as Excel reads it from text: sign, currency symbol, thousands separators in groups
#: of three, decimals, exponent, a trailing percent sign, or parentheses for a negative number.
_NUMBER_TEXT = re.compile(
    r"^\s*(?P<open>\()?\s*(?P<s1>[+-])?\s*[$\u20ac\u00a3\u00a5]?\s*(?P<s2>[+-])?\s*"
    r"(?P<num>(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)"
    r"\s*(?P<pct>%)?\s*(?(open)\))\s*$")


def excel_number(text: str) -> Any:
    """The number Excel reads from ``text`` where a number is expected (VALUE, and the
    arithmetic operators: ``="2024-01-31"+0`` is 45322): a number written with sign, currency,
    thousands separators, percent or parentheses (``"$1,000"``, ``"50%"``, ``"(5)"``), a time of
    day as the fraction of a day, a date (and time) as its serial number in the workbook's date
    system; #VALUE! for any other text."""
    from formulas.tokens.operand import Error
    m = _NUMBER_TEXT.match(text)
    if m and not (m.group("s1") and m.group("s2")) and not (
            m.group("open") and (m.group("s1") or m.group("s2"))):
        x = float(m.group("num").replace(",", ""))
        if m.group("pct"):
            x /= 100
        return -x if m.group("open") or "-" in (m.group("s1") or "") + (m.group("s2") or "") \
            else x
    frac = time_text_fraction(text)
    if frac is not None:
        return frac
    serial = date_text_serial(text)
    if serial is not None:
        return serial - DAYS_1904 if DATE1904[0] else serial
    return Error.errors["#VALUE!"]


def _excel_value(entry: Any) -> Any:
    """VALUE reading every text as :func:`excel_number` does (the engine's own VALUE reads
    ``"1,000"`` as a date, ``"50%"`` as an error and knows only the 1900 date system);
    anything else as the engine's VALUE does."""
    import numpy as np

    def value(*args: Any) -> Any:
        out = entry(*args)
        if not args:
            return out
        arg = np.asarray(getattr(args[0], "value", args[0]), dtype=object)
        res = np.asarray(out, dtype=object)
        if arg.shape != res.shape and arg.size != 1:
            return out
        shifted = res.copy()
        for i, v in enumerate(np.broadcast_to(arg, res.shape).flat):
            if isinstance(v, str):
                shifted.flat[i] = excel_number(v)
        return shifted.view(type(out)) if isinstance(out, np.ndarray) else shifted

    return functools.update_wrapper(value, entry)


def _operand_number(v: Any) -> float:
    """An operand of an arithmetic operator as a number, texts read as Excel reads them."""
    if isinstance(v, str):
        x = excel_number(v)
        if not isinstance(x, float):
            from formulas.errors import FoundError
            raise FoundError(err=x)
        return x
    return float(v)


def operators() -> dict[str, Any]:
    """The engine's operators as we give them to its parser: ``+ - * / ^ %`` and unary minus
    as the engine computes them except that a text operand is read as Excel reads it
    (:func:`excel_number`; the engine accepts only plain numbers written as text, so
    ``="2024-01-31"+0`` gave #VALUE!); and the arithmetic, unary and comparison operators on
    whole arrays of numbers as one numpy operation each (:mod:`.fastarrays`), with the
    engine's element-by-element results."""
    if not _ARITH:
        from formulas.functions import Error, wrap_ufunc
        from formulas.functions.operators import OPERATORS

        from . import fastarrays
        ops = {
            "+": lambda x, y: x + y,
            "-": lambda x, y: x - y,
            "U-": lambda x: -x,
            "*": lambda x, y: x * y,
            "/": lambda x, y: (x / y) if y else Error.errors["#DIV/0!"],
            "^": lambda x, y: x ** y,
            "%": lambda x: x / 100.0,
        }
        parse = lambda *a: map(_operand_number, a)  # noqa: E731
        _ARITH.update({k: wrap_ufunc(f, input_parser=parse) for k, f in ops.items()})
        for k in fastarrays.OPERATORS:
            _ARITH_CELLS[k] = _ARITH.get(k) or OPERATORS[k]
            _ARITH[k] = fastarrays.operator(k, _ARITH_CELLS[k])
    return _ARITH


_ARITH: dict[str, Any] = {}
_ARITH_CELLS: dict[str, Any] = {}   # the operators element by element (what fastarrays matches)
