"""Excel's number formats and number-to-text conversion, for ``TEXT`` and text joins.

Two conversions Excel makes without being asked:

* :func:`excel_text`: a value joined into text (``"x"&A1``, ``CONCATENATE``, ``TEXTJOIN``):
  ``TRUE``/``FALSE`` for booleans, numbers with at most 15 significant digits (``0.1+0.2`` is
  ``0.3``), scientific notation as Excel writes it (``1E+20``, ``1.23456789012346E+17``);
* :func:`general`: the ``General`` number format (at most 11 characters, as a cell shows it).

:func:`format_value` applies a number format code as ``TEXT(value, code)`` does: up to four
sections (positive; negative; zero; text) or conditional sections (``[>=1000]``), literal text
(``"x"``, ``\\x``, ``$ - + ( ) : / space``), digit placeholders ``0 # ?``, the decimal point,
the thousands separator and scaling commas (``#,##0,,"m"``), percent, scientific
(``0.00E+00``), fractions (``# ?/?``, ``# ??/16``), dates and times (``yyyy mmm dd hh:mm:ss
AM/PM``, elapsed ``[h]:mm``, fractions of a second), ``@`` for text, ``_x`` (a space the width
of ``x``) and ``*x`` (fill, dropped as in ``TEXT``), colours and locales ignored. Rounding is
Excel's: the value is first taken to 15 significant digits, then rounded half away from zero
(``TEXT(1.005,"0.00")`` is ``1.01``, ``TEXT(2.5,"0")`` is ``3``). Dates are in the 1900 date
system (serial 60 is Excel's 29 February 1900).

A code this module cannot read raises :class:`FormatError` (the caller turns it into
``#VALUE!``, as Excel does for an invalid code).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

__all__ = ["excel_text", "general", "format_value", "serial_to_datetime", "FormatError"]

_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"]
_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


class FormatError(ValueError):
    """A number format code this module cannot apply."""


# --------------------------------------------------------------------------------------------
# numbers as text without a format

def _sig15(x: float) -> Decimal:
    """``x`` rounded to 15 significant digits, as an exact decimal (Excel's precision)."""
    return Decimal(f"{x:.15g}") if x else Decimal(0)


def excel_text(v: object) -> str:
    """A value as Excel turns it into text when it is joined (``&``) or concatenated."""
    if v is None:
        return ""
    if isinstance(v, bool) or type(v).__name__ in ("bool_", "bool"):
        return "TRUE" if v else "FALSE"
    if isinstance(v, str):
        return v
    try:
        x = float(v)  # numpy numbers, ints
    except (TypeError, ValueError):
        return str(v)
    if not math.isfinite(x):
        return "#NUM!"
    if x == 0:
        return "0"
    d = _sig15(x)
    exp = d.adjusted()
    if exp >= 15 or exp < -20:
        return _scientific(d)
    text = format(d, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def _scientific(d: Decimal, digits: int | None = None) -> str:
    """``1.23456789012346E+17`` (mantissa without trailing zeros unless ``digits`` is given)."""
    sign = "-" if d < 0 else ""
    d = abs(d)
    exp = d.adjusted()
    mant = d.scaleb(-exp)
    if digits is not None:
        mant = mant.quantize(Decimal(1).scaleb(-digits), ROUND_HALF_UP)
        if mant >= 10:
            mant, exp = (mant / 10).quantize(Decimal(1).scaleb(-digits), ROUND_HALF_UP), exp + 1
        text = format(mant, "f")
    else:
        text = format(mant.normalize(), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return f"{sign}{text}E{'+' if exp >= 0 else '-'}{abs(exp):02d}"


def general(x: float) -> str:
    """The ``General`` format: the shortest of plain or scientific notation that fits in 11
    characters, as a cell of standard width shows it."""
    if x == 0:
        return "0"
    d = _sig15(x)
    exp = d.adjusted()
    width = 11
    if -10 < exp < 11:
        # plain notation with as many decimals as fit
        neg = 1 if x < 0 else 0
        int_digits = max(exp + 1, 1)
        room = width - neg - int_digits - 1  # digits after the point
        if int_digits + neg <= width:
            places = max(room, 0)
            q = abs(d).quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP) if places else \
                abs(d).quantize(Decimal(1), ROUND_HALF_UP)
            text = format(q, "f")
            if "." in text:
                text = text.rstrip("0").rstrip(".")
            if q != 0 and (len(text) + neg <= width):
                return ("-" if x < 0 else "") + text
    # scientific: mantissa digits so that the whole fits in 11 characters
    neg = 1 if x < 0 else 0
    exp_len = 4 if abs(exp) < 100 else 5
    digits = max(width - neg - exp_len - 2, 0)
    return _scientific(d, digits)


# --------------------------------------------------------------------------------------------
# dates

def serial_to_datetime(serial: float) -> dt.datetime:
    """A 1900-system serial number as a datetime (serial 60, Excel's 29 February 1900, is
    shown as 28 February; serials below 1 are times of day on 0 January 1900)."""
    if serial < 0 or serial >= 2958466:
        raise FormatError("the date is outside Excel's range")
    days = math.floor(serial)
    frac = serial - days
    if days >= 61:
        base = dt.datetime(1899, 12, 30) + dt.timedelta(days=days)
    elif days >= 1:
        base = dt.datetime(1899, 12, 31) + dt.timedelta(days=days)
    else:
        base = dt.datetime(1899, 12, 31)
    return base + dt.timedelta(seconds=frac * 86400)


# --------------------------------------------------------------------------------------------
# format codes

_TOKEN = re.compile(r"""
    (?P<quoted>"[^"]*"?)
  | (?P<escape>\\.)
  | (?P<skip>_.)
  | (?P<fill>\*.)
  | (?P<bracket>\[[^\]]*\])
  | (?P<ampm>AM/PM|am/pm|A/P|a/p)
  | (?P<date>[yY]+|[dD]+|[hH]+|[mM]+|[sS]+|[eE](?![+-]))
  | (?P<exp>[eE][+-])
  | (?P<digit>[0#?])
  | (?P<point>\.)
  | (?P<comma>,)
  | (?P<percent>%)
  | (?P<slash>/)
  | (?P<at>@)
  | (?P<general>[Gg][Ee][Nn][Ee][Rr][Aa][Ll])
  | (?P<other>.)
""", re.X | re.S)


def _split_sections(code: str) -> list[str]:
    out, cur, i = [], [], 0
    while i < len(code):
        ch = code[i]
        if ch == '"':
            j = code.find('"', i + 1)
            j = len(code) if j < 0 else j + 1
            cur.append(code[i:j])
            i = j
            continue
        if ch == "\\" and i + 1 < len(code):
            cur.append(code[i:i + 2])
            i += 2
            continue
        if ch == "[":
            j = code.find("]", i)
            j = len(code) if j < 0 else j + 1
            cur.append(code[i:j])
            i = j
            continue
        if ch == ";":
            out.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
        i += 1
    out.append("".join(cur))
    return out


_COND = re.compile(r"^\[(<=|>=|<>|<|>|=)\s*(-?[0-9.]+(?:[eE][+-]?[0-9]+)?)\]$")


class _Section:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = [(m.lastgroup or "other", m.group(0)) for m in _TOKEN.finditer(text)]
        self.condition: tuple[str, float] | None = None
        elapsed = False
        kept = []
        for kind, tok in self.tokens:
            if kind == "bracket":
                m = _COND.match(tok)
                if m:
                    self.condition = (m.group(1), float(m.group(2)))
                    continue
                inner = tok[1:-1].lower()
                if inner and set(inner) <= set("hms"):
                    kept.append(("elapsed", inner))
                    elapsed = True
                continue  # colours, locales [$-409], currency [$€-2] (the symbol is dropped)
            kept.append((kind, tok))
        # "[$USD]"-style currency brackets: keep the symbol text
        self.tokens = []
        for kind, tok in kept:
            self.tokens.append((kind, tok))
        self.is_date = elapsed or any(k in ("date", "ampm") and not (k == "date" and
                                                                       tok.lower() == "e")
                                      for k, tok in self.tokens)
        if any(k == "date" and t.lower() == "e" for k, t in self.tokens) and not self.is_date:
            raise FormatError("unexpected E")
        self.has_text = any(k == "at" for k, _ in self.tokens)
        self.has_digits = any(k == "digit" for k, _ in self.tokens)
        self.is_general = any(k == "general" for k, _ in self.tokens)

    def matches(self, x: float) -> bool:
        if self.condition is None:
            return True
        op, ref = self.condition
        return {"<": x < ref, "<=": x <= ref, ">": x > ref, ">=": x >= ref, "=": x == ref,
                "<>": x != ref}[op]


@lru_cache(maxsize=512)
def _sections(code: str) -> list[_Section]:
    parts = _split_sections(code)
    if len(parts) > 4:
        raise FormatError("more than four sections")
    return [_Section(p) for p in parts]


def _literal(kind: str, tok: str) -> str:
    if kind == "quoted":
        return tok[1:-1] if tok.endswith('"') and len(tok) > 1 else tok[1:]
    if kind == "escape":
        return tok[1:]
    if kind == "skip":
        return " "
    if kind == "fill":
        return ""
    return tok


def format_value(value: object, code: str) -> str:
    """``TEXT(value, code)``: ``value`` a number (float), a string or a boolean."""
    if isinstance(value, bool) or type(value).__name__ in ("bool_", "bool"):
        return "TRUE" if value else "FALSE"
    sections = _sections(code)
    if isinstance(value, str):
        text_section = sections[3] if len(sections) == 4 else next(
            (s for s in sections if s.has_text), None)
        if text_section is None:
            return value
        return "".join(value if k == "at" else _literal(k, t) for k, t in text_section.tokens
                       if k not in ("digit", "point", "comma", "percent"))
    x = float(value)  # type: ignore[arg-type]
    if not math.isfinite(x):
        raise FormatError("not a finite number")
    section, drop_sign = _choose(sections, x)
    if drop_sign:
        x = abs(x)
    if section.is_general or (not section.tokens):
        lit = "".join(_literal(k, t) if k != "general" else general(abs(x) if drop_sign else x)
                      for k, t in section.tokens) if section.tokens else ""
        if not section.tokens:
            return "" if len(sections) > 1 else general(x)
        return lit if section.is_general else lit
    if section.is_date:
        return _format_date(x, section)
    return _format_number(x, section)


def _choose(sections: list[_Section], x: float) -> tuple[_Section, bool]:
    """The section for ``x`` and whether its minus sign is dropped (the section shows it)."""
    numeric = [s for s in sections if not (s.has_text and not s.has_digits and not s.is_date
                                           and len(sections) == 4 and s is sections[3])]
    if any(s.condition for s in numeric):
        for i, s in enumerate(numeric[:3]):
            if s.condition is not None and s.matches(x):
                return s, i > 0 or (x < 0 and s.condition[0] in ("<", "<=") and
                                    s.condition[1] <= 0)
        rest = [s for s in numeric[:3] if s.condition is None]
        if rest:
            return rest[0], False if x >= 0 else len([s for s in numeric[:3]
                                                       if s.condition is not None]) > 0
        return numeric[0], False
    if x > 0 or len(numeric) == 1:
        return numeric[0], False
    if x < 0:
        return numeric[1], True
    return (numeric[2] if len(numeric) >= 3 else numeric[0]), False


# -- numbers ---------------------------------------------------------------------------------

def _round(x: float, places: int) -> Decimal:
    d = _sig15(x)
    return d.quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP)


def _format_number(x: float, sec: _Section) -> str:
    toks = list(sec.tokens)
    # fractions: digits "/" digits (or a fixed denominator)
    if any(k == "slash" for k, _ in toks) and sec.has_digits:
        slash = next(i for i, (k, _) in enumerate(toks) if k == "slash")
        if any(k == "digit" for k, _ in toks[slash + 1:]) or \
                any(k == "other" and t.isdigit() for k, t in toks[slash + 1:]):
            return _format_fraction(x, toks, slash)
    percent = sum(1 for k, _ in toks if k == "percent")
    exp_i = next((i for i, (k, _) in enumerate(toks) if k == "exp"), None)
    mant_end = exp_i if exp_i is not None else len(toks)
    point_i = next((i for i in range(mant_end) if toks[i][0] == "point"), None)
    int_end = point_i if point_i is not None else mant_end
    int_tokens = [i for i in range(int_end) if toks[i][0] == "digit"]
    frac_tokens = [i for i in range(int_end + 1, mant_end) if toks[i][0] == "digit"] \
        if point_i is not None else []
    # scaling commas follow the last digit placeholder; a comma between placeholders groups
    scale, thousands, scaling = 0, False, set()
    last_digit = max(int_tokens + frac_tokens, default=None)
    if last_digit is not None:
        j = last_digit + 1
        while j < mant_end and toks[j][0] == "comma":
            scale += 1
            scaling.add(j)
            j += 1
    if int_tokens:
        thousands = any(toks[i][0] == "comma" and i not in scaling
                        for i in range(int_tokens[0], int_end))
    value = abs(x) * (100 ** percent) / (1000 ** scale)
    neg = x < 0
    places = len(frac_tokens)
    exponent = None
    if exp_i is not None:
        n_int = max(len(int_tokens), 1)
        if value == 0:
            exponent, rounded = 0, Decimal(0)
        else:
            d = _sig15(value)
            e = d.adjusted()
            lead = toks[int_tokens[0]][1] if int_tokens else "0"
            if n_int > 1 and lead == "#":   # engineering style: exponent a multiple of n
                exponent = (e // n_int) * n_int
            else:
                exponent = e - (n_int - 1)
            rounded = d.scaleb(-exponent).quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP)
            if rounded >= Decimal(10) ** n_int:
                exponent += 1 if not (n_int > 1 and lead == "#") else n_int
                rounded = d.scaleb(-exponent).quantize(Decimal(1).scaleb(-places),
                                                       ROUND_HALF_UP)
    else:
        rounded = _round(value, places)
    if rounded == 0 and exponent is None:
        neg = False
    text = format(rounded, "f")
    int_str, _, frac_str = text.partition(".")
    frac_str = frac_str.ljust(places, "0")
    if int_str == "0":
        int_str = ""
    # integer placeholders: digits from the right; extra digits go to the first placeholder
    rendered: dict[int, str] = {}
    k = len(int_str)
    for pos in range(len(int_tokens) - 1, -1, -1):
        i = int_tokens[pos]
        ph = toks[i][1]
        if k > 0:
            if pos == 0:
                rendered[i], k = int_str[:k], 0
            else:
                k -= 1
                rendered[i] = int_str[k]
        else:
            rendered[i] = "0" if ph == "0" else (" " if ph == "?" else "")
    if thousands and int_tokens:
        # the separators go into the digits (placeholders between literals keep their place
        # only without grouping; codes mixing both are rare)
        body = "".join(rendered[i] for i in int_tokens)
        core = body.lstrip(" ")
        pad = len(body) - len(core)
        for i in int_tokens:
            rendered[i] = ""
        rendered[int_tokens[0]] = " " * pad + _group(core)
    # fraction placeholders: trailing zeros dropped on "#", blanked on "?"
    digits = list(frac_str[:places])
    for j in range(places - 1, -1, -1):
        ph = toks[frac_tokens[j]][1]
        if digits[j] != "0" or ph == "0":
            break
        digits[j] = "" if ph == "#" else " "
    for j, i in enumerate(frac_tokens):
        rendered[i] = digits[j]
    out = []
    for i, (kind, tok) in enumerate(toks[:mant_end]):
        if kind == "digit":
            out.append(rendered.get(i, ""))
        elif kind == "point":
            out.append(".")
        elif kind == "comma":
            continue
        elif kind == "percent":
            out.append("%")
        elif kind in ("at", "general", "elapsed"):
            continue
        elif kind in ("date", "ampm"):
            out.append(tok)
        else:
            out.append(_literal(kind, tok))
    result = "".join(out)
    if exponent is not None:
        sign_tok = toks[exp_i][1]
        exp_digits = [i for i in range(exp_i + 1, len(toks)) if toks[i][0] == "digit"]
        e_text = str(abs(exponent)).rjust(max(len(exp_digits), 1), "0")
        e_sign = "-" if exponent < 0 else ("+" if sign_tok[1] == "+" else "")
        tail = []
        for i in range(exp_i + 1, len(toks)):
            kind, tok = toks[i]
            if kind == "digit":
                if e_text:
                    tail.append(e_text)
                    e_text = ""
            else:
                tail.append(_literal(kind, tok))
        result += sign_tok[0].upper() + e_sign + "".join(tail)
    return ("-" + result) if neg else result


def _group(s: str) -> str:
    if not s:
        return s
    head = len(s) % 3 or 3
    return ",".join([s[:head]] + [s[i:i + 3] for i in range(head, len(s), 3)])


def _format_fraction(x: float, toks: list, slash: int) -> str:
    neg = x < 0
    x = abs(x)
    before = toks[:slash]
    after = toks[slash + 1:]
    # denominator: fixed digits or placeholders
    den_ph = [t for k, t in after if k == "digit"]
    fixed = "".join(t for k, t in after if k == "other" and t.isdigit())
    num_idx = [i for i, (k, _) in enumerate(before) if k == "digit"]
    # the numerator is the last run of digit placeholders before the slash
    run_end = num_idx[-1] if num_idx else -1
    run_start = run_end
    while run_start - 1 >= 0 and before[run_start - 1][0] == "digit":
        run_start -= 1
    whole_ph = [i for i in num_idx if i < run_start]
    has_whole = bool(whole_ph)
    whole = math.floor(x) if has_whole else 0
    frac = x - whole
    if fixed:
        den = int(fixed)
        num = int(Decimal(frac * den).quantize(Decimal(1), ROUND_HALF_UP))
    else:
        max_den = 10 ** len(den_ph) - 1
        num, den = _best_fraction(frac, max_den)
    if has_whole and num == den:
        whole, num = whole + 1, 0
    parts = []
    if has_whole:
        w = str(whole) if whole or all(before[i][1] != "#" for i in whole_ph) else ""
        if whole == 0 and any(before[i][1] == "0" for i in whole_ph):
            w = "0"
        parts.append(w)
        if w:  # the literal between the whole number and the fraction goes with the number
            for k, t in before[whole_ph[-1] + 1:run_start]:
                parts.append(_literal(k, t))
    if num == 0 and has_whole:
        text = "".join(parts).rstrip()
        return ("-" if neg and text else "") + (text or "0")
    parts.append(str(num))
    parts.append("/")
    parts.append(str(den) if not fixed else fixed)
    return ("-" if neg else "") + "".join(parts)


def _best_fraction(frac: float, max_den: int) -> tuple[int, int]:
    best = (round(frac), 1)
    err = abs(frac - best[0])
    for den in range(1, max_den + 1):
        num = round(frac * den)
        e = abs(frac - num / den)
        if e < err - 1e-15:
            best, err = (num, den), e
    return best


# -- dates and times -------------------------------------------------------------------------

def _format_date(x: float, sec: _Section) -> str:
    toks = sec.tokens
    # fractions of a second shown: "ss.00"
    sub = 0
    for i, (k, t) in enumerate(toks):
        if k == "point" and i > 0 and toks[i - 1][0] == "date" and toks[i - 1][1][0] in "sS":
            j = i + 1
            while j < len(toks) and toks[j][0] == "digit" and toks[j][1] == "0":
                sub += 1
                j += 1
    if x < 0:
        raise FormatError("a negative date or time")
    # round to the shown precision of seconds
    unit = 86400 * 10 ** sub
    ticks = int(Decimal(repr(x)) * unit + Decimal("0.5")) if x < 2958466 else 0
    days, rem = divmod(ticks, unit)
    seconds_total = rem / 10 ** sub
    d = serial_to_datetime(days)
    secs = int(seconds_total)
    frac_sec = rem % (10 ** sub) if sub else 0
    hour, minute, second = secs // 3600, secs % 3600 // 60, secs % 60
    has_ampm = any(k == "ampm" for k, _ in toks)
    # month or minute for each "m" token
    kinds = []
    for i, (k, t) in enumerate(toks):
        if k == "date" and t[0] in "mM" and len(t) <= 2:
            prev = next((toks[j] for j in range(i - 1, -1, -1)
                         if toks[j][0] in ("date", "elapsed")), None)
            nxt = next((toks[j] for j in range(i + 1, len(toks))
                        if toks[j][0] in ("date", "elapsed")), None)
            is_min = (prev is not None and (prev[1][0] in "hH" or
                                            (prev[0] == "elapsed" and prev[1][0] == "h"))) or \
                     (nxt is not None and nxt[1][0] in "sS")
            kinds.append("minute" if is_min else "month")
        else:
            kinds.append(None)
    out = []
    total_seconds = days * 86400 + secs
    skip_point = False
    for i, (k, t) in enumerate(toks):
        if skip_point and k == "digit":
            continue
        skip_point = False
        if k == "elapsed":
            unit_ch = t[0]
            val = {"h": total_seconds // 3600, "m": total_seconds // 60,
                   "s": total_seconds}[unit_ch]
            out.append(str(int(val)).rjust(len(t), "0"))
        elif k == "date":
            c = t[0].lower()
            n = len(t)
            if c == "y" or c == "e":
                out.append(f"{d.year % 100:02d}" if (n <= 2 and c == "y") else f"{d.year:04d}")
            elif c == "d":
                if n == 1:
                    out.append(str(d.day))
                elif n == 2:
                    out.append(f"{d.day:02d}")
                elif n == 3:
                    out.append(_DAYS[d.weekday()][:3])
                else:
                    out.append(_DAYS[d.weekday()])
            elif c == "m":
                if kinds[i] == "minute":
                    out.append(f"{minute:02d}" if n == 2 else str(minute))
                elif n == 1:
                    out.append(str(d.month))
                elif n == 2:
                    out.append(f"{d.month:02d}")
                elif n == 3:
                    out.append(_MONTHS[d.month - 1][:3])
                elif n == 5:
                    out.append(_MONTHS[d.month - 1][0])
                else:
                    out.append(_MONTHS[d.month - 1])
            elif c == "h":
                h = hour
                if has_ampm:
                    h = hour % 12 or 12
                out.append(f"{h:02d}" if n >= 2 else str(h))
            elif c == "s":
                out.append(f"{second:02d}" if n >= 2 else str(second))
        elif k == "ampm":
            am = hour < 12
            if t.lower() == "am/pm":
                out.append("AM" if am else "PM")
            else:
                word = ("A" if am else "P")
                out.append(word if t[0].isupper() else word.lower())
        elif k == "point" and sub and i > 0 and toks[i - 1][0] == "date" and \
                toks[i - 1][1][0] in "sS":
            out.append("." + str(frac_sec).rjust(sub, "0"))
            skip_point = True
        elif k == "digit":
            out.append(t if t == "0" else "")
        elif k in ("comma", "percent", "at", "general"):
            out.append(t if k != "at" else "")
        else:
            out.append(_literal(k, t))
    return "".join(out)
