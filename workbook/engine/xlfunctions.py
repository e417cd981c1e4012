"""Excel functions the ``formulas`` engine lacks or computes differently from Excel, registered
in its function table (the library's extension point) next to ours.

* ``SEQUENCE`` (a dynamic array);
* ``IRR``, ``XIRR``, ``RATE`` solved as Excel does: Newton's method from the guess (default
  10%), stopping when a step is below Excel's documented accuracy (IRR 0.00001 percent, 20
  tries; XIRR 0.000001 percent, 100 tries; RATE 0.0000001, 20 tries) and returning the rate
  after that last step; ``#NUM!`` when it does not converge, as in Excel. Newton converges
  quadratically near the root, so the rate returned is the root to machine precision and
  agrees with Excel's to its 15 significant digits (the engine's own XIRR returned the rate
  before the last step, about 1e-8 off; its IRR ignored the guess);
* ``XNPV`` with Excel's rule that no date may precede the first;
* ``DAYS360`` and ``YEARFRAC`` basis 0 with Excel's end-of-February rules;
* ``QUOTIENT``, ``COMBIN``, ``COMBINA``, ``BASE``, ``DOLLAR`` (en-US currency text) and
  ``HYPERLINK`` (the text the cell shows; the link is never followed), which the engine
  lacks;
* ``ROUND``, ``ROUNDUP``, ``ROUNDDOWN`` on the 15 significant digits Excel keeps
  (``ROUND(1.005, 2)`` is 1.01; the engine rounded the binary value and gave 1.00);
* ``IPMT``/``PPMT`` with Excel's signs (the engine's IPMT gave #NUM! for positive interest,
  the usual sign of a lender's schedule);
* approximate ``MATCH``/``VLOOKUP``/``HLOOKUP``/``LOOKUP`` by Excel's binary search: on sorted
  data the last of equal values (the engine returned the first); blanks skipped;
* ``TEXT`` with Excel's number formats (:mod:`.numformat`), and text joins (``CONCATENATE``,
  ``CONCAT``, ``TEXTJOIN``, and ``&`` through :func:`join_operator`) that write booleans as
  ``TRUE``/``FALSE`` and numbers with 15 significant digits;
* ``ROWS``/``COLUMNS`` of an array a formula computed (``ROWS(FILTER(...))``), where the
  engine's gave #VALUE!;
* ``SUBTOTAL`` (which the engine lacks): cells holding SUBTOTAL or AGGREGATE in its ranges are
  left out (a grand total over sections counts no subtotal twice), rows hidden by a filter too,
  and every hidden row for codes 101-111 (:func:`set_subtotal_context`); ``AGGREGATE``
  likewise, its options saying what it leaves out (nested totals, hidden rows, errors);
* ``TODAY``/``NOW`` read :func:`set_today` (``computecredit recalc --today``), else the clock;
* every function under the name Excel writes in files for functions newer than Excel 2007
  (``_xlfn.NAME``, ``_xlfn._xlws.NAME``).

Everything is added to the table; nothing in the library is replaced in place.
"""

from __future__ import annotations

import collections
import datetime as _dt
import math
from typing import Any, Callable

from .numformat import FormatError, excel_text, format_value

__all__ = ["register", "join_operator", "set_today", "today", "VOLATILE",
           "set_subtotal_context"]

#: Functions whose value changes without any cell changing (Excel recalculates them always).
VOLATILE = frozenset({"TODAY", "NOW", "RAND", "RANDBETWEEN", "RANDARRAY", "OFFSET", "INDIRECT",
                      "CELL", "INFO"})

_CLOCK: dict[str, _dt.datetime | None] = {"frozen": None}


def set_today(when: _dt.date | _dt.datetime | None) -> None:
    """Freeze TODAY()/NOW() at ``when`` (a date: midnight), or None for the real clock."""
    if when is not None and not isinstance(when, _dt.datetime):
        when = _dt.datetime(when.year, when.month, when.day)
    _CLOCK["frozen"] = when


def today() -> _dt.datetime:
    """The moment TODAY()/NOW() evaluate at."""
    return _CLOCK["frozen"] or _dt.datetime.now()


def _serial(d: _dt.datetime) -> float:
    base = _dt.datetime(1899, 12, 30)
    delta = d - base
    return delta.days + delta.seconds / 86400.0 + delta.microseconds / 86400e6


# --------------------------------------------------------------------------------------------
# engine plumbing

def _lib() -> Any:
    import numpy as np
    import schedula as sh
    from formulas.functions import (COMPILING, Array, Error, FoundError, flatten, wrap_func,
                                    wrap_impure_func, wrap_ufunc)
    from formulas.tokens.operand import XlError
    return collections.namedtuple("Lib", "np sh COMPILING Array Error FoundError flatten "
                                         "wrap_func wrap_impure_func wrap_ufunc XlError")(
        np, sh, COMPILING, Array, Error, FoundError, flatten, wrap_func, wrap_impure_func,
        wrap_ufunc, XlError)


def _err(code: str) -> Any:
    from formulas.tokens.operand import Error
    return Error.errors[code]


def _scalar(v: Any) -> Any:
    """One value from an engine argument (the first cell of a range or array)."""
    import numpy as np
    if isinstance(v, np.ndarray):
        v = v.ravel()[0] if v.size else None
    return v


def _is_bool(v: Any) -> bool:
    return isinstance(v, bool) or type(v).__name__ in ("bool_", "bool")


def _is_empty(v: Any) -> bool:
    import schedula as sh
    return v is None or v is sh.EMPTY or (isinstance(v, sh.Token) and str(v) == "empty")


def _number(v: Any) -> float:
    """A scalar argument as a number, Excel's way (booleans count, numeric text converts);
    raises _Found with the Excel error otherwise."""
    from formulas.tokens.operand import XlError
    v = _scalar(v)
    if isinstance(v, XlError):
        raise _Found(v)
    if _is_empty(v):
        return 0.0
    if _is_bool(v):
        return float(bool(v))
    if isinstance(v, str):
        try:
            return float(v.strip())
        except ValueError:
            raise _Found(_err("#VALUE!")) from None
    try:
        return float(v)
    except (TypeError, ValueError):
        raise _Found(_err("#VALUE!")) from None


class _Found(Exception):
    """An Excel error value to return."""

    def __init__(self, err: Any) -> None:
        super().__init__(str(err))
        self.err = err


