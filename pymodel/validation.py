"""Checks at the public boundary of :mod:`pymodel`.

Domains are :class:`Interval` objects, declared once per parameter in the schema
(:mod:`pymodel.schema`) and reused for validation, documentation and tests. Public functions call :func:`check` (scalars or arrays,
vectorised) before handing clean float arrays to private kernels.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Iterable, Sequence

import numpy as np

from .errors import DomainError, InputTypeError, format_value

__all__ = ["Interval", "check", "check_choice", "check_int", "check_steps", "as_float_array"]


@dataclass(frozen=True)
class Interval:
    """A real interval with open or closed ends; ``None`` means unbounded.

    >>> Interval(-1, 1, lo_closed=False, hi_closed=False).describe()
    'in (-1, 1)'
    >>> Interval(0, None, lo_closed=False).describe()
    '> 0'
    """

    lo: float | None = None
    hi: float | None = None
    lo_closed: bool = True
    hi_closed: bool = True

    def describe(self) -> str:
        """Human text for the bound, as used in error messages and argument help."""
        lo, hi = self.lo, self.hi
        f = format_value
        if lo is None and hi is None:
            return "a finite number"
        if hi is None:
            return (">= " if self.lo_closed else "> ") + f(lo)
        if lo is None:
            return ("<= " if self.hi_closed else "< ") + f(hi)
        return "in " + ("[" if self.lo_closed else "(") + f(lo) + ", " + f(hi) + (
            "]" if self.hi_closed else ")")

    def holds(self, x: float) -> bool:
        """Membership of one Python float (the scalar twin of :meth:`contains`)."""
        return math.isfinite(x) and (
            self.lo is None or (x >= self.lo if self.lo_closed else x > self.lo)) and (
            self.hi is None or (x <= self.hi if self.hi_closed else x < self.hi))

    def contains(self, x: np.ndarray) -> np.ndarray:
        """Elementwise membership (NaN is never inside)."""
        x = np.asarray(x, dtype=float)
        ok = np.isfinite(x)
        if self.lo is not None:
            ok &= (x >= self.lo) if self.lo_closed else (x > self.lo)
        if self.hi is not None:
            ok &= (x <= self.hi) if self.hi_closed else (x < self.hi)
        return ok


REAL = Interval()


def as_float_array(name: str, value: Any) -> np.ndarray:
    """Convert a number or array-like to a float ndarray, naming ``name`` on failure."""
    if value is None or isinstance(value, (str, bytes, bool)):
        raise InputTypeError(name, value=value, key="not_number")
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        bad = value
        if isinstance(value, Iterable):
            for v in np.ravel(np.asarray(value, dtype=object)):
                try:
                    float(v)
                except (TypeError, ValueError):
                    bad = v
                    break
        raise InputTypeError(name, value=bad, key="not_number") from None
    return arr


def check(name: str, value: Any, domain: Interval = REAL) -> Any:
    """Validate a number or array against ``domain``; return float or float array.

    Raises
    ------
    InputTypeError
        If ``value`` is not numeric.
    DomainError
        If any element is NaN, infinite or outside ``domain``; the message names the first
        offending element (and its position for arrays).
    """
    if type(value) in (float, int) and domain.holds(float(value)):  # fast path (bool excluded)
        return float(value)
    arr = as_float_array(name, value)
    ok = domain.contains(arr)
    if not np.all(ok):
        bad_idx = np.flatnonzero(~np.ravel(ok))[0]
        bad = np.ravel(arr)[bad_idx]
        label = name if arr.ndim == 0 or arr.size == 1 else f"{name}[{bad_idx + 1}]"
        if not math.isfinite(bad) and domain.lo is None and domain.hi is None:
            raise DomainError(label, "a finite number", bad, key="not_finite")
        bound = domain.describe() if math.isfinite(bad) else "a finite number " + domain.describe()
        raise DomainError(label, bound, bad)
    if arr.ndim == 0:
        return float(arr)
    return arr


def check_int(name: str, value: Any, domain: Interval = REAL) -> int:
    """Validate a whole number (floats like 4.0 are accepted, as Excel sends them)."""
    x = check(name, value, domain)
    if np.ndim(x) != 0:
        raise InputTypeError(name, value=value, key="not_integer")
    if x != math.floor(x):
        raise InputTypeError(name, value=x, key="not_integer")
    return int(x)


def check_choice(name: str, value: Any, choices: Sequence[str]) -> str:
    """Validate a text option, case-insensitively; return the canonical spelling."""
    if not isinstance(value, str):
        raise InputTypeError(name, " | ".join(choices), value, key="choice")
    for c in choices:
        if value.strip().lower() == c.lower():
            return c
    raise InputTypeError(name, " | ".join(choices), value, key="choice")


def check_steps(step_years: Any, step_downs: Any, *, names=("step_years", "step_downs")
                ) -> tuple[np.ndarray, np.ndarray]:
    """Validate generation step-downs: years tau_k >= 0 and fractions j_k in [0, 1).

    Both may be empty (or ``None``); they must have the same length.
    """
    ny, nd = names
    tau = np.atleast_1d(check(ny, [] if step_years is None else step_years,
                              Interval(0, None))).ravel()
    jumps = np.atleast_1d(check(nd, [] if step_downs is None else step_downs,
                                Interval(0, 1, hi_closed=False))).ravel()
    if tau.size != jumps.size:
        raise InputTypeError(nd, value=None, key="length_mismatch", other=ny,
                             n_other=tau.size, n=jumps.size)
    return tau, jumps
