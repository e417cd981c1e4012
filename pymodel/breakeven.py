"""One breakeven solver: the input level at which a monotone margin crosses zero.

Every breakeven of the model (deflation, rent and utilisation at which the minimum DSCR meets
its target, and any later one) is the root of a margin m(x) = metric(x) - target that is
continuous and monotone in x, with m >= 0 on the "safe" side. :func:`solve_breakeven`

1. evaluates the margin at the unsafe end: m >= 0 there means the target holds at any level,
   the breakeven is **not binding** (:class:`~pymodel.errors.NotAvailableError`, ``#N/A``);
2. evaluates it at the safe end (doubling the safe end up to ``max_doublings`` times when the
   search is unbounded): m < 0 there means **no solution** (:class:`~pymodel.errors.
   ConvergenceError`, ``#NUM!``);
3. brackets the root between the two ends and finds it with Brent's method
   (:func:`pymodel.roots.brentq`, scipy's steps) to an absolute tolerance of :data:`ROOT_TOL`.

The messages name the breakeven and what the margin was at the end that failed.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from .errors import ConvergenceError, NotAvailableError
from .roots import brentq


__all__ = ["solve_breakeven", "ROOT_TOL"]

#: Absolute tolerance of every breakeven root.
ROOT_TOL = 1e-12
_RTOL = 4 * np.finfo(float).eps


def solve_breakeven(margin: Callable[[float], float], safe: float, unsafe: float, *,
                    what: str, not_binding: Callable[[float], str],
                    no_solution: Callable[[float], str], max_doublings: int = 0) -> float:
    """Root of a monotone ``margin`` between a safe and an unsafe end.

    Parameters
    ----------
    margin : callable
        x -> metric(x) - target; continuous and monotone, >= 0 at ``safe``, < 0 at ``unsafe``.
    safe, unsafe : float
        Ends of the search (either order on the real line).
    what : str
        Name of the breakeven in messages (``"breakeven rent"``).
    not_binding : callable
        m(unsafe) -> the rest of the message when the margin is still >= 0 at the unsafe end.
    no_solution : callable
        m(safe) -> the rest of the message when the margin is < 0 at the (last) safe end.
    max_doublings : int, optional
        0 (default): ``safe`` is fixed. Otherwise the safe end is doubled until the margin is
        >= 0 there, at most this many times (an unbounded search such as a rent).

    Returns
    -------
    float
        x* with margin(x*) = 0, to :data:`ROOT_TOL` or better.

    Raises
    ------
    NotAvailableError
        Not binding: ``f"{what}: not binding; {not_binding(m_unsafe)}"``.
    ConvergenceError
        No solution in the search range, or the root finder failed.
    """
    at_unsafe = margin(unsafe)
    if at_unsafe >= 0:
        raise NotAvailableError(f"{what}: not binding; {not_binding(at_unsafe)}")
    at_safe = margin(safe)
    for _ in range(max_doublings):
        if at_safe >= 0:
            break
        safe *= 2.0
        at_safe = margin(safe)
    if not at_safe >= 0:
        raise ConvergenceError(f"{what}: no solution; {no_solution(at_safe)}")
    lo, hi = sorted((safe, unsafe))
    try:
        return float(brentq(margin, lo, hi, xtol=ROOT_TOL, rtol=_RTOL, maxiter=500))
    except (RuntimeError, ValueError) as exc:  # pragma: no cover - bracket checked above
        raise ConvergenceError(f"{what}: the root finder failed ({exc})") from None