def _numbers_of(values: Any) -> list[float]:
    """The numbers of a range or array argument (text, booleans and empty cells are skipped,
    as Excel's IRR/NPV skip them in references); the first error found is raised."""
    import numpy as np
    from formulas.tokens.operand import XlError
    out = []
    for v in np.ravel(np.asarray(values, dtype=object)):
        if isinstance(v, XlError):
            raise _Found(v)
        if _is_empty(v) or isinstance(v, str) or _is_bool(v):
            continue
        out.append(float(v))
    return out


def _wrap(fn: Callable[..., Any]) -> Callable[..., Any]:
    """A plain Python function of engine arguments as an engine function: errors it raises
    become the cell's error value; a list of lists becomes an array."""
    import numpy as np
    from formulas.functions import Array, wrap_func

    def call(*args: Any) -> Any:
        try:
            res = fn(*args)
        except _Found as exc:
            res = exc.err
        except (ZeroDivisionError, OverflowError, ValueError, FormatError):
            res = _err("#NUM!") if fn.__name__ in _NUM_ON_FAIL else _err("#VALUE!")
        if isinstance(res, np.ndarray):
            return res.view(Array)
        out = np.empty((1, 1), dtype=object)
        out[0, 0] = res
        return out.view(Array)

    call.__name__ = fn.__name__
    return wrap_func(call)


_NUM_ON_FAIL = {"xl_irr", "xl_xirr", "xl_rate", "xl_xnpv", "xl_sequence"}


def _broadcast(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Apply a scalar function element by element over array arguments (Excel's lifting)."""
    import numpy as np
    from formulas.functions import Array, wrap_func

    def one(*vals: Any) -> Any:
        try:
            return fn(*vals)
        except _Found as exc:
            return exc.err
        except (ZeroDivisionError, OverflowError, ValueError, FormatError):
            return _err("#VALUE!") if fn.__name__ == "xl_text" else _err("#NUM!")

    def call(*args: Any) -> Any:
        arrays = [np.asarray(a, dtype=object) if isinstance(a, np.ndarray) else a for a in args]
        if not any(isinstance(a, np.ndarray) and a.size > 1 for a in arrays):
            out = np.empty((1, 1), dtype=object)
            out[0, 0] = one(*(_scalar(a) for a in arrays))
            return out.view(Array)
        res = np.vectorize(one, otypes=[object])(*[np.atleast_2d(a) if isinstance(a, np.ndarray)
                                                   else a for a in arrays])
        return np.atleast_2d(res).view(Array)

    call.__name__ = fn.__name__
    return wrap_func(call)


# --------------------------------------------------------------------------------------------
# SEQUENCE

def xl_sequence(rows: Any = None, columns: Any = None, start: Any = None, step: Any = None
                ) -> Any:
    import numpy as np
    r = 1 if _is_empty(_scalar(rows)) else math.trunc(_number(rows))
    c = 1 if _is_empty(_scalar(columns)) else math.trunc(_number(columns))
    s = 1.0 if _is_empty(_scalar(start)) else _number(start)
    d = 1.0 if _is_empty(_scalar(step)) else _number(step)
    if r < 1 or c < 1:
        raise _Found(_err("#VALUE!"))
    if r * c > 1_048_576:
        raise _Found(_err("#NUM!"))
    return (s + d * np.arange(r * c, dtype=float)).reshape(r, c).astype(object)


# --------------------------------------------------------------------------------------------
# rates: Newton's method as Excel describes it

def _newton(f: Callable[[float], float], df: Callable[[float], float], x: float,
            tol: float, tries: int) -> float:
    """Newton's method from ``x``: the iterate after the first step smaller than ``tol``;
    raises #NUM! after ``tries`` steps, at a zero derivative or a rate at or below -100%."""
    for _ in range(tries):
        fx, dfx = f(x), df(x)
        if not (math.isfinite(fx) and math.isfinite(dfx)) or dfx == 0:
            break
        new = x - fx / dfx
        if not math.isfinite(new) or new <= -1:
            break
        if abs(new - x) < tol:
            return new
        x = new
    raise _Found(_err("#NUM!"))


def xl_irr(values: Any, guess: Any = None) -> float:
    """IRR: NPV(r) = sum v_i / (1+r)^i = 0 (i = 0, 1, ...), Newton from ``guess``; accurate
    within 0.00001 percent."""
    vals = _numbers_of(values)
    g = 0.1 if _is_empty(_scalar(guess)) else _number(guess)
    if not vals or not (any(v > 0 for v in vals) and any(v < 0 for v in vals)):
        raise _Found(_err("#NUM!"))

    def f(r: float) -> float:
        b = 1.0 + r
        return sum(v / b ** i for i, v in enumerate(vals))

    def df(r: float) -> float:
        b = 1.0 + r
        return sum(-i * v / b ** (i + 1) for i, v in enumerate(vals) if i)
    # Excel documents 20 tries; monthly cash flows from the default 10% guess need about 30
    # Newton steps (a file that shows such a rate in Excel converged): allow 100
    return _newton(f, df, g, 1e-7, 100)


def _dated(values: Any, dates: Any) -> tuple[list[float], list[float]]:
    import numpy as np
    from formulas.tokens.operand import XlError
    vs = list(np.ravel(np.asarray(values, dtype=object)))
    ds = list(np.ravel(np.asarray(dates, dtype=object)))
    if len(vs) != len(ds):
        raise _Found(_err("#NUM!"))
    out_v, out_d = [], []
    for v, d in zip(vs, ds):
        for x in (v, d):
            if isinstance(x, XlError):
                raise _Found(x)
        if _is_empty(v) or _is_empty(d):
            raise _Found(_err("#VALUE!"))
        if isinstance(v, str) or isinstance(d, str) or _is_bool(v) or _is_bool(d):
            raise _Found(_err("#VALUE!"))
        dd = math.floor(float(d))
        if dd < 0 or dd >= 2958466:
            raise _Found(_err("#NUM!"))
        out_v.append(float(v))
        out_d.append(float(dd))
    if not out_v:
        raise _Found(_err("#NUM!"))
    if any(d < out_d[0] for d in out_d):
        raise _Found(_err("#NUM!"))
    return out_v, out_d


def xl_xnpv(rate: Any, values: Any, dates: Any) -> float:
    """XNPV: sum v_i / (1+rate)^((d_i - d_1)/365), d_1 the first date (no date before it)."""
    r = _number(rate)
    vals, ds = _dated(values, dates)
    if r <= -1:
        raise _Found(_err("#NUM!"))
    d0 = ds[0]
    return sum(v / (1.0 + r) ** ((d - d0) / 365.0) for v, d in zip(vals, ds))


def xl_xirr(values: Any, dates: Any, guess: Any = None) -> float:
    """XIRR: the rate at which XNPV is zero, Newton from ``guess``; accurate within 0.000001
    percent, at most 100 tries."""
    vals, ds = _dated(values, dates)
    g = 0.1 if _is_empty(_scalar(guess)) else _number(guess)
    if g <= -1:
        raise _Found(_err("#NUM!"))
    if not (any(v > 0 for v in vals) and any(v < 0 for v in vals)):
        raise _Found(_err("#NUM!"))
    d0 = ds[0]
    ts = [(d - d0) / 365.0 for d in ds]

    def f(r: float) -> float:
        b = 1.0 + r
        return sum(v / b ** t for v, t in zip(vals, ts))

    def df(r: float) -> float:
        b = 1.0 + r
        return sum(-t * v / b ** (t + 1) for v, t in zip(vals, ts))

    return _newton(f, df, g, 1e-8, 100)


def xl_rate(nper: Any, pmt: Any, pv: Any, fv: Any = None, type_: Any = None,
            guess: Any = None) -> float:
    """RATE: the periodic rate r with pv(1+r)^n + pmt(1+r*type)((1+r)^n - 1)/r + fv = 0,
    Newton from ``guess``, converged within 0.0000001."""
    n, p, v = _number(nper), _number(pmt), _number(pv)
    f_ = 0.0 if _is_empty(_scalar(fv)) else _number(fv)
    t = 0.0 if _is_empty(_scalar(type_)) else (1.0 if _number(type_) else 0.0)
    g = 0.1 if _is_empty(_scalar(guess)) else _number(guess)
    if n <= 0:
        raise _Found(_err("#NUM!"))

    def f(r: float) -> float:
        if abs(r) < 1e-12:
            return v + p * n + f_
        b = (1.0 + r) ** n
        return v * b + p * (1.0 + r * t) * (b - 1.0) / r + f_

    def df(r: float) -> float:
        if abs(r) < 1e-12:
            return v * n + p * (n * (n - 1) / 2.0 + t * n)
        b = (1.0 + r) ** n
        db = n * (1.0 + r) ** (n - 1)
        return (v * db + p * t * (b - 1.0) / r
                + p * (1.0 + r * t) * (db * r - (b - 1.0)) / (r * r))

    # Excel documents 20 tries, yet solves loans that need more steps from the default guess
    # (a 30-year monthly loan needs about 30); LibreOffice, built to match Excel, allows 150
    return _newton(f, df, g, 1e-7, 150)


def _loan_args(rate: Any, per: Any, nper: Any, pv: Any, fv: Any, type_: Any
               ) -> tuple[float, float, float, float, float, int]:
    r, p, n, v = _number(rate), _number(per), _number(nper), _number(pv)
    f_ = 0.0 if _is_empty(_scalar(fv)) else _number(fv)
    t = 0 if _is_empty(_scalar(type_)) else (1 if _number(type_) else 0)
    if p < 1 or p > n or n <= 0:
        raise _Found(_err("#NUM!"))
    return r, p, n, v, f_, t


def _fv(r: float, n: float, pmt: float, pv: float, t: int) -> float:
    """FV as Excel defines it: -(pv (1+r)^n + pmt (1+r t) ((1+r)^n - 1) / r); r = 0:
    -(pv + pmt n)."""
    if r == 0:
        return -(pv + pmt * n)
    g = (1.0 + r) ** n
    return -(pv * g + pmt * (1.0 + r * t) * (g - 1.0) / r)


def _pmt(r: float, n: float, pv: float, fv: float, t: int) -> float:
    """PMT as Excel defines it: -(pv (1+r)^n + fv) r / ((1 + r t)((1+r)^n - 1)); r = 0:
    -(pv + fv) / n."""
    if r == 0:
        return -(pv + fv) / n
    g = (1.0 + r) ** n
    return -(pv * g + fv) * r / ((1.0 + r * t) * (g - 1.0))


def xl_ipmt(rate: Any, per: Any, nper: Any, pv: Any, fv: Any = None, type_: Any = None
            ) -> float:
    """IPMT: the interest part of payment ``per``, the balance after ``per - 1`` payments times
    the rate (Excel's sign: negative for a loan taken, positive for one given); payments in
    advance (``type`` 1): discounted one period, and 0 for the first."""
    r, p, n, v, f_, t = _loan_args(rate, per, nper, pv, fv, type_)
    if t == 1 and p == 1:
        return 0.0
    pay = _pmt(r, n, v, f_, t)
    interest = _fv(r, p - 1, pay, v, t) * r
    return interest / (1.0 + r) if t == 1 else interest


def xl_ppmt(rate: Any, per: Any, nper: Any, pv: Any, fv: Any = None, type_: Any = None
            ) -> float:
    """PPMT: payment minus its interest part."""
    r, p, n, v, f_, t = _loan_args(rate, per, nper, pv, fv, type_)
    return _pmt(r, n, v, f_, t) - xl_ipmt(rate, per, nper, pv, fv, type_)


# --------------------------------------------------------------------------------------------
# 30/360 day counts

def _date_of(v: Any) -> Any:
    from .numformat import FormatError as _FE
    from .numformat import serial_to_datetime
    x = _number(v)
    try:
        return serial_to_datetime(math.floor(x)).date()
    except _FE:
        raise _Found(_err("#NUM!")) from None


def _last_of_month(d: Any) -> bool:
    import calendar
    return d.day == calendar.monthrange(d.year, d.month)[1]


def _last_of_feb(d: Any) -> bool:
    return d.month == 2 and _last_of_month(d)


def _excel_round(mode: str) -> Callable[..., float]:
    """ROUND (half away from zero), ROUNDUP (away from zero), ROUNDDOWN (toward zero) as Excel
    computes them: on the number's 15 significant digits, the digits Excel keeps, so
    ``ROUND(1.005, 2)`` is 1.01 and ``ROUNDUP(0.1+0.2, 1)`` is 0.3 (the engine rounded the
    binary value: 1.00 and 0.4)."""
    import decimal
    rounding = {"ROUND": decimal.ROUND_HALF_UP, "ROUNDUP": decimal.ROUND_UP,
                "ROUNDDOWN": decimal.ROUND_DOWN}[mode]

    def xl_round(number: Any, num_digits: Any = None) -> float:
        x = _number(number)
        d = 0 if _is_empty(_scalar(num_digits)) else math.trunc(_number(num_digits))
        if x == 0 or not math.isfinite(x):
            return x
        if d >= 15 - math.floor(math.log10(abs(x))):
            return x    # no digit of the 15 is cut
        d = max(-400, d)
        q = decimal.Decimal(f"{x:.15g}").quantize(decimal.Decimal(1).scaleb(-d), rounding) \
            if d >= 0 else (decimal.Decimal(f"{x:.15g}").scaleb(d).quantize(
                decimal.Decimal(1), rounding).scaleb(-d))
        return float(q)

    xl_round.__name__ = "xl_" + mode.lower()
    return xl_round


def xl_quotient(numerator: Any, denominator: Any) -> float:
    """QUOTIENT: the integer part of a division (toward zero); #DIV/0! for a zero divisor."""
    n, d = _number(numerator), _number(denominator)
    if d == 0:
        raise _Found(_err("#DIV/0!"))
    return float(math.trunc(n / d))


def xl_combin(number: Any, number_chosen: Any) -> float:
    """COMBIN: ways to choose ``number_chosen`` of ``number`` items (both truncated); #NUM! if
    either is negative or more are chosen than there are."""
    n, k = math.trunc(_number(number)), math.trunc(_number(number_chosen))
    if n < 0 or k < 0 or k > n:
        raise _Found(_err("#NUM!"))
    return float(math.comb(n, k))


def xl_combina(number: Any, number_chosen: Any) -> float:
    """COMBINA: ways to choose ``number_chosen`` of ``number`` items with repetition,
    C(n + k - 1, k) (both truncated); #NUM! if either is negative or more are chosen than
    there are."""
    n, k = math.trunc(_number(number)), math.trunc(_number(number_chosen))
    if n < 0 or k < 0 or k > n:
        raise _Found(_err("#NUM!"))
    return 1.0 if k == 0 else float(math.comb(n + k - 1, k))


def xl_base(number: Any, radix: Any, min_length: Any = None) -> str:
    """BASE: ``number`` (truncated, 0 to 2^53 - 1) written in base ``radix`` (2 to 36) with
    digits 0-9 and A-Z, padded with zeros to ``min_length`` (0 to 255); #NUM! outside."""
    n, r = math.trunc(_number(number)), math.trunc(_number(radix))
    width = 0 if _is_empty(_scalar(min_length)) else math.trunc(_number(min_length))
    if not (0 <= n < 2 ** 53 and 2 <= r <= 36 and 0 <= width <= 255):
        raise _Found(_err("#NUM!"))
    digits = ""
    while n:
        n, d = divmod(n, r)
        digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"[d] + digits
    return (digits or "0").rjust(width, "0")


def xl_dollar(number: Any, decimals: Any = None) -> Any:
    """DOLLAR: ``number`` rounded to ``decimals`` (default 2; negative rounds left of the
    point) as currency text, ``$1,234.57`` or ``($1,234.57)`` for a negative amount (Excel's
    en-US result); #VALUE! for more than 127 decimals."""
    d = 2 if _is_empty(_scalar(decimals)) else math.trunc(_number(decimals))
    if d > 127:
        raise _Found(_err("#VALUE!"))
    x = _excel_round("ROUND")(_number(number), d)
    body = "#,##0" + ("." + "0" * d if d > 0 else "")
    return format_value(x, f"$#,##0{body[5:]};(${body})")


def xl_hyperlink(link_location: Any, friendly_name: Any = None) -> Any:
    """HYPERLINK: the text the cell shows (the friendly name, else the link). The link is
    never followed: a headless recalculation opens nothing."""
    from formulas.tokens.operand import XlError
    shown = link_location if _is_empty(_scalar(friendly_name)) else friendly_name
    v = _scalar(shown)
    if isinstance(v, XlError):
        raise _Found(v)
    return 0.0 if _is_empty(v) else v


def xl_days360(start: Any, end: Any, method: Any = None) -> float:
    """DAYS360: US (NASD) method as Excel computes it (a start on the last day of February or
    the 31st counts as the 30th; an end on the 31st counts as the 30th when the start is the
    30th or later); European method (``TRUE``): the 31st counts as the 30th."""
    a, b = _date_of(start), _date_of(end)
    european = False if _is_empty(_scalar(method)) else bool(_number(method))
    d1, d2 = a.day, b.day
    if european:
        d1, d2 = min(d1, 30), min(d2, 30)
    else:
        if d1 == 31 or _last_of_feb(a):
            d1 = 30
        if d2 == 31 and d1 == 30:
            d2 = 30
    return float((b.year - a.year) * 360 + (b.month - a.month) * 30 + (d2 - d1))


def _yearfrac_30_360_us(a: Any, b: Any) -> float:
    """YEARFRAC basis 0 (US 30/360) as Excel computes it: both dates the last day of
    February count as the 30th; a start on the last day of February or the 31st counts as the
    30th; an end on the 31st as the 30th when the start is the 30th or later."""
    if b < a:
        a, b = b, a
    d1, d2 = a.day, b.day
    if _last_of_feb(a) and _last_of_feb(b):
        d2 = 30
    if d1 == 31 or _last_of_feb(a):
        d1 = 30
    if d2 == 31 and d1 == 30:
        d2 = 30
    return ((b.year - a.year) * 360 + (b.month - a.month) * 30 + (d2 - d1)) / 360.0


# --------------------------------------------------------------------------------------------
# text

def xl_text(value: Any, code: Any) -> Any:
    from formulas.tokens.operand import XlError
    for x in (value, code):
        if isinstance(x, XlError):
            raise _Found(x)
    if _is_empty(value):
        value = 0.0
    code = excel_text(None if _is_empty(code) else code)
    if isinstance(value, str):
        try:
            num: Any = float(value.strip())
        except ValueError:
            num = value
        value = num
    elif not _is_bool(value):
        value = float(value)
    try:
        return format_value(value, code)
    except FormatError:
        raise _Found(_err("#VALUE!")) from None


def xl_join(x: Any, y: Any) -> Any:
    """The ``&`` operator."""
    from formulas.tokens.operand import XlError
    for v in (x, y):
        if isinstance(v, XlError):
            raise _Found(v)
    return excel_text(None if _is_empty(x) else x) + excel_text(None if _is_empty(y) else y)


def _texts(args: tuple[Any, ...], skip_empty: bool) -> list[str]:
    import numpy as np
    from formulas.tokens.operand import XlError
    out = []
    for a in args:
        for v in np.ravel(np.asarray(a, dtype=object)) if isinstance(a, np.ndarray) else [a]:
            if isinstance(v, XlError):
                raise _Found(v)
            if _is_empty(v):
                if skip_empty:
                    continue
                v = None
            out.append(excel_text(v))
    return out


def xl_concat(*args: Any) -> str:
    text = "".join(_texts(args, False))
    if len(text) > 32767:
        raise _Found(_err("#VALUE!"))
    return text


def xl_textjoin(delimiter: Any, ignore_empty: Any, *args: Any) -> str:
    import numpy as np
    delims = _texts((delimiter,), False) or [""]
    skip = bool(_number(ignore_empty))
    parts = _texts(args, skip)
    if skip:
        parts = [p for p in parts if p != ""]
    out = []
    for i, p in enumerate(parts):
        if i:
            out.append(delims[(i - 1) % len(delims)])
        out.append(p)
    text = "".join(out)
    del np
    if len(text) > 32767:
        raise _Found(_err("#VALUE!"))
    return text


def xl_concatenate(*args: Any) -> Any:
    """CONCATENATE lifts over arrays element by element (unlike CONCAT)."""
    return xl_concat(*args)


# --------------------------------------------------------------------------------------------
# approximate lookups: Excel's binary search

def _kind(v: Any) -> int | None:
    """Excel's comparison class of a value: 0 number, 1 text, 2 logical, None blank/error."""
    from formulas.tokens.operand import XlError
    if _is_empty(v) or isinstance(v, XlError):
        return None
    if _is_bool(v):
        return 2
    if isinstance(v, str):
        return 1
    return 0


def _key(v: Any) -> Any:
    return v.casefold() if isinstance(v, str) else (bool(v) if _is_bool(v) else float(v))


def approx_position(values: list[Any], target: Any, descending: bool = False) -> int | None:
    """Excel's approximate match (MATCH 1/-1, VLOOKUP/HLOOKUP/LOOKUP with TRUE): a binary
    search among the values of the target's kind (numbers, text or logicals; blanks skipped)
    for the last position whose value is <= the target (>= for a descending list). On sorted
    data this is the last of equal values, as in Excel; None when there is none."""
    kind = _kind(target)
    if kind is None:
        return None
    idx = [i for i, v in enumerate(values) if _kind(v) == kind]
    keys = [_key(values[i]) for i in idx]
    t = _key(target)
    lo, hi = 0, len(keys) - 1
    while lo <= hi:
        mid = (lo + hi) // 2
        if (keys[mid] >= t) if descending else (keys[mid] <= t):
            lo = mid + 1
        else:
            hi = mid - 1
    return idx[hi] if hi >= 0 else None


def _grid(a: Any) -> list[list[Any]]:
    import numpy as np
    arr = np.asarray(a, dtype=object)
    if arr.ndim == 0:
        return [[arr.item()]]
    return np.atleast_2d(arr).tolist()


def _line(a: Any) -> list[Any]:
    g = _grid(a)
    if len(g) == 1:
        return list(g[0])
    if all(len(r) == 1 for r in g):
        return [r[0] for r in g]
    raise _Found(_err("#N/A"))


def _lifted(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Apply ``fn`` to each lookup value of an array first argument (Excel lifts it)."""
    import numpy as np

    def call(lookup: Any, *rest: Any) -> Any:
        if isinstance(lookup, np.ndarray) and lookup.size > 1:
            out = np.empty(lookup.shape, dtype=object)
            for ix, v in np.ndenumerate(lookup):
                try:
                    out[ix] = fn(v, *rest)
                except _Found as exc:
                    out[ix] = exc.err
            return np.atleast_2d(out)
        return fn(_scalar(lookup), *rest)

    call.__name__ = fn.__name__
    return call


def _not_found(v: Any) -> Any:
    from formulas.tokens.operand import XlError
    if isinstance(v, XlError):
        raise _Found(v)
    if _is_empty(v):
        raise _Found(_err("#N/A"))
    return v


def _cell_result(v: Any) -> Any:
    return 0.0 if _is_empty(v) else v


def _lookups(functions: dict[str, Any]) -> dict[str, Any]:
    """MATCH, VLOOKUP, HLOOKUP and LOOKUP with Excel's approximate match; exact matches go to
    the engine's own functions."""
    orig = {k: functions[k] for k in ("MATCH", "VLOOKUP", "HLOOKUP", "LOOKUP")}

    def exact(name: str, args: tuple[Any, ...]) -> Any:
        res = orig[name](*args)
        return _scalar(getattr(res, "value", res)) if not hasattr(res, "shape") or \
            getattr(res, "size", 1) == 1 else res

    def xl_match(lookup: Any, array: Any, match_type: Any = None) -> Any:
        t = 1.0 if _is_empty(_scalar(match_type)) else _number(match_type)
        if t == 0:
            return exact("MATCH", (lookup, array, match_type))
        pos = approx_position(_line(array), _not_found(lookup), descending=t < 0)
        if pos is None:
            raise _Found(_err("#N/A"))
        return float(pos + 1)

    def table_lookup(name: str, by_row: bool) -> Callable[..., Any]:
        def fn(lookup: Any, table: Any, index: Any, approx: Any = None) -> Any:
            a = True if _is_empty(_scalar(approx)) else bool(_number(approx))
            if not a:
                return exact(name, (lookup, table, index, approx))
            g = _grid(table)
            if by_row:
                g = [list(col) for col in zip(*g)]
            k = math.trunc(_number(index))
            if k < 1:
                raise _Found(_err("#VALUE!"))
            if k > len(g[0]):
                raise _Found(_err("#REF!"))
            pos = approx_position([r[0] for r in g], _not_found(lookup))
            if pos is None:
                raise _Found(_err("#N/A"))
            return _cell_result(g[pos][k - 1])
        fn.__name__ = f"xl_{name.lower()}"
        return fn

    def xl_lookup(lookup: Any, vector: Any, result: Any = None) -> Any:
        target = _not_found(lookup)
        if result is None or _is_empty(_scalar(result)) and not hasattr(result, "shape"):
            g = _grid(vector)
            if len(g) > 1 and len(g[0]) > 1:   # the array form
                if len(g[0]) > len(g):
                    keys, vals = list(g[0]), list(g[-1])
                else:
                    keys, vals = [r[0] for r in g], [r[-1] for r in g]
            else:
                keys = vals = _line(vector)
        else:
            keys, vals = _line(vector), _line(result)
        pos = approx_position(keys, target)
        if pos is None or pos >= len(vals):
            raise _Found(_err("#N/A"))
        return _cell_result(vals[pos])

    return {"MATCH": _wrap(_lifted(xl_match)),
            "VLOOKUP": _wrap(_lifted(table_lookup("VLOOKUP", False))),
            "HLOOKUP": _wrap(_lifted(table_lookup("HLOOKUP", True))),
            "LOOKUP": _wrap(_lifted(xl_lookup))}


# --------------------------------------------------------------------------------------------
# the clock

def xl_today() -> float:
    return float(math.floor(_serial(today())))


def xl_now() -> float:
    return _serial(today())


# --------------------------------------------------------------------------------------------
# registration

_NEW_FUNCTIONS = ("SEQUENCE", "XLOOKUP", "XMATCH", "FILTER", "SORT", "SORTBY", "UNIQUE", "LET",
                  "LAMBDA", "MAP", "REDUCE", "SCAN", "BYROW", "BYCOL", "MAKEARRAY", "IFS",
                  "SWITCH", "IFNA", "CONCAT", "TEXTJOIN", "MAXIFS", "MINIFS", "DAYS", "XOR",
                  "RANDARRAY", "STDEV.S", "STDEV.P", "VAR.S", "VAR.P", "CHOOSECOLS",
                  "CHOOSEROWS", "HSTACK", "VSTACK", "TAKE", "DROP", "TOCOL", "TOROW", "EXPAND",
                  "WRAPROWS", "WRAPCOLS", "ISFORMULA", "FORMULATEXT", "SINGLE", "ANCHORARRAY",
                  "NUMBERVALUE", "ISOWEEKNUM", "CEILING.MATH", "FLOOR.MATH", "AGGREGATE",
                  "PERCENTILE.INC", "PERCENTILE.EXC", "QUARTILE.INC", "QUARTILE.EXC",
                  "RANK.EQ", "RANK.AVG", "MODE.SNGL", "NORM.DIST", "NORM.INV", "NORM.S.DIST",
                  "NORM.S.INV", "LOGNORM.DIST", "LOGNORM.INV", "T.DIST", "T.INV", "CHISQ.DIST",
                  "BINOM.DIST", "POISSON.DIST", "EXPON.DIST", "GAMMA.DIST", "BETA.DIST",
                  "COVARIANCE.S", "COVARIANCE.P", "PDURATION", "RRI", "SHEET", "SHEETS",
                  "UNICHAR", "UNICODE", "TEXTBEFORE", "TEXTAFTER", "TEXTSPLIT", "VALUETOTEXT",
                  "ARRAYTOTEXT", "ISOMITTED")


def join_operator() -> Callable[..., Any]:
    """The ``&`` operator as Excel joins (the engine integration's parser compiles ``&`` to
    it; the engine's own operator table is left as it is)."""
    if "join" not in _JOIN:
        _JOIN["join"] = _broadcast(xl_join)
    return _JOIN["join"]


_JOIN: dict[str, Callable[..., Any]] = {}


# --------------------------------------------------------------------------------------------
# SUBTOTAL

#: What SUBTOTAL leaves out, set for each evaluation (:func:`set_subtotal_context`): the cells
#: holding SUBTOTAL or AGGREGATE formulas (a subtotal is never counted twice), every sheet's
#: hidden rows (left out by codes 101-111) and its rows hidden by a filter (left out by all).
#: Keys: (sheet title upper-case, row, column) and sheet title upper-case.
_SUBTOTAL: dict[str, Any] = {"nested": frozenset(), "hidden": {}, "filtered": {}}


def set_subtotal_context(nested: frozenset, hidden: dict[str, frozenset],
                         filtered: dict[str, frozenset]) -> None:
    _SUBTOTAL.update(nested=nested, hidden=hidden, filtered=filtered)


def _sheet_key(sheet: str) -> str:
    s = sheet.strip("'").replace("''", "'")
    return s[s.rfind("]") + 1:].upper() if "]" in s else s.upper()


def _subtotal_cells(ref: Any, skip_hidden: bool, skip_filtered: bool = True,
                    skip_nested: bool = True) -> list[Any]:
    """The values of a SUBTOTAL or AGGREGATE argument, without the cells it leaves out: every
    hidden row (``skip_hidden``), rows hidden by a filter (``skip_filtered``), cells holding
    SUBTOTAL or AGGREGATE (``skip_nested``). An array a formula computed is taken whole."""
    import numpy as np
    rngs = getattr(ref, "ranges", None)
    arr = np.atleast_2d(np.asarray(getattr(ref, "value", ref), dtype=object))
    if not rngs or len(rngs) != 1:
        return list(arr.ravel())
    rg = rngs[0]
    try:
        top, left = int(rg["r1"]), int(rg["n1"])
    except (KeyError, TypeError, ValueError):
        return list(arr.ravel())
    sheet = _sheet_key(str(rg.get("sheet", "")))
    nested = _SUBTOTAL["nested"] if skip_nested else frozenset()
    hidden = _SUBTOTAL["hidden"].get(sheet, frozenset()) if skip_hidden else \
        _SUBTOTAL["filtered"].get(sheet, frozenset()) if skip_filtered else frozenset()
    out = []
    for i, row in enumerate(arr):
        if top + i in hidden:
            continue
        for j, v in enumerate(row):
            if (sheet, top + i, left + j) not in nested:
                out.append(v)
    return out


def _summarise(kind: int, cells: list[Any], k: Any = None) -> Any:
    """Function ``kind`` of SUBTOTAL (1-11) and AGGREGATE (1-19) over the values left in:
    1 AVERAGE, 2 COUNT, 3 COUNTA, 4 MAX, 5 MIN, 6 PRODUCT, 7 STDEV.S, 8 STDEV.P, 9 SUM,
    10 VAR.S, 11 VAR.P, 12 MEDIAN, 13 MODE.SNGL, 14-19 (at ``k``) as :func:`_nth`. Text,
    booleans and blanks are skipped; an error is the result unless counting."""
    import statistics

    from formulas.tokens.operand import XlError
    if kind == 3:
        return float(sum(1 for v in cells if not _is_empty(v)))
    nums = []
    for v in cells:
        if isinstance(v, XlError):
            if kind != 2:
                raise _Found(v)
            continue
        if _is_empty(v) or isinstance(v, str) or _is_bool(v):
            continue
        nums.append(float(v))
    if kind >= 14:
        return _nth(nums, k, kind)
    if kind == 2:
        return float(len(nums))
    if kind == 9:
        return float(sum(nums))
    if kind in (4, 5):
        return (max(nums) if kind == 4 else min(nums)) if nums else 0.0
    if kind == 6:
        return math.prod(nums) if nums else 0.0
    if kind in (12, 13) and not nums:
        raise _Found(_err("#NUM!" if kind == 12 else "#N/A"))
    if kind == 12:
        return float(statistics.median(nums))
    if kind == 13:
        counts = collections.Counter(nums)
        top = max(counts.values())
        if top < 2:
            raise _Found(_err("#N/A"))
        return next(v for v in nums if counts[v] == top)
    need = 2 if kind in (7, 10) else 1
    if len(nums) < need:
        raise _Found(_err("#DIV/0!"))
    if kind == 1:
        return sum(nums) / len(nums)
    return {7: statistics.stdev, 8: statistics.pstdev, 10: statistics.variance,
            11: statistics.pvariance}[kind](nums)


def xl_subtotal(function_num: Any, *refs: Any) -> Any:
    """SUBTOTAL(function_num, ref1, ...): 1/101 AVERAGE, 2 COUNT, 3 COUNTA, 4 MAX, 5 MIN,
    6 PRODUCT, 7 STDEV, 8 STDEVP, 9 SUM, 10 VAR, 11 VARP of the references, leaving out cells
    that hold SUBTOTAL or AGGREGATE formulas and rows hidden by a filter; 101-111 leave out
    every hidden row too."""
    code = _number(function_num)
    if code != int(code) or int(code) % 100 not in range(1, 12) or not 1 <= code <= 111 or \
            12 <= code <= 100:
        raise _Found(_err("#VALUE!"))
    kind = int(code) % 100
    if not refs:
        raise _Found(_err("#VALUE!"))
    cells = [v for ref in refs for v in _subtotal_cells(ref, code > 100)]
    return _summarise(kind, cells)


def _nth(nums: list[float], k: Any, kind: int) -> float:
    """AGGREGATE 14-19: LARGE, SMALL, PERCENTILE.INC, QUARTILE.INC, PERCENTILE.EXC,
    QUARTILE.EXC of ``nums`` at ``k``."""
    k = _number(k)
    n = len(nums)
    xs = sorted(nums)
    if kind in (14, 15):
        i = math.ceil(k)   # a fractional k counts as the next whole one
        if n == 0 or not 1 <= i <= n:
            raise _Found(_err("#NUM!"))
        return xs[n - i] if kind == 14 else xs[i - 1]
    if kind in (17, 19):
        q = math.trunc(k)
        if not (0 <= q <= 4 if kind == 17 else 1 <= q <= 3):
            raise _Found(_err("#NUM!"))
        k = q / 4
    if n == 0:
        raise _Found(_err("#NUM!"))
    if kind in (16, 17):
        if not 0 <= k <= 1:
            raise _Found(_err("#NUM!"))
        h = k * (n - 1)
    else:
        h = k * (n + 1) - 1
        if not 0 <= h <= n - 1:
            raise _Found(_err("#NUM!"))
    lo = math.floor(h)
    return xs[lo] + (h - lo) * (xs[min(lo + 1, n - 1)] - xs[lo])


def xl_aggregate(function_num: Any, options: Any, *refs: Any) -> Any:
    """AGGREGATE(function_num, options, ref1, ...) and AGGREGATE(function_num, options, array,
    k): 1 AVERAGE, 2 COUNT, 3 COUNTA, 4 MAX, 5 MIN, 6 PRODUCT, 7 STDEV.S, 8 STDEV.P, 9 SUM,
    10 VAR.S, 11 VAR.P, 12 MEDIAN, 13 MODE.SNGL of the references; 14 LARGE, 15 SMALL,
    16 PERCENTILE.INC, 17 QUARTILE.INC, 18 PERCENTILE.EXC, 19 QUARTILE.EXC of the array at k.
    Options: 0-3 leave out cells holding SUBTOTAL or AGGREGATE, 4-7 do not; 1, 3, 5, 7 leave
    out hidden rows (rows hidden by a filter among them); 2, 3, 6, 7 leave out error values.
    Hidden rows are known only for references, not for arrays a formula computes."""
    from formulas.tokens.operand import XlError
    code, opt = _number(function_num), (0.0 if _is_empty(_scalar(options)) else
                                         _number(options))
    if code != int(code) or not 1 <= code <= 19 or opt != int(opt) or not 0 <= opt <= 7:
        raise _Found(_err("#VALUE!"))
    kind, opt = int(code), int(opt)
    skip_hidden, skip_errors, skip_nested = opt in (1, 3, 5, 7), opt in (2, 3, 6, 7), opt < 4
    if kind >= 14:
        if len(refs) != 2:
            raise _Found(_err("#VALUE!"))
        refs, k = refs[:1], refs[1]
    elif not refs:
        raise _Found(_err("#VALUE!"))
    cells = [v for ref in refs
             for v in _subtotal_cells(ref, skip_hidden, False, skip_nested)]
    if skip_errors:
        cells = [v for v in cells if not isinstance(v, XlError)]
    return _summarise(kind, cells, k if kind >= 14 else None)


def _dimension(engine_fn: Callable[..., Any], axis: int) -> Callable[..., Any]:
    """ROWS/COLUMNS of a reference (the engine's) or of an array a formula computed
    (``ROWS(FILTER(...))``, ``COLUMNS(HSTACK(...))``; the engine's gave #VALUE!)."""
    import numpy as np
    from formulas.functions import wrap_func
    from formulas.tokens.operand import XlError

    def call(ref: Any) -> Any:
        if getattr(ref, "ranges", None):
            return engine_fn(ref)
        v = getattr(ref, "value", ref)
        if isinstance(v, XlError):
            return v
        arr = np.asarray(v, dtype=object)
        if arr.ndim == 2 and arr.size == 1 and isinstance(arr[0, 0], XlError):
            return arr[0, 0]
        return float(np.atleast_2d(arr).shape[axis])

    call.__name__ = f"xl_{'rows' if axis == 0 else 'columns'}"
    return wrap_func(call, ranges=True)


def _ranges_wrap(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Like :func:`_wrap`, for a function that reads where its reference arguments are (the
    engine passes them as ranges)."""
    import numpy as np
    from formulas.functions import wrap_func

    def call(*args: Any) -> Any:
        try:
            res = fn(*args)
        except _Found as exc:
            res = exc.err
        except (ZeroDivisionError, OverflowError, ValueError):
            res = _err("#NUM!")
        out = np.empty((1, 1), dtype=object)
        out[0, 0] = res
        return out

    call.__name__ = fn.__name__
    return wrap_func(call, ranges=True)


def _index_whole(engine_index: dict[str, Any]) -> dict[str, Any]:
    """INDEX with a row or column of 0 (or omitted where Excel takes it as 0): the whole column,
    row or range, as a reference when given one (so SUM, SUMPRODUCT, ROWS, COLUMNS and MATCH over
    it see every cell), else as an array. The engine's INDEX took 0 as 1 (a silent first cell).
    Anything else (positive indexes, array indexes, several areas) goes to the engine's INDEX."""
    import numpy as np
    import schedula as sh
    from formulas.ranges import Ranges
    from formulas.tokens.operand import XlError, _index2col

    impure = engine_index["function"]

    def index_of(v: Any) -> int | None:
        """A scalar index (None: omitted); raises _Found for errors, text and negatives."""
        if isinstance(v, np.ndarray) and v.size != 1:
            raise LookupError           # an array of indexes: the engine's
        v = _scalar(getattr(v, "value", v))
        if _is_empty(v):
            return None
        if isinstance(v, XlError):
            raise _Found(v)
        n = math.trunc(_number(v))
        if n < 0:
            raise _Found(_err("#VALUE!"))
        return n

    def call(compiling: Any, array: Any, *rest: Any) -> Any:
        if compiling or not 1 <= len(rest) <= 3:
            return impure(compiling, array, *rest)
        is_ref = isinstance(array, Ranges)
        try:
            row = index_of(rest[0])
            col = index_of(rest[1]) if len(rest) > 1 else None
            area = index_of(rest[2]) if len(rest) > 2 else None
            if is_ref and array.is_set:
                return impure(compiling, array, *rest)
            value = array.value if is_ref else array
            if isinstance(value, XlError):
                return value
            value = np.asarray(value, dtype=object)
            if value.ndim != 2:
                return impure(compiling, array, *rest)
            nrows, ncols = value.shape
            if len(rest) == 1 and 1 in (nrows, ncols):
                if row not in (0, None):
                    return impure(compiling, array, *rest)
                row = col = 0                       # a vector with index 0: all of it
            else:
                row = 0 if row is None else row
                col = 0 if col is None else col     # INDEX(B2:D7, 3): the whole row 3
                if row != 0 and col != 0:
                    return impure(compiling, array, *rest)
            if area not in (None, 1):
                raise _Found(_err("#REF!"))
        except LookupError:
            return impure(compiling, array, *rest)
        except _Found as exc:
            return exc.err
        if row > nrows or col > ncols:
            return _err("#REF!")
        r0, r1 = (0, nrows) if row == 0 else (row - 1, row)
        c0, c1 = (0, ncols) if col == 0 else (col - 1, col)
        sub = value[r0:r1, c0:c1]
        if not is_ref:
            from formulas.functions import Array
            return np.asarray(sub, dtype=object).view(Array)
        base = array.ranges[0]
        sheet_id = base["sheet_id"]
        top, left = int(base["r1"]) + r0, int(base["n1"]) + c0
        bottom, right = top + (r1 - r0) - 1, left + (c1 - c0) - 1
        ref = f"{_index2col(left)}{top}:{_index2col(right)}{bottom}"
        rng = {"r1": top, "r2": bottom, "c1": _index2col(left), "c2": _index2col(right),
               "n1": left, "n2": right, "ref": ref,
               "name": f"{sheet_id}!{ref}" if sheet_id else ref, "sheet_id": sheet_id}
        return Ranges(values=dict(array.values)).set_value(rng, sub)

    call.__name__ = "xl_index"
    return {"extra_inputs": engine_index["extra_inputs"], "function": call}


def register(functions: dict[str, Any]) -> None:
    """Add the functions of this module to the engine's table ``functions`` (its
    ``get_functions()``), and Excel's file names (``_XLFN.``) for every function."""
    from formulas.functions import COMPILING, wrap_impure_func

    plain = {
        "SEQUENCE": _wrap(xl_sequence),
        "IRR": _wrap(xl_irr),
        "XIRR": _wrap(xl_xirr),
        "XNPV": _wrap(xl_xnpv),
        "RATE": _broadcast(xl_rate),
        "IPMT": _broadcast(xl_ipmt),
        "SUBTOTAL": _ranges_wrap(xl_subtotal),
        "AGGREGATE": _ranges_wrap(xl_aggregate),
        "PPMT": _broadcast(xl_ppmt),
        "TEXT": _broadcast(xl_text),
        "CONCAT": _wrap(xl_concat),
        "TEXTJOIN": _wrap(xl_textjoin),
        "CONCATENATE": _broadcast(xl_concatenate),
    }
    plain.update(_lookups(functions))
    functions["INDEX"] = _index_whole(functions["INDEX"])
    for name, axis in (("ROWS", 0), ("COLUMNS", 1)):
        functions[name] = _dimension(functions[name], axis)
    engine_yearfrac = functions["YEARFRAC"]

    def xl_yearfrac(start: Any, end: Any, basis: Any = None) -> Any:
        b = 0 if _is_empty(_scalar(basis)) else math.trunc(_number(basis))
        if b != 0:
            res = engine_yearfrac(start, end, basis)
            return _scalar(getattr(res, "value", res))
        return _yearfrac_30_360_us(_date_of(start), _date_of(end))

    plain["YEARFRAC"] = _wrap(xl_yearfrac)
    plain["DAYS360"] = _broadcast(xl_days360)
    plain["QUOTIENT"] = _broadcast(xl_quotient)
    plain["COMBIN"] = _broadcast(xl_combin)
    plain["COMBINA"] = _broadcast(xl_combina)
    plain["BASE"] = _broadcast(xl_base)
    plain["DOLLAR"] = _broadcast(xl_dollar)
    plain["HYPERLINK"] = _broadcast(xl_hyperlink)
    for mode in ("ROUND", "ROUNDUP", "ROUNDDOWN"):
        plain[mode] = _broadcast(_excel_round(mode))
    for name, fn in plain.items():
        functions[name] = fn
    functions["TODAY"] = {"extra_inputs": collections.OrderedDict([(COMPILING, False)]),
                          "function": wrap_impure_func(_wrap(xl_today))}
    functions["NOW"] = {"extra_inputs": collections.OrderedDict([(COMPILING, False)]),
                        "function": wrap_impure_func(_wrap(xl_now))}
    # the names Excel writes for functions added after Excel 2007
    from formulas.functions import not_implemented
    known = {k: v for k, v in list(functions.items()) if v is not not_implemented}
    for name, fn in known.items():
        if name.startswith("_XL"):
            continue
        for alias in ("_XLFN." + name, "_XLFN._XLWS." + name):
            if alias not in known:
                functions[alias] = fn
    for name in _NEW_FUNCTIONS:
        if name in known:
            for alias in ("_XLFN." + name, "_XLFN._XLWS." + name):
                functions[alias] = known[name]
